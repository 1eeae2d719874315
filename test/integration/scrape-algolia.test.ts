/**
 * The 14 Algolia (DealerInspire) dealerships, each scraped with its REAL registry entry
 * (scrapers/*.json) against the real-shaped Algolia fixture (test/fixtures/real/algolia.mjs),
 * repointed only by site URL and API host: 100% of the own cars, no sister-store car, every
 * in-transit car off the lot, "Please call for price"/0/blank/missing without a price, a bad hit
 * rejected without failing the dealership, more than 1,000 hits reached by splitting the query,
 * and a query no facet can split failing the dealership instead of importing a part.
 * Then through runScrape into both databases.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext, type AppContext } from '../../src/app/context.js';
import { resolveDealership, setDealer } from '../../src/app/dealers.js';
import { runScrape } from '../../src/app/scrape.js';
import { resolveConfig } from '../../src/config.js';
import { nameKey, registryEntrySchema, type RegistryEntry } from '../../src/core/dealership.js';
import { normalizeLotStatus } from '../../src/core/normalize.js';
import { selectActiveVehicles } from '../../src/db/active-vehicles.js';
import { BrowserLauncher } from '../../src/scrape/browser.js';
import { HostRateLimiter } from '../../src/scrape/http.js';
import {
  jobProblems,
  scrapeJob,
  type JobOutput,
  type ScrapeDeps,
  type ScrapeJob,
} from '../../src/scrape/runner.js';
import {
  DEALERS,
  startDealerAlgolia,
  type DealerAlgolia,
  type ProfileOptions,
} from '../fixtures/real/algolia.mjs';
import { ROOT } from '../helpers/env.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

const REGISTRY = path.join(ROOT, 'scrapers');
const ENTRIES: RegistryEntry[] = readdirSync(REGISTRY)
  .filter((f) => f.endsWith('.json'))
  .map((f) => registryEntrySchema.parse(JSON.parse(readFileSync(path.join(REGISTRY, f), 'utf8'))));
const ALGOLIA = ENTRIES.filter((e) => e.platform === 'algolia');
const entry = (name: string) => ALGOLIA.find((e) => e.name === name)!;

const servers: DealerAlgolia[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const deps: ScrapeDeps = {
  timeoutMs: 2000,
  attempts: 3,
  backoffMs: 10,
  limiter: new HostRateLimiter(0),
  browser: new BrowserLauncher(() => Promise.reject(new Error('no browser for Algolia'))),
  isOwnStore: (job, store) => [job.name, ...job.aliases].some((n) => nameKey(n) === nameKey(store)),
};

/** The registry entry as shipped, with only its site URL and API host pointed at the fixture. */
function jobFor(e: RegistryEntry, url: string | null, apiHost: string): ScrapeJob {
  return {
    name: e.name,
    slug: nameKey(e.name),
    aliases: e.aliases,
    platform: e.platform,
    siteUrl: url,
    apiHost,
    scraper: e.scraper,
  };
}

async function scrape(name: string, o: ProfileOptions & { rotatedKey?: boolean; failFirst?: boolean } = {}) {
  const api = await startDealerAlgolia(name, o);
  servers.push(api);
  const out = await scrapeJob(
    jobFor(entry(name), api.url, api.url),
    deps,
    new AbortController().signal,
    () => {},
  );
  return { api, out };
}

const isOff = (status: string | undefined) => normalizeLotStatus(status) === 'off_lot';

function expectTruth(api: DealerAlgolia, out: JobOutput) {
  const { truth } = api;
  const got = out.vehicles.map((v) => v.vin);
  expect(new Set(got).size).toBe(got.length);
  expect([...got].sort()).toEqual([...truth.own].sort());
  expect(out.counts.sisterStore).toBe(0);
  const off = out.vehicles.filter((v) => isOff(v.status)).map((v) => v.vin);
  expect(off.sort()).toEqual([...truth.offLot].sort());
  expect(out.counts.offLot).toBe(truth.offLot.length);
  const unpriced = out.vehicles.filter((v) => !v.price).map((v) => v.vin);
  expect(unpriced.sort()).toEqual([...truth.noPrice].sort());
  expect(out.counts.noPrice).toBe(truth.noPrice.length);
  expect(out.counts.rejected).toBe(truth.rejected);
}

