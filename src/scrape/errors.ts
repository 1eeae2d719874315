/**
 * Scrape errors, split by what the runner should do with them (STYLE.md 6):
 * - `retry`: a transient failure of one request (5xx, 429, timeout, refused connection); the HTTP
 *   client retries it with backoff, and only gives up after the last attempt.
 * - `skip`: this dealership cannot be scraped now (unexpected payload shape, bad adapter options,
 *   no site URL, dealership timeout); the others go on and its active snapshot is untouched.
 * - `abort`: the whole run cannot go on (e.g. the run folder cannot be written).
 */
import { SilverfoxError } from '../errors.js';

export type ScrapeAction = 'retry' | 'skip' | 'abort';

/** Base class of every scrape failure. */
export class ScrapeError extends SilverfoxError {
  readonly action: ScrapeAction;
  constructor(
    code: string,
    message: string,
    opts: { action?: ScrapeAction; hints?: string[]; cause?: unknown } = {},
  ) {
    super(code, message, { hints: opts.hints, cause: opts.cause });
    this.action = opts.action ?? 'skip';
  }
}

/** An HTTP answer that is not 2xx. 5xx and 429 are retried; other codes are not. */
export class HttpStatusError extends ScrapeError {
  readonly status: number;
  readonly url: string;
  constructor(status: number, url: string, method = 'GET') {
    const retry = status >= 500 || status === 429;
    super('http_status', `${method} ${url} answered HTTP ${status}`, {
      action: retry ? 'retry' : 'skip',
      hints: retry
        ? ['The site failed on every attempt; it may be down. The next run will try again.']
        : ['The page or API moved, or the site URL is wrong: check it with `silverfox dealers show NAME`.'],
    });
    this.status = status;
    this.url = url;
  }
}

/** A request took longer than the request timeout (SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS). */
export class RequestTimeoutError extends ScrapeError {
  constructor(url: string, ms: number) {
    super('request_timeout', `${url} did not answer within ${ms} ms`, {
      action: 'retry',
      hints: ['Raise SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS if the site is just slow.'],
    });
  }
}

/** The connection failed (refused, reset, DNS). */
export class NetworkError extends ScrapeError {
  constructor(url: string, cause: unknown) {
    const detail = (cause as { cause?: { code?: string } })?.cause?.code ?? (cause as Error)?.message;
    super('network', `cannot reach ${url} (${detail})`, {
      action: 'retry',
      cause,
      hints: ['Check the site URL and the network.'],
    });
  }
}

/** A payload is not the shape the adapter knows: the site changed, or the adapter is wrong for it. */
export class ShapeError extends ScrapeError {
  constructor(platform: string, what: string, detail: string) {
    super('unexpected_shape', `${platform}: unexpected ${what}: ${detail}`, {
      hints: [
        'The site no longer looks like its platform adapter expects (or the platform in the registry is wrong).',
        'Check the page in a browser, then the platform with `silverfox dealers show NAME`.',
      ],
    });
  }
}

/** The registry entry cannot drive its adapter: no URL, unknown platform, bad `scraper` options. */
export class ScrapeConfigError extends ScrapeError {
  constructor(message: string, hints: string[] = []) {
    super('scrape_config', message, { hints });
  }
}

/** The dealership took longer than SILVERFOX_SCRAPE_DEALERSHIP_TIMEOUT_MS, or stalled. */
export class DealershipTimeoutError extends ScrapeError {
  constructor(message: string) {
    super('dealership_timeout', message, {
      hints: ['Raise SILVERFOX_SCRAPE_DEALERSHIP_TIMEOUT_MS, or check whether the site is hanging.'],
    });
  }
}

/** The run was cancelled (Ctrl-C) or abandoned by the watchdog. */
export class ScrapeAbortedError extends ScrapeError {
  constructor(message = 'scrape cancelled') {
    super('aborted', message, { action: 'abort' });
  }
}

/** Thrown by `ctx.page()` under `scrape --probe` once the first pages are in (the runner catches it). */
export class ProbeLimitError extends ScrapeError {
  constructor() {
    super('probe_limit', 'probe: first pages fetched', { action: 'skip' });
  }
}
