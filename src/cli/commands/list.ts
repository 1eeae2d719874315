import { accessSync, constants, readFileSync } from 'node:fs';
import type { ListBatchResult, ListResult } from '../../app/list.js';
import { splitEntries } from '../../core/list.js';
import { CancelledError, ExitCode, unreadableFile, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { ListOptions } from '../defs/list.js';
import { requireConfirmation, vehicleTable } from '../order-tables.js';
import type { Presentation } from '../presentation.js';
import { noteFailures, withApp } from '../run.js';
import { pdfAfterOrders } from './pdf.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('reading entries from stdin, but stdin is a terminal', [
      'Pipe them in (cat vins.txt | silverfox list DEALER -) or use --file.',
    ]);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function assertReadable(file: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw unreadableFile(file, err);
  }
}

function readText(file: string): Promise<string> | string {
  if (file === '-') return readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadableFile(file, err);
  }
}

function printList(pres: Presentation, r: ListResult): void {
  if (r.vehicles.length > 0)
    pres.out(
      vehicleTable(pres, r.vehicles, [
        ['entry', (v) => v.entry],
        ['reason', (v) => (v.notOnWebsite ? pres.c.yellow('not_on_website') : v.reason)],
      ]),
    );
  if (r.invalid.length > 0) {
    pres.out(`invalid entries, not ordered (${r.invalid.length}):`);
    for (const i of r.invalid) pres.out(`  ${i.entry}: ${i.reason}`);
  }
  if (r.filteredOut.length > 0) {
    pres.out(`filtered out (${r.filteredOut.length}):`);
    for (const f of r.filteredOut) pres.out(`  ${f.entry} (${f.vin}): ${f.filter}: ${f.detail}`);
  }
  if (r.duplicates.length > 0)
    pres.out(`duplicates ignored (${r.duplicates.length}): ${r.duplicates.join(', ')}`);
  if (r.checkDigitWarnings.length > 0)
    pres.warn(`VIN check digit does not match (ordered anyway): ${r.checkDigitWarnings.join(', ')}`);
  const c = r.counts;
  const name = pres.c.bold(r.dealership.name);
  const what = `${c.ordered} vehicle(s)${c.notOnWebsite ? `, ${c.notOnWebsite} not on website` : ''}`;
  const log = r.updateVinLog ? 'VIN log updated' : 'VIN log not updated';
  switch (r.status) {
    case 'ordered':
      pres.out(`${name}: LIST order #${r.orderId}, ${what} (${r.template}; ${log}) -> ${r.folder}`);
      break;
    case 'dry_run':
      pres.out(`${name}: dry run: would order ${what}; nothing written`);
      break;
    case 'nothing_to_order':
      pres.out(`${name}: nothing to order (no valid entry left); nothing written`);
      break;
    case 'already_done':
      pres.out(`${name}: already ordered by this key: order #${r.orderId} -> ${r.folder}`);
      break;
  }
}

function listExit(r: ListResult): number {
  const problems = r.counts.invalid + r.counts.filteredOut;
  if (r.status === 'nothing_to_order' && problems > 0) return ExitCode.error;
  return problems > 0 ? ExitCode.partial : ExitCode.ok;
}

function printBatch(pres: Presentation, b: ListBatchResult): void {
  pres.out(
    pres.table(
      ['dealership', 'status', 'order', 'vehicles', 'not on website', 'invalid', 'folder / error'],
      b.dealerships.map((d) =>
        d.status === 'failed'
          ? [d.dealership.name, pres.c.red('failed'), '', '', '', '', d.error.message]
          : [
              d.dealership.name,
              d.status,
              d.orderId ? `#${d.orderId}` : '',
              d.counts.ordered,
              d.counts.notOnWebsite,
              d.counts.invalid,
              d.folder ?? '',
            ],
      ),
      { align: ['left', 'left', 'right', 'right', 'right', 'right', 'left'] },
    ),
  );
  if (b.rowProblems.length > 0) {
    pres.out(`rows not ordered (${b.rowProblems.length}):`);
    for (const p of b.rowProblems.slice(0, 50))
      pres.out(
        `  line ${p.line}: ${p.reason}${p.dealership ? ` ("${p.dealership}")` : ''}${p.entry ? ` ${p.entry}` : ''}`,
      );
    if (b.rowProblems.length > 50) pres.out(`  ... and ${b.rowProblems.length - 50} more (see --json)`);
  }
  for (const d of b.dealerships)
    if (d.status !== 'failed' && d.invalid.length > 0) {
      pres.out(`${d.dealership.name}: invalid entries (${d.invalid.length}):`);
      for (const i of d.invalid.slice(0, 20)) pres.out(`  ${i.entry}: ${i.reason}`);
      if (d.invalid.length > 20) pres.out(`  ... and ${d.invalid.length - 20} more (see --json)`);
    }
  const c = b.counts;
  pres.out(
    `${b.rows} rows, ${b.dealerships.length} dealerships: ${c.orders} orders with ${c.vehicles} vehicles, ` +
      `${c.alreadyDone} already done, ${c.failed} failed, ${c.invalidEntries} invalid entries, ${c.rowProblems} rows without a dealership order`,
  );
}

