import { describe, expect, it } from 'vitest';
import {
  cleanText,
  fullName,
  normalizeCondition,
  normalizeLotStatus,
  normalizeRow,
  normalizeStock,
  parseDate,
  parsePrice,
  parseYear,
  SnapshotTally,
} from '../../src/core/normalize.js';

describe('normalizeCondition', () => {
  it.each([
    ['New', 'new'],
    ['NEW', 'new'],
    ['Demo', 'new'],
    ['Demonstrator', 'new'],
    ['Used', 'po'],
    ['Pre-Owned', 'po'],
    ['preowned', 'po'],
    ['Pre Owned', 'po'],
    ['Certified', 'cpo'],
    ['Certified Pre-Owned', 'cpo'],
    ['CPO', 'cpo'],
    ['GM Certified Used', 'cpo'],
    ['CarBravo', 'cpo'],
    ['carbravo used', 'cpo'],
    ['', 'unknown'],
    [null, 'unknown'],
    ['45', 'unknown'], // car_prices: a condition score
    ['excellent', 'unknown'],
    ['Renewed', 'unknown'],
    // Issue 16: a condition word counts only as the whole value or in a known phrase.
    ['like new', 'unknown'], // craigslist: a used car in good shape
    ['Like New', 'unknown'],
    ['as new', 'unknown'],
    ['new', 'new'],
    ['Brand New', 'new'],
    ['New Vehicle', 'new'],
    ['NEW_VEHICLE', 'new'],
    ['New - In Stock', 'new'],
    ['New Demo', 'new'],
    ['Demo Vehicle', 'new'],
    ['excellent', 'unknown'],
  ])('%j -> %s', (text, expected) => {
    expect(normalizeCondition(text)).toBe(expected);
  });
});

describe('normalizeLotStatus', () => {
  it.each([
    ['In Transit', 'off_lot'],
    ['in-transit', 'off_lot'],
    ['IN_TRANSIT', 'off_lot'],
    ['Allocated', 'off_lot'],
    ['In Service', 'off_lot'],
    ['Courtesy Vehicle', 'off_lot'],
    ['Sold', 'off_lot'],
    ['SOLD - pending delivery', 'off_lot'],
    ['Build Phase', 'off_lot'],
    ['', 'on_lot'],
    [null, 'on_lot'],
    ['In Stock', 'on_lot'],
    ['Available', 'on_lot'],
    ['On Lot', 'on_lot'],
  ])('%j -> %s', (text, expected) => {
    expect(normalizeLotStatus(text)).toBe(expected);
  });
});

describe('parsePrice', () => {
  it.each([
    ['$34,995', 34995],
    ['34995', 34995],
    ['$ 1,234.50', 1234.5],
    [' 21500 ', 21500],
    ['19999.999', 20000],
    ['Call for price', null],
    ['', null],
    [null, null],
    ['0', null], // craigslist: 411 rows
    ['-5', null],
    ['$0.00', null],
    ['1e4', null],
    ['12,99x', null],
  ])('%j -> %j', (text, expected) => {
    expect(parsePrice(text)).toBe(expected);
  });
});

describe('parseYear', () => {
  it.each([
    ['2019', 2019],
    [' 2019 ', 2019],
    ['2019.0', 2019],
    ['1923', 1923], // craigslist's oldest
    ['1900', 1900],
    ['1899', null],
    ['2027', 2027], // next year (2026) + 1
    ['2028', null],
    ['', null],
    ['19', null],
    ['twenty', null],
  ])('%j -> %j (in 2025)', (text, expected) => {
    expect(parseYear(text, 2025)).toBe(expected);
  });
});

describe('normalizeStock', () => {
  it.each([
    ['A1234', 'A1234'],
    [' a1234 ', 'a1234'],
    ['', null],
    ['*', null],
    ['N/A', null],
    ['n/a', null],
    ['NONE', null],
    ['null', null],
    ['NaN', null],
    ['AUTO', null],
    ['TBD', null],
    ['tba', null],
    [null, null],
  ])('%j -> %j', (text, expected) => {
    expect(normalizeStock(text)).toBe(expected);
  });
});

