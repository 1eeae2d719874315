/**
 * Team Velocity (5 dealerships) and Dealr (Stehouwer Auto) scraped with their shipped registry
 * entries on real-shaped fixture sites (test/fixtures/real, from SCRAPE-FACTS.md), only the URL
 * pointed at 127.0.0.1: 100% of the dealership's own cars, no sister-store car, every in-transit
 * or in-production car off the lot, every price the site shows; sold pages, a missing price object,
 * "Please Call", 0 and a page that is no vehicle never fail the dealership.
 * (eProcess and SmartPath need Chromium: scrape-browser.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext, type AppContext } from '../../src/app/context.js';
import { setDealer } from '../../src/app/dealers.js';
import { runScrape } from '../../src/app/scrape.js';
import { resolveConfig } from '../../src/config.js';
import { normalizeLotStatus, parsePrice } from '../../src/core/normalize.js';
import { BrowserLauncher } from '../../src/scrape/browser.js';
import { HostRateLimiter } from '../../src/scrape/http.js';
import { scrapeJob, type JobOutput, type ScrapeDeps, type ScrapeJob } from '../../src/scrape/runner.js';
import { startDealrSite } from '../fixtures/real/dealr.mjs';
import type { Expected, ServedSite } from '../fixtures/real/serve-site.mjs';
import { startTeamVelocitySite } from '../fixtures/real/team-velocity.mjs';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';

const sites: ServedSite[] = [];
afterAll(async () => {
  await Promise.all(sites.map((s) => s.close()));
});

const deps: ScrapeDeps = {
  timeoutMs: 2000,
  attempts: 3,
  backoffMs: 20,
  limiter: new HostRateLimiter(0),
  browser: new BrowserLauncher(() => Promise.reject(new Error('no browser for these platforms'))),
  isOwnStore: () => true,
};

interface Entry {
  name: string;
  aliases: string[];
  platform: string;
  scraper: Record<string, unknown>;
}
const entryOf = (slug: string) =>
  JSON.parse(readFileSync(path.join(ROOT, 'scrapers', `${slug}.json`), 'utf8')) as Entry;

async function scrape(slug: string, site: ServedSite): Promise<{ entry: Entry; out: JobOutput }> {
  sites.push(site);
  const entry = entryOf(slug);
  const job: ScrapeJob = {
    name: entry.name,
    slug,
    aliases: entry.aliases,
    platform: entry.platform,
    siteUrl: site.url,
    scraper: entry.scraper,
  };
  return { entry, out: await scrapeJob(job, deps, new AbortController().signal, () => {}) };
}

/** 100% of the own cars and nothing else, off-lot exactly the expected ones, every shown price. */
function expectRight(entry: Entry, out: JobOutput, expected: Expected) {
  expect(out.vehicles.map((v) => v.vin).sort()).toEqual([...expected.vins].sort());
  // Off the lot as the import will read the status text (core/normalize).
  const off = out.vehicles.filter((v) => normalizeLotStatus(v.status) === 'off_lot').map((v) => v.vin);
  expect(off.sort()).toEqual([...expected.offLot].sort());
  expect(out.counts.offLot).toBe(expected.offLot.length);
  expect(out.counts.noPrice).toBe(Object.values(expected.prices).filter((p) => p === null).length);
  expect(out.counts.kept).toBe(expected.vins.length);
  const c = out.counts;
  expect(c.served).toBe(c.kept + c.duplicates + c.sisterStore + c.excluded + c.rejected);
  for (const v of out.vehicles)
    expect(parsePrice(v.price), `${entry.name} ${v.vin}`).toBe(expected.prices[v.vin]);
}

