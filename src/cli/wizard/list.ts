/**
 * The LIST screens: a dealership, the VINs or stock numbers (typed or pasted, or in an editor for
 * long lists), what was found / is a placeholder / is invalid (a dry run of runList), whether to
 * write the VIN log, confirmation, and the folder.
 */
import type { ListResult } from '../../app/list.js';
import { splitEntries } from '../../core/list.js';
import { ExitCode } from '../../errors.js';
import { vehicleTable } from '../order-tables.js';
import type { Wizard } from './ui.js';

/** The LIST menu entry, until "back". */
export async function listFlow(w: Wizard): Promise<void> {
  do {
    await listOrder(w);
  } while (await w.again('LIST order'));
}

/** Entries typed or pasted: several per line are fine, an empty line ends. */
async function typeEntries(w: Wizard): Promise<string[]> {
  const lines = await w.lines(
    'VINs or stock numbers: paste or type them, several per line are fine; an empty line ends',
    (ls) => ls.flatMap((l) => splitEntries(l)).length,
  );
  return lines.flatMap((l) => splitEntries(l));
}

async function askEntries(w: Wizard): Promise<string[]> {
  const how = await w.select<'type' | 'editor'>('How do you give the vehicles?', [
    { name: 'Type or paste them here', value: 'type' },
    { name: 'In my editor (long lists; $VISUAL or $EDITOR, one per line)', value: 'editor' },
  ]);
  if (how === 'type') return typeEntries(w);
  try {
    return splitEntries(
      await w.editor('VINs or stock numbers, one per line (save and close the editor when done)'),
    );
  } catch (err) {
    if ((err as { name?: string }).name === 'ExitPromptError') throw err;
    w.pres.warn(`the editor could not start (${(err as Error).message}); type or paste them here instead`);
    return typeEntries(w);
  }
}

function printPreview(w: Wizard, r: ListResult): void {
  const { pres } = w;
  const found = r.vehicles.filter((v) => !v.notOnWebsite);
  const placeholders = r.vehicles.filter((v) => v.notOnWebsite);
  pres.out();
  if (found.length > 0) {
    pres.out(`found in the active inventory of ${r.dealership.name} (${found.length}):`);
    pres.out(vehicleTable(pres, found, [['entry', (v) => v.entry]]));
  }
  if (placeholders.length > 0) {
    pres.out(
      `not in the inventory: ordered as placeholders marked ${pres.c.yellow('not_on_website')} (${placeholders.length}):`,
    );
    for (const v of placeholders) pres.out(`  ${v.vin}`);
  }
  if (r.invalid.length > 0) {
    pres.out(`invalid, not ordered (${r.invalid.length}):`);
    for (const i of r.invalid) pres.out(`  ${i.entry}: ${i.reason}`);
  }
  if (r.duplicates.length > 0)
    pres.out(`duplicates ignored (${r.duplicates.length}): ${r.duplicates.join(', ')}`);
  if (r.checkDigitWarnings.length > 0)
    pres.warn(`VIN check digit does not match (ordered anyway): ${r.checkDigitWarnings.join(', ')}`);
  const c = r.counts;
  pres.out(
    `${c.entries} entries: ${found.length} found, ${c.notOnWebsite} placeholder(s), ${c.invalid} invalid, ${c.duplicates} duplicate(s)`,
  );
}

async function listOrder(w: Wizard): Promise<void> {
  const { pres } = w;
  const [dealership] = await w.pickDealerships(await w.dealerships(), {
    multi: false,
    message: 'Dealership of the LIST order',
  });
  const d = dealership!;
  const entries = await askEntries(w);
  if (entries.length === 0) {
    pres.out('no VIN or stock number given; nothing to order');
    return;
  }
  const { runList } = await import('../../app/list.js');
  const preview = await w.read((ctx) => runList(ctx, { dealer: d.slug, entries, dryRun: true }));
  printPreview(w, preview);
  if (preview.counts.ordered === 0) {
    pres.out('nothing to order (no valid entry left); nothing written');
    return;
  }
  const updateVinLog = await w.confirm(
    `Write these vehicles to the VIN log of ${d.name}? (its setting says ${preview.updateVinLog ? 'yes' : 'no'}; the VIN log keeps CAO from ordering them again)`,
    preview.updateVinLog,
  );
  if (
    !(await w.confirm(
      `Order ${preview.counts.ordered} vehicle(s) for ${d.name} (LIST, ${preview.template} template, VIN log ${updateVinLog ? 'written' : 'not written'})?`,
      true,
    ))
  ) {
    pres.out('not ordered; nothing written');
    return;
  }
  const { operatorName } = await import('../../process-identity.js');
  let folder: string | null = null;
  const code = await w.step('list', [d.slug, `${entries.length} entries`], async (env) => {
    const { withApp } = await import('../run.js');
    const s = await env.pres.spinner(`writing the LIST order for ${d.name}...`);
    let r: ListResult;
    try {
      r = await withApp(env, (ctx) =>
        runList(ctx, { dealer: d.slug, entries, updateVinLog, createdBy: `${operatorName()} (wizard)` }),
      );
    } catch (err) {
      s.stop();
      throw err;
    }
    env.note({
      dealerships: [d.name],
      counts: { orders: r.status === 'ordered' ? 1 : 0, vehicles: r.counts.ordered },
    });
    const c = r.counts;
    const what = `${c.ordered} vehicle(s)${c.notOnWebsite ? `, ${c.notOnWebsite} not on website` : ''}`;
    if (r.status === 'ordered') {
      folder = r.folder;
      s.succeed(
        `${pres.c.bold(d.name)}: LIST order #${r.orderId}, ${what} (${r.template}; VIN log ${r.updateVinLog ? 'updated' : 'not updated'}) -> ${r.folder}`,
      );
    } else {
      s.succeed(`${pres.c.bold(d.name)}: nothing to order (no valid entry left); nothing written`);
    }
    return ExitCode.ok;
  });
  if (code === ExitCode.ok && folder) {
    pres.out();
    pres.out(`For the design team: ${folder}`);
  }
}
