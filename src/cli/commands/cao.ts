import type { CaoPreview, CaoProgress, CaoResult } from '../../app/cao.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { CaoOptions } from '../defs/cao.js';
import { caoJson, caoLine, partialExit, requireConfirmation, vehicleTable } from '../order-tables.js';
import type { Presentation } from '../presentation.js';
import { noteFailures, withApp, type CommandEnv } from '../run.js';
import { pdfAfterOrders } from './pdf.js';

function printPreview(pres: Presentation, p: CaoPreview): void {
  pres.out(
    `${pres.c.bold(p.dealership.name)}: ${p.toOrder.length} vehicle(s) to order (${p.template} template)`,
  );
  pres.out(vehicleTable(pres, p.toOrder, [['reason', (v) => v.reason]]));
}

function printExplain(pres: Presentation, r: DealershipResult): void {
  if (r.skipped.length > 0) {
    pres.out(`skipped by the VIN log (${r.skipped.length}):`);
    pres.out(
      vehicleTable(pres, r.skipped, [
        ['reason', (v) => v.reason],
        ['why', (v) => v.detail],
      ]),
    );
  }
  if (r.filteredOut.length > 0) {
    pres.out(`filtered out (${r.filteredOut.length}):`);
    pres.out(
      vehicleTable(pres, r.filteredOut, [
        ['filter', (v) => v.filter],
        ['why', (v) => v.detail],
      ]),
    );
  }
}

type DealershipResult = CaoResult['results'][number];

/** `silverfox cao DEALER... | --all`: check, run (asking per dealership at a terminal), note, print. */
export const cao: Action<CaoOptions> = async (env, dealers, opts, cmd) => {
  if (opts.due) return (await import('./queue.js')).caoDue(env, dealers, opts, cmd);
  if (opts.date) throw new UsageError('--date goes with --due');
  const { pres } = env;
  const { dryRun, explain, all } = opts;
  const { runCao, checkCaoTarget } = await import('../../app/cao.js');
  checkCaoTarget({ dealers, all });
  requireConfirmation(pres, { command: 'cao', dryRun, cron: 'silverfox cao --all --yes' });
  const shown = new Set<number>();
  const result = await withApp(env, (ctx) =>
    runCao(ctx, {
      dealers,
      all,
      dryRun,
      explain,
      template: opts.template,
      concurrency: opts.concurrency,
      confirm: pres.interactive && !dryRun ? confirmEach(pres, shown) : undefined,
      onProgress: trackProgress(env, all),
    }),
  );
  noteRun(env, result);
  // --pdf: the sticker sheets of the orders just written (a failure there makes the run partial).
  const pdfExit = opts.pdf
    ? await pdfAfterOrders(
        env,
        result.results.map((r) => r.orderId),
      )
    : ExitCode.ok;
  if (pres.json) printJson(pres, result, opts);
  else printResults(pres, result, opts, shown);
  noteFailures(env, failuresOf(result.results));
  return Math.max(partialExit(result.failed, result.results.length), pdfExit);
};

/**
 * At a terminal: shows each dealership's vehicles and asks before its order is written, one
 * dealership at a time even when --all runs several at once. `shown` collects those shown.
 */
function confirmEach(pres: Presentation, shown: Set<number>): (p: CaoPreview) => Promise<boolean> {
  let turn: Promise<unknown> = Promise.resolve();
  return (p) => {
    const ask = turn.then(async () => {
      printPreview(pres, p);
      shown.add(p.dealership.id);
      return pres.confirm(`Order these ${p.toOrder.length} vehicle(s) for ${p.dealership.name}?`, true);
    });
    turn = ask.catch(() => {});
    return ask;
  };
}

/**
 * Follows the run: what a signal would roll back (the orders being written; those finished are
 * committed) for `env.stopNote`, and with --all one line per dealership done.
 */
function trackProgress(env: CommandEnv, all: boolean): (e: CaoProgress) => void {
  let done = 0;
  const writing = new Set<string>();
  const finished: string[] = [];
  env.stopNote = () =>
    [
      writing.size > 0
        ? `rolled back: the order for ${[...writing].join(', ')} (nothing of it was committed)`
        : 'no order was being written',
      finished.length > 0 ? `kept: ${finished.join(', ')} (finished before the signal)` : '',
    ]
      .filter(Boolean)
      .join('; ');
  return (e) => {
    if (e.phase === 'writing') writing.add(e.dealership);
    if (e.phase === 'done' || e.phase === 'failed') {
      writing.delete(e.dealership);
      finished.push(`${e.dealership} ${e.phase === 'done' ? (e.message ?? 'done') : 'failed'}`);
    }
    if (all && (e.phase === 'done' || e.phase === 'failed'))
      env.pres.info(`[${++done}] ${e.dealership}: ${e.message ?? e.phase}`);
  };
}

/** The run-log line's facts: the dealerships, orders, vehicles ordered and failures. */
function noteRun(env: CommandEnv, result: CaoResult): void {
  const { results } = result;
  env.note({
    dealerships: results.map((r) => r.dealership.name),
    counts: {
      orders: result.ordered,
      vehicles: results.reduce((s, r) => s + (r.status === 'ordered' ? r.vehicles.length : 0), 0),
      failed: result.failed,
    },
  });
}

function printJson(pres: Presentation, result: CaoResult, opts: CaoOptions): void {
  pres.outJson({
    dryRun: opts.dryRun,
    ordered: result.ordered,
    failed: result.failed,
    recovered: result.recovered,
    results: result.results.map((r) => caoJson(r, opts.explain)),
  });
}

/**
 * One dealership (or --explain): its vehicles (unless shown when asked), what was skipped and
 * filtered out, its line. --all: a failure's line, then one table and a summary line.
 */
function printResults(pres: Presentation, result: CaoResult, opts: CaoOptions, shown: Set<number>): void {
  const { results } = result;
  const { all, explain, dryRun } = opts;
  if (results.length === 0) pres.out('no enabled dealership to order for');
  const detailed = !all || explain;
  for (const r of results) {
    if (detailed) {
      if (
        (r.status === 'ordered' || r.status === 'dry_run') &&
        !shown.has(r.dealership.id) &&
        r.vehicles.length > 0
      )
        pres.out(vehicleTable(pres, r.vehicles, [['reason', (v) => v.reason]]));
      if (explain) printExplain(pres, r);
    }
    if (r.status === 'failed') pres.error(caoLine(pres, r), r.error?.hints ?? []);
    else if (detailed) pres.out(caoLine(pres, r));
  }
  if (!all) return;
  pres.out(
    pres.table(
      ['dealership', 'status', 'order', 'vehicles', 'skipped', 'filtered', 'folder / error'],
      results.map((r) => [
        r.dealership.name,
        r.status === 'failed' ? pres.c.red('failed') : r.status,
        r.orderId ? `#${r.orderId}` : '',
        r.counts.ordered,
        r.counts.skipped,
        r.counts.filteredOut,
        r.status === 'failed' ? (r.error?.message ?? '') : (r.folder ?? ''),
      ]),
      { align: ['left', 'left', 'right', 'right', 'right', 'right', 'left'] },
    ),
  );
  pres.out(
    `${results.length} dealerships: ${result.ordered} ordered, ${results.filter((r) => r.status === 'nothing_new').length} with nothing new, ${result.failed} failed${dryRun ? ' (dry run: nothing written)' : ''}`,
  );
}

function failuresOf(results: CaoResult['results']) {
  return results.map((r) => ({ dealership: r.dealership.name, error: r.error }));
}