describe('Team Velocity on real-shaped sites', () => {
  it.each([
    ['honda_of_frontenac', 0],
    ['hw_kia', 0],
    ['kia_of_columbia', 4],
    ['south_county_dcjr', 0],
    ['volvo_cars_west_county', 0],
  ])('%s: sitemap walk, badges over JSON-LD, prices, sold pages, a broken page', async (slug, sisters) => {
    const site = await startTeamVelocitySite(entryOf(slug).name, { count: 16, sisters });
    const { entry, out } = await scrape(slug, site);
    expectRight(entry, out, site.expected);
    for (const v of out.vehicles) {
      expect(v.stock, v.vin).toBe(site.expected.stocks[v.vin]);
      expect(v.trim, v.vin).toBe(site.expected.trims[v.vin]);
    }
    expect(out.counts.gone).toBe(site.expected.sold);
    expect(out.counts.sisterStore).toBe(site.expected.sisterStore);
    // The broken page is rejected with its reason; the never-seen availability is listed.
    expect(out.rejects.map((r) => r.reason)).toEqual([
      'the vehicle JSON (vehicleIdentificationNumber) is not valid JSON',
    ]);
    expect(out.counts.unseenStatuses).toEqual({ Reserved: 1 });
    expect(out.retries).toBeGreaterThanOrEqual(1);
    // The sitemaps of pages and blogs were not walked.
    expect(site.stats.paths.some((p) => p.includes('pagessitemap'))).toBe(false);
  });

  it('a wrong account id (every price call failing) fails the dealership instead of importing no prices', async () => {
    const site = await startTeamVelocitySite('HW Kia', { count: 12, dirty: false });
    sites.push(site);
    const entry = entryOf('hw_kia');
    const job: ScrapeJob = {
      name: entry.name,
      slug: 'hw_kia',
      aliases: [],
      platform: entry.platform,
      siteUrl: site.url,
      scraper: { ...entry.scraper, account_id: '1' },
    };
    await expect(
      scrapeJob(job, { ...deps, attempts: 1 }, new AbortController().signal, () => {}),
    ).rejects.toThrow(/every price call failed \(accountId 1/);
  });
});

describe('probe on a detail-page platform', () => {
  it('Team Velocity under --probe stops after the first pages instead of fetching every VDP', async () => {
    const site = await startTeamVelocitySite('HW Kia', { count: 40, dirty: false });
    sites.push(site);
    const entry = entryOf('hw_kia');
    const job: ScrapeJob = {
      name: entry.name,
      slug: 'hw_kia',
      aliases: [],
      platform: entry.platform,
      siteUrl: site.url,
      scraper: entry.scraper,
    };
    const out = await scrapeJob(job, { ...deps, probePages: 6 }, new AbortController().signal, () => {});
    expect(out.probed).toBe(true);
    expect(out.vehicles.length).toBeGreaterThan(0);
    // A full scrape asks 3 sitemaps + 40 VDPs + 40 prices; a probe only a handful more than its pages.
    await new Promise((r) => setTimeout(r, 200));
    expect(site.stats.requests).toBeLessThan(20);
  });
});

describe('Dealr on a real-shaped site', () => {
  it('Stehouwer Auto: one request per body type, a body type longer than one answer, gone and broken pages', async () => {
    const site = await startDealrSite({ car: 9, suv: 6, truck: 30 });
    const { entry, out } = await scrape('stehouwer_auto', site);
    expectRight(entry, out, site.expected);
    for (const v of out.vehicles) expect(v.condition, v.vin).toBe(site.expected.conditions[v.vin]);
    expect(out.counts.gone).toBe(site.expected.gone);
    expect(out.counts.duplicates).toBe(site.expected.duplicates);
    expect(out.rejects.map((r) => r.reason).sort()).toEqual([
      'a vehicle card without a detail link',
      'no vehicle JSON (makesOffer.itemOffered) in the detail page',
    ]);
    expect(out.counts.rejected).toBe(site.expected.rejected);
    // The recorded request first (no page number); page 2 only where filters said more.
    expect(site.stats.paths.filter((p) => p.includes('page=2'))).toHaveLength(1);
  });

  it('a body type the site cannot page through fails with the counts instead of importing a part', async () => {
    const site = await startDealrSite({ car: 3, suv: 3, truck: 30, honoursPage: false });
    sites.push(site);
    const entry = entryOf('stehouwer_auto');
    const job: ScrapeJob = {
      name: entry.name,
      slug: 'stehouwer_auto',
      aliases: [],
      platform: entry.platform,
      siteUrl: site.url,
      scraper: entry.scraper,
    };
    await expect(scrapeJob(job, deps, new AbortController().signal, () => {})).rejects.toThrow(
      /counts 30 cars but only 24 could be reached/,
    );
  });
});

/**
 * The whole pipeline with the shipped registry: a real-shaped site is used by changing only the
 * dealership's URL (`dealers set NAME --url URL`), then `scrape` imports 100% of its own cars with
 * in-transit ones off the lot and every shown price, on both databases.
 */
describe.each(DATABASE_KINDS)('scrape with only the URL changed, on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await openContext(
      resolveConfig({
        env: { ...t.env, SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '2000', SILVERFOX_SCRAPE_HOST_RPS: '0' },
        cwd: t.dir,
      }),
    );
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  const active = async (name: string) =>
    (
      await ctx.db.query<{ vin: string; lot_status: string; price: string | null }>(
        `SELECT v.vin, v.lot_status, v.price FROM vehicles v
           JOIN snapshots s ON s.id = v.snapshot_id JOIN dealerships d ON d.id = s.dealership_id
          WHERE s.status = 'active' AND d.name = $1`,
        [name],
      )
    ).rows;

  it('KIA of Columbia (Team Velocity group site) and Stehouwer Auto (Dealr)', async () => {
    const kia = await startTeamVelocitySite('KIA of Columbia', { count: 14, sisters: 3 });
    const dealr = await startDealrSite({ car: 5, suv: 5, truck: 26 });
    sites.push(kia, dealr);
    await setDealer(ctx, 'KIA of Columbia', { url: kia.url });
    await setDealer(ctx, 'Stehouwer Auto', { url: dealr.url });
    const r = await runScrape(ctx, { dealers: ['KIA of Columbia', 'Stehouwer Auto'] });
    expect(r.dealerships.map((d) => `${d.name}: ${d.status} ${d.error?.message ?? ''}`)).toEqual([
      'KIA of Columbia: done ',
      'Stehouwer Auto: done ',
    ]);
    for (const [name, site] of [
      ['KIA of Columbia', kia],
      ['Stehouwer Auto', dealr],
    ] as const) {
      const rows = await active(name);
      expect(rows.map((v) => v.vin).sort(), name).toEqual([...site.expected.vins].sort());
      expect(
        rows
          .filter((v) => v.lot_status === 'off_lot')
          .map((v) => v.vin)
          .sort(),
        name,
      ).toEqual([...site.expected.offLot].sort());
      for (const v of rows)
        expect(v.price === null ? null : Number(v.price), v.vin).toBe(site.expected.prices[v.vin]);
    }
    const kiaResult = r.dealerships.find((d) => d.name === 'KIA of Columbia')!;
    expect(kiaResult.skipped?.sisterStore).toBe(3);
  });
});
