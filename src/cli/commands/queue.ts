import type { QueueItem } from '../../app/queue.js';
import type { Action } from '../define.js';
import type { Presentation } from '../presentation.js';
import { formatTime } from '../presentation.js';
import { withApp } from '../run.js';

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

export const show: Action = async (env, _args, opts) => {
  const { pres } = env;
  const app = await loadApp();
  if (opts.week) {
    const week = await withApp(env, (ctx) => app.getWeek(ctx, { date: opts.date as string | undefined }));
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
  const q = await withApp(env, (ctx) => app.getQueue(ctx, { date: opts.date as string | undefined }));
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

export const skip: Action = async (env, [name], opts, cmd) => {
  const { skipQueued } = await loadApp();
  const n = await withApp(env, (ctx) =>
    skipQueued(ctx, { dealer: name!, reason: String(opts.reason), date: dateOf(cmd) }),
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
