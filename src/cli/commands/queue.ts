import type { DueRunResult, QueueItem } from '../../app/queue.js';
import { CancelledError, ExitCode, UsageError } from '../../errors.js';
import { partialExit, requireConfirmation } from '../order-tables.js';
import type { Action } from '../define.js';
import type { CaoOptions } from '../defs/cao.js';
import type { QueueOptions, QueueSkipOptions } from '../defs/queue.js';
import type { Presentation } from '../presentation.js';
import { formatTime } from '../presentation.js';
import { noteFailures, withApp } from '../run.js';

const loadApp = () => import('../../app/queue.js');

function statusText(pres: Presentation, e: QueueItem): string {
  if (e.missed) return pres.c.red('MISSED');
  switch (e.status) {
    case 'done':
      return pres.c.green(`done #${e.orderId ?? '?'} (${e.vehicleCount ?? 0} vehicles)`);
    case 'failed':
      return pres.c.red(`failed: ${e.reason ?? ''}`);
    case 'skipped':
      return pres.c.yellow(`skipped: ${e.reason ?? ''}`);
    default:
      return e.status;
  }
}

export const show: Action<QueueOptions> = async (env, _args, opts) => {
  const { pres } = env;
  const app = await loadApp();
  if (opts.week) {
    const week = await withApp(env, (ctx) => app.getWeek(ctx, { date: opts.date }));
    if (pres.json) return pres.outJson(week);
    const cell = (e: QueueItem | undefined) =>
      !e ? '' : e.missed ? 'MISSED' : e.status === 'done' ? `#${e.orderId} (${e.vehicleCount})` : e.status;
    pres.out(
      pres.table(
        [
          'dealership',
          'template',
          ...week.days.map((d) => `${new Date(`${d}T12:00:00Z`).toUTCString().slice(0, 3)} ${d.slice(5)}`),
        ],
        week.rows.map((r) => [r.dealershipName, r.key.split(':').slice(1).join(' '), ...r.cells.map(cell)]),
      ),
    );
    return;
  }
  const q = await withApp(env, (ctx) => app.getQueue(ctx, { date: opts.date }));
  if (pres.json) return pres.outJson(q);
  if (q.entries.length === 0) {
    pres.out(`nothing is scheduled for ${q.date}`);
    return;
  }
  pres.out(`queue of ${q.date}:`);
  pres.out(
    pres.table(
      ['priority', 'dealership', 'template', 'vehicle types', 'status', 'by', 'updated'],
      q.entries.map((e) => [
        e.priority,
        e.dealershipName,
        e.template,
        e.vehicleTypes.join(','),
        statusText(pres, e),
        e.status === 'pending' ? '' : (e.ranBy ?? ''),
        e.status === 'pending' ? '' : formatTime(e.updatedAt),
      ]),
    ),
  );
  const count = (s: string) => q.entries.filter((e) => e.status === s).length;
  pres.out(
    `${q.entries.length} scheduled: ${count('pending')} pending, ${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped`,
  );
};

/** `--date` belongs to the parent `queue` command (commander gives it to the parent). */
const dateOf = (cmd: Parameters<Action>[3]) => cmd.optsWithGlobals<{ date?: string }>().date;

export const skip: Action<QueueSkipOptions> = async (env, [name], opts, cmd) => {
  const { skipQueued } = await loadApp();
  const n = await withApp(env, (ctx) =>
    skipQueued(ctx, { dealer: name!, reason: opts.reason, date: dateOf(cmd) }),
  );
  if (env.pres.json) env.pres.outJson({ skipped: n });
  else env.pres.out(`skipped ${n} scheduled order(s) of ${name}`);
};

export const reset: Action = async (env, [name], _opts, cmd) => {
  const { resetQueued } = await loadApp();
  const n = await withApp(env, (ctx) => resetQueued(ctx, { dealer: name!, date: dateOf(cmd) }));
  if (env.pres.json) env.pres.outJson({ reset: n });
  else env.pres.out(`${n} scheduled order(s) of ${name} are pending again`);
};

