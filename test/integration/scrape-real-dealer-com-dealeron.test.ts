/**
 * Issue 13, dealer.com (GET and POST) and DealerOn (JSON and HTML): every one of the 18 real
 * registry entries (scrapers/*.json, unchanged but for the site URL and api host) scrapes its
 * real-shaped fixture site (test/fixtures/real/, built from SCRAPE-FACTS.md) with 100% of the
 * dealership's own cars, no sister-store car, every in-transit car off the lot (as the import
 * reads the status written), and every price the site shows; odd rows are kept or rejected with a
 * reason, never failing the dealership. Then two dealerships through `runScrape` + import on both
 * databases, repointed with `dealers set --url --api-host` (app level).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext, type AppContext } from '../../src/app/context.js';
import { setDealer } from '../../src/app/dealers.js';
import { runScrape } from '../../src/app/scrape.js';
import { resolveConfig } from '../../src/config.js';
import { nameKey, registryEntrySchema, slugify } from '../../src/core/dealership.js';
import { normalizeLotStatus, parsePrice } from '../../src/core/normalize.js';
import { BrowserLauncher } from '../../src/scrape/browser.js';
import { HostRateLimiter } from '../../src/scrape/http.js';
import { scrapeJob, type JobOutput, type ScrapeDeps, type ScrapeJob } from '../../src/scrape/runner.js';
import { makeCars } from '../fixtures/real/cars.mjs';
import {
  ddcRow,
  postItem,
  startDealerComPostSite,
  startDealerComSite,
} from '../fixtures/real/dealer-com.mjs';
import {
  dealerOnCard,
  porscheAttrs,
  startDealerOnHtmlSite,
  startDealerOnSite,
} from '../fixtures/real/dealeron.mjs';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';

type Car = ReturnType<typeof makeCars>[number];
interface Truth {
  own: Map<string, { price: number | null; offLot: boolean }>;
  sisters: Set<string>;
}
interface Served {
  url: string;
  close(): Promise<void>;
}

const closers: Served[] = [];
afterAll(async () => {
  await Promise.all(closers.map((s) => s.close()));
});
async function site<T extends Served>(p: Promise<T>): Promise<T> {
  const s = await p;
  closers.push(s);
  return s;
}

function entry(slug: string) {
  return registryEntrySchema.parse(
    JSON.parse(readFileSync(path.join(ROOT, 'scrapers', `${slug}.json`), 'utf8')),
  );
}

const deps: ScrapeDeps = {
  timeoutMs: 5000,
  attempts: 2,
  backoffMs: 20,
  limiter: new HostRateLimiter(0),
  browser: new BrowserLauncher(() => Promise.reject(new Error('no browser in this test'))),
  isOwnStore: (job, store) => [job.name, ...job.aliases].some((n) => nameKey(n) === nameKey(store)),
};

async function scrapeEntry(slug: string, siteUrl: string, apiHost: string | null = null): Promise<JobOutput> {
  const e = entry(slug);
  const job: ScrapeJob = {
    name: e.name,
    slug: slugify(e.name),
    aliases: e.aliases,
    platform: e.platform,
    siteUrl,
    apiHost,
    scraper: e.scraper,
  };
  return scrapeJob(job, deps, new AbortController().signal, () => {});
}

/** 100% own, 0 sister, in-transit off the lot as the import reads it, every shown price. */
function expectTruth(out: JobOutput, truth: Truth) {
  const kept = out.vehicles.map((v) => v.vin);
  expect([...kept].sort()).toEqual([...truth.own.keys()].sort());
  expect(kept.filter((v) => truth.sisters.has(v))).toEqual([]);
  const wrongLot: string[] = [];
  const wrongPrice: string[] = [];
  for (const v of out.vehicles) {
    const t = truth.own.get(v.vin)!;
    if ((normalizeLotStatus(v.status) === 'off_lot') !== t.offLot) wrongLot.push(`${v.vin} "${v.status}"`);
    if (parsePrice(v.price) !== t.price) wrongPrice.push(`${v.vin} "${v.price}" != ${t.price}`);
  }
  expect(wrongLot).toEqual([]);
  expect(wrongPrice).toEqual([]);
  const c = out.counts;
  expect(c.served).toBe(c.kept + c.duplicates + c.sisterStore + c.excluded + c.rejected);
  expect(c.kept).toBe(truth.own.size);
  expect(c.offLot).toBe([...truth.own.values()].filter((t) => t.offLot).length);
  expect(c.noPrice).toBe([...truth.own.values()].filter((t) => t.price === null).length);
  // Both kinds of car are in every fixture, so each check above can fail.
  expect(c.offLot).toBeGreaterThan(0);
  expect(c.noPrice).toBeGreaterThan(0);
}

