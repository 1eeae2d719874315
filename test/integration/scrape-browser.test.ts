// Browser suite: a dealer-eprocess site that renders its results client-side, behind a cookie
// overlay, with images, fonts and trackers on unreachable hosts, scraped with Chromium.
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/output/browser-pool.js';
import { BrowserLauncher } from '../../src/scrape/browser.js';
import { HostRateLimiter } from '../../src/scrape/http.js';
import { scrapeJob, type ScrapeDeps, type ScrapeJob } from '../../src/scrape/runner.js';
import { scraperOptions, startSite, type FixtureSite } from '../fixtures/sites/server.mjs';
import { browserSuiteEnabled, CHROMIUM } from '../helpers/browser.js';

const sites: FixtureSite[] = [];
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

async function job(spec: Parameters<typeof startSite>[0]): Promise<{ site: FixtureSite; job: ScrapeJob }> {
  const site = await startSite(spec);
  sites.push(site);
  return {
    site,
    job: {
      name: spec.name,
      slug: 'x',
      aliases: [],
      platform: spec.platform,
      siteUrl: site.url,
      scraper: scraperOptions(site),
    },
  };
}

describe.runIf(browserSuiteEnabled())('client-rendered site in Chromium', () => {
  const browser = new BrowserLauncher(() => launchChromium(CHROMIUM));
  afterAll(async () => browser.close());

  it('renders, reads every vehicle, retries a failed render, blocks images, fonts and other hosts', async () => {
    // Dirty: the page's first data request answers 500, so the first render shows no results.
    const { site, job: j } = await job({
      platform: 'dealer-eprocess',
      name: 'Joe Machens Toyota',
      count: 60,
      clientRendered: true,
      pageSize: 12,
    });
    expect(j.scraper).toEqual({ render: 'browser' });
    const out = await scrapeJob(j, deps(browser, 2000), new AbortController().signal, () => {});
    expect(out.retries).toBe(1);
    const vins = out.vehicles.map((v) => v.vin.trim().toUpperCase());
    expect(new Set(vins).size).toBe(vins.length);
    expect([...vins].sort()).toEqual([...site.expectedVins].sort());
    expect(out.vehicles.some((v) => v.status === 'In Transit')).toBe(true);
    // Own-host images were refused by resource type; trackers and fonts by host.
    expect(site.stats.images).toBe(0);
    expect(out.blockedRequests).toBeGreaterThanOrEqual(3);
    expect(site.stats.paths.some((p) => p.startsWith('GET /search-data/'))).toBe(true);
  });

  it('two dealerships at once get separate contexts of one browser', async () => {
    const a = await job({
      platform: 'dealer-eprocess',
      name: 'A Toyota',
      count: 20,
      clientRendered: true,
      dirty: false,
    });
    const b = await job({
      platform: 'dealer-eprocess',
      name: 'B Toyota',
      count: 30,
      clientRendered: true,
      dirty: false,
    });
    const [ra, rb] = await Promise.all([
      scrapeJob(a.job, deps(browser), new AbortController().signal, () => {}),
      scrapeJob(b.job, deps(browser), new AbortController().signal, () => {}),
    ]);
    expect(ra.vehicles).toHaveLength(a.site.expectedVins.length);
    expect(rb.vehicles).toHaveLength(b.site.expectedVins.length);
  });
});

describe('browser missing', () => {
  it('a client-rendered site fails with an error naming CHROMIUM_PATH and the install command', async () => {
    const { job: j } = await job({
      platform: 'dealer-eprocess',
      name: 'C Toyota',
      count: 6,
      clientRendered: true,
      dirty: false,
    });
    const browser = new BrowserLauncher(() => launchChromium('/nonexistent/chromium'));
    const err = await scrapeJob(j, deps(browser), new AbortController().signal, () => {}).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/Chromium cannot be started from \/nonexistent\/chromium/);
    expect((err as { hints: string[] }).hints.join(' ')).toMatch(
      /apt-get install -y chromium.*CHROMIUM_PATH/,
    );
  });
});