describe('the 14 Algolia registry entries', () => {
  it('are all there, each with app id, key and at least one index query', () => {
    expect(ALGOLIA.map((e) => e.name).sort()).toEqual(Object.keys(DEALERS).sort());
    for (const e of ALGOLIA) {
      expect(e.scraper, e.name).toMatchObject({ app_id: expect.any(String), api_key: expect.any(String) });
      expect((e.scraper.queries as unknown[]).length, e.name).toBeGreaterThan(0);
      expect(e.scraper.source, e.name).toMatch(/SCRAPE-FACTS/);
      // `dealers show` prints every parameter: output stays ASCII.
      expect(JSON.stringify(e), e.name).toMatch(/^[\x20-\x7e]*$/);
    }
  });

  it('can all be scraped as shipped (what doctor checks), 13 of them without a site URL', async () => {
    for (const e of ALGOLIA) {
      expect(await jobProblems(jobFor(e, e.site_url, e.api_host ?? '')), e.name).toEqual([]);
    }
    expect(ALGOLIA.filter((e) => !e.site_url)).toHaveLength(13);
  });

  it.each(ALGOLIA.map((e) => e.name))(
    '%s: own cars only, in-transit off the lot, prices as shown',
    async (name) => {
      const { api, out } = await scrape(name, { failFirst: true });
      expectTruth(api, out);
      expect(out.retries).toBe(1);
      // Group indexes: the other stores' cars were never fetched; the probe sees their values.
      if (api.truth.sister > 0) {
        expect(Object.keys(out.seen.stores).length).toBeGreaterThan(1);
      }
      // Every query carried the entry's credentials and hitsPerPage; no page past Algolia's limit.
      for (const q of api.stats.queries) {
        const n = Number(q.params.hitsPerPage);
        expect(n * Number(q.params.page ?? 0)).toBeLessThan(1000);
      }
    },
  );

  it('a group index: only facet values of our own store are sent, the HTML one verbatim', async () => {
    const { api } = await scrape('BMW of West St. Louis');
    const sent = api.stats.queries
      .filter((q) => Number(q.params.hitsPerPage) > 0)
      .map((q) => JSON.parse(q.params.facetFilters!) as (string | string[])[]);
    const bmw = (entry('BMW of West St. Louis').scraper.store_filter as { value: string }).value;
    expect(bmw).toContain('<br><a href=');
    expect(sent.length).toBeGreaterThan(0);
    for (const f of sent) expect(f).toContainEqual([`Location:${bmw}`]);
  });

  it('a prefix sister store ("Suntrup Hyundai" beside "Suntrup Hyundai South") is not taken', async () => {
    const { api, out } = await scrape('Suntrup Hyundai South');
    expect(api.truth.sister).toBe(14);
    expect(out.vehicles).toHaveLength(api.truth.own.length);
    expect(out.seen.stores['Suntrup Hyundai']).toBe(14);
  });

  it('a bad hit is rejected with its reason; an odd one is kept with what it has', async () => {
    const { api, out } = await scrape('CDJR of Columbia', { bad: true });
    expectTruth(api, out);
    expect(out.rejects.map((r) => r.reason)).toEqual(['hit has no objectID or vin']);
  });

  it('keys the listing page embeds win over the recorded (stale) ones', async () => {
    const { api, out } = await scrape('Spirit Lexus', { rotatedKey: true });
    expectTruth(api, out);
    expect(api.stats.pages).toBe(1);
  });

  it('without a site URL the recorded keys reach the data', async () => {
    const api = await startDealerAlgolia('Pundmann Ford');
    servers.push(api);
    const out = await scrapeJob(
      jobFor(entry('Pundmann Ford'), null, api.url),
      deps,
      new AbortController().signal,
      () => {},
    );
    expectTruth(api, out);
    expect(api.stats.pages).toBe(0);
  });

  it('a store filter value the index does not have fails the dealership, listing the values', async () => {
    const api = await startDealerAlgolia('Joe Machens Hyundai');
    servers.push(api);
    const e = entry('Joe Machens Hyundai');
    const job = jobFor(
      {
        ...e,
        scraper: {
          ...e.scraper,
          store_filter: { field: 'Location', param: 'Location', value: 'Joe Machens Kia Hyundai' },
        },
      },
      api.url,
      api.url,
    );
    await expect(scrapeJob(job, deps, new AbortController().signal, () => {})).rejects.toThrow(
      /no value matches the store filter .*"Joe Machens Hyundai", "Joe Machens Kia"/,
    );
  });
});

