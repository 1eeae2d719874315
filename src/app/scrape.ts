/**
 * `silverfox scrape`: scrape dealership websites into one CSV per dealership under a run folder
 * (`<logDir>/scrapes/<run id>/`, kept for audit), then import them all in ONE import (source
 * `scrape`), so scraped and CSV data go through the same normalization. Dealerships run in a pool;
 * one dealership's failure never blocks the others and never touches its active snapshot (its CSV
 * is simply not imported). The checkpoint in the run folder lets `--resume` continue an
 * interrupted run without re-fetching the dealerships already done.
 */
import path from 'node:path';
import { nameKey, slugify } from '../core/dealership.js';
import { CancelledError, toFailure, UsageError, type Failure } from '../errors.js';
import { launchChromium } from '../output/browser-pool.js';
import { BrowserLauncher } from '../scrape/browser.js';
import {
  createRun,
  findResumableRun,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointEntry,
} from '../scrape/checkpoint.js';
import { writeRejectsCsv, writeVehiclesCsv } from '../scrape/csv.js';
import { isCutShort } from '../scrape/cut-short.js';
import { HostRateLimiter } from '../scrape/http.js';
import { runPool, type PoolOutcome } from '../scrape/pool.js';
import { scrapeJob, type JobOutput, type ScrapeJob } from '../scrape/runner.js';
import { toJob } from './scrape-entry.js';
import {
  emptyScrapeCounts,
  type RawVehicle,
  type ScrapeCounts,
  type ScrapeReject,
  type SeenValues,
} from '../scrape/types.js';
import type { VehicleCollector } from '../scrape/types.js';
import type { SnapshotHold } from '../core/drop-guard.js';
import type { AppContext } from './context.js';
import { resolveDealerships } from './dealers.js';
import { importFiles, type ImportResult } from './import.js';
import { listDealerships } from '../db/dealerships.js';
import { entryFromRecord } from './registry.js';

/** Attempts per request (the first included), for 5xx, 429, timeouts and refused connections. */
export const REQUEST_ATTEMPTS = 3;

export interface ScrapeOptions {
  /** Dealership names, slugs or aliases; or `all`. */
  dealers?: readonly string[];
  /** Every enabled registry dealership that has a platform. */
  all?: boolean;
  /** Dealerships at once (default config.concurrency). */
  concurrency?: number;
  /** Import the CSVs at the end (default true; `--no-import` says false). */
  import?: boolean;
  /** Continue an interrupted run: true = the newest unfinished one, or a run id. */
  resume?: boolean | string;
  /** Ctrl-C: stops the run; the checkpoint stays for `--resume`. */
  signal?: AbortSignal;
  onProgress?: (e: ScrapeProgress) => void;
}

export type ScrapeProgress =
  | { type: 'run'; runId: string; runDir: string; resumed: boolean; toFetch: number; alreadyDone: number }
  | { type: 'start'; dealership: string; platform: string | null }
  | { type: 'page'; dealership: string; url: string; pages: number; vehicles: number }
  | { type: 'retry'; dealership: string; url: string; attempt: number; message: string }
  | { type: 'stalled' | 'timeout'; dealership: string; message: string }
  | { type: 'done'; dealership: string; vehicles: number; pages: number; retries: number; durationMs: number }
  | { type: 'failed'; dealership: string; code: string; message: string }
  | { type: 'import'; files: number };

/** One dealership's outcome. */
export interface DealershipScrape {
  name: string;
  slug: string;
  platform: string | null;
  status: 'done' | 'failed';
  /** Done by an earlier run of this run id (not fetched again by this one). */
  fromEarlierRun: boolean;
  vehicles: number;
  pages: number;
  requests: number;
  retries: number;
  /**
   * Every row the site served, accounted for: served = kept + duplicates + sisterStore + excluded
   * + rejected; noPrice, offLot, unknownStatus count kept rows; unseenStatuses lists status labels
   * the entry does not know. null when the dealership failed.
   */
  counts: ScrapeCounts | null;
  /** The old name of `counts`. */
  skipped: ScrapeCounts | null;
  /** The rows that could not be a vehicle, with the reason (in the run folder), or null. */
  rejectsFile: string | null;
  /** Runs that tried this dealership (a resumed run tries the failed ones again). */
  attempts: number;
  durationMs: number;
  /** Its CSV in the run folder. */
  file: string | null;
  error: Failure | null;
  /**
   * Failed half-way (timeout, page failure...) with `vehicles` collected: that part is imported
   * as a held snapshot (drop guard) when the dealership has an active one. null otherwise.
   */
  cutShort: string | null;
}

