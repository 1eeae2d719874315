/**
 * `silverfox stickers ORDER_ID --portal NAME`: every vehicle's window-sticker PDF from a portal,
 * into `<order>/stickers/<VIN>.pdf`.
 *
 * One browser context logs in once (credentials from the environment variables the portal config
 * names); N worker pages pull VINs from one queue. Each vehicle has a timeout enforced by the
 * pool's watchdog and up to `retries` more attempts; a portal that says it has no sticker for a
 * VIN is not retried. `stickers/tracking.json` is rewritten after every vehicle, so `--resume`
 * after a crash or Ctrl-C never downloads a finished vehicle twice; `stickers/metrics.json` and
 * the returned report say what happened. The files are then recorded in order_summary.json.
 * Credential values never reach a message, a report or a file.
 *
 * A portal that signs the run out (a link landing on its login page) costs one re-login for all
 * workers and a retry that does not count; a sticker the portal shows inline is fetched with the
 * session (portal-session.ts). `probeStickerLink` shows what one vehicle's link answers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { readNamedVariable } from '../config.js';
import { parsePortalConfig, redact, type PortalConfig } from '../core/portal.js';
import { ORDER_SUMMARY_FILE } from '../core/templates.js';
import { selectOrder, selectOrderVehicles } from '../db/orders.js';
import { ConfigError, InputError, NotFoundError, SilverfoxError, UsageError } from '../errors.js';
import { BrowserPool, PoolClosedError, type TaskResult } from '../output/browser-pool.js';
import { sha256Hex } from '../durable-fs.js';
import { recordOrderFiles, writeOrderFile } from '../output/order-files.js';
import type { OrderFile } from '../output/order-folder.js';
import {
  downloadSticker,
  loginToPortal,
  probeSticker,
  type Disposition,
  type PortalCredentials,
  type StickerFile,
  type StickerProbe,
} from '../output/portal-session.js';
import {
  METRICS_FILE,
  readTracking,
  stickerFilePath,
  stickerOnDisk,
  TRACKING_FILE,
  TrackingWriter,
  type Tracking,
} from '../output/sticker-tracking.js';
import type { AppContext } from './context.js';
import { recoverOrders } from './order-writer.js';
import { parseOrderId } from './orders.js';

export const STICKER_DEFAULTS = { workers: 5, timeoutMs: 3 * 60_000, retries: 2 } as const;

export interface StickersOptions {
  /** `42` or `#42`. */
  orderId: number | string;
  /** A portal config name (`portals/<name>.json`). */
  portal: string;
  /** Worker pages (default 5). */
  workers?: number;
  /** Per vehicle, each attempt (default 3 min). */
  timeoutMs?: number;
  /** Extra attempts of a failed vehicle (default 2). */
  retries?: number;
  /** Continue a run: vehicles already downloaded are kept, the others downloaded. */
  resume?: boolean;
  /** Delete the order's window stickers and download every vehicle again. */
  force?: boolean;
  /** Aborting stops the run; tracking.json keeps what was done (resume later). */
  signal?: AbortSignal;
  onProgress?: (p: StickerProgress) => void;
  /** Where the credential variables are read (default: the environment, then .env). */
  variables?: Record<string, string | undefined>;
}

export interface StickerProgress {
  vin: string;
  /** `session_expired`: the portal signed the run out; signed in again, retried without counting. */
  event: 'downloaded' | 'failed' | 'retry' | 'session_expired' | 'already_downloaded';
  /** Vehicles finished (any way) so far, of `total`. */
  done: number;
  total: number;
  attempt?: number;
  ms?: number;
  reason?: string;
}

export interface StickerVehicleReport {
  vin: string;
  status: 'downloaded' | 'already_downloaded' | 'failed' | 'pending';
  attempts: number;
  /** Time its attempts took (0 for already downloaded ones). */
  ms: number;
  bytes?: number;
  /** Downloaded ones: pages of the PDF, and how it came (fetched with the session, or a click's download). */
  pages?: number;
  via?: StickerFile['via'];
  disposition?: Disposition;
  code?: string;
  reason?: string;
}

