import { describe, expect, it } from 'vitest';
import { FIELDS, headerKey, isHeaderRow, parseColumnMap, planColumns } from '../../src/core/columns.js';
import { InputError, UsageError } from '../../src/errors.js';

describe('planColumns', () => {
  it('recognizes a dealer feed with mixed case, spaces and the Vechile URL typo', () => {
    const headers = [
      'Location',
      'Stock #',
      'VIN',
      'Year',
      'MAKE',
      'Model',
      'Trim',
      'New/Used',
      'Status',
      'Internet Price',
      'MSRP',
      'Date In Stock',
      'Vechile URL',
    ];
    const p = planColumns(headers);
    expect(p.index).toEqual({
      dealership: 0,
      stock: 1,
      vin: 2,
      year: 3,
      make: 4,
      model: 5,
      trim: 6,
      condition: 7,
      status: 8,
      price: 9,
      msrp: 10,
      date_in_stock: 11,
      url: 12,
    });
  });

  it.each([
    ['VIN', 'vin'],
    ['Vin', 'vin'],
    ['vin_num', 'vin'],
    [' VIN ', 'vin'],
    ['Dealer', 'dealership'],
    ['dealer_name', 'dealership'],
    ['Type', 'condition'],
    ['Condition', 'condition'],
    ['sellingprice', 'price'],
    ['Vehicle URL', 'url'],
    ['vechile url', 'url'],
    ['URL', 'url'],
    ['manufacturer', 'make'],
  ])('header %j is %s', (header, field) => {
    const others = field === 'vin' ? ['Dealer'] : field === 'dealership' ? ['VIN'] : ['VIN', 'Dealer'];
    const p = planColumns([...others, header]);
    expect(p.used[field as keyof typeof p.used]?.trim()).toBe(header.trim());
  });

  it('the canonical field names (what the scraper writes) are all recognized', () => {
    const p = planColumns([...FIELDS]);
    expect(Object.keys(p.index).sort()).toEqual([...FIELDS].sort());
    FIELDS.forEach((f, i) => expect(p.index[f]).toBe(i));
  });

  it('prefers the better alias and reports the one it ignored (Craigslist: condition and type)', () => {
    const p = planColumns(['url', 'price', 'condition', 'VIN', 'type'], { dealershipFixed: true });
    expect(p.used.condition).toBe('condition');
    expect(p.shadowed).toEqual([{ field: 'condition', header: 'type', used: 'condition' }]);
  });

  it('--map overrides, matches headers loosely and can drop a column', () => {
    const p = planColumns(['year', 'vin', 'seller', 'condition', 'sellingprice'], {
      map: { dealership: 'SELLER', condition: null },
    });
    expect(p.index.dealership).toBe(2);
    expect(p.index.condition).toBeUndefined();
    expect(p.index.price).toBe(4);
  });

  it('a missing VIN or dealership column is an error listing the headers found', () => {
    expect(() => planColumns(['year', 'make'])).toThrow(InputError);
    try {
      planColumns(['year', 'make', 'seller'], { file: 'f.csv' });
    } catch (err) {
      const e = err as InputError;
      expect(e.message).toContain('no VIN column');
      expect(e.message).toContain('no dealership column');
      expect(e.hints.join(' ')).toContain('"year", "make", "seller"');
      expect(e.hints.join(' ')).toContain('--map');
    }
    expect(() => planColumns(['vin'], { dealershipFixed: true })).not.toThrow();
  });

  it('a --map header that is not in the file is an error', () => {
    expect(() => planColumns(['vin', 'dealer'], { map: { price: 'Cost' } })).toThrow(/no column "Cost"/);
  });
});

describe('parseColumnMap', () => {
  it('reads field=Header lists, repeated or comma-separated', () => {
    expect(parseColumnMap(['vin=VIN_NUM,dealership=seller', 'date in stock=Received', 'condition='])).toEqual(
      {
        vin: 'VIN_NUM',
        dealership: 'seller',
        date_in_stock: 'Received',
        condition: null,
      },
    );
  });

  it.each([['colour=Paint'], ['vin']])('rejects %j', (spec) => {
    expect(() => parseColumnMap([spec])).toThrow(UsageError);
  });
});

describe('headerKey and isHeaderRow', () => {
  it('compares headers case- and space-insensitively', () => {
    expect(headerKey('Vehicle URL')).toBe(headerKey('vehicle_url'));
    expect(headerKey('Stock #')).toBe('stock');
  });

  it('spots a repeated header', () => {
    expect(isHeaderRow(['VIN', ' Dealer '], ['VIN', 'Dealer'])).toBe(true);
    expect(isHeaderRow(['vin', 'dealer'], ['VIN', 'Dealer'])).toBe(true);
    expect(isHeaderRow(['VIN', 'X'], ['VIN', 'Dealer'])).toBe(false);
  });
});
