import type { StickersResult } from '../../app/stickers.js';
import { parseDuration } from '../../core/duration.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { Presentation } from '../presentation.js';
import { withApp } from '../run.js';

function whole(name: string, value: unknown, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${name} expects a whole number of at least ${min}, got "${String(value)}"`);
  return n;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function printReport(pres: Presentation, r: StickersResult): void {
  if (r.failed.length > 0) {
    pres.out(`failed (${r.failed.length}):`);
    pres.out(
      pres.table(
        ['vin', 'attempts', 'reason'],
        r.failed.map((f) => [f.vin, f.attempts, f.reason]),
      ),
    );
  }
  const t = r.perVehicleMs;
  pres.out(
    `order #${r.orderId}, portal ${r.portal}: ${r.downloaded} downloaded, ${r.alreadyDownloaded} already downloaded, ` +
      `${r.failed.length} failed${r.pending ? `, ${r.pending} not done` : ''} of ${r.total}`,
  );
  pres.out(
    `  ${r.retries} retries, ${r.watchdogRecoveries} stuck page(s) replaced, ${r.logins} login(s); ` +
      (t ? `per vehicle ${seconds(t.median)} median, ${seconds(t.p95)} p95, ${seconds(t.max)} max; ` : '') +
      `${r.vehiclesPerHour} vehicles/hour; ${seconds(r.ms)} in all`,
  );
  pres.out(`  ${r.folder}/stickers/ (tracking.json, metrics.json)`);
}

/** `silverfox stickers ORDER --portal NAME`. */
export const stickers: Action = async (env, [order], opts) => {
  const { pres } = env;
  const timeoutMs = parseDuration(String(opts.timeout));
  if (timeoutMs === undefined)
    throw new UsageError(`--timeout expects a duration such as 90s or 3m, got "${String(opts.timeout)}"`);
  const workers = whole('--workers', opts.workers, 1);
  const retries = whole('--retries', opts.retries, 0);
  const { findStickerJob, runStickerJob } = await import('../../app/stickers.js');
  // The database is only needed to find the order: it is closed before the (long) downloads.
  const job = await withApp(env, (ctx) => findStickerJob(ctx, order!));
  const ac = new AbortController();
  const onSigint = () => {
    pres.warn(
      `stopping: continue later with \`silverfox stickers ${order} --portal ${String(opts.portal)} --resume\``,
    );
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  let r: StickersResult;
  try {
    r = await runStickerJob({ config: env.config, now: () => new Date() }, job, {
      portal: String(opts.portal),
      workers,
      timeoutMs,
      retries,
      resume: Boolean(opts.resume),
      force: Boolean(opts.force),
      signal: ac.signal,
      onProgress: (p) => {
        const at = `[${p.done}/${p.total}] ${p.vin}`;
        if (p.event === 'downloaded') pres.info(`${at} downloaded in ${seconds(p.ms ?? 0)}`);
        else if (p.event === 'failed') pres.info(`${at} failed after ${p.attempt} attempt(s): ${p.reason}`);
        else if (p.event === 'retry')
          pres.info(`${p.vin} attempt ${p.attempt} failed, retrying: ${p.reason}`);
        else pres.debug(`${at} already downloaded`);
      },
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  env.note({ counts: { downloaded: r.downloaded, already: r.alreadyDownloaded, failed: r.failed.length } });
  if (pres.json) pres.outJson(r);
  else printReport(pres, r);
  if (r.cancelled) {
    pres.error(`cancelled with ${r.pending} vehicle(s) not done`, [
      `Continue with: silverfox stickers ${r.orderId} --portal ${r.portal} --resume`,
    ]);
    return ExitCode.error;
  }
  if (r.failed.length === 0) return ExitCode.ok;
  return r.downloaded + r.alreadyDownloaded > 0 ? ExitCode.partial : ExitCode.error;
};