/** `silverfox cao --due [--date D] [DEALER...]`: the day's pending scheduled orders. */
export const caoDue: Action<CaoOptions> = async (env, dealers, opts) => {
  const { pres } = env;
  if (opts.all)
    throw new UsageError('--due and --all contradict each other: --due runs what the schedule says');
  if (opts.template) throw new UsageError("--due uses each scheduled order's own template; drop --template");
  const { dryRun } = opts;
  requireConfirmation(pres, { command: 'cao --due', dryRun, cron: 'silverfox cao --due --yes' });
  const { runDueOrders, getQueue } = await loadApp();
  const result = await withApp(env, async (ctx) => {
    if (!dryRun && !pres.yes) {
      const q = await getQueue(ctx, { date: opts.date });
      const pending = q.entries.filter((e) => e.status === 'pending');
      if (pending.length === 0) return runDueOrders(ctx, { date: q.date, dealers, dryRun: true });
      pres.out(
        `pending scheduled orders of ${q.date}: ${pending.map((e) => `${e.dealershipName} (${e.template})`).join(', ')}`,
      );
      if (!(await pres.confirm(`Run these ${pending.length} scheduled order(s)?`, true))) {
        throw new CancelledError('nothing ordered');
      }
    }
    return runDueOrders(ctx, {
      date: opts.date,
      dealers,
      dryRun,
      holdsRunLock: !dryRun,
      concurrency: opts.concurrency,
      onProgress: (e) => {
        if (e.phase !== 'start') pres.info(`${e.dealership}: ${e.message ?? e.phase}`);
      },
    });
  });
  env.note({
    dealerships: result.ran.map((r) => r.entry.dealershipName),
    // A dry run ran nothing: its log line says what would have (as its summary line does).
    counts: dryRun
      ? { would_run: result.ran.length - result.failed, would_fail: result.failed }
      : { ran: result.ran.length, failed: result.failed },
  });
  if (pres.json) {
    pres.outJson({
      date: result.date,
      dryRun,
      ran: result.ran.map((r) => ({
        dealership: r.entry.dealershipName,
        template: r.entry.template,
        vehicleTypes: r.entry.vehicleTypes,
        status: r.status,
        orderId: r.result.orderId,
        folder: r.result.folder,
        vehicles: r.result.vehicles.length,
        reason: r.reason,
      })),
      notPending: result.notPending.map((e) => ({
        dealership: e.dealershipName,
        status: e.status,
        orderId: e.orderId,
      })),
      failed: result.failed,
    });
    noteFailures(env, failuresOf(result.ran));
    return dryRun ? ExitCode.ok : partialExit(result.failed, result.ran.length);
  }
  if (result.ran.length === 0) {
    pres.out(
      `nothing pending in the queue of ${result.date}${result.notPending.length ? ` (${result.notPending.length} already handled; see silverfox queue)` : ''}`,
    );
    return ExitCode.ok;
  }
  pres.out(
    pres.table(
      ['dealership', 'template', 'vehicle types', 'result', 'order', 'vehicles', 'folder / error'],
      result.ran.map((r) => [
        r.entry.dealershipName,
        r.entry.template,
        r.entry.vehicleTypes.join(','),
        r.failed ? pres.c.red(r.status === 'dry_run' ? 'would fail' : 'failed') : r.result.status,
        r.result.orderId ? `#${r.result.orderId}` : '',
        r.result.vehicles.length,
        r.failed ? (r.reason ?? '') : (r.result.folder ?? r.reason ?? ''),
      ]),
    ),
  );
  const ok = result.ran.length - result.failed;
  pres.out(
    dryRun
      ? `${result.ran.length} scheduled order(s) of ${result.date}: ${ok} would run, ${result.failed} would fail (dry run: nothing written)`
      : `${result.ran.length} scheduled order(s) of ${result.date}: ${ok} done, ${result.failed} failed`,
  );
  noteFailures(env, failuresOf(result.ran));
  return dryRun ? ExitCode.ok : partialExit(result.failed, result.ran.length);
};

function failuresOf(ran: DueRunResult['ran']) {
  return ran.map((r) => ({ dealership: r.entry.dealershipName, error: r.result.error }));
}
