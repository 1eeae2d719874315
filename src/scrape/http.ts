/**
 * HTTP for scrapers: Node's global fetch with a per-request timeout, up to N attempts with
 * exponential backoff on 5xx/429/timeouts/refused connections, a per-host rate limit shared by
 * every dealership of a run, and a real browser user agent.
 */
import {
  HttpStatusError,
  NetworkError,
  RequestTimeoutError,
  ScrapeAbortedError,
  ScrapeError,
} from './errors.js';

/** What the sites see. Some answer a bot user agent with 403 or an empty shell. */
export const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Spaces out requests per host (`host:port`) so a run never hammers one site. */
export class HostRateLimiter {
  private readonly next = new Map<string, number>();
  /** `perSecond` 0 means no limit. */
  constructor(private readonly perSecond: number) {}

  /** Waits for this host's next free slot. */
  async wait(url: string, signal?: AbortSignal): Promise<void> {
    if (this.perSecond <= 0) return;
    const host = new URL(url).host;
    const now = Date.now();
    const slot = Math.max(now, this.next.get(host) ?? 0);
    this.next.set(host, slot + 1000 / this.perSecond);
    if (slot > now) await sleep(slot - now, signal);
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new ScrapeAbortedError();
}

export interface HttpOptions {
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /** Attempts per request, the first included. */
  attempts: number;
  /** First backoff (ms); doubled on each further attempt, plus jitter. */
  backoffMs: number;
  limiter: HostRateLimiter;
  /** Aborts every request of this client (dealership timeout, watchdog, Ctrl-C). */
  signal?: AbortSignal;
  /** Told about each retry (progress). */
  onRetry?: (info: { url: string; attempt: number; error: ScrapeError }) => void;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A JSON body (sent with content-type application/json). */
  json?: unknown;
  /** Statuses returned to the caller instead of thrown (e.g. 404 for a sold car). */
  allowStatus?: readonly number[];
}

export interface HttpResponse {
  status: number;
  url: string;
  body: string;
}

/** One dealership's HTTP client; counts its requests and retries. */
export class HttpClient {
  requests = 0;
  retries = 0;
  constructor(private readonly opts: HttpOptions) {}

  /** Fetches `url`, retrying transient failures; throws a ScrapeError on the last failure. */
  async request(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
    const { attempts, backoffMs, signal } = this.opts;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(url, req);
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        const e = err instanceof ScrapeError ? err : new NetworkError(url, err);
        if (e.action !== 'retry' || attempt >= attempts) throw e;
        this.retries++;
        this.opts.onRetry?.({ url, attempt, error: e });
        await sleep(backoffMs * 2 ** (attempt - 1) * (1 + Math.random() * 0.25), signal);
      }
    }
  }

  private async once(url: string, req: HttpRequest): Promise<HttpResponse> {
    const { timeoutMs, limiter, signal } = this.opts;
    await limiter.wait(url, signal);
    this.requests++;
    const timeout = AbortSignal.timeout(timeoutMs);
    const method = req.method ?? (req.json === undefined ? 'GET' : 'POST');
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
      'accept-language': 'en-US,en;q=0.9',
      ...req.headers,
    };
    if (req.json !== undefined) headers['content-type'] = 'application/json';
    try {
      // The timeout covers the body too: fetch's signal aborts the body stream.
      const res = await fetch(url, {
        method,
        headers,
        body: req.json === undefined ? undefined : JSON.stringify(req.json),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        redirect: 'follow',
      });
      const body = await res.text();
      if (!res.ok && !req.allowStatus?.includes(res.status)) {
        throw new HttpStatusError(res.status, url, method);
      }
      return { status: res.status, url: res.url || url, body };
    } catch (err) {
      if (err instanceof ScrapeError) throw err;
      if (signal?.aborted) throw abortReason(signal);
      if (timeout.aborted) throw new RequestTimeoutError(url, timeoutMs);
      throw new NetworkError(url, err);
    }
  }

  /** GET a page as text. */
  async text(url: string, req: HttpRequest = {}): Promise<string> {
    return (await this.request(url, req)).body;
  }
}
