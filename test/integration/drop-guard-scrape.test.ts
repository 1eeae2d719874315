/**
 * The drop guard through `runScrape`, on both databases, against fixture sites behind a proxy on
 * 127.0.0.1 that can cut a site off mid-scrape (every request after the Nth answers 503) or slow
 * every answer down (the dealership timeout then stops the scrape half-way): a normal-size scrape
 * activates as before; a cut-short one is imported but held; a halved site is held; in a run of two
 * dealerships one is held and the other activated; `acceptHeldSnapshots` activates the held one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { openContext } from '../../src/app/context.js';
import { setDealer } from '../../src/app/dealers.js';
import { acceptHeldSnapshots } from '../../src/app/hold.js';
import { runScrape, type ScrapeResult } from '../../src/app/scrape.js';
import { getStatus } from '../../src/app/status.js';
import { resolveConfig } from '../../src/config.js';
import { startSite, type FixtureSite } from '../fixtures/sites/server.mjs';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

/** A proxy in front of a fixture site that can fail or slow down the requests after the Nth. */
interface Proxy {
  url: string;
  /** Requests forwarded so far. */
  forwarded: number;
  /** Requests after this many forwarded ones answer 503 (Infinity: none). */
  failAfter: number;
  /** Delay before forwarding each request (ms). */
  delayMs: number;
  target: string;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const p: Proxy = {
    url: '',
    forwarded: 0,
    failAfter: Infinity,
    delayMs: 0,
    target,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    if (p.forwarded >= p.failAfter) {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>Service Unavailable</h1>');
      return;
    }
    p.forwarded++;
    setTimeout(() => {
      const t = new URL(p.target);
      const up = http.request(
        {
          host: t.hostname,
          port: t.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: t.host },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, p.delayMs);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return p;
}

describe.each(DATABASE_KINDS)('drop guard in scrapes on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: Proxy;
  let ford: Proxy;
  const sites: FixtureSite[] = [];
  const HONDA = 'Columbia Honda';
  const FORD = 'Thoroughbred Ford';

  const site = async (name: string, count: number) => {
    const s = await startSite({ platform: 'dealeron', name, count, dirty: false });
    sites.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await createTestEnv(kind);
    const config = resolveConfig({
      env: {
        ...t.env,
        SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '3000',
        SILVERFOX_SCRAPE_DEALERSHIP_TIMEOUT_MS: '6000',
        SILVERFOX_SCRAPE_HOST_RPS: '0',
      },
      cwd: t.dir,
    });
    ctx = await openContext(config);
    honda = await startProxy((await site(HONDA, 60)).url);
    ford = await startProxy((await site(FORD, 40)).url);
    await setDealer(ctx, HONDA, { url: honda.url });
    await setDealer(ctx, FORD, { url: ford.url });
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
    await honda?.close();
    await ford?.close();
    await Promise.all(sites.map((s) => s.close()));
  });

  const status = async (name: string) => (await getStatus(ctx)).dealerships.find((d) => d.name === name)!;
  const imported = (r: ScrapeResult, name: string) => r.import!.dealerships.find((d) => d.name === name)!;
  const scraped = (r: ScrapeResult, name: string) => r.dealerships.find((d) => d.name === name)!;
  const caoCount = async (name: string) =>
    (await runCao(ctx, { dealers: [name], dryRun: true })).results[0]!.counts.active;
  let requestsPerScrape = 0;

  it('a first scrape and a normal-size scrape activate as before', async () => {
    const first = await runScrape(ctx, { dealers: [HONDA, FORD] });
    expect(first.totals).toMatchObject({ done: 2, failed: 0 });
    expect(imported(first, HONDA)).toMatchObject({ activated: true, held: null, rows: 60 });
    requestsPerScrape = honda.forwarded;
    expect(requestsPerScrape).toBeGreaterThanOrEqual(3); // tagging page + several listing pages

    const again = await runScrape(ctx, { dealers: [HONDA, FORD] });
    expect(imported(again, HONDA)).toMatchObject({ activated: true, held: null, rows: 60 });
    expect(imported(again, FORD)).toMatchObject({ activated: true, held: null, rows: 40 });
    expect(await status(HONDA)).toMatchObject({ activeRows: 60, held: null });
  });

  it('a scrape cut short by a failing page is imported but held; the other dealership of the run is activated', async () => {
    const importedBefore = (await status(HONDA)).importedAt;
    // The last page of Honda's listing fails (on every attempt) after the first ones answered.
    honda.forwarded = 0;
    honda.failAfter = requestsPerScrape - 1;
    try {
      const r = await runScrape(ctx, { dealers: [HONDA, FORD] });
      const h = scraped(r, HONDA);
      expect(h.status).toBe('failed');
      expect(h.error?.code).toBe('http_status');
      expect(h.cutShort).toMatch(/answered HTTP 503/);
      expect(h.vehicles).toBeGreaterThan(0);
      expect(h.vehicles).toBeLessThan(60);
      const hi = imported(r, HONDA);
      expect(hi.activated).toBe(false);
      expect(hi.held).toMatchObject({ kind: 'cut_short', kept: h.vehicles, activeRows: 60 });
      expect(hi.held!.reason).toContain('scrape cut short (');
      expect(imported(r, FORD)).toMatchObject({ activated: true, held: null, rows: 40 });

      const s = await status(HONDA);
      expect(s).toMatchObject({ activeRows: 60, importedAt: importedBefore });
      expect(s.held).toMatchObject({ source: 'scrape', rows: h.vehicles, kind: 'cut_short' });
      expect(s.held!.accept).toBe('silverfox scrape "Columbia Honda" --accept-drop');
      // CAO still sees the complete inventory.
      expect(await caoCount(HONDA)).toBe(60);
    } finally {
      honda.failAfter = Infinity;
    }
  });

  it('--accept-drop activates the held snapshot without scraping again', async () => {
    const held = (await status(HONDA)).held!;
    honda.forwarded = 0;
    const r = await acceptHeldSnapshots(ctx, [HONDA]);
    expect(r.accepted[0]).toMatchObject({ name: HONDA, snapshotId: held.snapshotId, rows: held.rows });
    expect(honda.forwarded).toBe(0);
    expect(await status(HONDA)).toMatchObject({ activeRows: held.rows, held: null });
    expect(await caoCount(HONDA)).toBe(held.rows);
  });

  it('a halved site is held while the other dealership of the run is activated', async () => {
    await runScrape(ctx, { dealers: [HONDA] }); // back to the full 60
    expect((await status(HONDA)).activeRows).toBe(60);
    honda.target = (await site(HONDA, 29)).url;
    const r = await runScrape(ctx, { dealers: [HONDA, FORD] });
    expect(r.totals).toMatchObject({ done: 2, failed: 0 });
    expect(imported(r, HONDA)).toMatchObject({
      activated: false,
      rows: 29,
      held: { kind: 'drop', kept: 29, activeRows: 60, ratio: 0.5 },
    });
    expect(imported(r, FORD)).toMatchObject({ activated: true, held: null });
    expect(await status(HONDA)).toMatchObject({ activeRows: 60, held: { rows: 29, kind: 'drop' } });
    expect(await caoCount(HONDA)).toBe(60);
    // The site recovers: the next normal scrape activates and supersedes the hold.
    honda.target = sites[0]!.url;
    const next = await runScrape(ctx, { dealers: [HONDA] });
    expect(imported(next, HONDA)).toMatchObject({ activated: true, held: null, rows: 60 });
    expect((await status(HONDA)).held).toBeNull();
  });

  it('a scrape stopped by the dealership timeout keeps what it got, held', async () => {
    // Each answer takes 1.5 s (below the 3 s request timeout); the dealership gets 6 s in all,
    // so the 60-vehicle listing (a page of a dozen at a time) is cut off half-way.
    honda.delayMs = 1500;
    ford.forwarded = 0;
    try {
      const r = await runScrape(ctx, { dealers: [HONDA, FORD] });
      const h = scraped(r, HONDA);
      expect(h.error?.code).toBe('dealership_timeout');
      if (h.vehicles === 0)
        throw new Error('the slow site answered no page before the timeout: raise the timeout');
      expect(h.cutShort).not.toBeNull();
      expect(imported(r, HONDA)).toMatchObject({ activated: false, held: { kind: 'cut_short' } });
      expect(imported(r, FORD)).toMatchObject({ activated: true });
      expect((await status(HONDA)).activeRows).toBe(60);
    } finally {
      honda.delayMs = 0;
    }
  });
});
