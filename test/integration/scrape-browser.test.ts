// Browser suite: the two platforms the originals drove with a real browser, on their real-shaped
// fixture sites (test/fixtures/real, from SCRAPE-FACTS.md) with the shipped registry entries,
// only the URL (and API host) pointed at 127.0.0.1. dealer eProcess renders its results by script
// behind a cookie overlay, with a font and a tracker on hosts that do not exist; Toyota SmartPath
// needs the browser's session cookies and a VIN search typed into the dealer site.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/output/browser-pool.js';
import { BrowserLauncher } from '../../src/scrape/browser.js';
import { HostRateLimiter } from '../../src/scrape/http.js';
import { scrapeJob, type ScrapeDeps, type ScrapeJob } from '../../src/scrape/runner.js';
import { normalizeLotStatus, parsePrice } from '../../src/core/normalize.js';
import { startEprocessSite } from '../fixtures/real/dealer-eprocess.mjs';
import type { Expected, ServedSite } from '../fixtures/real/serve-site.mjs';
import { startSmartPathSite } from '../fixtures/real/toyota-smartpath.mjs';
import { browserSuiteEnabled, CHROMIUM } from '../helpers/browser.js';
import { ROOT } from '../helpers/env.js';

const sites: ServedSite[] = [];
afterAll(async () => {
  await Promise.all(sites.map((s) => s.close()));
});

function deps(browser: BrowserLauncher, timeoutMs = 10_000): ScrapeDeps {
  return {
    timeoutMs,
    attempts: 3,
    backoffMs: 20,
    limiter: new HostRateLimiter(0),
    browser,
    isOwnStore: () => true,
  };
}

/** The shipped registry entry, its URL (and API host) pointed at the fixture site. */
function jobFor(slug: string, site: ServedSite, scraper: Record<string, unknown> = {}): ScrapeJob {
  const entry = JSON.parse(readFileSync(path.join(ROOT, 'scrapers', `${slug}.json`), 'utf8')) as {
    name: string;
    aliases: string[];
    platform: string;
    scraper: Record<string, unknown>;
  };
  return {
    name: entry.name,
    slug,
    aliases: entry.aliases,
    platform: entry.platform,
    siteUrl: site.url,
    apiHost: site.url,
    scraper: { ...entry.scraper, ...scraper },
  } as ScrapeJob;
}

/** Every price the site shows, and off the lot exactly the in-transit/allocated cars (as the import reads them). */
function expectPricesAndLot(
  vehicles: { vin: string; price?: string; status?: string }[],
  expected: Expected,
) {
  for (const v of vehicles) expect(parsePrice(v.price), v.vin).toBe(expected.prices[v.vin]);
  const off = vehicles.filter((v) => normalizeLotStatus(v.status) === 'off_lot').map((v) => v.vin);
  expect(off.sort()).toEqual([...expected.offLot].sort());
}

describe.runIf(browserSuiteEnabled())('browser platforms on real-shaped sites', () => {
  const browser = new BrowserLauncher(() => launchChromium(CHROMIUM));
  afterAll(async () => browser.close());

  it('dealer eProcess: every own car of every availability pass, retrying a failed render, other hosts blocked', async () => {
    // Dirty: the first results request answers 500, so the first render shows no results.
    const site = await startEprocessSite({ counts: { in_stock: 14, in_transit: 3, allocated: 2 } });
    sites.push(site);
    const out = await scrapeJob(
      jobFor('joe_machens_toyota', site),
      deps(browser, 2000),
      new AbortController().signal,
      () => {},
    );
    expect(out.retries).toBeGreaterThanOrEqual(1);
    expect(out.vehicles.map((v) => v.vin).sort()).toEqual([...site.expected.vins].sort());
    for (const v of out.vehicles) expect(v.status, v.vin).toBe(site.expected.statuses[v.vin]);
    expectPricesAndLot(out.vehicles, site.expected);
    expect(out.counts.sisterStore).toBe(site.expected.sisterStore);
    expect(out.rejects.map((r) => r.reason)).toEqual([
      'no vehicle data (the shift_digital_session_id script) in the detail page',
    ]);
    expect(out.blockedRequests).toBeGreaterThanOrEqual(3);
  });

  it('Toyota SmartPath: session cookies from the browser, each VIN found on the dealer site', async () => {
    // The API on its own origin, as smartpath.twincitytoyota.com beside the dealer site: the
    // browser must reach it for the session cookies.
    const site = await startSmartPathSite({ used: 16, new: 8, pooled: 2, apiHost: true });
    sites.push(site);
    const api = site.apiHost!;
    const out = await scrapeJob(
      { ...jobFor('twin_city_toyota', site, { lookup_retry_ms: 100 }), apiHost: api.url },
      deps(browser, 3000),
      new AbortController().signal,
      () => {},
    );
    expect(out.vehicles.map((v) => v.vin).sort()).toEqual([...site.expected.vins].sort());
    for (const v of out.vehicles) {
      expect(v.trim, v.vin).toBe(site.expected.trims[v.vin]);
      expect(v.url).toMatch(new RegExp(`^${site.url}/inventory/.*${v.vin.toLowerCase()}$`));
    }
    expectPricesAndLot(out.vehicles, site.expected);
    expect(out.counts.sisterStore).toBe(site.expected.sisterStore);
    expect(out.counts.excludedBy).toEqual({ 'not found by the dealer site search': site.expected.notOnSite });
    // Without the browser's cookies the API refuses (403): the cookie step on the API host opened it.
    expect(api.stats.paths.some((p) => p.startsWith('GET /inventory/search?dealerCd=24067'))).toBe(true);
    expect(api.stats.paths.some((p) => p.startsWith('GET /consumerapi/retail/inventory?'))).toBe(true);
    expect(site.stats.paths.some((p) => p.startsWith('GET /consumerapi/'))).toBe(false);
  });
});

describe('browser missing', () => {
  it('a browser platform fails with an error naming CHROMIUM_PATH and the install command', async () => {
    const site = await startEprocessSite({ counts: { in_stock: 6 }, dirty: false });
    sites.push(site);
    const browser = new BrowserLauncher(() => launchChromium('/nonexistent/chromium'));
    const err = await scrapeJob(
      jobFor('joe_machens_toyota', site),
      deps(browser),
      new AbortController().signal,
      () => {},
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/Chromium cannot be started from \/nonexistent\/chromium/);
    expect((err as { hints: string[] }).hints.join(' ')).toMatch(
      /apt-get install -y chromium.*CHROMIUM_PATH/,
    );
  });
});
