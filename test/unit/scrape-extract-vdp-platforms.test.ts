// The pure extractors of Team Velocity, dealer eProcess, Toyota SmartPath and Dealr, fed with pages
// of the real-shaped fixture sites (test/fixtures/real, built from SCRAPE-FACTS.md), no I/O.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeLotStatus } from '../../src/core/normalize.js';
import { commonParamsSchema } from '../../src/core/scrape-rules.js';
import {
  dealrDetailUrl,
  dealrVehicle,
  extractDealrDetail,
  extractDealrSubset,
} from '../../src/scrape/adapters/dealr.js';
import {
  eprocessVehicle,
  extractEprocessSearch,
  extractEprocessVdp,
} from '../../src/scrape/adapters/dealer-eprocess.js';
import {
  conditionOfVdpUrl,
  extractAccountId,
  extractBadges,
  extractSitemapLocs,
  extractTeamVelocityVdp,
  paymentOf,
  teamVelocityVehicle,
  type TvRow,
} from '../../src/scrape/adapters/team-velocity.js';
import {
  cookieForApi,
  extractSmartPathPage,
  extractSmartPathTrim,
  smartPathVehicle,
} from '../../src/scrape/adapters/toyota-smartpath.js';
import { VehicleCollector, type RawVehicle } from '../../src/scrape/types.js';
import { dealrDetailHtml, dealrInventory, dealrRoutes, DEALR_BLOCK_KEY } from '../fixtures/real/dealr.mjs';
import {
  EPROCESS,
  eprocessInventory,
  eprocessRoutes,
  eprocessVdpHtml,
  withNastyCases as eprocessNasty,
} from '../fixtures/real/dealer-eprocess.mjs';
import type { RouteResult } from '../fixtures/real/serve-site.mjs';
import {
  paymentSettingDetails,
  SOLD_TEXT,
  teamVelocityInventory,
  teamVelocityRoutes,
  vdpHtml,
  vdpPath,
  withNastyCases,
} from '../fixtures/real/team-velocity.mjs';
import { SMARTPATH, smartPathInventory, smartPathRoutes } from '../fixtures/real/toyota-smartpath.mjs';

const SITE = 'https://www.example-dealer.com';
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A collector with the shipped entry's shared parameters (status, price, store filter). */
function collectorFor(slug: string): VehicleCollector {
  const entry = JSON.parse(readFileSync(path.join(ROOT, 'scrapers', `${slug}.json`), 'utf8')) as {
    scraper: Record<string, unknown>;
  };
  const common = Object.fromEntries(
    Object.entries(entry.scraper).filter(([k]) => k in commonParamsSchema.shape),
  );
  return new VehicleCollector(commonParamsSchema.parse(common));
}

/** Calls a fixture route as the server would. */
async function get(
  route: (url: URL, req: IncomingMessage, ctx: { site: string }) => unknown,
  path: string,
  headers: Record<string, string> = {},
): Promise<RouteResult> {
  const out = (await route(new URL(path, SITE), { headers } as IncomingMessage, { site: SITE })) as
    RouteResult | undefined;
  if (!out) throw new Error(`fixture 404 for ${path}`);
  return out;
}