function truthOf(
  own: Car[],
  sisters: Car[],
  judge: (c: Car) => { price: number | null; offLot: boolean },
): Truth {
  return {
    own: new Map(own.map((c) => [c.vin, judge(c)])),
    sisters: new Set(sisters.map((c) => c.vin)),
  };
}

/** Own cars with the store name as the site writes it (suffixes, case, spacing vary). */
function ownCars(spellings: string[], count: number, seed = 0): Car[] {
  return makeCars(spellings[0]!, count, seed).map((c) => ({
    ...c,
    store: spellings[c.i % spellings.length]!,
  }));
}

describe('dealer.com GET entries against their real-shaped sites', () => {
  const groups: [slug: string, own: string[], sisters: string[]][] = [
    [
      'audi_rancho_mirage',
      ['Audi Rancho Mirage', 'Audi Rancho Mirage - Sales'],
      ['Jaguar Rancho Mirage', 'Land Rover Rancho Mirage'],
    ],
    ['bmw_of_columbia', ['BMW of Columbia', 'BMW OF COLUMBIA  Inc.'], ['MINI of Columbia']],
    [
      'rusty_drewing_cadillac',
      ['Rusty Drewing Cadillac', 'Rusty Drewing Cadillac<br>Jefferson City'],
      ['Rusty Drewing Chevrolet Buick GMC'],
    ],
  ];
  it.each(groups)(
    '%s: own store only on its group site (store name with suffixes)',
    async (slug, own, sisters) => {
      const mine = ownCars(own, 47);
      const others = sisters.flatMap((s, i) => makeCars(s, 15, i + 1));
      const s = await site(startDealerComSite({ cars: [...mine, ...others] }));
      const out = await scrapeEntry(slug, s.url);
      expectTruth(
        out,
        truthOf(mine, others, (c) => ddcRow(c)),
      );
      expect(out.counts.sisterStore).toBe(others.length);
      expect(out.counts.rejected).toBe(2); // the promo tile of each feed
      expect(out.rejects[0]!.reason).toBe('no VIN');
    },
  );

  it('MINI of St. Louis: single store, in_transit_at_factory ("Being Built") off the lot', async () => {
    const mine = makeCars('MINI of St. Louis', 40);
    const s = await site(startDealerComSite({ cars: mine }));
    const out = await scrapeEntry('mini_of_st_louis', s.url);
    expectTruth(
      out,
      truthOf(mine, [], (c) => ddcRow(c)),
    );
  });

  it('Glendale CDJR: step 16, used then new, top-level prices with PLEASE_CALL', async () => {
    const mine = makeCars('Glendale Chrysler Jeep', 53);
    const s = await site(startDealerComSite({ cars: mine, step: 16, stellantis: true }));
    const out = await scrapeEntry('glendale_cdjr', s.url);
    expectTruth(
      out,
      truthOf(mine, [], (c) => ddcRow(c, { stellantis: true })),
    );
    const starts = (s as unknown as { stats: { paths: string[] } }).stats.paths.map((p) =>
      /AUTO_(NEW|USED).*start=(\d+)/.exec(p)!.slice(1).join(':'),
    );
    expect(starts[0]).toBe('USED:0');
    expect(starts).toContain('USED:16');
  });

  it('Rusty Drewing Chevy BGMC: new from its site, used from the Cadillac site (second site at --api-host)', async () => {
    const mine = ownCars(
      ['Rusty Drewing Chevrolet Buick GMC', 'Rusty Drewing Chevrolet Buick GMC - Used'],
      50,
    );
    const cad = makeCars('Rusty Drewing Cadillac', 30, 3);
    const chevySite = await site(
      startDealerComSite({ cars: [...mine.filter((c) => c.type === 'new'), ...cad.slice(0, 4)] }),
    );
    const cadSite = await site(
      startDealerComSite({
        cars: [...mine, ...cad],
        accounts: {
          // The Cadillac site's used feed for the Chevy account still lists a few Cadillac cars.
          rustydrewingchevroletbjeffersoncity: (c: Car) =>
            c.store.startsWith('Rusty Drewing Chevrolet') || c.i < 3,
        },
      }),
    );
    const out = await scrapeEntry('rusty_drewing_chevy_bgmc', chevySite.url, cadSite.url);
    expectTruth(
      out,
      truthOf(mine, cad, (c) => ddcRow(c)),
    );
    expect(out.counts.sisterStore).toBeGreaterThan(0);
    // URLs are built on the Chevy site, also for the used rows read from the Cadillac site.
    expect(out.vehicles.every((v) => v.url!.startsWith(chevySite.url))).toBe(true);
  });
});

