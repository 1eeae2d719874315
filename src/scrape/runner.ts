/**
 * Scrapes one dealership: picks its adapter by platform, validates the adapter's options (the
 * registry entry's `scraper` object), and runs it with its own HTTP client and collector.
 */
import type { BrowserLauncher, BrowserSession } from './browser.js';
import { ADAPTERS, PLATFORMS } from './adapters/index.js';
import { ScrapeConfigError, ScrapeError } from './errors.js';
import { HttpClient, type HostRateLimiter } from './http.js';
import { VehicleCollector, type RawVehicle, type SkipCounts } from './types.js';

/** A dealership as the scrape sees it (from the registry). */
export interface ScrapeJob {
  name: string;
  slug: string;
  aliases: readonly string[];
  platform: string | null;
  siteUrl: string | null;
  /** The registry entry's `scraper` object: adapter options. */
  scraper: Record<string, unknown>;
}

export interface ScrapeDeps {
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  limiter: HostRateLimiter;
  browser: BrowserLauncher;
  isOwnStore(job: ScrapeJob, storeName: string): boolean;
  onPage?: (info: { url: string; vehicles: number; pages: number; total: number }) => void;
  onRetry?: (info: { url: string; attempt: number; message: string }) => void;
  /** Where the vehicles go; the caller keeps it to read what a cut-short scrape got (drop guard). */
  collector?: VehicleCollector;
}

export interface JobOutput {
  vehicles: RawVehicle[];
  pages: number;
  requests: number;
  retries: number;
  skipped: SkipCounts;
  /** Browser requests refused by the routing (images, fonts, trackers); 0 without a browser. */
  blockedRequests: number;
}

/** Checks what can be checked before any request: platform, URL, adapter options. */
export async function prepareJob(job: ScrapeJob) {
  const fix = `silverfox dealers set "${job.name}"`;
  if (!job.platform) {
    throw new ScrapeConfigError(`${job.name} has no platform in the registry`, [
      `Set one: ${fix} --platform <${PLATFORMS.join('|')}>`,
    ]);
  }
  const load = ADAPTERS[job.platform];
  if (!load) {
    throw new ScrapeConfigError(`${job.name}: no scraper for platform "${job.platform}"`, [
      `Known platforms: ${PLATFORMS.join(', ')}.`,
      `Import its inventory from a CSV export instead (silverfox import), or fix the platform: ${fix} --platform ...`,
    ]);
  }
  if (!job.siteUrl) {
    throw new ScrapeConfigError(`${job.name} has no site URL in the registry`, [
      `Set it: ${fix} --url https://...`,
    ]);
  }
  const adapter = await load();
  const parsed = adapter.options.safeParse(job.scraper);
  if (!parsed.success) {
    throw new ScrapeConfigError(
      `${job.name}: invalid scraper options for ${job.platform}`,
      parsed.error.issues.map((i) => `scraper.${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return { adapter, options: parsed.data, siteUrl: job.siteUrl.replace(/\/+$/, '') };
}

/** Runs the dealership's adapter; the caller supplies the signal and heartbeat (pool). */
export async function scrapeJob(
  job: ScrapeJob,
  deps: ScrapeDeps,
  signal: AbortSignal,
  heartbeat: () => void,
): Promise<JobOutput> {
  const { adapter, options, siteUrl } = await prepareJob(job);
  const http = new HttpClient({
    timeoutMs: deps.timeoutMs,
    attempts: deps.attempts,
    backoffMs: deps.backoffMs,
    limiter: deps.limiter,
    signal,
    onRetry: ({ url, attempt, error }) => {
      heartbeat();
      deps.onRetry?.({ url, attempt, message: error.message });
    },
  });
  const out = deps.collector ?? new VehicleCollector();
  let pages = 0;
  let ownRetries = 0;
  let session: BrowserSession | undefined;
  try {
    await adapter.scrape(
      {
        dealership: { name: job.name, slug: job.slug, aliases: job.aliases },
        siteUrl,
        http,
        timeoutMs: deps.timeoutMs,
        signal,
        browser: async () => (session ??= await deps.browser.session(siteUrl)),
        isOwnStore: (store) => deps.isOwnStore(job, store),
        retried: (url, attempt, error) => {
          ownRetries++;
          heartbeat();
          deps.onRetry?.({ url, attempt, message: error.message });
        },
        page: (url, vehicles) => {
          pages++;
          heartbeat();
          deps.onPage?.({ url, vehicles, pages, total: out.vehicles.length });
        },
      },
      options,
      out,
    );
  } finally {
    await session?.close();
  }
  if (out.vehicles.length === 0) {
    throw new ScrapeError('no_vehicles', `${job.name}: the site listed no vehicles`, {
      hints: [
        'An empty inventory is more likely a changed site than an empty lot, so nothing was imported and the active snapshot is kept.',
      ],
    });
  }
  return {
    vehicles: out.vehicles,
    pages,
    requests: http.requests,
    retries: http.retries + ownRetries,
    skipped: out.skipped,
    blockedRequests: session?.blocked ?? 0,
  };
}
