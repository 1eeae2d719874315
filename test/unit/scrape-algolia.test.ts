/** The Algolia adapter's pure parts: embedded keys, the pagination cap, query splitting, hits. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonParamsSchema } from '../../src/core/scrape-rules.js';
import {
  extractSearchConfig,
  facetFilterFor,
  hitToVehicle,
  isCapped,
  splitQuery,
} from '../../src/scrape/adapters/algolia.js';
import { VehicleCollector } from '../../src/scrape/types.js';

const DIR = path.resolve(import.meta.dirname, '../fixtures/sites/payloads');

describe('algolia: keys a page embeds', () => {
  it('reads appId, apiKeySearch and indexName from the JavaScript config', () => {
    expect(extractSearchConfig(readFileSync(path.join(DIR, 'algolia-listing.html'), 'utf8'))).toEqual({
      appId: 'SEWJN80HTN',
      apiKey: '179608f32563367799314290254e3e44',
      indexName: 'bmwofweststlouis_production_inventory',
    });
  });
  it('gives nothing (the recorded keys are used) when the page embeds no usable config', () => {
    expect(extractSearchConfig('<html><script>var x = 1;</script></html>')).toBeUndefined();
    expect(extractSearchConfig('<script>var algoliaConfig = {appId: "A"};</script>')).toBeUndefined();
  });
});

describe('algolia: the 1,000-hit pagination limit', () => {
  // Algolia's answer for a query of 7,100 hits at 20 per page: nbPages stops at 50 (1,000 hits).
  it('is detected when nbHits exceeds what the pages reach', () => {
    expect(isCapped({ nbHits: 7100, nbPages: 50, hitsPerPage: 20 })).toBe(true);
    expect(isCapped({ nbHits: 1011, nbPages: 50, hitsPerPage: 20 })).toBe(true);
    expect(isCapped({ nbHits: 7572, nbPages: 1, hitsPerPage: 1000 })).toBe(true);
  });
  it('is not reported for a query paging reaches in full', () => {
    expect(isCapped({ nbHits: 1000, nbPages: 50, hitsPerPage: 20 })).toBe(false);
    expect(isCapped({ nbHits: 41, nbPages: 3, hitsPerPage: 20 })).toBe(false);
    expect(isCapped({ nbHits: 0, nbPages: 0, hitsPerPage: 20 })).toBe(false);
  });
});

describe('algolia: splitting a capped query', () => {
  const base = [['type:New', 'type:Used']];
  it('splits by the first facet with two or more values, one query per value', () => {
    const s = splitQuery(base, { type: { New: 900, Used: 300 }, make: { Chevrolet: 1200 } }, 1200, [
      'type',
      'make',
      'year',
    ]);
    expect(s).toEqual({
      facet: 'type',
      queries: [
        [...base, 'type:New'],
        [...base, 'type:Used'],
      ],
    });
  });
  it('skips a facet with a single value (make of a one-brand store) and takes the next', () => {
    const s = splitQuery(
      [...base, 'type:New'],
      { type: { New: 1100 }, make: { Chevrolet: 1100 }, year: { '2026': 600, '2025': 500 } },
      1100,
      ['type', 'make', 'year'],
    );
    expect(s?.facet).toBe('year');
    expect(s?.queries).toHaveLength(2);
    expect(s?.queries).toContainEqual([...base, 'type:New', 'year:2026']);
    expect(s?.queries).toContainEqual([...base, 'type:New', 'year:2025']);
  });
  it('adds a complement query (negated values) for hits the facet counts do not cover', () => {
    const s = splitQuery([], { make: { Ford: 700, Chevrolet: 400 } }, 1150, ['make']);
    expect(s?.queries).toEqual([['make:Ford'], ['make:Chevrolet'], ['-make:Ford', '-make:Chevrolet']]);
  });
  it('never splits twice by the same facet (a multi-valued attribute lists other values again)', () => {
    const s = splitQuery(
      ['make:Ford'],
      { make: { Ford: 1100, Lincoln: 40 }, year: { '2025': 600, '2026': 500 } },
      1100,
      ['make', 'year'],
    );
    expect(s?.facet).toBe('year');
  });
  it('gives up when no facet can split the query', () => {
    expect(splitQuery([], { type: { New: 1100 }, make: { Chevrolet: 1100 } }, 1100, ['type', 'make'])).toBe(
      undefined,
    );
    expect(splitQuery([], undefined, 1100, ['type'])).toBe(undefined);
  });
  it('escapes a facet value that Algolia would read as a negation', () => {
    expect(facetFilterFor('trim', '-Base')).toBe('trim:\\-Base');
    expect(facetFilterFor('Location', 'BMW<br><a href="https://x">')).toBe(
      'Location:BMW<br><a href="https://x">',
    );
  });
});

describe('algolia: hits', () => {
  const hits = (
    JSON.parse(readFileSync(path.join(DIR, 'algolia-queries.json'), 'utf8')) as {
      results: { hits: unknown[] }[];
    }
  ).results[0]!.hits;
  const SITE = 'https://www.bmwofweststlouis.com';

  it('reads the VIN from objectID as the originals did, links made absolute', () => {
    const v = hits.map((h) => hitToVehicle(h as Record<string, unknown>, SITE));
    expect(v.map((x) => ('vin' in x ? x.vin : x.reject))).toEqual([
      'WBA53FJ02SCT00001',
      '5UX33DT09S9000002',
      'WBY73AW05SFS00003',
    ]);
    expect(v[1]).toMatchObject({ url: 'https://www.bmwofweststlouis.com/inventory/used-2023-bmw-x4/' });
  });

  it('a hit without objectID or vin, or with odd fields, never fails the page', () => {
    expect(hitToVehicle({ stock: 'X1', objectID: '', vin: null }, SITE)).toEqual({
      reject: 'hit has no objectID or vin',
    });
    const odd = hitToVehicle({ objectID: 'WBA53FJ02SCT00001', year: { v: 2024 }, msrp: 'see dealer' }, SITE);
    expect(odd).toMatchObject({ vin: 'WBA53FJ02SCT00001', year: '', msrp: 'see dealer', url: '' });
  });

  it("with an entry's rules: in-transit label/flag/text off the lot, call-for-price and 0 without price", () => {
    const out = new VehicleCollector(
      commonParamsSchema.parse({
        status: {
          fields: ['custom_status', 'lightning.statusLabel'],
          in_transit_flags: ['intransit'],
          on_lot: ['In Stock'],
          off_lot: ['In Transit'],
        },
        price: { fields: ['our_price'], msrp_fields: ['msrp'] },
      }),
    );
    for (const h of [...hits, 'not a hit', { stock: 'no vin' }]) {
      out.take(h, (row) => hitToVehicle(row, SITE));
    }
    expect(out.counts).toMatchObject({ served: 5, kept: 3, rejected: 2, offLot: 2, noPrice: 2 });
    expect(out.vehicles.map((v) => v.price)).toEqual(['69875', '', '']);
    expect(out.rejects.map((r) => r.reason)).toEqual(['not a vehicle object', 'hit has no objectID or vin']);
  });
});
