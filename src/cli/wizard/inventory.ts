/**
 * Inventory screens: import a CSV, scrape websites, and the status table. Each asks what the
 * subcommand's arguments would say and then runs the subcommand's own code (same output, same
 * Ctrl-C handling: an import rolls back, a scrape keeps its checkpoint for --resume).
 */
import { existsSync, statSync } from 'node:fs';
import { optionsWith } from '../define.js';
import { importOptions } from '../defs/import.js';
import { scrapeOptions } from '../defs/scrape.js';
import type { Wizard } from './ui.js';

/** Import an inventory CSV, optionally assigning every row to one dealership. */
export async function importFlow(w: Wizard): Promise<void> {
  const file = (
    await w.input('CSV file to import (a path; .csv or .csv.gz):', {
      validate: (t) => {
        const p = t.trim();
        if (p === '') return 'type the path of the file';
        if (!existsSync(p)) return `${p} does not exist (relative paths start at ${process.cwd()})`;
        if (!statSync(p).isFile()) return `${p} is not a file`;
        return true;
      },
    })
  ).trim();
  const whose = await w.select<'column' | 'one'>('Which dealership do the rows belong to?', [
    { name: "Each row's dealership column says", value: 'column' },
    { name: 'All rows to one dealership (a file without a dealership column)', value: 'one' },
  ]);
  const dealer =
    whose === 'one'
      ? (
          await w.pickDealerships(await w.dealerships(), { multi: false, message: 'Dealership of every row' })
        )[0]!
      : undefined;
  if (!(await w.confirm(`Import ${file}${dealer ? ` for ${dealer.name}` : ''}?`, true))) return;
  const { importCommand } = await import('../commands/import.js');
  await w.step(
    'import',
    [file],
    (env) =>
      importCommand(env, [file], optionsWith(importOptions, dealer ? { dealer: dealer.slug } : {}), w.cmd),
    { handlesCtrlC: true },
  );
}

/** Scrape every enabled registry dealership, chosen ones, or continue an interrupted run. */
export async function scrapeFlow(w: Wizard): Promise<void> {
  const what = await w.select<'all' | 'choose' | 'resume' | 'back'>('Scrape:', [
    { name: 'Every enabled dealership with a platform', value: 'all' },
    { name: 'Dealerships I choose', value: 'choose' },
    { name: 'Continue the last interrupted run', value: 'resume' },
    { name: 'Back to the menu', value: 'back' },
  ]);
  if (what === 'back') return;
  let dealers: string[] = [];
  if (what === 'choose') {
    const picked = await w.pickDealerships(await w.dealerships(), {
      multi: true,
      message: 'Dealerships to scrape',
      filter: (p) => p.dealership.platform !== null,
    });
    dealers = picked.map((d) => d.slug);
  }
  const text =
    what === 'all'
      ? 'every enabled dealership'
      : what === 'resume'
        ? 'the rest of the last interrupted run'
        : dealers.join(', ');
  if (!(await w.confirm(`Scrape ${text} and import the result? (Ctrl-C stops; --resume continues)`, true)))
    return;
  const { scrape } = await import('../commands/scrape.js');
  await w.step(
    'scrape',
    what === 'all' ? ['--all'] : what === 'resume' ? ['--resume'] : dealers,
    (env) =>
      scrape(
        env,
        dealers,
        optionsWith(scrapeOptions, { all: what === 'all', resume: what === 'resume' ? true : undefined }),
        w.cmd,
      ),
    { handlesCtrlC: true },
  );
}

/** The status table (`silverfox status`). */
export async function statusFlow(w: Wizard): Promise<void> {
  const { status } = await import('../commands/status.js');
  await w.step('status', [], (env) => status(env, [], { check: false }, w.cmd));
}
