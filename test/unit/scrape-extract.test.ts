/** Extractors on saved payloads: pure functions, JSON or HTML in, raw vehicles out. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dealerComVehicle, extractDealerComPage } from '../../src/scrape/adapters/dealer-com.js';
import {
  dealerComPostVehicle,
  extractDealerComPostPage,
  extractSiteId,
} from '../../src/scrape/adapters/dealer-com-post.js';
import {
  dealerOnVehicle,
  extractDealerOnPage,
  extractTaggingData,
} from '../../src/scrape/adapters/dealeron.js';
import {
  dealerOnDetailVehicle,
  extractDealerOnDetailRow,
  extractDealerOnListing,
} from '../../src/scrape/adapters/dealeron-html.js';
import { ShapeError } from '../../src/scrape/errors.js';
import { findAssignedObject, readJsString } from '../../src/scrape/extract-util.js';
import { vehiclesCsv } from '../../src/scrape/csv.js';
import { VehicleCollector, type RawVehicle } from '../../src/scrape/types.js';

const DIR = path.resolve(import.meta.dirname, '../fixtures/sites/payloads');
const raw = (f: string) => readFileSync(path.join(DIR, f), 'utf8');
const json = (f: string) => JSON.parse(raw(f)) as unknown;
const SITE = 'https://www.example-dealer.com';

/** Runs served rows through a collector as the adapters do (no entry rules). */
function collect(rows: unknown[], build: (r: Record<string, unknown>) => RawVehicle) {
  const c = new VehicleCollector();
  for (const r of rows) c.take(r, build);
  return c;
}

// Issue 13: extractors no longer validate every row; the page envelope is all that must hold, and
// rows are read tolerantly (a missing `finalPrice` or `msrp` is no price, not a failed page).
describe('dealer.com (GET)', () => {
  const page = extractDealerComPage(json('dealer-com-page1.json'));
  const SITE_RD = 'https://www.rustydrewingcadillac.com';
  const vs = page.rows.map((r) => dealerComVehicle(r as Record<string, unknown>, SITE_RD));
  it('reads every tracking row, keeping values as the site wrote them', () => {
    expect(page.total).toBe(5);
    expect(page.rows).toHaveLength(4);
    expect(vs[0]).toEqual({
      vin: '1GYKPDRS4SZ100001',
      stock: 'C25001',
      year: '2025',
      make: 'Cadillac',
      model: 'XT6',
      trim: 'Premium Luxury',
      condition: 'new',
      status: 'live',
      price: '$56,490',
      msrp: '$58,990',
      date_in_stock: '2025-09-14',
      url: 'https://www.rustydrewingcadillac.com/new/Cadillac/2025-Cadillac-XT6-1GYKPDRS4SZ100001.htm',
    });
  });
  it('keeps dirty values raw: lowercase VIN with whitespace, numbers, "Call for Price", "$0", malformed VIN', () => {
    const [, lyriq, , xt4] = vs;
    expect(lyriq!.vin).toBe('  1gykpdrs4sz100002 \n');
    expect(lyriq!.year).toBe('2025');
    expect(lyriq!.price).toBe('Call for Price');
    expect(lyriq!.msrp).toBe('$0');
    expect(lyriq!.status).toBe('in_transit_at_factory');
    expect(xt4!.vin).toHaveLength(16);
    expect(xt4!.price).toBe('');
  });
  it('a row without pricing, or with pricing but no finalPrice, is a car without price', () => {
    const c = collect(
      [
        { vin: '1GYKPDRS4SZ100009', pricing: { msrp: '$50,000' } },
        { vin: '1GYKPDRS4SZ100010' },
        { vin: '1GYKPDRS4SZ100011', pricing: null, year: 2024 },
      ],
      (r) => dealerComVehicle(r, SITE),
    );
    expect(c.counts).toMatchObject({ served: 3, kept: 3, noPrice: 3, rejected: 0 });
  });
  it('marks rows of the certified feed as certified', () => {
    expect(dealerComVehicle({ vin: 'X', inventoryType: 'used' }, SITE, 'CERTIFIED_USED').condition).toBe(
      'certified used',
    );
  });
  it('fails loudly and specifically on an unexpected page shape', () => {
    expect(() => extractDealerComPage(json('dealer-com-bad-shape.json'))).toThrow(ShapeError);
    expect(() => extractDealerComPage(json('dealer-com-bad-shape.json'))).toThrow(
      /dealer\.com: unexpected getInventory response: at pageInfo\.trackingData: .*expected array/,
    );
    expect(() => extractDealerComPage('<html>')).toThrow(/at \(root\)/);
  });
});

