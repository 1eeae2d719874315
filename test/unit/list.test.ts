import { readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { classifyEntry, parseListEntries, splitEntries } from '../../src/core/list.js';
import { SHARED } from '../helpers/env.js';

describe('LIST entries (rule 4)', () => {
  it.each([
    ['1HGCM82633A004352', 'vin'],
    ['1hgcm82633a004352', 'vin'],
    ['H1234', 'stock'],
    ['24-1187A', 'stock'],
    ['P/5521', 'stock'],
    ['12', 'stock'],
  ])('%s is a %s', (entry, kind) => {
    const c = classifyEntry(entry);
    expect('kind' in c && c.kind).toBe(kind);
  });

  it.each([
    ['1GCRCOEC2FZ284763', /I, O or Q/],
    ['UPONREQUEST123456', /I, O or Q/],
    ['1HGCM82633A00435!', /characters other than letters/],
    ['7.77778E+16', /scientific notation/],
    ['VIN', /header/],
    ['Stock#', /header/],
    ['N/A', /placeholder/],
    ['TBD', /placeholder/],
    ['*', /placeholder/],
    ['1HGCM82633A0043521', /not a VIN \(17\)/],
    ['1HGCM82633A00435', /not a VIN \(17\)/],
    ['ABCDEFGHJKLMNPRSTUVWXYZ', /too long/],
    ['H12 34', /not a stock number/],
    ['$5000', /not a stock number/],
  ])('%s is invalid', (entry, reason) => {
    const c = classifyEntry(entry);
    expect('reason' in c && c.reason).toMatch(reason);
  });

  it('de-duplicates case-insensitively, keeps order, counts blanks, reports invalid with why', () => {
    const p = parseListEntries([
      '1HGCM82633A004352',
      ' h1234 ',
      '',
      '1hgcm82633a004352',
      'H1234',
      'N/A',
      '3FA6P0LU6KR225374',
      '   ',
    ]);
    expect(p.entries.map((e) => (e.kind === 'vin' ? e.vin : e.stock))).toEqual([
      '1HGCM82633A004352',
      'h1234',
      '3FA6P0LU6KR225374',
    ]);
    expect(p.duplicates).toEqual(['1hgcm82633a004352', 'H1234']);
    expect(p.invalid).toEqual([{ entry: 'N/A', reason: 'a placeholder, not a stock number' }]);
    expect(p.blank).toBe(2);
  });

  it('reports junk entries printable and short: a NUL or a 5,000-character entry cannot break the order summary', () => {
    const p = parseListEntries(['bad\u0000entry', 'x'.repeat(5000), 'bad\u0000entry', "' OR '1'='1"]);
    expect(p.invalid.map((i) => i.entry)).toEqual([
      'bad\\u0000entry',
      `${'x'.repeat(100)}... (5000 characters)`,
      "' OR '1'='1",
    ]);
    expect(p.duplicates).toEqual(['bad\\u0000entry']);
  });

  it('keeps a VIN with a wrong check digit, marked', () => {
    const p = parseListEntries(['1FD0X4GX3FED32455']);
    expect(p.entries).toEqual([
      { kind: 'vin', entry: '1FD0X4GX3FED32455', vin: '1FD0X4GX3FED32455', checkDigitOk: false },
    ]);
  });

  it('splits file text on lines, commas, semicolons and tabs', () => {
    expect(splitEntries('\uFEFF1HGCM82633A004352\r\nH1234, H5678;\tX9\n\n')).toEqual([
      '1HGCM82633A004352',
      'H1234',
      'H5678',
      'X9',
    ]);
  });

  it('accounts for every VIN cell of the real Craigslist file (counts derived independently)', () => {
    const text = readFileSync(path.join(SHARED, 'data/craigslist_vehicles_sample.csv'), 'utf8');
    const { data } = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(data).toHaveLength(5540);
    const p = parseListEntries(data.map((r) => r.VIN ?? ''));
    const vins = p.entries.filter((e) => e.kind === 'vin');
    expect(p.blank).toBe(2241);
    expect(p.duplicates).toHaveLength(138);
    expect(vins).toHaveLength(3135);
    expect(vins.filter((e) => !e.checkDigitOk)).toHaveLength(11);
    expect(p.entries.filter((e) => e.kind === 'stock')).toHaveLength(18);
    expect(p.invalid).toHaveLength(8);
    expect(p.invalid.map((i) => i.entry)).toEqual(
      expect.arrayContaining(['UPONREQUEST123456', '1GCRCOEC2FZ284763', '7.77778E+16']),
    );
    expect(p.blank + p.duplicates.length + p.entries.length + p.invalid.length).toBe(5540);
  });
});