describe('fullName, cleanText, parseDate', () => {
  it.each([
    [2019, 'Ford', 'Fusion', '2019 Ford Fusion'],
    [null, 'Ford', 'Fusion', 'Ford Fusion'],
    [2019, null, 'Chevty Trax', '2019 Chevty Trax'],
    [null, null, null, null],
  ])('fullName(%j, %j, %j) -> %j', (y, make, model, expected) => {
    expect(fullName(y, make, model)).toBe(expected);
  });

  it.each([
    ['  Sorento ', 'Sorento'],
    ['\u2014', null], // car_prices writes an em dash for "none"
    ['-', null],
    ['', null],
    ['A-B', 'A-B'],
  ])('cleanText(%j) -> %j', (text, expected) => {
    expect(cleanText(text)).toBe(expected);
  });

  it.each([
    ['2025-03-04', '2025-03-04'],
    ['2025-3-4', '2025-03-04'],
    ['2020-11-19T10:00:23-0600', '2020-11-19'],
    ['3/4/2025', '2025-03-04'],
    ['03/04/25', '2025-03-04'],
    ['2/30/2025', null],
    ['Tue Dec 16 2014 12:30:00 GMT-0800 (PST)', null],
    ['', null],
  ])('parseDate(%j) -> %j', (text, expected) => {
    expect(parseDate(text)).toBe(expected);
  });
});

describe('normalizeRow', () => {
  it('normalizes every field of a dealer-feed row', () => {
    const r = normalizeRow(
      {
        vin: ' 3fa6p0lu6kr225374 ',
        stock: 'N/A',
        year: '2019',
        make: 'Ford',
        model: 'Fusion Hybrid',
        trim: 'SE',
        condition: 'Certified Pre-Owned',
        status: 'In Transit',
        price: '$19,000',
        msrp: '',
        dateInStock: '11/19/2020',
        url: 'https://example.com/v/1',
      },
      2025,
    );
    expect(r).toEqual({
      ok: true,
      flags: [],
      vehicle: {
        vin: '3FA6P0LU6KR225374',
        vinValid: true,
        checkDigitOk: true,
        stock: null,
        year: 2019,
        make: 'Ford',
        model: 'Fusion Hybrid',
        trim: 'SE',
        fullName: '2019 Ford Fusion Hybrid',
        condition: 'cpo',
        lotStatus: 'off_lot',
        status: 'In Transit',
        price: 19000,
        msrp: null,
        dateInStock: '2020-11-19',
        url: 'https://example.com/v/1',
      },
    });
  });

  it.each([
    ['UPONREQUEST123456', '100', ['invalid_vin']],
    ['1FD0X4GX3FED32455', '0', ['bad_check_digit', 'no_price']],
    ['3FA6P0LU6KR225374', 'Call for price', ['no_price']],
    ['3FA6P0LU6KR225374', '5', []],
  ])('flags %s priced %j as %j', (vin, price, flags) => {
    const r = normalizeRow({ vin, price }, 2025);
    expect(r.ok && r.flags).toEqual(flags);
  });

  it.each([
    ['', 'blank'],
    ['VIN', 'header'],
    ['7.77778E+16', 'scientific_notation'],
    ['181819073', 'wrong_length'],
  ])('%j is no vehicle (%s)', (vin, problem) => {
    expect(normalizeRow({ vin }, 2025)).toEqual({ ok: false, problem });
  });
});

describe('SnapshotTally', () => {
  it('keeps the first of a repeated VIN, counts every row and flag', () => {
    const t = new SnapshotTally();
    const rows = [
      { vin: '3FA6P0LU6KR225374', price: '1', year: '2019' },
      { vin: '3fa6p0lu6kr225374', price: '2', year: '2020' }, // same VIN in another case
      { vin: 'UPONREQUEST123456', price: '' },
      { vin: '1FD0X4GX3FED32455', price: '5' },
      { vin: '', price: '5' },
    ];
    const kept = rows.map((r) => t.take(normalizeRow(r, 2025)));
    expect(kept.map((v) => v?.vin ?? null)).toEqual([
      '3FA6P0LU6KR225374',
      null,
      'UPONREQUEST123456',
      '1FD0X4GX3FED32455',
      null,
    ]);
    expect(kept[0]!.price).toBe(1);
    expect(t.counts).toEqual({
      raw: 5,
      normalized: 3,
      duplicates: 1,
      notVehicles: 1,
      invalidVin: 1,
      badCheckDigit: 1,
      noPrice: 1,
      flagged: 3,
    });
    expect(t.duplicateVins).toEqual(['3FA6P0LU6KR225374']);
    expect(t.counts.raw).toBe(t.counts.normalized + t.counts.duplicates + t.counts.notVehicles);
  });
});