describe('team-velocity', () => {
  const cars = withNastyCases(teamVelocityInventory('HW Kia', 14));
  const route = teamVelocityRoutes('HW Kia', cars);

  it('walks the sitemap index to the inventory sitemaps and their VDPs', async () => {
    const index = extractSitemapLocs(String((await get(route, '/sitemap.xml')).body));
    const inventory = index.filter((l) => l.includes('inventoryvdpsitemap'));
    expect(inventory).toEqual([
      `${SITE}/inventoryvdpsitemap.xml?type=new`,
      `${SITE}/inventoryvdpsitemap.xml?type=used`,
    ]);
    const vdps = extractSitemapLocs(String((await get(route, '/inventoryvdpsitemap.xml?type=used')).body));
    expect(vdps.length).toBeGreaterThan(0);
    expect(vdps.every((u) => u.startsWith(`${SITE}/viewdetails/`))).toBe(true);
  });

  const rowOf = (html: string, url = SITE): TvRow => {
    const d = extractTeamVelocityVdp(html, url);
    if (d.kind !== 'vehicle') throw new Error(d.kind);
    return d.row;
  };

  it('reads a VDP: JSON-LD fields, stock, trim with &#x2B;, type from the URL', () => {
    const v = { ...cars[0]!, trim: 'GT-Line&#x2B;', model: 'EV9' };
    const url = `${SITE}${vdpPath(v)}`;
    const row = rowOf(vdpHtml(v), url);
    expect(row).toMatchObject({
      vin: v.vin,
      availability: 'InStock',
      badges: { InTransit: false, InProduction: false, InStock: true },
      location: '',
    });
    expect(
      teamVelocityVehicle({ ...row, payment: paymentOf(JSON.stringify(paymentSettingDetails(v))) }),
    ).toEqual({
      vin: v.vin,
      stock: v.stock,
      year: String(v.year),
      make: 'Kia',
      model: 'EV9',
      trim: 'GT-Line+',
      condition: 'New',
      status: 'In-Stock',
      price: String(v.price),
      msrp: String(v.msrp),
      url,
    });
    expect(conditionOfVdpUrl('https://x/viewdetails/cpo/abc/2020-kia')).toBe('Certified Pre-Owned');
    expect(conditionOfVdpUrl('https://x/viewdetails/used/abc/2020-kia')).toBe('Used');
  });

  it('reads the stock from each recorded markup, and a brand object', () => {
    for (const style of ['div', 'p', 'span', 'span.stock']) {
      const row = rowOf(vdpHtml(cars[0]!, { styleIndex: 4, stockStyles: [style] }));
      expect(row.stock, style).toBe(cars[0]!.stock);
      expect(row.make).toBe('Kia');
    }
  });

  it("with the entries' status rule: a transit badge wins over JSON-LD InStock; production; a label; an unseen value", () => {
    const lot = (v: (typeof cars)[number]) => {
      const out = collectorFor('hw_kia');
      out.take({ ...rowOf(vdpHtml(v)), payment: {} }, teamVelocityVehicle);
      return { lot: normalizeLotStatus(out.vehicles[0]!.status), unseen: out.counts.unseenStatuses };
    };
    expect(lot(cars[0]!).lot).toBe('on_lot');
    expect(lot(cars[1]!).lot).toBe('off_lot');
    expect(lot(cars[2]!).lot).toBe('off_lot');
    expect(lot(cars[10]!).lot).toBe('off_lot');
    expect(lot(cars[8]!).lot).toBe('on_lot');
    expect(lot(cars[7]!)).toEqual({ lot: 'on_lot', unseen: { Reserved: 1 } });
    expect(extractBadges('<script>var x = 1;</script>')).toBeUndefined();
    expect(extractBadges("<script>var vehicleBadgesInfo = '{broken'; var y;</script>")).toBeUndefined();
  });

  it('a sold page is sold; a page without (valid) vehicle JSON is rejected with a reason', () => {
    expect(extractTeamVelocityVdp(`<html><body><p>${SOLD_TEXT}</p></body></html>`, SITE)).toEqual({
      kind: 'sold',
    });
    expect(extractTeamVelocityVdp('<html><body>Oops</body></html>', SITE)).toMatchObject({
      kind: 'reject',
      reason: expect.stringMatching(/vehicleIdentificationNumber/),
    });
    expect(
      extractTeamVelocityVdp(
        '<script type="application/ld+json">{"vehicleIdentificationNumber": "1HG</script>',
        SITE,
      ),
    ).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/not valid JSON/) });
  });

  it('reads the store a VDP names; the KIA of Columbia entry keeps its own and counts a sister', () => {
    const own = teamVelocityInventory('KIA of Columbia', 2);
    const other = teamVelocityInventory('KIA of Columbia', 1, { store: 'Joe Machens Kia' });
    const rows = [
      rowOf(vdpHtml(own[0]!, { location: 'x', styleIndex: 0 })),
      rowOf(vdpHtml(own[1]!, { location: 'x', styleIndex: 1 })),
      rowOf(vdpHtml(other[0]!, { location: 'x', styleIndex: 0 })),
    ];
    expect(rows.map((r) => r.location)).toEqual(['kia of columbia', 'kia of columbia', 'joe machens kia']);
    const out = collectorFor('kia_of_columbia');
    for (const r of rows) out.take({ ...r, payment: {} }, teamVelocityVehicle);
    expect(out.vehicles.map((v) => v.vin)).toEqual([own[0]!.vin, own[1]!.vin]);
    expect(out.counts.sisterStore).toBe(1);
  });

  it("prices by the entries' rule: yourPrice, else cashMSRP; 'Please Call', 0, no price object", () => {
    const price = (i: number) => {
      const out = collectorFor('volvo_cars_west_county');
      const payment = paymentOf(JSON.stringify(paymentSettingDetails(cars[i]!)));
      out.take({ ...rowOf(vdpHtml(cars[i]!)), payment }, teamVelocityVehicle);
      return out.vehicles[0]!.price;
    };
    expect(price(0)).toBe(String(cars[0]!.price));
    expect(price(3)).toBe('');
    expect(price(4)).toBe(String(cars[4]!.msrp));
    expect(price(5)).toBe(String(cars[5]!.msrp));
    expect(paymentOf('<html>error</html>')).toEqual({});
    expect(paymentOf('null')).toEqual({});
    expect(extractAccountId(`<script>var accountId = '44482';</script>`)).toBe('44482');
    expect(extractAccountId('<html></html>')).toBeUndefined();
  });
});

