/** The per-entry scrape rules (src/core/scrape-rules.ts) and the collector that applies them. */
import { describe, expect, it } from 'vitest';
import { normalizeLotStatus } from '../../src/core/normalize.js';
import {
  commonParamsSchema,
  comparable,
  groupSiteProblem,
  priceOf,
  priceValue,
  statusOf,
  statusRuleSchema,
  storeFilterSchema,
  storeOf,
} from '../../src/core/scrape-rules.js';
import { VehicleCollector } from '../../src/scrape/types.js';

describe('store filter', () => {
  const contains = storeFilterSchema.parse({
    field: 'address.accountName',
    value: 'Audi Rancho Mirage',
    match: 'contains',
  });
  it('contains and equals ignore case, spacing and markup', () => {
    expect(comparable('Suntrup Kia <br/><small>South</small>')).toBe('suntrup kia south');
    expect(storeOf(contains, { address: { accountName: 'AUDI  Rancho Mirage - Sales' } }).verdict).toBe(
      'own',
    );
    expect(storeOf(contains, { address: { accountName: 'Jaguar Rancho Mirage' } }).verdict).toBe('sister');
    const eq = storeFilterSchema.parse({
      field: 'Location',
      value: 'BMW of West St. Louis<br><a href="x">14417 Manchester Road</a>',
    });
    expect(
      storeOf(eq, { Location: 'BMW of West St. Louis <br/> <a href="y">14417 Manchester Road</a>' }).verdict,
    ).toBe('own');
    expect(storeOf(eq, { Location: 'BMW of West St. Louis' }).verdict).toBe('sister');
  });
  it('a row without the store field is sister-store, unless the site was narrowed by a parameter', () => {
    expect(storeOf(contains, { address: {} }).verdict).toBe('sister');
    const narrowed = storeFilterSchema.parse({ field: 'Location', param: 'Location', value: 'X' });
    expect(storeOf(narrowed, {}).verdict).toBe('own');
    expect(storeFilterSchema.safeParse({ value: 'X' }).success).toBe(false);
  });
  it('a group site without a store filter is refused', () => {
    expect(groupSiteProblem({ group_site: true })).toMatch(/no store_filter/);
    expect(
      groupSiteProblem({ group_site: true, store_filter: { param: 'Dealership', value: 'X' } }),
    ).toBeNull();
    expect(groupSiteProblem({})).toBeNull();
  });
});

describe('lot status', () => {
  const ddc = statusRuleSchema.parse({
    fields: ['status'],
    on_lot: ['live'],
    off_lot: ['in_transit', 'in_transit_at_factory'],
  });
  it('labels by the entry, separators and case ignored; the text written is read the same by the import', () => {
    for (const [label, lot] of [
      ['live', 'on_lot'],
      ['in_transit', 'off_lot'],
      ['In Transit', 'off_lot'],
      ['in_transit_at_factory', 'off_lot'],
    ] as const) {
      const v = statusOf(ddc, { status: label });
      expect(v.lot, label).toBe(lot);
      expect(normalizeLotStatus(v.text), label).toBe(lot);
    }
  });
  it('an unlisted label is unknown and listed, not silently on the lot; one the import reads as off the lot stays off', () => {
    const v = statusOf(ddc, { status: 'Demo Ready' });
    expect(v).toMatchObject({ lot: 'unknown', unlisted: true, label: 'Demo Ready' });
    expect(statusOf(ddc, { status: 'Sold' })).toMatchObject({ lot: 'off_lot', unlisted: true });
  });
  it('flags: in transit wins; InTransit / in_transit / "Being Built" labels; "true" strings', () => {
    const flags = statusRuleSchema.parse({
      in_transit_flags: ['in_transit_filter'],
      in_stock_flags: ['VehicleInStock'],
    });
    expect(statusOf(flags, { in_transit_filter: 'true', VehicleInStock: true }).lot).toBe('off_lot');
    expect(statusOf(flags, { VehicleInStock: true }).lot).toBe('on_lot');
    expect(statusOf(flags, {}).lot).toBe('on_lot'); // blank default
    const cdjr = statusRuleSchema.parse({
      fields: ['special_field_5'],
      on_lot: ['In Stock'],
      off_lot: ['InTransit'],
    });
    expect(statusOf(cdjr, { special_field_5: 'InTransit' }).lot).toBe('off_lot');
    const mini = statusRuleSchema.parse({ fields: ['status'], off_lot: ['Being Built'] });
    const built = statusOf(mini, { status: 'Being Built' });
    expect(built.lot).toBe('off_lot');
    expect(normalizeLotStatus(built.text)).toBe('off_lot');
    // Auffenberg: anything but live is in transit.
    const auff = statusRuleSchema.parse({
      fields: ['status'],
      on_lot: ['live'],
      unlisted: 'off_lot',
      blank: 'off_lot',
    });
    expect(statusOf(auff, { status: 'coming_soon' }).lot).toBe('off_lot');
    expect(normalizeLotStatus(statusOf(auff, { status: 'coming_soon' }).text)).toBe('off_lot');
    expect(statusOf(auff, {}).lot).toBe('off_lot');
  });
  it('the import reads the in-transit spellings off the lot', () => {
    for (const t of [
      'In Transit',
      'InTransit',
      'in_transit',
      'In-Transit',
      'Being Built',
      'in_transit_at_factory',
    ])
      expect(normalizeLotStatus(t), t).toBe('off_lot');
  });
});