export interface ScrapeImportSummary {
  importId: number | null;
  rowsRead: number;
  rowsImported: number;
  rowsRejected: number;
  rejectsFile: string | null;
  reportFile: string | null;
  dealerships: {
    name: string;
    rows: number;
    rejected: number;
    activated: boolean;
    /** The drop guard held its new snapshot: why (accept with `scrape NAME --accept-drop`). */
    held: SnapshotHold | null;
  }[];
}

export interface ScrapeResult {
  runId: string;
  runDir: string;
  resumed: boolean;
  dealerships: DealershipScrape[];
  totals: { dealerships: number; done: number; failed: number; vehicles: number };
  /** null with --no-import, or when no dealership was done. */
  import: ScrapeImportSummary | null;
}

/** The dealerships a new run scrapes, in registry order. */
async function selectJobs(ctx: AppContext, opts: ScrapeOptions): Promise<ScrapeJob[]> {
  const registry = (await listDealerships(ctx.db)).filter((d) => d.inRegistry).map(entryFromRecord);
  const names = opts.dealers ?? [];
  if (opts.all && names.length > 0) {
    throw new UsageError('name dealerships or use --all, not both');
  }
  if (opts.all) {
    const jobs = registry.filter((e) => e.enabled && e.platform).map(toJob);
    if (jobs.length === 0) {
      throw new UsageError('no enabled dealership with a platform in the registry', [
        'Add one with `silverfox dealers add NAME --platform P --url URL`, or enable one with `silverfox dealers set NAME --enable`.',
      ]);
    }
    return jobs;
  }
  if (names.length === 0) {
    throw new UsageError('name the dealerships to scrape, or use --all', [
      'e.g. `silverfox scrape "Columbia Honda"` or `silverfox scrape --all`',
    ]);
  }
  const found = await resolveDealerships(ctx, names);
  const bySlug = new Map(registry.map((e) => [slugify(e.name), e]));
  return found.map((d) => {
    const entry = bySlug.get(d.slug);
    // A dealership first seen in a feed has no registry entry: no platform, no URL to scrape.
    return entry
      ? toJob(entry)
      : { name: d.name, slug: d.slug, aliases: d.aliases, platform: null, siteUrl: null, scraper: {} };
  });
}

function entryResult(
  job: { name: string; slug: string; platform: string | null },
  e: CheckpointEntry,
  runDir: string,
  earlier: boolean,
): DealershipScrape {
  return {
    name: job.name,
    slug: job.slug,
    platform: job.platform,
    status: e.status,
    fromEarlierRun: earlier,
    vehicles: e.vehicles,
    pages: e.pages,
    requests: e.requests,
    retries: e.retries,
    counts: e.skipped ? { ...emptyScrapeCounts(), ...e.skipped } : null,
    skipped: e.skipped ? { ...emptyScrapeCounts(), ...e.skipped } : null,
    rejectsFile: e.rejectsFile ? path.join(runDir, e.rejectsFile) : null,
    attempts: e.attempts,
    durationMs: e.durationMs,
    file: e.file ? path.join(runDir, e.file) : null,
    error: e.error ?? null,
    cutShort: e.cutShort ?? null,
  };
}