describe('dealr', () => {
  const cars = dealrInventory({ car: 8, suv: 4, truck: 30 });
  const route = dealrRoutes(cars);
  const subset = (body: string, page = '') =>
    get(
      route,
      `/functions/getInventorySubset?body_type=${body}&blockKey=${encodeURIComponent(DEALR_BLOCK_KEY)}${page}`,
    );

  it('reads the detail links and what filters claims', async () => {
    const s = extractDealrSubset((await subset('Truck')).body);
    expect(s.links).toHaveLength(24);
    expect(s).toMatchObject({ matches: 30, pages: 2 });
    expect(dealrDetailUrl(SITE, s.links[0]!)).toBe(`${SITE}/${s.links[0]}`);
    expect(() => extractDealrSubset({ filters: {} })).toThrow(/at list/);
  });

  it('reads a detail page; no price object, "0" are no price; year decides New/Used', () => {
    const take = (i: number): RawVehicle | string => {
      const d = extractDealrDetail(dealrDetailHtml(cars[i]!), `${SITE}/x`);
      if ('reject' in d) return d.reject;
      const out = collectorFor('stehouwer_auto');
      out.take(d.row, (r) => dealrVehicle(r, 2024));
      return out.vehicles[0]!;
    };
    const v0 = cars[0]!;
    expect(take(0)).toEqual({
      vin: v0.vin,
      stock: v0.stock,
      year: String(v0.year),
      make: v0.make,
      model: v0.model,
      trim: v0.trim,
      condition: v0.year >= 2024 ? 'New' : 'Used',
      status: '',
      price: String(v0.price),
      msrp: '',
      url: `${SITE}/x`,
    });
    expect(take(1)).toMatchObject({ price: '' });
    expect(take(2)).toMatchObject({ price: '' });
    expect(take(4)).toMatch(/no vehicle JSON/);
  });
});

describe('dealer-eprocess', () => {
  const own = eprocessNasty(eprocessInventory({ in_stock: 14, in_transit: 2 }));
  const route = eprocessRoutes(own, { clientRendered: false });
  const search = (av: string, p: number) =>
    get(route, `/search/${EPROCESS.slug}/?av=${av}&cy=${EPROCESS.cy}&lc=${EPROCESS.lc}&p=${p}`);

  it('reads the VDP links and the page count of a search page', async () => {
    const p1 = extractEprocessSearch(String((await search('in_stock', 1)).body), SITE);
    expect(p1.links).toHaveLength(12);
    expect(p1.cards).toBe(12);
    expect(p1.pageCount).toBe(2);
    expect(p1.links[0]).toMatch(new RegExp(`^${SITE}/inventory/`));
    const empty = extractEprocessSearch(String((await search('allocated', 1)).body), SITE);
    expect(empty).toEqual({ links: [], cards: 0, pageCount: 1 });
    // A card whose title lost its link is still a card (the scrape rejects it with a reason).
    const linkless = extractEprocessSearch(
      '<div class="srp_results carbon"><div class="srp_results_vehicles_wrapper"><h2 class="vehicle_title">2026 Toyota Camry</h2></div></div>',
      SITE,
    );
    expect(linkless).toEqual({ links: [], cards: 1, pageCount: 1 });
  });

  it('reads the data layer of a VDP: first elements, certified, date; the entry keeps lc 8692 only', () => {
    const take = (v: (typeof own)[number], status = 'In-Stock') => {
      const d = extractEprocessVdp(eprocessVdpHtml(v), `${SITE}/v`, status);
      if ('reject' in d) return d.reject;
      const out = collectorFor('joe_machens_toyota');
      out.take(d.row, eprocessVehicle);
      return out.vehicles[0] ?? `sister ${out.counts.sisterStore}`;
    };
    const v = own[3]!;
    expect(take(v)).toEqual({
      vin: v.vin,
      stock: v.stock,
      year: String(v.year),
      make: 'Toyota',
      model: v.model,
      trim: v.trim,
      condition: 'Certified',
      status: 'In-Stock',
      price: String(v.price),
      msrp: '',
      date_in_stock: v.date,
      url: `${SITE}/v`,
    });
    expect(take(own[5]!)).toMatchObject({ date_in_stock: own[5]!.date.split(' ')[0] });
    expect(take(own[1]!)).toMatchObject({ price: '' });
    expect(take(own[2]!)).toMatchObject({ price: '' });
    expect(take(own[4]!)).toMatch(/shift_digital_session_id/);
    expect(take({ ...own[0]!, lc: '8693' })).toBe('sister 1');
    const transit = take(own[0]!, 'In-Transit');
    expect(typeof transit !== 'string' && normalizeLotStatus(transit.status)).toBe('off_lot');
    const allocated = take(own[0]!, 'Allocated');
    expect(typeof allocated !== 'string' && normalizeLotStatus(allocated.status)).toBe('off_lot');
  });
});

