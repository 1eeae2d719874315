import type { CaoPreview, CaoResult } from '../../app/cao.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import {
  caoJson,
  caoLine,
  partialExit,
  positiveInt,
  requireConfirmation,
  vehicleTable,
} from '../order-tables.js';
import type { Presentation } from '../presentation.js';
import { noteFailures, withApp } from '../run.js';
import { pdfAfterOrders } from './pdf.js';

function printPreview(pres: Presentation, p: CaoPreview): void {
  pres.out(
    `${pres.c.bold(p.dealership.name)}: ${p.toOrder.length} vehicle(s) to order (${p.template} template)`,
  );
  pres.out(vehicleTable(pres, p.toOrder, [['reason', (v) => v.reason]]));
}

function printExplain(pres: Presentation, r: CaoResult['results'][number]): void {
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

/** `silverfox cao DEALER... | --all`. */
export const cao: Action = async (env, dealers, opts, cmd) => {
  if (opts.due) return (await import('./queue.js')).caoDue(env, dealers, opts, cmd);
  if (opts.date) throw new UsageError('--date goes with --due');
  const { pres } = env;
  const dryRun = Boolean(opts.dryRun);
  const explain = Boolean(opts.explain);
  const all = Boolean(opts.all);
  const concurrency = positiveInt('--concurrency', opts.concurrency);
  const { runCao, checkCaoTarget } = await import('../../app/cao.js');
  checkCaoTarget({ dealers, all });
  requireConfirmation(pres, { command: 'cao', dryRun, cron: 'silverfox cao --all --yes' });
  const shown = new Set<number>();
  // Prompts one dealership at a time, even when --all runs several at once.
  let turn: Promise<unknown> = Promise.resolve();
  const confirm =
    pres.interactive && !dryRun
      ? (p: CaoPreview) => {
          const ask = turn.then(async () => {
            printPreview(pres, p);
            shown.add(p.dealership.id);
            return pres.confirm(`Order these ${p.toOrder.length} vehicle(s) for ${p.dealership.name}?`, true);
          });
          turn = ask.catch(() => {});
          return ask;
        }
      : undefined;
  let done = 0;
  // What a signal would roll back: the orders being written; those finished are committed.
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
  const result = await withApp(env, (ctx) =>
    runCao(ctx, {
      dealers,
      all,
      dryRun,
      explain,
      template: opts.template as string | undefined,
      concurrency,
      confirm,
      onProgress: (e) => {
        if (e.phase === 'writing') writing.add(e.dealership);
        if (e.phase === 'done' || e.phase === 'failed') {
          writing.delete(e.dealership);
          finished.push(`${e.dealership} ${e.phase === 'done' ? (e.message ?? 'done') : 'failed'}`);
        }
        if (all && (e.phase === 'done' || e.phase === 'failed'))
          pres.info(`[${++done}] ${e.dealership}: ${e.message ?? e.phase}`);
      },
    }),
  );
  const results = result.results;
  env.note({
    dealerships: results.map((r) => r.dealership.name),
    counts: {
      orders: result.ordered,
      vehicles: results.reduce((s, r) => s + (r.status === 'ordered' ? r.vehicles.length : 0), 0),
      failed: result.failed,
    },
  });
  // --pdf: the sticker sheets of the orders just written (a failure there makes the run partial).
  const pdfExit = opts.pdf
    ? await pdfAfterOrders(
        env,
        results.map((r) => r.orderId),
      )
    : ExitCode.ok;
  if (pres.json) {
    pres.outJson({
      dryRun,
      ordered: result.ordered,
      failed: result.failed,
      recovered: result.recovered,
      results: results.map((r) => caoJson(r, explain)),
    });
    noteFailures(env, failuresOf(results));
    return Math.max(partialExit(result.failed, results.length), pdfExit);
  }
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
  if (all) {
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
  noteFailures(env, failuresOf(results));
  return Math.max(partialExit(result.failed, results.length), pdfExit);
};

function failuresOf(results: CaoResult['results']) {
  return results.map((r) => ({ dealership: r.dealership.name, error: r.error }));
}