describe('prices', () => {
  it('"Please call", "PLEASE_CALL", 0 and blank are no price; order with fallbacks', () => {
    for (const v of [
      'Please call',
      'PLEASE_CALL',
      'Please call for price',
      0,
      '0',
      '',
      '$0',
      null,
      undefined,
      {},
    ]) {
      expect(priceValue(v), String(v)).toBeNull();
    }
    expect(priceValue('$34,995')).toBe(34995);
    expect(priceValue('34995.00')).toBe(34995);
    expect(priceValue(31990)).toBe(31990);
    const rule = { fields: ['salePrice', 'retailValue', 'msrp'], msrp_fields: ['msrp'] };
    expect(priceOf(rule, { salePrice: 'PLEASE_CALL', retailValue: '', msrp: '41000.00' })).toEqual({
      price: '41000',
      field: 'msrp',
      msrp: '41000',
    });
    expect(priceOf(rule, { salePrice: 'PLEASE_CALL' })).toEqual({ price: '', field: null, msrp: '' });
  });
});

describe('the collector applies the entry', () => {
  it('accounts for every row: kept, sister, excluded, rejected, duplicates; no price and off lot of the kept', () => {
    const params = commonParamsSchema.parse({
      group_site: true,
      store_filter: { field: 'store', value: 'Own', match: 'contains' },
      status: { fields: ['status'], on_lot: ['live'], off_lot: ['in_transit'] },
      price: { fields: ['price'] },
      exclude: [{ field: 'type', value: 'Wholesale', reason: 'wholesale' }],
    });
    const c = new VehicleCollector(params);
    const build = (r: Record<string, unknown>) => ({ vin: String(r.vin ?? '') });
    c.take({ vin: '1A', store: 'Own Motors', status: 'live', price: '$1,000' }, build);
    c.take({ vin: '1B', store: 'Own', status: 'in_transit', price: 'Please call' }, build);
    c.take({ vin: '1b', store: 'Own', status: 'live', price: '1' }, build); // duplicate
    c.take({ vin: '1C', store: 'Other', status: 'live' }, build);
    c.take({ vin: '1D', store: 'Own', type: 'Wholesale' }, build);
    c.take({ vin: '1E', store: 'Own', status: 'On Order Soon' }, build);
    c.take({ store: 'Own' }, build);
    c.take('junk', build);
    c.take({ vin: '1F' }, () => {
      throw new Error('odd row');
    });
    c.take({ vin: '1G' }, () => ({ reject: 'a dealer ad, not a car' }));
    expect(c.counts).toMatchObject({
      served: 10,
      kept: 3,
      duplicates: 1,
      sisterStore: 1,
      excluded: 1,
      excludedBy: { wholesale: 1 },
      rejected: 4,
      noPrice: 2,
      offLot: 2,
      unseenStatuses: { 'On Order Soon': 1 },
    });
    expect(c.rejects.map((r) => r.reason)).toEqual([
      'no VIN',
      'not a vehicle object',
      'unreadable row: odd row',
      'a dealer ad, not a car',
    ]);
    expect(c.vehicles.map((v) => [v.vin, v.price, normalizeLotStatus(v.status)])).toEqual([
      ['1A', '1000', 'on_lot'],
      ['1B', '', 'off_lot'],
      ['1E', '', 'off_lot'],
    ]);
    expect(c.seen.stores).toMatchObject({ 'Own Motors': 1, Other: 1 });
  });
});
