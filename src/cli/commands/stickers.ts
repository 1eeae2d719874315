import type { StickersResult } from '../../app/stickers.js';
import type { StickerProbe } from '../../output/portal-session.js';
import { parseDuration } from '../../core/duration.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { StickersOptions } from '../defs/pdf.js';
import type { Presentation } from '../presentation.js';
import { withApp, type CommandEnv } from '../run.js';

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
  if (r.relogins > 0 || r.inlineDownloads > 0)
    pres.out(
      `  ${r.relogins} re-login(s) after ${r.sessionExpiries} expired-session attempt(s) (not counted as retries); ` +
        `${r.inlineDownloads} sticker(s) served inline`,
    );
  pres.out(
    `  ${r.retries} retries, ${r.watchdogRecoveries} stuck page(s) replaced, ${r.logins} login(s); ` +
      (t ? `per vehicle ${seconds(t.median)} median, ${seconds(t.p95)} p95, ${seconds(t.max)} max; ` : '') +
      `${r.vehiclesPerHour} vehicles/hour; ${seconds(r.ms)} in all`,
  );
  pres.out(`  ${r.folder}/stickers/ (tracking.json, metrics.json)`);
}

function printProbe(pres: Presentation, p: StickerProbe & { portal: string }): void {
  const rows: [string, string][] = [
    ['portal', `${p.portal} (${p.mode} mode)`],
    ['vin', p.vin],
  ];
  if (p.vehiclePage) {
    rows.push(['vehicle page', `${p.vehiclePage.url} (HTTP ${p.vehiclePage.status})`]);
    rows.push(['sticker link', p.vehiclePage.href ?? '(no address: needs the page script, clicked)']);
  }
  if (p.click) rows.push(['click', p.click]);
  const a = p.answer;
  if (a) {
    rows.push(['answered', `HTTP ${a.status} from ${a.finalUrl}`]);
    rows.push(['content-type', a.contentType || '(none)']);
    rows.push([
      'disposition',
      a.contentDisposition ? `${a.contentDisposition} (${a.disposition})` : '(none)',
    ]);
    rows.push(['bytes', String(a.bytes)]);
    rows.push(['pdf', a.pdfPages !== null ? `yes, ${a.pdfPages} page(s)` : `no: ${a.problem}`]);
    rows.push(['login page', a.login ? 'yes' : 'no']);
    if (a.title) rows.push(['page title', a.title]);
  }
  if (p.error) rows.push(['error', `${p.error.code}: ${p.error.message}`]);
  rows.push(['verdict', p.verdict]);
  for (const [k, v] of rows) pres.out(`${`${k}:`.padEnd(14)}${v}`);
}

/** `silverfox stickers --portal NAME --probe VIN`. */
async function probe(env: CommandEnv, opts: StickersOptions & { probe: string }, timeoutMs: number) {
  const { pres } = env;
  const { probeStickerLink } = await import('../../app/stickers.js');
  const p = await probeStickerLink(
    { config: env.config },
    { portal: opts.portal, vin: opts.probe, timeoutMs },
  );
  if (pres.json) pres.outJson(p);
  else printProbe(pres, p);
  const pdf = p.click === 'download' || (p.answer?.pdfPages != null && !p.answer.login && !p.error);
  return pdf ? ExitCode.ok : ExitCode.error;
}

/** `silverfox stickers ORDER --portal NAME`. */
export const stickers: Action<StickersOptions> = async (env, [order], opts) => {
  const { pres } = env;
  const timeoutMs = parseDuration(opts.timeout);
  if (timeoutMs === undefined)
    throw new UsageError(`--timeout expects a duration such as 90s or 3m, got "${opts.timeout}"`);
  const { probe: vin } = opts;
  if (vin !== undefined) {
    if (order !== undefined) throw new UsageError('--probe looks at one VIN: give no order with it');
    return probe(env, { ...opts, probe: vin }, Math.min(timeoutMs, 60_000));
  }
  if (order === undefined)
    throw new UsageError('stickers needs an order id (or --probe VIN)', [
      'silverfox stickers 42 --portal example-portal',
    ]);
  const { findStickerJob, runStickerJob } = await import('../../app/stickers.js');
  // The database is only needed to find the order: it is closed before the (long) downloads.
  const job = await withApp(env, (ctx) => findStickerJob(ctx, order!));
  const ac = new AbortController();
  const onSigint = () => {
    pres.warn(
      `stopping: continue later with \`silverfox stickers ${order} --portal ${opts.portal} --resume\``,
    );
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  let r: StickersResult;
  try {
    r = await runStickerJob({ config: env.config, now: () => new Date() }, job, {
      portal: opts.portal,
      workers: opts.workers,
      timeoutMs,
      retries: opts.retries,
      resume: opts.resume,
      force: opts.force,
      signal: ac.signal,
      onProgress: (p) => {
        const at = `[${p.done}/${p.total}] ${p.vin}`;
        if (p.event === 'downloaded') pres.info(`${at} downloaded in ${seconds(p.ms ?? 0)}`);
        else if (p.event === 'failed') pres.info(`${at} failed after ${p.attempt} attempt(s): ${p.reason}`);
        else if (p.event === 'retry')
          pres.info(`${p.vin} attempt ${p.attempt} failed, retrying: ${p.reason}`);
        else if (p.event === 'session_expired')
          pres.info(`${p.vin}: ${p.reason}; signed in again, retrying (not counted)`);
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
