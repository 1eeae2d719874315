import { describe, expect, it } from 'vitest';
import {
  allowedConditions,
  daysSince,
  decideVin,
  filterVehicle,
  historiesFrom,
  selectCao,
  vinsToDecide,
  type CaoSettings,
  type InventoryVehicle,
  type OwnVinLogEntry,
  type VinLogFact,
} from '../../src/core/cao.js';
import { settingsSchema } from '../../src/core/dealership.js';

const NOW = new Date('2026-11-20T15:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

const defaults: CaoSettings = settingsSchema.parse({});

function vehicle(over: Partial<InventoryVehicle> = {}): InventoryVehicle {
  return {
    vin: '1HGCM82633A004352',
    vinValid: true,
    stock: 'H1234',
    year: 2024,
    make: 'Honda',
    model: 'Accord',
    trim: 'EX-L',
    fullName: '2024 Honda Accord',
    condition: 'new',
    lotStatus: 'on_lot',
    status: 'In Stock',
    price: 31_995,
    dateInStock: '2026-10-01',
    url: 'https://dealer.example/vdp/1',
    ...over,
  };
}

describe('candidate rules and filters (rule 3a, 3b)', () => {
  // [what, vehicle, settings, expected filter or null]
  const cases: [string, Partial<InventoryVehicle>, Partial<CaoSettings>, string | null][] = [
    ['a plain new on-lot vehicle passes', {}, {}, null],
    ['invalid VIN is never a candidate', { vin: '1GCRCOEC2FZ284763', vinValid: false }, {}, 'invalid_vin'],
    [
      'off the lot (in transit) is not a candidate',
      { lotStatus: 'off_lot', status: 'In Transit' },
      {},
      'off_lot',
    ],
    ['off the lot passes when allow_off_lot', { lotStatus: 'off_lot' }, { allow_off_lot: true }, null],
    ['used vehicle, vehicle_types [new]', { condition: 'po' }, { vehicle_types: ['new'] }, 'vehicle_types'],
    ['po passes vehicle_types [used] (failure 7)', { condition: 'po' }, { vehicle_types: ['used'] }, null],
    ['cpo passes vehicle_types [used] (failure 7)', { condition: 'cpo' }, { vehicle_types: ['used'] }, null],
    [
      'new removed by vehicle_types [used]',
      { condition: 'new' },
      { vehicle_types: ['used'] },
      'vehicle_types',
    ],
    ['po removed by vehicle_types [cpo]', { condition: 'po' }, { vehicle_types: ['cpo'] }, 'vehicle_types'],
    ['unknown condition removed by the default [new, used]', { condition: 'unknown' }, {}, 'vehicle_types'],
    ['unknown condition passes when listed', { condition: 'unknown' }, { vehicle_types: ['unknown'] }, null],
    ['below min_price', { price: 4999 }, { min_price: 5000 }, 'min_price'],
    ['at min_price passes', { price: 5000 }, { min_price: 5000 }, null],
    ['no price passes min_price (require_price decides)', { price: null }, { min_price: 5000 }, null],
    ['above max_price', { price: 90_001 }, { max_price: 90_000 }, 'max_price'],
    ['at max_price passes', { price: 90_000 }, { max_price: 90_000 }, null],
    ['before min_year', { year: 2015 }, { min_year: 2016 }, 'min_year'],
    ['at min_year passes', { year: 2016 }, { min_year: 2016 }, null],
    ['no year passes min_year', { year: null }, { min_year: 2016 }, null],
    ['in stock 3 days, seasoning 7', { dateInStock: '2026-11-17' }, { seasoning_days: 7 }, 'seasoning_days'],
    ['in stock 7 days, seasoning 7 passes', { dateInStock: '2026-11-13' }, { seasoning_days: 7 }, null],
    ['no date in stock passes seasoning', { dateInStock: null }, { seasoning_days: 7 }, null],
    ['no stock with require_stock', { stock: null }, { require_stock: true }, 'require_stock'],
    ['stock with require_stock passes', {}, { require_stock: true }, null],
    ['no price with require_price', { price: null }, { require_price: true }, 'require_price'],
    ['make not in brands', { make: 'Toyota' }, { brands: ['Honda', 'Acura'] }, 'brands'],
    [
      'make in brands, other case and punctuation',
      { make: 'MERCEDES BENZ' },
      { brands: ['Mercedes-Benz'] },
      null,
    ],
    ['no make with brands', { make: null }, { brands: ['Honda'] }, 'brands'],
    ['keyword in model', { model: 'Accord Hybrid' }, { exclude_keywords: ['hybrid'] }, 'exclude_keywords'],
    ['keyword in make', { make: 'Honda' }, { exclude_keywords: ['HONDA'] }, 'exclude_keywords'],
    ['keyword in trim', { trim: 'Sport Touring' }, { exclude_keywords: ['touring'] }, 'exclude_keywords'],
    ['keyword in status', { status: 'Loaner vehicle' }, { exclude_keywords: ['loaner'] }, 'exclude_keywords'],
    [
      'keyword in full name only',
      { make: null, model: null, trim: null, status: null, fullName: '2024 Fleet Special' },
      { exclude_keywords: ['fleet'] },
      'exclude_keywords',
    ],
    ['no keyword match passes', {}, { exclude_keywords: ['fleet', 'loaner'] }, null],
  ];
  it.each(cases)('%s', (_what, over, settings, expected) => {
    const hit = filterVehicle(vehicle(over), { ...defaults, ...settings }, NOW, 'UTC');
    expect(hit?.filter ?? null).toBe(expected);
    if (hit) expect(hit.detail.length).toBeGreaterThan(10);
  });

  it('reads the normalized columns, so raw-looking text never decides (failure 10)', () => {
    // The raw feed said "Used" but normalization made it po: the filter compares po.
    expect(
      filterVehicle(vehicle({ condition: 'po' }), { ...defaults, vehicle_types: ['used'] }, NOW, 'UTC'),
    ).toBeNull();
  });

  it('reports the first filter in rule order', () => {
    const hit = filterVehicle(
      vehicle({ condition: 'po', price: 100, year: 1999 }),
      { ...defaults, vehicle_types: ['new'], min_price: 5000, min_year: 2010 },
      NOW,
      'UTC',
    );
    expect(hit?.filter).toBe('vehicle_types');
  });

  it('explains with the values compared', () => {
    const hit = filterVehicle(vehicle({ price: 4500 }), { ...defaults, min_price: 5000 }, NOW, 'UTC');
    expect(hit?.detail).toBe('price $4,500 is below min_price $5,000');
  });

  it('used = po + cpo', () => {
    expect([...allowedConditions(['used'])].sort()).toEqual(['cpo', 'po']);
    expect([...allowedConditions(['new', 'used'])].sort()).toEqual(['cpo', 'new', 'po']);
  });

  it('counts whole calendar days', () => {
    expect(daysSince('2026-11-20', NOW, 'UTC')).toBe(0);
    expect(daysSince('2026-11-19', NOW, 'UTC')).toBe(1);
    expect(daysSince('2026-10-21', NOW, 'UTC')).toBe(30);
    expect(daysSince('garbage', NOW, 'UTC')).toBeNull();
  });
});

describe('VIN decision (rule 3c)', () => {
  const own = (e: Partial<OwnVinLogEntry> & { daysAgo: number }): OwnVinLogEntry => ({
    condition: e.condition === undefined ? 'new' : e.condition,
    orderType: e.orderType ?? 'cao',
    orderId: e.orderId ?? 7,
    processedAt: ago(e.daysAgo),
  });
  const cases: [
    string,
    Parameters<typeof decideVin>[0],
    OwnVinLogEntry[],
    string[],
    number,
    string,
    boolean,
  ][] = [
    ['never ordered anywhere', 'new', [], [], 1, 'new', true],
    ['ordered only by another dealership', 'new', [], ['Spirit Lexus'], 1, 'cross_dealership', true],
    [
      'ordered here as new 10 days ago, now po',
      'po',
      [own({ daysAgo: 10 })],
      [],
      1,
      'condition_changed',
      true,
    ],
    [
      'ordered here as po, now cpo',
      'cpo',
      [own({ daysAgo: 3, condition: 'po' })],
      [],
      1,
      'condition_changed',
      true,
    ],
    ['condition changed but ordered 2 hours ago', 'po', [own({ daysAgo: 0.1 })], [], 1, 'recent', false],
    ['same condition, ordered 2 hours ago', 'new', [own({ daysAgo: 0.1 })], [], 1, 'recent', false],
    ['recent_days 7: ordered 3 days ago', 'po', [own({ daysAgo: 3 })], [], 7, 'recent', false],
    ['recent_days 0: never recent', 'po', [own({ daysAgo: 0.01 })], [], 0, 'condition_changed', true],
    ['same condition 30 days ago', 'new', [own({ daysAgo: 30 })], [], 1, 'already_ordered', false],
    [
      'baseline row (no condition) counts as ordered (failure 9)',
      'po',
      [own({ daysAgo: 0, orderType: 'baseline', condition: null, orderId: null })],
      [],
      1,
      'already_ordered',
      false,
    ],
    [
      'legacy row imported today is not "recent"',
      'new',
      [own({ daysAgo: 0, orderType: 'legacy', condition: null, orderId: null })],
      ['Other'],
      1,
      'already_ordered',
      false,
    ],
    [
      'baseline after a known condition: the known condition decides',
      'po',
      [own({ daysAgo: 40 }), own({ daysAgo: 2, orderType: 'baseline', condition: null, orderId: null })],
      [],
      1,
      'condition_changed',
      true,
    ],
    [
      'latest known condition counts, not the first',
      'po',
      [own({ daysAgo: 40, condition: 'new' }), own({ daysAgo: 20, condition: 'po', orderId: 9 })],
      [],
      1,
      'already_ordered',
      false,
    ],
    [
      'unknown condition now is no change',
      'unknown',
      [own({ daysAgo: 30 })],
      [],
      1,
      'already_ordered',
      false,
    ],
    [
      'own entries win over other dealerships',
      'new',
      [own({ daysAgo: 30 })],
      ['X'],
      1,
      'already_ordered',
      false,
    ],
  ];
  it.each(cases)('%s', (_what, condition, entries, others, recentDays, reason, order) => {
    const d = decideVin(
      condition,
      { own: entries, otherDealerships: others },
      { recent_days: recentDays },
      NOW,
    );
    expect(d.reason).toBe(reason);
    expect(d.order).toBe(order);
    expect(d.detail).not.toBe('');
  });

  it('names the other dealerships', () => {
    const d = decideVin('new', { own: [], otherDealerships: ['A Motors', 'B Motors'] }, defaults, NOW);
    expect(d.detail).toContain('A Motors, B Motors');
  });
});

describe('selectCao', () => {
  const fact = (vin: string, f: Partial<VinLogFact>): VinLogFact => ({
    vin,
    own: true,
    dealershipName: 'Here',
    condition: 'new',
    orderType: 'cao',
    orderId: 1,
    processedAt: ago(30),
    ...f,
  });

  it('puts every vehicle in exactly one list, keeping input order', () => {
    const vs = [
      vehicle({ vin: 'AAAAAAAAAAAAAAAA1' }),
      vehicle({ vin: 'AAAAAAAAAAAAAAAA2', condition: 'po' }),
      vehicle({ vin: 'AAAAAAAAAAAAAAAA3', lotStatus: 'off_lot' }),
      vehicle({ vin: 'AAAAAAAAAAAAAAAA4' }),
      vehicle({ vin: 'AAAAAAAAAAAAAAAA5' }),
      vehicle({ vin: 'BAD', vinValid: false }),
      vehicle({ vin: 'AAAAAAAAAAAAAAAA6', price: 10 }),
    ];
    const facts = [
      fact('AAAAAAAAAAAAAAAA2', {}), // new -> po: condition_changed
      fact('AAAAAAAAAAAAAAAA4', {}), // already_ordered
      fact('AAAAAAAAAAAAAAAA5', { own: false, dealershipName: 'Other' }), // cross_dealership
    ];
    const sel = selectCao(vs, facts, { ...defaults, min_price: 1000 }, NOW, 'UTC');
    expect(sel.toOrder.map((s) => [s.vehicle.vin, s.reason])).toEqual([
      ['AAAAAAAAAAAAAAAA1', 'new'],
      ['AAAAAAAAAAAAAAAA2', 'condition_changed'],
      ['AAAAAAAAAAAAAAAA5', 'cross_dealership'],
    ]);
    expect(sel.skipped.map((s) => [s.vehicle.vin, s.reason])).toEqual([
      ['AAAAAAAAAAAAAAAA4', 'already_ordered'],
    ]);
    expect(sel.filteredOut.map((f) => [f.vehicle.vin, f.filter])).toEqual([
      ['AAAAAAAAAAAAAAAA3', 'off_lot'],
      ['BAD', 'invalid_vin'],
      ['AAAAAAAAAAAAAAAA6', 'min_price'],
    ]);
    expect(sel.toOrder.length + sel.skipped.length + sel.filteredOut.length).toBe(vs.length);
  });

  it('orders a VIN once even if it appears twice', () => {
    const sel = selectCao([vehicle(), vehicle()], [], defaults, NOW, 'UTC');
    expect(sel.toOrder).toHaveLength(1);
    expect(sel.duplicates).toEqual([vehicle().vin]);
  });

  it('asks the VIN log only about vehicles that pass the filters', () => {
    const vs = [vehicle({ vin: 'A1' }), vehicle({ vin: 'A2', condition: 'unknown' })];
    expect(vinsToDecide(vs, defaults, NOW, 'UTC')).toEqual(['A1']);
  });

  it('groups facts into own entries and other dealerships', () => {
    const h = historiesFrom([
      fact('V', {}),
      fact('V', { own: false, dealershipName: 'Zed' }),
      fact('V', { own: false, dealershipName: 'Alpha' }),
      fact('V', { own: false, dealershipName: 'Zed' }),
    ]);
    expect(h.get('V')!.own).toHaveLength(1);
    expect(h.get('V')!.otherDealerships).toEqual(['Alpha', 'Zed']);
  });
});