/** Scrapes the chosen dealerships and imports what was scraped; never throws for one dealership. */
export async function runScrape(ctx: AppContext, opts: ScrapeOptions = {}): Promise<ScrapeResult> {
  const emit = opts.onProgress ?? (() => {});
  const run = await openRun(ctx, opts);
  const { runDir, checkpoint, jobs } = run;
  const todo = jobs.filter((j) => checkpoint.entries[j.slug]?.status !== 'done');
  emit({
    type: 'run',
    runId: checkpoint.runId,
    runDir,
    resumed: run.resumed,
    toFetch: todo.length,
    alreadyDone: jobs.length - todo.length,
  });
  const earlierDone = new Set(
    jobs.filter((j) => checkpoint.entries[j.slug]?.status === 'done').map((j) => j.slug),
  );

  await scrapeAll(ctx, opts, run, todo, emit);
  if (opts.signal?.aborted) {
    throw new CancelledError(
      `scrape cancelled; continue it with \`silverfox scrape --resume ${checkpoint.runId}\``,
    );
  }

  const dealerships = jobs.map((j) =>
    entryResult(j, checkpoint.entries[j.slug]!, runDir, earlierDone.has(j.slug)),
  );
  const imported = await importScraped(ctx, opts, run, dealerships, emit);
  checkpoint.finishedAt = ctx.now().toISOString();
  saveCheckpoint(runDir, checkpoint);
  const done = dealerships.filter((d) => d.status === 'done');
  return {
    runId: checkpoint.runId,
    runDir,
    resumed: run.resumed,
    dealerships,
    totals: {
      dealerships: dealerships.length,
      done: done.length,
      failed: dealerships.length - done.length,
      vehicles: done.reduce((n, d) => n + d.vehicles, 0),
    },
    import: imported,
  };
}

/** A run folder with its checkpoint, and the dealerships it scrapes. */
interface ScrapeRun {
  runDir: string;
  checkpoint: Checkpoint;
  jobs: ScrapeJob[];
  resumed: boolean;
}

/** Continues the interrupted run (--resume) or starts a new one for the chosen dealerships. */
async function openRun(ctx: AppContext, opts: ScrapeOptions): Promise<ScrapeRun> {
  const { logDir } = ctx.config;
  const resumed = opts.resume !== undefined && opts.resume !== false;
  if (!resumed) {
    const jobs = await selectJobs(ctx, opts);
    const dealerships = jobs.map((j) => ({ name: j.name, slug: j.slug }));
    return { ...createRun(logDir, ctx.now(), dealerships, opts.import !== false), jobs, resumed };
  }
  if (opts.dealers?.length || opts.all) {
    throw new UsageError(
      '--resume continues the dealerships of the interrupted run: name none, and no --all',
    );
  }
  const { runDir, checkpoint } = findResumableRun(
    logDir,
    typeof opts.resume === 'string' ? opts.resume : undefined,
  );
  const registry = new Map(
    (await listDealerships(ctx.db)).filter((d) => d.inRegistry).map((d) => [d.slug, entryFromRecord(d)]),
  );
  const jobs = checkpoint.dealerships.map((d) => {
    const entry = registry.get(d.slug);
    return entry
      ? toJob(entry)
      : { name: d.name, slug: d.slug, aliases: [], platform: null, siteUrl: null, scraper: {} };
  });
  return { runDir, checkpoint, jobs, resumed };
}

/** Scrapes `todo` in the pool, checkpointing each dealership as it finishes. */
async function scrapeAll(
  ctx: AppContext,
  opts: ScrapeOptions,
  run: ScrapeRun,
  todo: ScrapeJob[],
  emit: (e: ScrapeProgress) => void,
): Promise<void> {
  const { config } = ctx;
  const { jobs } = run;
  const timeoutMs = config.scrapeRequestTimeoutMs;
  const backoffMs = Math.min(1000, Math.max(50, Math.round(timeoutMs / 20)));
  const browser = new BrowserLauncher(() => launchChromium(config.chromiumPath));
  const limiter = new HostRateLimiter(config.scrapeHostRps);
  const ownKeys = new Map(jobs.map((j) => [j.slug, new Set([j.name, ...j.aliases].map(nameKey))]));
  const byKey = new Map(jobs.map((j) => [j.slug, j]));
  // Kept per dealership so a scrape stopped half-way still hands over what it collected.
  const collectors = new Map<string, VehicleCollector>();
  try {
    await runPool<JobOutput>(
      todo.map((job) => ({
        key: job.slug,
        run: (signal, heartbeat) =>
          scrapeJob(
            job,
            {
              timeoutMs,
              attempts: REQUEST_ATTEMPTS,
              backoffMs,
              limiter,
              browser,
              isOwnStore: (j, store) => ownKeys.get(j.slug)?.has(nameKey(store)) ?? false,
              onPage: (p) =>
                emit({ type: 'page', dealership: job.name, url: p.url, pages: p.pages, vehicles: p.total }),
              onRetry: (r) => emit({ type: 'retry', dealership: job.name, ...r }),
              onCollector: (out) => collectors.set(job.slug, out),
            },
            signal,
            heartbeat,
          ),
      })),
      {
        concurrency: opts.concurrency ?? config.concurrency,
        taskTimeoutMs: config.scrapeDealershipTimeoutMs,
        // The longest honest silence: one request through all its attempts, or a browser page
        // (navigation plus waiting for the results).
        stallMs: timeoutMs * (REQUEST_ATTEMPTS + 1) + backoffMs * 2 ** REQUEST_ATTEMPTS + 5000,
        signal: opts.signal,
        onEvent: (e) => {
          const job = byKey.get(e.key)!;
          if (e.type === 'start') emit({ type: 'start', dealership: job.name, platform: job.platform });
          if (e.type === 'stalled' || e.type === 'timeout')
            emit({ type: e.type, dealership: job.name, message: e.message ?? '' });
        },
        onOutcome: (o) => {
          // A cancelled run leaves the unfinished dealerships as they were, for --resume.
          if (!o.ok && opts.signal?.aborted) return;
          const job = byKey.get(o.key)!;
          const entry = o.ok
            ? doneEntry(ctx, run, job, o, emit)
            : failedEntry(ctx, run, job, o, collectors.get(job.slug), emit);
          run.checkpoint.entries[job.slug] = entry;
          saveCheckpoint(run.runDir, run.checkpoint);
        },
      },
    );
  } finally {
    await browser.close();
  }
}