describe('dealer.com POST (Auffenberg Hyundai)', () => {
  it('recorded siteId, 18 per page, items without trackingPricing.msrp or prices kept', async () => {
    const mine = makeCars('Auffenberg Hyundai', 58);
    const s = await site(startDealerComPostSite({ cars: mine }));
    const out = await scrapeEntry('auffenberg_hyundai', s.url);
    expectTruth(
      out,
      truthOf(mine, [], (c) => postItem(c)),
    );
    expect(out.counts.rejected).toBe(1);
    // Trim from title[1] after the model when the item has none.
    const noTrim = mine.find((c) => c.i % 3 === 0)!;
    expect(out.vehicles.find((v) => v.vin === noTrim.vin)!.trim).toBe(noTrim.trim);
  });
});

describe('DealerOn JSON entries against their real-shaped sites', () => {
  type Case = {
    slug: string;
    status: 'flags' | 'text';
    param?: 'Dealership' | 'Location';
    ownValue?: string;
    labels?: boolean;
    newOnly?: boolean;
  };
  const cases: Case[] = [
    { slug: 'bommarito_cadillac', status: 'flags' },
    { slug: 'bommarito_west_county', status: 'text', labels: true },
    {
      slug: 'columbia_honda',
      status: 'flags',
      param: 'Dealership',
      ownValue: 'Columbia Honda',
      newOnly: true,
    },
    { slug: 'dave_sinclair_lincoln_south', status: 'text', param: 'Location', ownValue: 'Ballwin, MO' },
    {
      slug: 'dave_sinclair_lincoln_st_peters',
      status: 'flags',
      param: 'Dealership',
      ownValue: 'Dave Sinclair Lincoln St. Peters',
    },
    { slug: 'indigo_auto_group', status: 'flags', param: 'Location', ownValue: 'Rancho Mirage, CA' },
    { slug: 'suntrup_buick_gmc', status: 'text', param: 'Dealership', ownValue: 'Suntrup Buick GMC' },
    { slug: 'suntrup_ford_kirkwood', status: 'text', param: 'Dealership', ownValue: 'Suntrup Ford Kirkwood' },
    { slug: 'suntrup_ford_west', status: 'text', param: 'Dealership', ownValue: 'Suntrup Ford Westport' },
    { slug: 'thoroughbred_ford', status: 'text', param: 'Dealership', ownValue: 'Thoroughbred Ford' },
  ];
  it.each(cases)('$slug', async (k) => {
    const e = entry(k.slug);
    const mine = makeCars(e.name, 61);
    const others = makeCars('Sister Store', 26, 9);
    const labels = k.labels
      ? Object.fromEntries([
          [e.name, 'BOMMARITO  West County'],
          ['Sister Store', 'Bommarito Ellisville'],
        ])
      : undefined;
    const s = await site(
      startDealerOnSite({
        cars: [...mine, ...others],
        status: k.status,
        labels,
        store: k.param
          ? { param: k.param, values: { [e.name]: k.ownValue!, 'Sister Store': 'Elsewhere' } }
          : undefined,
      }),
    );
    const own = k.param || k.labels ? mine : [...mine, ...others];
    const expected = k.newOnly ? own.filter((c) => c.type === 'new') : own;
    const out = await scrapeEntry(k.slug, s.url);
    expectTruth(
      out,
      truthOf(expected, k.param || k.labels ? others : [], (c) => dealerOnCard(c, { status: k.status })),
    );
    if (k.labels) expect(out.counts.sisterStore).toBe(others.length);
    if (k.status === 'text') {
      // Cards without VehicleStatusModel are kept, with an unknown status.
      expect(out.counts.unknownStatus).toBeGreaterThan(0);
    }
  });
});