/** The rule of every command that writes an order: ask at a terminal, else only with --yes. */
async function confirmList(pres: Presentation, dryRun: boolean, question: string): Promise<void> {
  requireConfirmation(pres, { command: 'list', dryRun, cron: 'silverfox list --batch vins.csv --yes' });
  if (!dryRun && pres.interactive && !(await pres.confirm(question, true)))
    throw new CancelledError('nothing ordered');
}

/** `silverfox list DEALER (ENTRY... | --file F | -)` and `silverfox list --batch FILE`. */
export const list: Action<ListOptions> = async (env, args, opts) => {
  const { pres } = env;
  const common = {
    updateVinLog: opts.updateVinLog,
    filters: opts.filters,
    template: opts.template,
    dryRun: opts.dryRun,
  };
  const app = await import('../../app/list.js');
  const batch = opts.batch;
  if (batch !== undefined) {
    if (args.length > 0)
      throw new UsageError(
        '--batch takes the dealerships from the file: give no dealership or entries with it',
      );
    // A file that is not there is the first thing to say, before asking (or asking for --yes).
    if (batch !== '-') assertReadable(batch);
    await confirmList(pres, common.dryRun, `Write the LIST orders of ${batch === '-' ? 'stdin' : batch}?`);
    const text = batch === '-' ? await readStdin() : undefined;
    const b = await withApp(env, (ctx) =>
      app.runListBatch(ctx, {
        ...common,
        file: batch === '-' ? undefined : batch,
        text,
        key: opts.key,
        concurrency: opts.concurrency,
        onProgress: (e) => pres.info(`[${e.done}/${e.total}] ${e.dealership}: ${e.status}`),
      }),
    );
    env.note({
      dealerships: b.dealerships.map((d) => d.dealership.name),
      counts: { orders: b.counts.orders, vehicles: b.counts.vehicles, failed: b.counts.failed },
    });
    const pdfExit = opts.pdf
      ? await pdfAfterOrders(
          env,
          b.dealerships.map((d) => (d.status === 'ordered' ? d.orderId : null)),
        )
      : ExitCode.ok;
    if (pres.json) pres.outJson(b);
    else printBatch(pres, b);
    noteFailures(
      env,
      b.dealerships.map((d) => ({
        dealership: d.dealership.name,
        error: d.status === 'failed' ? d.error : null,
      })),
    );
    if (b.counts.failed > 0 && b.counts.failed === b.dealerships.length) return ExitCode.error;
    return Math.max(
      pdfExit,
      b.counts.failed + b.counts.rowProblems + b.counts.invalidEntries > 0 ? ExitCode.partial : ExitCode.ok,
    );
  }
  if (opts.key !== undefined) throw new UsageError('--key applies to --batch runs');
  const [dealer, ...rest] = args;
  if (!dealer)
    throw new UsageError('name the dealership, then the VINs or stock numbers (or --file, or - for stdin)', [
      'Example: silverfox list "Columbia Honda" 1HGCM82633A004352 H1234',
    ]);
  // A file that is not there is the first thing to say, before asking (or asking for --yes).
  if (opts.file !== undefined && opts.file !== '-') assertReadable(opts.file);
  await confirmList(pres, common.dryRun, `Write a LIST order for ${dealer}?`);
  const entries: string[] = [];
  for (const e of rest) {
    if (e === '-') entries.push(...splitEntries(await readStdin()));
    else entries.push(e);
  }
  if (opts.file !== undefined) entries.push(...splitEntries(await readText(opts.file)));
  const r = await withApp(env, (ctx) => app.runList(ctx, { ...common, dealer, entries }));
  env.note({
    dealerships: [r.dealership.name],
    counts: { orders: r.status === 'ordered' ? 1 : 0, vehicles: r.counts.ordered },
  });
  const pdfExit = opts.pdf && r.status === 'ordered' ? await pdfAfterOrders(env, [r.orderId]) : ExitCode.ok;
  if (pres.json) pres.outJson(r);
  else printList(pres, r);
  return Math.max(listExit(r), pdfExit);
};