describe('toyota-smartpath', () => {
  const cars = smartPathInventory({ used: 15, new: 8, pooled: 1 });
  const route = smartPathRoutes(cars);
  const page = async (type: string, pageNo: number) =>
    (
      await get(
        route,
        `/consumerapi/retail/inventory?dealer[]=${SMARTPATH.dealerCd}&zipCode=${SMARTPATH.zip}&region=${SMARTPATH.region}&pageNo=${pageNo}&pageSize=15&leadid=${SMARTPATH.leadid}&includeInvPooling=true&brand=T&type=${type}`,
        { cookie: 'sp_session=24067-ok' },
      )
    ).body;

  /** Every row of a page through the shipped entry's rules (no lookup: URL and trim blank). */
  const takeAll = (rows: unknown[], condition: string) => {
    const out = collectorFor('twin_city_toyota');
    for (const r of rows) out.take(r, (row) => smartPathVehicle(row, condition));
    return out;
  };

  it('keeps rows missing totalMsrp, a price object or marketingName with what they have', async () => {
    const { totalPages, rows } = extractSmartPathPage(await page('used', 1));
    expect(totalPages).toBe(1);
    expect(rows).toHaveLength(15);
    const out = takeAll(rows, 'Used');
    const used = cars.filter((c) => c.type === 'used');
    expect(out.vehicles[0]).toEqual({
      vin: used[0]!.vin,
      stock: used[0]!.stock,
      year: String(used[0]!.year),
      make: 'Toyota',
      model: used[0]!.model,
      trim: '',
      condition: 'Used',
      status: 'G',
      price: String(used[0]!.price),
      msrp: String(used[0]!.msrp),
      date_in_stock: used[0]!.date,
      url: '',
    });
    expect(out.vehicles[1]!.msrp).toBe('');
    expect(out.vehicles[2]!.price).toBe(String(used[2]!.msrp));
    expect(out.vehicles[3]!.model).toBe(used[3]!.model);
    expect(out.vehicles[4]!.stock).toBe(used[4]!.stock);
    expect(out.counts.kept).toBe(15);
  });

  it('no model or price object at all still reads; pooled rows are sister store; F and A are off the lot', async () => {
    const { rows } = extractSmartPathPage(await page('new', 1));
    const out = takeAll(rows, 'New');
    expect(out.counts.sisterStore).toBe(1);
    expect(out.vehicles.some((v) => v.model === '')).toBe(true);
    expect(out.vehicles.some((v) => v.price === '' && v.msrp === '')).toBe(true);
    const off = out.vehicles.filter((v) => normalizeLotStatus(v.status) === 'off_lot');
    expect(off.map((v) => v.vin).sort()).toEqual(
      cars
        .filter((c) => c.type === 'new' && c.dealerCd === SMARTPATH.dealerCd && c.category !== 'G')
        .map((c) => c.vin)
        .sort(),
    );
    const bad = takeAll([{}, 7, { vin: '', dealerCd: '24067' }], 'New');
    expect(bad.counts.rejected).toBe(3);
    expect(bad.rejects.map((r) => r.reason)).toEqual(['no VIN', 'not a vehicle object', 'no VIN']);
    expect(() => extractSmartPathPage({ vehicleSummary: [] })).toThrow(/pagination/);
  });

  it('reads the trim of a car page and cuts _dd_s at &created=', () => {
    expect(extractSmartPathTrim('<div class="spec"><div>Trim</div><div> XLE Premium </div></div>')).toBe(
      'XLE Premium',
    );
    expect(cookieForApi('_dd_s=rum=0&id=4f&created=17645&expire=1; sp_session=x')).toBe(
      '_dd_s=rum=0&id=4f; sp_session=x',
    );
  });
});