describe('probe', () => {
  it('stops after the first pages and shows the store values of a group index with their counts', async () => {
    const api = await startDealerAlgolia('CDJR of Columbia');
    servers.push(api);
    const out = await scrapeJob(
      jobFor(entry('CDJR of Columbia'), api.url, api.url),
      { ...deps, probePages: 2 },
      new AbortController().signal,
      () => {},
    );
    expect(out.probed).toBe(true);
    expect(out.vehicles.length).toBeGreaterThan(0);
    expect(out.vehicles.length).toBeLessThan(api.truth.own.length);
    expect(out.seen.stores).toMatchObject({ 'Joe Machens Ford': 500, 'Joe Machens Toyota': 391 });
    expect(out.seen.stores['Joe Machens CDJR']).toBeGreaterThan(0);
  });
});

describe("Algolia's 1,000-hit pagination limit", () => {
  it('more than 1,000 cars of one type are all reached by splitting (type, then year)', async () => {
    const { api, out } = await scrape('Weber Chevrolet', { big: 1250 });
    expect(api.truth.own.length).toBeGreaterThan(1250);
    expectTruth(api, out);
    const splits = api.stats.queries.map((q) => q.params.facetFilters!);
    expect(splits.some((f) => f.includes('"year:2025"'))).toBe(true);
    // No request asked for a page paging cannot reach.
    for (const q of api.stats.queries) {
      expect((Number(q.params.page ?? 0) + 1) * Number(q.params.hitsPerPage)).toBeLessThanOrEqual(1000);
    }
  });

  it('a capped query no facet can split fails the dealership with that reason', async () => {
    const api = await startDealerAlgolia('Weber Chevrolet', { big: 1100, uniform: true });
    servers.push(api);
    await expect(
      scrapeJob(
        jobFor(entry('Weber Chevrolet'), api.url, api.url),
        deps,
        new AbortController().signal,
        () => {},
      ),
    ).rejects.toMatchObject({
      code: 'capped_query',
      message: expect.stringMatching(/matches 1100 cars but paging reaches only 1000/),
    });
  });
});

describe.each(DATABASE_KINDS)('scrape of Algolia dealerships into %s', (kind) => {
  const NAMES = ['BMW of West St. Louis', 'CDJR of Columbia', "Serra Honda O'Fallon", 'Weber Chevrolet'];
  let t: TestEnv;
  let ctx: AppContext;
  const apis: Record<string, DealerAlgolia> = {};

  beforeAll(async () => {
    t = await createTestEnv(kind);
    for (const name of NAMES) {
      apis[name] = await startDealerAlgolia(name, name === 'Weber Chevrolet' ? { big: 1100, bad: true } : {});
      servers.push(apis[name]);
    }
    const config = resolveConfig({
      env: { ...t.env, SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '3000', SILVERFOX_SCRAPE_HOST_RPS: '0' },
      cwd: t.dir,
    });
    ctx = await openContext(config);
    // The shipped entries, repointed by URL and API host only (what `dealers set` does).
    for (const name of NAMES) await setDealer(ctx, name, { url: apis[name]!.url, apiHost: apis[name]!.url });
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('imports every own car, with off-lot and unpriced cars as the site shows them', async () => {
    const r = await runScrape(ctx, { dealers: NAMES });
    expect(r.dealerships.filter((d) => d.status === 'failed').map((d) => d.error?.message)).toEqual([]);
    for (const name of NAMES) {
      const { truth } = apis[name]!;
      const sum = r.dealerships.find((x) => x.name === name)!;
      expect(sum.counts, name).toMatchObject({
        kept: truth.own.length,
        sisterStore: 0,
        offLot: truth.offLot.length,
        noPrice: truth.noPrice.length,
        rejected: truth.rejected,
      });
      const d = await resolveDealership(ctx, name);
      const rows = await selectActiveVehicles(ctx.db, d.id);
      expect(rows.map((v) => v.vin).sort(), name).toEqual([...truth.own].sort());
      const off = rows.filter((v) => v.lotStatus === 'off_lot').map((v) => v.vin);
      expect(off.sort(), name).toEqual([...truth.offLot].sort());
      const unpriced = rows.filter((v) => v.price === null).map((v) => v.vin);
      expect(unpriced.sort(), name).toEqual([...truth.noPrice].sort());
    }
  });
});