export interface StickersResult {
  orderId: number;
  portal: string;
  folder: string;
  total: number;
  downloaded: number;
  alreadyDownloaded: number;
  failed: { vin: string; code: string; reason: string; attempts: number }[];
  /** Vehicles not finished because the run was cancelled. */
  pending: number;
  cancelled: boolean;
  retries: number;
  watchdogRecoveries: number;
  /** Sign-ins in all: the first, and one per expired session (`relogins`). */
  logins: number;
  relogins: number;
  /** Attempts that landed on the login page (retried without counting). */
  sessionExpiries: number;
  /** Stickers the portal served inline or without a disposition (fetched, no download event). */
  inlineDownloads: number;
  loginMs: number;
  perVehicleMs: { min: number; median: number; p95: number; max: number } | null;
  vehiclesPerHour: number;
  ms: number;
  vehicles: StickerVehicleReport[];
  trackingFile: string;
  metricsFile: string;
}

/** The names of the portal configs in a folder. */
export function listPortals(portalsDir: string): string[] {
  if (!existsSync(portalsDir)) return [];
  return readdirSync(portalsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Reads and checks `portals/<name>.json`. */
export function loadPortal(portalsDir: string, name: string): PortalConfig {
  const file = path.join(portalsDir, `${name}.json`);
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name) || !existsSync(file)) {
    const known = listPortals(portalsDir);
    throw new NotFoundError(`unknown portal "${name}" in ${portalsDir}`, [
      known.length > 0 ? `Portals there: ${known.join(', ')}.` : 'That folder holds no portal configs.',
      'A portal is a JSON file portals/<name>.json (see portals/README.md); SILVERFOX_PORTALS_DIR says where they are.',
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`portal config ${file} is not valid JSON: ${(err as Error).message}`, { file });
  }
  return parsePortalConfig(json, file);
}

function credentialsFor(
  portal: PortalConfig,
  variables?: Record<string, string | undefined>,
): PortalCredentials {
  const { username_env, password_env } = portal.credentials;
  const read = (n: string) => readNamedVariable(n, variables ? { env: variables } : {});
  const username = read(username_env);
  const password = read(password_env);
  const missing = [
    username === undefined ? username_env : '',
    password === undefined ? password_env : '',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new ConfigError(`portal "${portal.name}" needs its credentials in ${missing.join(' and ')}`, [
      `Set ${missing.join(' and ')} in the environment or in .env (the portal config names these variables; credentials are never flags).`,
    ]);
  return { username: username!, password: password! };
}

/** Rewrites a silverfox error's text without the secrets; anything else becomes a plain Error. */
function scrub(err: unknown, secrets: string[]): unknown {
  if (err instanceof SilverfoxError) {
    err.message = redact(err.message, secrets);
    err.hints.splice(0, err.hints.length, ...err.hints.map((h) => redact(h, secrets)));
    return err;
  }
  return new Error(redact(String((err as Error)?.message ?? err), secrets));
}

function describe(err: unknown, secrets: string[]): { code: string; reason: string } {
  const code = err instanceof SilverfoxError ? err.code : 'error';
  const first = String((err as Error)?.message ?? err).split('\n')[0]!;
  return { code, reason: redact(first, secrets) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * What a run needs from the database, read up front: a run may take hours, and must not hold the
 * (embedded, single-process) database that long.
 */
export interface StickerJob {
  orderId: number;
  folder: string;
  /** The order's VINs, in order, each once. */
  vins: string[];
}

/** Finds the order (not voided, its folder in place) and its VINs. */
export async function findStickerJob(ctx: AppContext, orderId: number | string): Promise<StickerJob> {
  const id = parseOrderId(orderId);
  const order = await selectOrder(ctx.db, id);
  if (!order)
    throw new NotFoundError(`there is no order #${id}`, ['Run `silverfox orders list` to see the orders.']);
  if (order.status === 'voided')
    throw new InputError(`order #${id} is voided; its window stickers are not downloaded`);
  await recoverOrders(ctx);
  if (!existsSync(path.join(order.folder, ORDER_SUMMARY_FILE)))
    throw new NotFoundError(`the folder of order #${id} is missing: ${order.folder}`, [
      'It was moved, renamed or deleted; put it back to download its window stickers.',
    ]);
  const vins = [...new Set((await selectOrderVehicles(ctx.db, id)).map((v) => v.vin.trim().toUpperCase()))];
  return { orderId: id, folder: order.folder, vins };
}

/** Downloads the window stickers of an order (see the module comment). */
export async function downloadStickers(ctx: AppContext, opts: StickersOptions): Promise<StickersResult> {
  checkOptions(opts);
  return runStickerJob(ctx, await findStickerJob(ctx, opts.orderId), opts);
}

function checkOptions(opts: Omit<StickersOptions, 'orderId'>): void {
  const { workers = STICKER_DEFAULTS.workers, retries = STICKER_DEFAULTS.retries } = opts;
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError(`--workers must be at least 1 (got ${workers})`);
  if (!Number.isInteger(retries) || retries < 0)
    throw new UsageError(`--retries must be 0 or more (got ${retries})`);
  if (opts.resume && opts.force) throw new UsageError('--resume and --force contradict each other: pick one');
}

/** Runs the downloads of a job found by `findStickerJob`; needs no database. */
export async function runStickerJob(
  ctx: Pick<AppContext, 'config' | 'now'>,
  job: StickerJob,
  opts: Omit<StickersOptions, 'orderId'>,
): Promise<StickersResult> {
  checkOptions(opts);
  const started = Date.now();
  const startedAt = ctx.now().toISOString();
  const run = prepareRun(ctx, job, opts);
  const todo = await keepFinished(run);
  const stats = todo.length > 0 ? await downloadAll(run, ctx.config.chromiumPath, todo) : noDownloads();
  const result = summarize(run, stats, Date.now() - started);
  await writeRunFiles(run, result, stats, startedAt);
  return result;
}

/** One run's settings, portal, checkpoint and per-vehicle reports, shared by its steps. */
interface StickerRun {
  job: StickerJob;
  opts: Omit<StickersOptions, 'orderId'>;
  workers: number;
  timeoutMs: number;
  retries: number;
  portal: PortalConfig;
  credentials: PortalCredentials;
  /** The values no message may show. */
  secrets: string[];
  tracking: Tracking;
  writer: TrackingWriter;
  /** Every VIN of the job, by VIN, in the job's order. */
  reports: Map<string, StickerVehicleReport>;
  /** Vehicles finished (any way) so far. */
  done: number;
  now: () => string;
}

/** What the browser part of a run counted (all zero when nothing was left to download). */
interface DownloadStats {
  logins: number;
  relogins: number;
  sessionExpiries: number;
  loginMs: number;
  watchdogRecoveries: number;
  retries: number;
  cancelled: boolean;
}

function noDownloads(): DownloadStats {
  return {
    logins: 0,
    relogins: 0,
    sessionExpiries: 0,
    loginMs: 0,
    watchdogRecoveries: 0,
    retries: 0,
    cancelled: false,
  };
}

/** The portal, its credentials and the checkpoint this run continues, replaces or starts. */
function prepareRun(
  ctx: Pick<AppContext, 'config' | 'now'>,
  job: StickerJob,
  opts: Omit<StickersOptions, 'orderId'>,
): StickerRun {
  const portal = loadPortal(ctx.config.portalsDir, opts.portal);
  const credentials = credentialsFor(portal, opts.variables);
  const secrets = [credentials.password, ...(credentials.username.length >= 4 ? [credentials.username] : [])];
  const now = () => ctx.now().toISOString();
  const tracking = openCheckpoint(job, portal, opts, now);
  return {
    job,
    opts,
    workers: opts.workers ?? STICKER_DEFAULTS.workers,
    timeoutMs: opts.timeoutMs ?? STICKER_DEFAULTS.timeoutMs,
    retries: opts.retries ?? STICKER_DEFAULTS.retries,
    portal,
    credentials,
    secrets,
    tracking,
    writer: new TrackingWriter(job.folder, tracking, ctx.now),
    reports: new Map(),
    done: 0,
    now,
  };
}

/** The checkpoint: continue it (--resume), replace it (--force), or refuse to clobber it. */
function openCheckpoint(
  job: StickerJob,
  portal: PortalConfig,
  opts: Omit<StickersOptions, 'orderId'>,
  now: () => string,
): Tracking {
  const { orderId: id, folder, vins } = job;
  const previous = readTracking(folder);
  if (previous && !opts.resume && !opts.force) {
    const done = Object.values(previous.vehicles).filter((v) => v.status === 'downloaded').length;
    throw new UsageError(
      `order #${id} has window stickers from an earlier run (${done} of ${vins.length} downloaded, portal ${previous.portal})`,
      [
        `Run again with --resume to download only the missing ones, or --force to download all again.`,
        `The checkpoint is ${path.join(folder, TRACKING_FILE)}.`,
      ],
    );
  }
  if (previous && opts.resume && previous.portal !== portal.name)
    throw new UsageError(
      `order #${id}'s window stickers came from portal "${previous.portal}", not "${portal.name}"`,
      [`Resume with --portal ${previous.portal}, or use --force to download all again from ${portal.name}.`],
    );
  if (previous && opts.resume) return { ...previous, runs: previous.runs + 1 };
  return {
    format: 1,
    order_id: id,
    portal: portal.name,
    started_at: now(),
    updated_at: now(),
    runs: 1,
    vehicles: {},
  };
}

function progress(run: StickerRun, p: Omit<StickerProgress, 'done' | 'total'>): void {
  run.opts.onProgress?.({ ...p, done: run.done, total: run.job.vins.length });
}

/**
 * Keeps the stickers already on disk (deleting them first under --force), checkpoints them, and
 * returns the VINs left to download.
 */
async function keepFinished(run: StickerRun): Promise<string[]> {
  const { folder, vins } = run.job;
  const { tracking } = run;
  const todo: string[] = [];
  if (run.opts.force) {
    // Otherwise a forced run cut short would leave old files that a resume takes for new ones.
    for (const vin of vins) await rm(path.join(folder, stickerFilePath(vin)), { force: true });
  }
  for (const vin of vins) {
    const tracked = tracking.vehicles[vin];
    if (stickerOnDisk(folder, vin, tracked)) {
      if (tracked?.status !== 'downloaded') {
        // Renamed into place just before a crash, before its checkpoint: complete, keep it.
        const data = readFileSync(path.join(folder, stickerFilePath(vin)));
        tracking.vehicles[vin] = {
          status: 'downloaded',
          file: stickerFilePath(vin),
          sha256: sha256Hex(data),
          bytes: data.length,
          attempts: 0,
          ms: 0,
          at: run.now(),
        };
      }
      run.reports.set(vin, { vin, status: 'already_downloaded', attempts: 0, ms: 0 });
      run.done++;
      progress(run, { vin, event: 'already_downloaded' });
    } else {
      run.reports.set(vin, { vin, status: 'pending', attempts: 0, ms: 0 });
      todo.push(vin);
    }
  }
  await run.writer.flush();
  return todo;
}

/** Signs in once, downloads `todo` on the pool's worker pages, and stops early on the signal. */
async function downloadAll(run: StickerRun, chromiumPath: string, todo: string[]) {
  const stats = noDownloads();
  const pool = await openPool(run, chromiumPath, todo.length, stats);
  const onAbort = () => {
    stats.cancelled = true;
    void pool.close();
  };
  const { signal } = run.opts;
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(todo.map((vin) => downloadOne(run, pool, vin)));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stats.watchdogRecoveries = pool.stats.watchdogRecoveries;
    stats.retries = pool.stats.retries;
    stats.relogins = pool.stats.reprepares;
    stats.sessionExpiries = pool.stats.freeRetries;
    await pool.close();
  }
  return stats;
}

/** A pool whose every context signs in to the portal (counted in `stats`) before its first page. */
async function openPool(
  run: StickerRun,
  chromiumPath: string,
  pending: number,
  stats: DownloadStats,
): Promise<BrowserPool> {
  const { portal, credentials, secrets, timeoutMs } = run;
  try {
    return await BrowserPool.open({
      chromiumPath,
      size: Math.min(run.workers, pending),
      taskTimeoutMs: timeoutMs,
      retries: run.retries,
      contextOptions: { acceptDownloads: true },
      prepareContext: async (context) => {
        const t = Date.now();
        const page = await context.newPage();
        try {
          await loginToPortal(page, portal, credentials, Math.min(timeoutMs, 60_000));
        } finally {
          await page.close().catch(() => {});
        }
        stats.logins++;
        stats.loginMs += Date.now() - t;
      },
      onEvent: (e) => {
        if (e.kind === 'retry') {
          const { reason } = describe(e.error, secrets);
          progress(run, { vin: e.key, event: 'retry', attempt: e.attempt, reason });
        } else if (e.kind === 'reprepare') {
          const { reason } = describe(e.error, secrets);
          progress(run, { vin: e.key, event: 'session_expired', reason });
        }
      },
    });
  } catch (err) {
    throw scrub(err, run.secrets);
  }
}

/** One vehicle: its attempts on the pool, then its file, report and checkpoint entry. */
async function downloadOne(run: StickerRun, pool: BrowserPool, vin: string): Promise<void> {
  const { folder } = run.job;
  const { portal, timeoutMs } = run;
  // A SessionExpiredError makes the pool sign in again (once for all workers that
  // noticed) and retry this vehicle without counting the attempt.
  const r: TaskResult<StickerFile> = await pool.run(
    (page) => {
      page.setDefaultTimeout(timeoutMs);
      return downloadSticker(page, portal, vin, timeoutMs);
    },
    { key: vin },
  );
  const report = run.reports.get(vin)!;
  report.attempts = r.attempts;
  report.ms = r.busyMs;
  if (!r.ok && r.error instanceof PoolClosedError) return; // cancelled: stays pending
  if (r.ok) {
    const file = await writeOrderFile(folder, stickerFilePath(vin), r.value.body);
    Object.assign(report, {
      status: 'downloaded',
      bytes: file.bytes,
      pages: r.value.pages,
      via: r.value.via,
      disposition: r.value.disposition,
    });
    run.done++;
    await run.writer.record(vin, {
      status: 'downloaded',
      file: file.path,
      sha256: file.sha256,
      bytes: file.bytes,
      attempts: r.attempts,
      ms: r.busyMs,
      at: run.now(),
    });
    progress(run, { vin, event: 'downloaded', attempt: r.attempts, ms: r.busyMs });
  } else {
    const { code, reason } = describe(r.error, run.secrets);
    Object.assign(report, { status: 'failed', code, reason });
    run.done++;
    await run.writer.record(vin, {
      status: 'failed',
      code,
      reason,
      attempts: r.attempts,
      ms: r.busyMs,
      at: run.now(),
    });
    progress(run, { vin, event: 'failed', attempt: r.attempts, ms: r.busyMs, reason });
  }
}

/** The run's result: counts, timings and one report per vehicle in the job's order. */
function summarize(run: StickerRun, stats: DownloadStats, ms: number): StickersResult {
  const { orderId, folder, vins } = run.job;
  const list = vins.map((v) => run.reports.get(v)!);
  const downloaded = list.filter((v) => v.status === 'downloaded');
  const times = downloaded.map((v) => v.ms).sort((a, b) => a - b);
  return {
    orderId,
    portal: run.portal.name,
    folder,
    total: vins.length,
    downloaded: downloaded.length,
    alreadyDownloaded: list.filter((v) => v.status === 'already_downloaded').length,
    failed: list
      .filter((v) => v.status === 'failed')
      .map((v) => ({ vin: v.vin, code: v.code!, reason: v.reason!, attempts: v.attempts })),
    pending: list.filter((v) => v.status === 'pending').length,
    cancelled: stats.cancelled,
    retries: stats.retries,
    watchdogRecoveries: stats.watchdogRecoveries,
    logins: stats.logins,
    relogins: stats.relogins,
    sessionExpiries: stats.sessionExpiries,
    inlineDownloads: downloaded.filter((v) => v.disposition !== 'attachment').length,
    loginMs: stats.loginMs,
    perVehicleMs:
      times.length === 0
        ? null
        : { min: times[0]!, median: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! },
    vehiclesPerHour: ms > 0 ? Math.round((downloaded.length * 3_600_000) / ms) : 0,
    ms,
    vehicles: list,
    trackingFile: path.join(folder, TRACKING_FILE),
    metricsFile: path.join(folder, METRICS_FILE),
  };
}

/** Writes the final checkpoint and metrics.json, and records them and the stickers in the summary. */
async function writeRunFiles(
  run: StickerRun,
  result: StickersResult,
  stats: DownloadStats,
  startedAt: string,
): Promise<void> {
  const { folder } = run.job;
  const metrics = runMetrics(run, result, stats, startedAt);
  const files: OrderFile[] = [await run.writer.flush()];
  files.push(
    await writeOrderFile(folder, METRICS_FILE, Buffer.from(JSON.stringify(metrics, null, 2) + '\n')),
  );
  for (const [vin, t] of Object.entries(run.tracking.vehicles))
    if (t.status === 'downloaded')
      files.push({ path: stickerFilePath(vin), sha256: t.sha256, bytes: t.bytes });
  await recordOrderFiles(folder, files);
}

/** The content of metrics.json. */
function runMetrics(run: StickerRun, result: StickersResult, stats: DownloadStats, startedAt: string) {
  const downloaded = result.vehicles.filter((v) => v.status === 'downloaded');
  const clickDownloads = downloaded.filter((v) => v.via === 'download').length;
  return {
    format: 1,
    order_id: result.orderId,
    portal: result.portal,
    run: run.tracking.runs,
    started_at: startedAt,
    finished_at: run.now(),
    cancelled: stats.cancelled,
    settings: {
      workers: run.workers,
      timeout_ms: run.timeoutMs,
      retries: run.retries,
      resume: Boolean(run.opts.resume),
      force: Boolean(run.opts.force),
    },
    counts: {
      vehicles: result.total,
      downloaded: result.downloaded,
      already_downloaded: result.alreadyDownloaded,
      failed: result.failed.length,
      pending: result.pending,
    },
    retries: stats.retries,
    watchdog_recoveries: stats.watchdogRecoveries,
    logins: stats.logins,
    relogins: stats.relogins,
    session_expiries: stats.sessionExpiries,
    login_ms: stats.loginMs,
    // How this run's stickers came: fetched with the session (served as an attachment, or inline /
    // without a disposition: no download event) or downloaded by clicking a script link.
    inline_downloads: result.inlineDownloads,
    downloads_by: {
      fetch_attachment: downloaded.length - result.inlineDownloads - clickDownloads,
      fetch_inline: result.inlineDownloads,
      click_download: clickDownloads,
    },
    per_vehicle_ms: result.perVehicleMs,
    vehicles_per_hour: result.vehiclesPerHour,
    elapsed_ms: result.ms,
    vehicles: result.vehicles,
  };
}

export interface ProbeOptions {
  portal: string;
  vin: string;
  /** For the login and the link (default 60 s). */
  timeoutMs?: number;
  variables?: Record<string, string | undefined>;
}

/**
 * `stickers --probe VIN`: signs in and reports what one vehicle's sticker link answers (status,
 * content type, disposition, PDF or not, login page or not), saving nothing: for operators
 * configuring a new portal.
 */
export async function probeStickerLink(
  ctx: Pick<AppContext, 'config'>,
  opts: ProbeOptions,
): Promise<StickerProbe & { portal: string }> {
  const vin = opts.vin.trim().toUpperCase();
  if (!/^[A-Z0-9]{1,40}$/.test(vin)) throw new UsageError(`--probe expects a VIN, got "${opts.vin}"`);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const portal = loadPortal(ctx.config.portalsDir, opts.portal);
  const credentials = credentialsFor(portal, opts.variables);
  const secrets = [credentials.password, ...(credentials.username.length >= 4 ? [credentials.username] : [])];
  let pool: BrowserPool | undefined;
  try {
    pool = await BrowserPool.open({
      chromiumPath: ctx.config.chromiumPath,
      size: 1,
      taskTimeoutMs: timeoutMs * 3,
      retries: 0,
      maxFreeRetries: 0,
      contextOptions: { acceptDownloads: true },
      prepareContext: async (context) => {
        const page = await context.newPage();
        try {
          await loginToPortal(page, portal, credentials, timeoutMs);
        } finally {
          await page.close().catch(() => {});
        }
      },
    });
    const r = await pool.run((page) => probeSticker(page, portal, vin, timeoutMs));
    if (!r.ok) throw r.error;
    const probe = r.value;
    if (probe.error) probe.error.message = redact(probe.error.message, secrets);
    return { portal: portal.name, ...probe, verdict: redact(probe.verdict, secrets) };
  } catch (err) {
    throw scrub(err, secrets);
  } finally {
    await pool?.close();
  }
}