/** A scraped dealership: its CSV (and rejects) in the run folder, and its checkpoint entry. */
function doneEntry(
  ctx: AppContext,
  run: ScrapeRun,
  job: ScrapeJob,
  o: Extract<PoolOutcome<JobOutput>, { ok: true }>,
  emit: (e: ScrapeProgress) => void,
): CheckpointEntry {
  const file = `${job.slug}.csv`;
  writeVehiclesCsv(path.join(run.runDir, file), job.name, o.value.vehicles);
  let rejectsFile: string | undefined;
  if (o.value.rejects.length > 0) {
    rejectsFile = `${job.slug}.rejects.csv`;
    writeRejectsCsv(path.join(run.runDir, rejectsFile), job.name, o.value.rejects);
  }
  const entry: CheckpointEntry = {
    status: 'done',
    file,
    rejectsFile,
    vehicles: o.value.vehicles.length,
    pages: o.value.pages,
    requests: o.value.requests,
    retries: o.value.retries,
    skipped: o.value.counts,
    durationMs: o.durationMs,
    attempts: attemptsOf(run, job),
    finishedAt: ctx.now().toISOString(),
  };
  emit({
    type: 'done',
    dealership: job.name,
    vehicles: entry.vehicles,
    pages: entry.pages,
    retries: entry.retries,
    durationMs: o.durationMs,
  });
  return entry;
}

/** A failed dealership: its checkpoint entry, with the part a cut-short scrape got as its CSV. */
function failedEntry(
  ctx: AppContext,
  run: ScrapeRun,
  job: ScrapeJob,
  o: Extract<PoolOutcome<JobOutput>, { ok: false }>,
  out: VehicleCollector | undefined,
  emit: (e: ScrapeProgress) => void,
): CheckpointEntry {
  const error = toFailure(o.error);
  // Drop guard: the part a cut-short scrape got is imported, held (never activated over a
  // complete active snapshot). A copy: an abandoned task may still be adding rows.
  const part = isCutShort(o.error) ? [...(out?.vehicles ?? [])] : [];
  const file = part.length > 0 ? `${job.slug}.csv` : undefined;
  if (file) writeVehiclesCsv(path.join(run.runDir, file), job.name, part);
  emit({ type: 'failed', dealership: job.name, code: error.code, message: error.message });
  return {
    status: 'failed',
    ...(file ? { file, cutShort: error.message, skipped: structuredClone(out!.counts) } : {}),
    vehicles: part.length,
    pages: 0,
    requests: 0,
    retries: 0,
    durationMs: o.durationMs,
    attempts: attemptsOf(run, job),
    error,
    finishedAt: ctx.now().toISOString(),
  };
}

/** Runs that tried this dealership, this one included. */
function attemptsOf(run: ScrapeRun, job: ScrapeJob): number {
  return (run.checkpoint.entries[job.slug]?.attempts ?? 0) + 1;
}