describe('dealer.com-post', () => {
  it('reads VIN and stock from attributes, the year from the title when missing', () => {
    const p = extractDealerComPostPage(json('dealer-com-post-page.json'));
    const vs = p.rows.map((r) =>
      dealerComPostVehicle(r as Record<string, unknown>, 'https://www.auffenberghyundai.com'),
    );
    expect(p.total).toBe(2);
    expect(vs[0]).toMatchObject({
      vin: 'km8jcca14su000001',
      stock: 'H5001',
      year: '2025',
      make: 'Hyundai',
      model: 'Tucson',
      trim: 'SEL AWD',
      condition: 'new',
      status: 'in_transit',
      price: '$31,245',
      msrp: '$33,000',
      url: 'https://www.auffenberghyundai.com/new/Hyundai/2025-Hyundai-Tucson-a1.htm',
    });
    expect(vs[1]).toMatchObject({ vin: '2HGFC2F69KH000002', year: '2019', price: '17995', msrp: '' });
  });
  it('finds the site id in a listing page', () => {
    expect(
      extractSiteId('<script>DDC.siteSettings = {"siteId":"auffenberghyundai","locale":"en_US"}</script>'),
    ).toBe('auffenberghyundai');
    expect(extractSiteId('<html></html>')).toBeUndefined();
  });
  it('an item without attributes is a row without VIN (rejected with a reason), not a failed page', () => {
    const p = extractDealerComPostPage({ pageInfo: { totalCount: 1 }, inventory: [{ vin: 'x' }] });
    const c = collect(p.rows, (r) => dealerComPostVehicle(r, SITE));
    expect(c.counts).toMatchObject({ served: 1, kept: 0, rejected: 1 });
    expect(c.rejects[0]!.reason).toBe('no VIN');
  });
  it('an item without trackingPricing.msrp keeps its price', () => {
    const v = dealerComPostVehicle(
      { attributes: [{ name: 'vin', value: 'KM8JCCA14SU000001' }], trackingPricing: { salePrice: '$1,000' } },
      SITE,
    );
    expect(v).toMatchObject({ price: '$1,000', msrp: '' });
  });
});

// Algolia: test/unit/scrape-algolia.test.ts.

describe('dealeron (JSON)', () => {
  it('reads dealer and page ids from the tagging data', () => {
    expect(extractTaggingData(raw('dealeron-listing.html'))).toEqual({
      dealerId: '28563',
      pageId: '2801491',
    });
    expect(() => extractTaggingData('<html></html>')).toThrow(/dealeron_tagging_data/);
  });
  it('reads vehicle cards, skipping ad cards; MSRP first, then the internet price', () => {
    const p = extractDealerOnPage(json('dealeron-page.json'));
    const vs = p.cards.map((c) =>
      dealerOnVehicle(c as Record<string, unknown>, 'https://www.columbiahonda.com'),
    );
    expect(p.totalPages).toBe(1);
    expect(vs).toHaveLength(3);
    expect(vs[0]).toMatchObject({ vin: '1HGCY1F39SA100001', status: 'In Stock', year: '2025' });
    expect(vs[1]).toMatchObject({ vin: '5j6rs6h59sl100002 ', status: 'In Transit', msrp: '$0' });
    expect(vs[2]).toMatchObject({ vin: '19XFL2H88SE10003', status: 'Sold' });
    expect(vs[0]!.url).toBe(
      'https://www.columbiahonda.com/new-Columbia-2025-Honda-Accord-Sport-1HGCY1F39SA100001',
    );
    expect(dealerOnVehicle({ VehicleMsrp: 0, VehicleInternetPrice: 31990 }, SITE).price).toBe('31990');
    expect(dealerOnVehicle({ VehicleMsrp: 33000, VehicleInternetPrice: 31990 }, SITE).price).toBe('33000');
  });
  it('a card without VehicleStatusModel or StatusText is read, not a failure', () => {
    expect(dealerOnVehicle({ VehicleVin: 'X', VehicleStatusModel: null }, SITE).status).toBe('');
    expect(dealerOnVehicle({ VehicleVin: 'X', VehicleStatusModel: {} }, SITE).status).toBe('');
  });
  it('fails on a page without DisplayCards', () => {
    expect(() => extractDealerOnPage({ Paging: {} })).toThrow(/at DisplayCards/);
  });
});

