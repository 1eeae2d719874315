/**
 * The worker pool: runs one task per dealership with at most `concurrency` at once (p-limit). Each
 * task gets its own AbortSignal, an overall deadline, and a watchdog that reports and abandons a
 * task showing no progress (no heartbeat) for `stallMs`. An abandoned task is not awaited: the pool
 * moves on even when the task ignores its signal. One task's failure never touches another's.
 */
import pLimit from 'p-limit';
import { DealershipTimeoutError, ScrapeAbortedError } from './errors.js';

export interface PoolTask<T> {
  key: string;
  run(signal: AbortSignal, heartbeat: () => void): Promise<T>;
}

export type PoolOutcome<T> =
  | { key: string; ok: true; value: T; durationMs: number }
  | { key: string; ok: false; error: unknown; durationMs: number };

export interface PoolEvent {
  type: 'start' | 'stalled' | 'timeout' | 'end';
  key: string;
  message?: string;
}

export interface PoolOptions {
  concurrency: number;
  /** Overall time one task may take (ms). */
  taskTimeoutMs: number;
  /** A task without a heartbeat for this long is abandoned (ms). */
  stallMs: number;
  /** Aborts every task (Ctrl-C). */
  signal?: AbortSignal;
  onEvent?: (e: PoolEvent) => void;
}

/** Runs every task; resolves with one outcome per task, in task order. Never rejects for a task. */
export async function runPool<R>(
  tasks: readonly PoolTask<R>[],
  opts: Omit<PoolOptions, 'onOutcome'> & { onOutcome?: (o: PoolOutcome<R>) => void | Promise<void> },
): Promise<PoolOutcome<R>[]> {
  const limit = pLimit(Math.max(1, opts.concurrency));
  return Promise.all(
    tasks.map((task) =>
      limit(async (): Promise<PoolOutcome<R>> => {
        const started = Date.now();
        const outcome = await runOne(task, opts);
        const o = { ...outcome, key: task.key, durationMs: Date.now() - started } as PoolOutcome<R>;
        opts.onEvent?.({ type: 'end', key: task.key });
        await opts.onOutcome?.(o);
        return o;
      }),
    ),
  );
}

async function runOne<R>(
  task: PoolTask<R>,
  opts: PoolOptions,
): Promise<{ ok: true; value: R } | { ok: false; error: unknown }> {
  if (opts.signal?.aborted) return { ok: false, error: new ScrapeAbortedError() };
  opts.onEvent?.({ type: 'start', key: task.key });
  const ac = new AbortController();
  let last = Date.now();
  const heartbeat = () => {
    last = Date.now();
  };
  let stop!: (e: Error) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => {});
  const end = (e: Error, type?: PoolEvent['type']) => {
    if (type) opts.onEvent?.({ type, key: task.key, message: e.message });
    ac.abort(e);
    stop(e);
  };
  const onParentAbort = () => end(new ScrapeAbortedError());
  opts.signal?.addEventListener('abort', onParentAbort, { once: true });
  const deadline = setTimeout(
    () =>
      end(new DealershipTimeoutError(`not finished after ${opts.taskTimeoutMs} ms; abandoned`), 'timeout'),
    opts.taskTimeoutMs,
  );
  const watchdog = setInterval(
    () => {
      const idle = Date.now() - last;
      if (idle > opts.stallMs) {
        end(new DealershipTimeoutError(`no progress for ${idle} ms; abandoned by the watchdog`), 'stalled');
      }
    },
    Math.max(20, Math.min(5000, opts.stallMs / 4)),
  );
  try {
    const work = task.run(ac.signal, heartbeat);
    // An abandoned task may still settle later: never let that be an unhandled rejection.
    work.catch(() => {});
    return { ok: true, value: await Promise.race([work, stopped]) };
  } catch (error) {
    return { ok: false, error: ac.signal.aborted && ac.signal.reason ? ac.signal.reason : error };
  } finally {
    clearTimeout(deadline);
    clearInterval(watchdog);
    opts.signal?.removeEventListener('abort', onParentAbort);
    // Stops stray requests of a task that failed half-way (e.g. parallel detail pages).
    if (!ac.signal.aborted) ac.abort(new ScrapeAbortedError('dealership finished'));
  }
}