/**
 * Imports the done dealerships' CSVs and the cut-short parts in ONE import, unless the run was
 * started with --no-import; records the import in the checkpoint.
 */
async function importScraped(
  ctx: AppContext,
  opts: ScrapeOptions,
  run: ScrapeRun,
  dealerships: DealershipScrape[],
  emit: (e: ScrapeProgress) => void,
): Promise<ScrapeImportSummary | null> {
  const done = dealerships.filter((d) => d.status === 'done');
  const cutShort = dealerships.filter((d) => d.cutShort !== null && d.file !== null);
  const toImport = [...done, ...cutShort];
  if (!run.checkpoint.import || toImport.length === 0) return null;
  emit({ type: 'import', files: toImport.length });
  const r = await importFiles(ctx, {
    files: toImport.map((d) => d.file!),
    cutShort: Object.fromEntries(cutShort.map((d) => [d.slug, d.cutShort!])),
    source: 'scrape',
    // Every row names a registry dealership; a scrape never invents one.
    strictDealers: true,
    // The same inventory as last night is still a fresh scrape: import it (status shows the time).
    force: true,
    signal: opts.signal,
  });
  run.checkpoint.imported = { importId: r.importId, at: ctx.now().toISOString() };
  return importSummary(r);
}

function importSummary(r: ImportResult): ScrapeImportSummary {
  return {
    importId: r.importId,
    rowsRead: r.rowsRead,
    rowsImported: r.rowsImported,
    rowsRejected: r.rowsRejected,
    rejectsFile: r.rejectsFile,
    reportFile: r.reportFile,
    dealerships: r.dealerships.map((d) => ({
      name: d.name,
      rows: d.rows,
      rejected: d.rejected,
      activated: d.activated,
      held: d.held,
    })),
  };
}

export interface ProbeResult {
  name: string;
  platform: string | null;
  siteUrl: string | null;
  apiHost: string | null;
  /** Pages fetched (listing or detail pages); the probe stops after `pages`. */
  pages: number;
  /** True when the site had more than the probe read. */
  stoppedEarly: boolean;
  counts: ScrapeCounts;
  /** The first kept rows, as they would be written for the import. */
  sample: RawVehicle[];
  /** Store values, status labels and price fields seen on the rows read. */
  seen: SeenValues;
  rejects: ScrapeReject[];
}

/**
 * `silverfox scrape NAME --probe`: fetches the first pages of one dealership and tells what would be
 * kept, without writing or importing anything: counts, a few rows, the store values and status
 * labels seen, the price fields the prices came from.
 */
export async function probeScrape(
  ctx: AppContext,
  name: string,
  opts: { pages?: number; sample?: number; signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  const { config } = ctx;
  const [d] = await resolveDealerships(ctx, [name]);
  const entry = d!.inRegistry ? entryFromRecord(d!) : undefined;
  const job: ScrapeJob = entry
    ? toJob(entry)
    : { name: d!.name, slug: d!.slug, aliases: d!.aliases, platform: null, siteUrl: null, scraper: {} };
  const pages = opts.pages ?? 2;
  const timeoutMs = config.scrapeRequestTimeoutMs;
  const browser = new BrowserLauncher(() => launchChromium(config.chromiumPath));
  const signals = [AbortSignal.timeout(config.scrapeDealershipTimeoutMs)];
  if (opts.signal) signals.push(opts.signal);
  const keys = new Set([job.name, ...job.aliases].map(nameKey));
  try {
    const out = await scrapeJob(
      job,
      {
        timeoutMs,
        attempts: REQUEST_ATTEMPTS,
        backoffMs: Math.min(1000, Math.max(50, Math.round(timeoutMs / 20))),
        limiter: new HostRateLimiter(config.scrapeHostRps),
        browser,
        isOwnStore: (_j, store) => keys.has(nameKey(store)),
        probePages: pages,
      },
      AbortSignal.any(signals),
      () => {},
    );
    return {
      name: job.name,
      platform: job.platform,
      siteUrl: job.siteUrl,
      apiHost: job.apiHost ?? null,
      pages: out.pages,
      stoppedEarly: out.probed,
      counts: out.counts,
      sample: out.vehicles.slice(0, opts.sample ?? 5),
      seen: out.seen,
      rejects: out.rejects.slice(0, 10),
    };
  } finally {
    await browser.close();
  }
}