describe('probe', () => {
  it('stops after the first page that lists vehicles (the tagging page does not count)', async () => {
    const e = entry('thoroughbred_ford');
    const mine = makeCars(e.name, 40);
    const s = await site(
      startDealerOnSite({
        cars: mine,
        status: 'text',
        store: { param: 'Dealership', values: { [e.name]: 'Thoroughbred Ford' } },
      }),
    );
    const job: ScrapeJob = {
      name: e.name,
      slug: slugify(e.name),
      aliases: e.aliases,
      platform: e.platform,
      siteUrl: s.url,
      scraper: e.scraper,
    };
    const out = await scrapeJob(job, { ...deps, probePages: 1 }, new AbortController().signal, () => {});
    expect(out.probed).toBe(true);
    expect(out.counts.kept).toBe(12);
    expect(Object.keys(out.seen.statuses).sort()).toEqual(['In Stock', 'In Transit']);
    expect(out.seen.priceFields).toHaveProperty('VehicleMsrp');
  });
});

describe('DealerOn HTML (Porsche St. Louis)', () => {
  it('new then used listings, 12 per page, vdp--mod attributes, a sold car gone', async () => {
    const mine = makeCars('Porsche St. Louis', 41);
    const sold = mine[6]!;
    const s = await site(startDealerOnHtmlSite({ cars: mine, sold: [sold.vin] }));
    const out = await scrapeEntry('porsche_st_louis', s.url);
    expectTruth(
      out,
      truthOf(
        mine.filter((c) => c !== sold),
        [],
        (c) => porscheAttrs(c),
      ),
    );
    expect(out.counts.gone).toBe(1);
    expect(out.vehicles.some((v) => v.condition === 'Certified Pre-Owned')).toBe(true);
  });
});

describe.each(DATABASE_KINDS)('scrape + import of real-shaped sites on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'silverfox-i13a-'));
    const registry = path.join(tmp, 'registry');
    for (const slug of ['glendale_cdjr', 'rusty_drewing_chevy_bgmc']) {
      cpSync(path.join(ROOT, 'scrapers', `${slug}.json`), path.join(registry, `${slug}.json`));
    }
    t = await createTestEnv(kind, { registryDir: registry });
    ctx = await openContext(resolveConfig({ env: { ...t.env, SILVERFOX_SCRAPE_HOST_RPS: '0' }, cwd: t.dir }));
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('in-transit and being-built cars are stored off the lot; prices as shown; counts in the result', async () => {
    const glendale = makeCars('Glendale CDJR', 35);
    const chevy = makeCars('Rusty Drewing Chevrolet Buick GMC', 30, 2);
    const cad = makeCars('Rusty Drewing Cadillac', 10, 4);
    const g = await site(startDealerComSite({ cars: glendale, step: 16, stellantis: true }));
    const ch = await site(startDealerComSite({ cars: [...chevy, ...cad] }));
    const cs = await site(
      startDealerComSite({
        cars: [...chevy, ...cad],
        accounts: { rustydrewingchevroletbjeffersoncity: () => true },
      }),
    );
    await setDealer(ctx, 'Glendale CDJR', { url: g.url });
    await setDealer(ctx, 'Rusty Drewing Chevy BGMC', { url: ch.url, apiHost: cs.url });
    const r = await runScrape(ctx, { all: true, concurrency: 2 });
    expect(r.dealerships.map((d) => [d.name, d.status, d.error?.message ?? ''])).toEqual([
      ['Glendale CDJR', 'done', ''],
      ['Rusty Drewing Chevy BGMC', 'done', ''],
    ]);
    const rd = r.dealerships.find((d) => d.name === 'Rusty Drewing Chevy BGMC')!;
    expect(rd.counts).toMatchObject({ kept: chevy.length, sisterStore: cad.length, rejected: 2 });
    expect(rd.rejectsFile).not.toBeNull();
    expect(readFileSync(rd.rejectsFile!, 'utf8')).toContain('no VIN');
    const rows = await ctx.db.query<{ vin: string; lot_status: string; price: string | null; name: string }>(
      `SELECT v.vin, v.lot_status, v.price::text AS price, d.name FROM vehicles v
         JOIN snapshots s ON s.id = v.snapshot_id AND s.status = 'active'
         JOIN dealerships d ON d.id = s.dealership_id`,
    );
    const byVin = new Map(rows.rows.map((x) => [x.vin, x]));
    for (const [cars, stellantis] of [
      [glendale, true],
      [chevy, false],
    ] as const) {
      for (const c of cars) {
        const want = ddcRow(c, { stellantis });
        const got = byVin.get(c.vin);
        expect(got, c.vin).toBeDefined();
        expect(got!.lot_status, c.vin).toBe(want.offLot ? 'off_lot' : 'on_lot');
        expect(got!.price === null ? null : Number(got!.price), c.vin).toBe(want.price);
      }
    }
    expect(rows.rows.filter((x) => cad.some((c) => c.vin === x.vin))).toEqual([]);
  });
});
