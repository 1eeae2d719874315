/**
 * The browser for client-rendered sites: one Chromium per run (launched on first use), a fresh
 * context per dealership, and routing that blocks images, fonts, media and every request that
 * leaves the site's own origin (trackers, ad and analytics hosts that may not even be reachable).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ScrapeAbortedError, ShapeError } from './errors.js';
import { USER_AGENT } from './http.js';

const BLOCKED_TYPES = new Set(['image', 'font', 'media']);
/** Cookie banners: clicked away when present so they never cover what we read. */
const COOKIE_BUTTONS = '#onetrust-accept-btn-handler, .cookie-accept, button[data-cookie-accept]';

export interface RenderOptions {
  /** A selector that matches once the results are rendered. */
  waitFor: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Attempts (the first included): a failed script request or a slow render is tried again. */
  attempts?: number;
  onRetry?: (info: { url: string; attempt: number; error: Error }) => void;
}

/** One dealership's browser context. */
export interface BrowserSession {
  /** Loads `url`, waits until `waitFor` matches, and returns the rendered HTML. */
  render(url: string, opts: RenderOptions): Promise<string>;
  /**
   * Runs `fn` on a page of this context (for sites that must be typed into, not only loaded);
   * the page is closed when `signal` aborts and reused afterwards only if `fn` succeeded.
   */
  withPage<T>(fn: (page: Page) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The context's cookies for `url`, as one `cookie` request header value. */
  cookieHeader(url: string): Promise<string>;
  /** Requests refused by the routing (images, fonts, other hosts). */
  readonly blocked: number;
  close(): Promise<void>;
}

/**
 * Launches Chromium lazily, once, and hands out a fresh context per dealership. The launch itself
 * (executable, closed-network arguments, the error naming CHROMIUM_PATH) is the app's shared
 * `launchChromium`, passed in so every Chromium of silverfox starts the same way.
 */
export class BrowserLauncher {
  private browser?: Promise<Browser>;
  constructor(private readonly launchBrowser: () => Promise<Browser>) {}

  private launch(): Promise<Browser> {
    this.browser ??= this.launchBrowser();
    // A failed launch is not cached: the next dealership gets the same clear error, freshly.
    this.browser.catch(() => (this.browser = undefined));
    return this.browser;
  }

  /** A fresh context for one site; requests leaving `siteUrl`'s origin are blocked. */
  async session(siteUrl: string, otherOrigins: readonly string[] = []): Promise<BrowserSession> {
    const browser = await this.launch();
    const context: BrowserContext = await browser.newContext({ userAgent: USER_AGENT });
    const origins = new Set([siteUrl, ...otherOrigins].map((u) => new URL(u).origin));
    let blocked = 0;
    const idle: Page[] = [];
    await context.route('**/*', (route) => {
      const req = route.request();
      let sameOrigin: boolean;
      try {
        sameOrigin = origins.has(new URL(req.url()).origin);
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin || BLOCKED_TYPES.has(req.resourceType())) {
        blocked++;
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    return {
      get blocked() {
        return blocked;
      },
      async render(url, opts) {
        const attempts = opts.attempts ?? 3;
        for (let attempt = 1; ; attempt++) {
          try {
            return await renderOnce(url, opts);
          } catch (err) {
            if (opts.signal?.aborted || attempt >= attempts) throw err;
            opts.onRetry?.({ url, attempt, error: err as Error });
          }
        }
      },
      async withPage(fn, signal) {
        if (signal?.aborted) throw new ScrapeAbortedError();
        const page = idle.pop() ?? (await context.newPage());
        let healthy = false;
        const onAbort = () => void page.close().catch(() => {});
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          const r = await fn(page);
          healthy = true;
          return r;
        } catch (err) {
          if (signal?.aborted) throw new ScrapeAbortedError();
          throw err;
        } finally {
          signal?.removeEventListener('abort', onAbort);
          if (healthy) idle.push(page);
          else await page.close().catch(() => {});
        }
      },
      async cookieHeader(url) {
        const cookies = await context.cookies(url);
        return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      },
      async close() {
        await context.close().catch(() => {});
      },
    };

    async function renderOnce(url: string, opts: RenderOptions): Promise<string> {
      if (opts.signal?.aborted) throw new ScrapeAbortedError();
      // Pages are reused within the dealership's context (opening one costs ~100 ms).
      const page = idle.pop() ?? (await context.newPage());
      let healthy = false;
      const onAbort = () => void page.close().catch(() => {});
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: opts.timeoutMs });
        // Clicked from inside the page: no waiting for Playwright's actionability checks.
        await page
          .evaluate(
            // Runs in the page, where `document` exists (this file is compiled without DOM types).
            (sel) =>
              (
                globalThis as unknown as {
                  document: { querySelector(s: string): { click(): void } | null };
                }
              ).document
                .querySelector(sel)
                ?.click(),
            COOKIE_BUTTONS,
          )
          .catch(() => {});
        try {
          await page.waitForSelector(opts.waitFor, { timeout: opts.timeoutMs, state: 'attached' });
        } catch {
          throw new ShapeError(
            'browser',
            `page ${url}`,
            `nothing matching "${opts.waitFor}" appeared within ${opts.timeoutMs} ms`,
          );
        }
        const html = await page.content();
        healthy = true;
        return html;
      } catch (err) {
        if (opts.signal?.aborted) throw new ScrapeAbortedError();
        throw err;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        if (healthy) idle.push(page);
        else await page.close().catch(() => {});
      }
    }
  }

  /** Closes the browser if it was launched. */
  async close(): Promise<void> {
    const b = this.browser;
    this.browser = undefined;
    if (b) await (await b.catch(() => undefined))?.close().catch(() => {});
  }
}
