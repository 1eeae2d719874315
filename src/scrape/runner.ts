/**
 * Scrapes one dealership: picks its adapter by platform, validates the adapter's options (the
 * registry entry's `scraper` object), and runs it with its own HTTP client and collector.
 */
import {
  COMMON_PARAMS,
  commonParamsSchema,
  groupSiteProblem,
  type CommonParams,
} from '../core/scrape-rules.js';
import type { BrowserLauncher, BrowserSession } from './browser.js';
import { ADAPTERS, PLATFORMS } from './adapters/index.js';
import { ProbeLimitError, ScrapeConfigError, ScrapeError } from './errors.js';
import { HttpClient, type HostRateLimiter } from './http.js';
import {
  VehicleCollector,
  type RawVehicle,
  type ScrapeCounts,
  type ScrapeReject,
  type SeenValues,
} from './types.js';

/** A dealership as the scrape sees it (from the registry). */
export interface ScrapeJob {
  name: string;
  slug: string;
  aliases: readonly string[];
  platform: string | null;
  siteUrl: string | null;
  /** The registry's `api_host`: a hosted search API's (or second site's) host override. */
  apiHost?: string | null;
  /** The registry entry's `scraper` object: shared parameters plus adapter options. */
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
  /** `scrape --probe`: stop after this many pages (listing or detail), keep nothing. */
  probePages?: number;
  /** Gets the dealership's collector, so the caller can read what a cut-short scrape got (drop guard). */
  onCollector?: (out: VehicleCollector) => void;
}

export interface JobOutput {
  vehicles: RawVehicle[];
  pages: number;
  requests: number;
  retries: number;
  /** Every served row accounted for (kept, duplicates, sister store, excluded, rejected...). */
  counts: ScrapeCounts;
  /** The old name of `counts`. */
  skipped: ScrapeCounts;
  /** Rows that cannot be a vehicle, with the reason (the run's rejects file). */
  rejects: ScrapeReject[];
  /** Store values, status labels and price fields seen (for --probe). */
  seen: SeenValues;
  /** Browser requests refused by the routing (images, fonts, trackers); 0 without a browser. */
  blockedRequests: number;
  /** True when a probe stopped the scrape after its first pages. */
  probed: boolean;
}

/** The keys of a `scraper` object that are shared parameters (validated here, not by adapters). */
export const COMMON_KEYS = Object.keys(COMMON_PARAMS);

/** Splits a `scraper` object into the shared parameters and the adapter's own options. */
export function splitScraperOptions(scraper: Record<string, unknown>): {
  common: Record<string, unknown>;
  own: Record<string, unknown>;
} {
  const common: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(scraper)) (COMMON_KEYS.includes(k) ? common : own)[k] = v;
  return { common, own };
}

/**
 * Everything that keeps an entry from being scraped as it stands, without any request: no
 * platform, unknown platform, no site URL, invalid shared parameters or adapter options, a group
 * site without a store filter. Empty when it can be scraped. Used by `doctor` and `prepareJob`.
 */
export async function jobProblems(job: ScrapeJob): Promise<string[]> {
  try {
    await prepareJob(job);
    return [];
  } catch (err) {
    if (err instanceof ScrapeConfigError) {
      const m = err.message.startsWith(job.name)
        ? err.message.slice(job.name.length).replace(/^:?\s*/, '')
        : err.message;
      return [m, ...err.hints];
    }
    throw err;
  }
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
  const adapter = await load();
  if (!job.siteUrl && !adapter.siteUrlOptional) {
    throw new ScrapeConfigError(`${job.name} has no site URL in the registry`, [
      `Set it: ${fix} --url https://...`,
    ]);
  }
  const { common, own } = splitScraperOptions(job.scraper);
  const problems: string[] = [];
  const params = commonParamsSchema.safeParse(common);
  if (!params.success) {
    problems.push(...params.error.issues.map((i) => `scraper.${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const group = groupSiteProblem(job.scraper);
  if (group) problems.push(`scraper: ${group}`);
  const parsed = adapter.options.safeParse(own);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `scraper.${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  if (problems.length > 0 || !parsed.success || !params.success) {
    throw new ScrapeConfigError(
      group
        ? `${job.name}: refusing to scrape: on a group site without a store filter`
        : `${job.name}: invalid scraper options for ${job.platform}`,
      [...problems, `Fix scrapers/${job.slug}.json (see \`silverfox dealers show "${job.name}"\`).`],
    );
  }
  return {
    adapter,
    options: parsed.data,
    params: params.data as CommonParams,
    siteUrl: (job.siteUrl ?? '').replace(/\/+$/, ''),
    apiHost: job.apiHost ? job.apiHost.replace(/\/+$/, '') : null,
  };
}

/** Runs the dealership's adapter; the caller supplies the signal and heartbeat (pool). */
export async function scrapeJob(
  job: ScrapeJob,
  deps: ScrapeDeps,
  signal: AbortSignal,
  heartbeat: () => void,
): Promise<JobOutput> {
  const { adapter, options, params, siteUrl, apiHost } = await prepareJob(job);
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
  const out = new VehicleCollector(params);
  deps.onCollector?.(out);
  let pages = 0;
  let probed = false;
  let probePages = 0;
  let ownRetries = 0;
  let session: BrowserSession | undefined;
  try {
    await adapter.scrape(
      {
        dealership: { name: job.name, slug: job.slug, aliases: job.aliases },
        siteUrl,
        apiHost,
        params,
        probe: deps.probePages !== undefined,
        http,
        timeoutMs: deps.timeoutMs,
        signal,
        browser: async () => (session ??= await deps.browser.session(siteUrl, apiHost ? [apiHost] : [])),
        isOwnStore: (store) => deps.isOwnStore(job, store),
        retried: (url, attempt, error) => {
          ownRetries++;
          heartbeat();
          deps.onRetry?.({ url, attempt, message: error.message });
        },
        page: (url, vehicles) => {
          // A probe counts pages that list vehicles (not tagging or config pages).
          if (deps.probePages !== undefined && vehicles > 0 && ++probePages > deps.probePages) {
            throw new ProbeLimitError();
          }
          pages++;
          heartbeat();
          deps.onPage?.({ url, vehicles, pages, total: out.vehicles.length });
        },
      },
      options,
      out,
    );
  } catch (err) {
    if (!(err instanceof ProbeLimitError)) throw err;
    probed = true;
  } finally {
    await session?.close();
  }
  if (out.vehicles.length === 0 && deps.probePages === undefined) {
    const c = out.counts;
    const why =
      c.served === 0
        ? 'the site listed no vehicles'
        : `none of the ${c.served} rows the site served was kept (${c.sisterStore} sister-store, ${c.excluded} excluded, ${c.rejected} rejected)`;
    throw new ScrapeError('no_vehicles', `${job.name}: ${why}`, {
      hints: [
        'An empty inventory is more likely a changed site (or a wrong store filter) than an empty lot, so nothing was imported and the active snapshot is kept.',
        `See what the site serves: silverfox scrape "${job.name}" --probe`,
      ],
    });
  }
  return {
    vehicles: out.vehicles,
    pages,
    requests: http.requests,
    retries: http.retries + ownRetries,
    counts: out.counts,
    skipped: out.counts,
    rejects: out.rejects,
    seen: out.seen,
    blockedRequests: session?.blocked ?? 0,
    probed,
  };
}