describe('dealeron-html', () => {
  it('reads the ItemList (JSON inside a JSON string) and the results count', () => {
    const p = extractDealerOnListing(raw('dealeron-html-listing-p1.html'), 'https://www.porschestlouis.com');
    expect(p!.resultsCount).toBe(3);
    expect(p!.vehicles).toEqual([
      {
        url: 'https://www.porschestlouis.com/new-St+Louis-2025-Porsche-Macan-WP1AA2A51SLB00001',
        name: '2025 Porsche Macan',
      },
      {
        url: 'https://www.porschestlouis.com/certified-St+Louis-2023-Porsche-911-WP0AB2A91PS200002',
        name: '2023 Porsche 911',
      },
    ]);
  });
  it('reads a detail page; data-cpo makes a used car certified; data-intransit not "False" is in transit', () => {
    const url = 'https://www.porschestlouis.com/certified-911';
    const row = extractDealerOnDetailRow(raw('dealeron-html-detail.html'))!;
    expect(dealerOnDetailVehicle(row, url)).toMatchObject({
      vin: 'WP0AB2A91PS200002',
      stock: 'P23002',
      year: '2023',
      make: 'Porsche',
      model: '911',
      trim: 'Carrera S',
      condition: 'Certified Pre-Owned',
      // The original compared with "False" exactly: "false" is not "False".
      status: 'In Transit',
      price: '$139,900',
      msrp: '',
      date_in_stock: '2025-07-19',
      url,
    });
  });
  it('a listing without the model ends that listing; a detail without div.vdp is no row', () => {
    expect(extractDealerOnListing('<html></html>', SITE)).toBeNull();
    expect(extractDealerOnDetailRow('<html></html>')).toBeNull();
  });
});

// Team Velocity, dealer eProcess, Toyota SmartPath and Dealr: scrape-extract-vdp-platforms.test.ts.

describe('shared pieces', () => {
  it('finds assigned objects with braces inside strings', () => {
    const page = `<script>window.cfg = {a: "}", b: {c: 'x{'}}; var after = 1;</script>`;
    expect(findAssignedObject(page, 'cfg')).toBe(`{a: "}", b: {c: 'x{'}}`);
    expect(readJsString(`{apiKey: "a\\"b"}`, 'apiKey')).toBe('a"b');
    expect(findAssignedObject(page, 'missing')).toBeUndefined();
  });
  it('the collector keeps the first row of a VIN (case and whitespace aside) and counts the rest', () => {
    // Issue 13: a row without VIN cannot be a vehicle; it goes to the run's rejects with a reason
    // (it used to be kept for the import to reject).
    const c = new VehicleCollector();
    expect(c.add({ vin: '1HGCM82633A004352' })).toBe(true);
    expect(c.add({ vin: ' 1hgcm82633a004352\n' })).toBe(false);
    expect(c.add({ vin: '' })).toBe(false);
    expect(c.add({ vin: '' })).toBe(false);
    expect(c.vehicles).toHaveLength(1);
    expect(c.counts).toMatchObject({ served: 4, kept: 1, duplicates: 1, rejected: 2 });
    expect(c.rejects.map((r) => r.reason)).toEqual(['no VIN', 'no VIN']);
  });
  it('a page with nothing new ends paging without counting its repeats as duplicates', () => {
    const c = new VehicleCollector();
    expect(c.addPage([{ vin: 'A' }, { vin: 'B' }])).toBe(2);
    expect(c.addPage([{ vin: 'B' }, { vin: 'C' }])).toBe(1);
    expect(c.skipped.duplicates).toBe(1);
    expect(c.addPage([{ vin: 'A' }, { vin: 'B' }])).toBe(0);
    expect(c.skipped.duplicates).toBe(1);
  });
  it('writes canonical CSV with quoting, values raw', () => {
    const csv = vehiclesCsv('HW Kia', [{ vin: ' 1hg ', price: '$34,995', model: 'Say "hi"', trim: 'a\nb' }]);
    expect(csv.split('\r\n')[0]).toBe(
      'vin,stock,dealership,year,make,model,trim,condition,status,price,msrp,date_in_stock,url',
    );
    expect(csv).toContain('" 1hg ",,HW Kia,,,"Say ""hi""","a\nb",,,"$34,995",,,');
  });
});
