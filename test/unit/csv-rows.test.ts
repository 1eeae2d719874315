import { readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { parseCsvRows, quoteCsvCell } from '../../src/core/csv-rows.js';
import { SHARED } from '../helpers/env.js';

/** Parses `text` fed in pieces of `size` characters, carrying the unconsumed rest like a stream. */
function streamed(text: string, size: number, d = ',', nl: '\n' | '\r\n' | '\r' = '\n') {
  const rows: string[][] = [];
  const spans: number[] = [];
  const problems: (string | undefined)[] = [];
  let rest = '';
  for (let i = 0; i <= text.length; i += size) {
    const eof = i + size >= text.length;
    const agg = rest + text.slice(i, i + size);
    const r = parseCsvRows(agg, d, nl, eof);
    r.rows.forEach((row, k) => {
      rows.push(row);
      spans.push(r.spans[k]!);
      problems.push(r.problems?.[k]);
    });
    rest = agg.slice(r.consumed);
    if (eof) break;
  }
  return { rows, spans, problems, rest };
}

describe('parseCsvRows', () => {
  it.each([
    [
      'plain',
      'a,b,c\n1,2,3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    ['quoted delimiter', 'a,"b,c",d\n', [['a', 'b,c', 'd']]],
    ['doubled quote', '"say ""hi""",x\n', [['say "hi"', 'x']]],
    [
      'quoted line break',
      '"RX\n350",y\nz,w\n',
      [
        ['RX\n350', 'y'],
        ['z', 'w'],
      ],
    ],
    ['literal quote in an unquoted cell', '5\'10",tall\n', [['5\'10"', 'tall']]],
    [
      'empty cells',
      ',,\n"",x,\n',
      [
        ['', '', ''],
        ['', 'x', ''],
      ],
    ],
    [
      'no final line break',
      'a,b\nc,d',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    ['blank line', 'a\n\nb\n', [['a'], [''], ['b']]],
    ['spaces after a closing quote', '"a"  ,b\n', [['a', 'b']]],
  ])('%s', (_name, text, expected) => {
    const r = parseCsvRows(text, ',', '\n', true);
    expect(r.rows).toEqual(expected);
    expect(r.problems).toBeNull();
  });

  it('CRLF: strips the CR of each line, keeps a CRLF inside a quoted cell, counts lines', () => {
    const r = parseCsvRows('a,"b\r\nc"\r\nd,e\r\n', ',', '\r\n', true);
    expect(r.rows).toEqual([
      ['a', 'b\r\nc'],
      ['d', 'e'],
    ]);
    expect(r.spans).toEqual([2, 1]);
  });

  it('other delimiters and CR-only line ends', () => {
    expect(parseCsvRows('a;"b;c"\r1;2\r', ';', '\r', true).rows).toEqual([
      ['a', 'b;c'],
      ['1', '2'],
    ]);
    expect(parseCsvRows('a\tb c\t"d\te"\n', '\t', '\n', true).rows).toEqual([['a', 'b c', 'd\te']]);
  });

  it('reports malformed and unclosed quotes per row', () => {
    const r = parseCsvRows('"abc"def,x\nok,1\n"never closed,2\n3,4\n', ',', '\n', true);
    expect(r.rows[0]).toEqual(['abcdef', 'x']);
    expect(r.problems?.[0]).toMatch(/malformed quotes/);
    expect(r.rows[1]).toEqual(['ok', '1']);
    expect(r.problems?.[1]).toBeUndefined();
    expect(r.rows).toHaveLength(3);
    expect(r.problems?.[2]).toMatch(/never closed/);
    expect(r.spans[2]).toBe(3);
  });

  it('leaves an incomplete last row for the next chunk', () => {
    const r = parseCsvRows('a,b\nc,"d\ne', ',', '\n', false);
    expect(r.rows).toEqual([['a', 'b']]);
    expect(r.consumed).toBe(4);
    expect(parseCsvRows('a,b\nc,d', ',', '\n', false).consumed).toBe(4);
    // a doubled quote or a CRLF split between chunks
    expect(parseCsvRows('x,"a"', ',', '\n', false).rows).toEqual([]);
    expect(parseCsvRows('x,"a"\r', ',', '\r\n', false).rows).toEqual([]);
  });

  it('gives the same rows whatever the chunk size', () => {
    const text = 'h1,h2,h3\r\n"a\r\nb",2,"x ""y"""\r\n,,\r\n5\'10",z,"q,r"\r\n\r\nlast,row,"end"';
    const whole = streamed(text, text.length, ',', '\r\n');
    for (const size of [1, 2, 3, 5, 7, 13]) expect(streamed(text, size, ',', '\r\n')).toEqual(whole);
    expect(whole.rows).toHaveLength(6);
  });

  it('agrees with papaparse on the two real files', () => {
    for (const f of ['craigslist_vehicles_sample.csv', 'car_prices_head.csv']) {
      const text = readFileSync(path.join(SHARED, 'data', f), 'utf8');
      const ours = streamed(text, 65_536, ',', '\r\n');
      const theirs = Papa.parse<string[]>(text, { delimiter: ',', newline: '\r\n', skipEmptyLines: false });
      const expected = theirs.data.filter(
        (r, i) => !(i === theirs.data.length - 1 && r.length === 1 && r[0] === ''),
      );
      expect(ours.rows).toEqual(expected);
      expect(ours.rest).toBe('');
    }
  });
});

describe('quoteCsvCell (the one quoting rule of every CSV written)', () => {
  it('quotes a quote, the delimiter or a line break, and round-trips through the parser', () => {
    expect(quoteCsvCell('plain')).toBe('plain');
    expect(quoteCsvCell('')).toBe('');
    expect(quoteCsvCell('a,b')).toBe('"a,b"');
    expect(quoteCsvCell('say "hi"')).toBe('"say ""hi"""');
    expect(quoteCsvCell('two\nlines')).toBe('"two\nlines"');
    expect(quoteCsvCell('a,b', { delimiter: ';' })).toBe('a,b');
    expect(quoteCsvCell('a;b', { delimiter: ';' })).toBe('"a;b"');
    expect(quoteCsvCell(' edge')).toBe(' edge');
    expect(quoteCsvCell(' edge', { edgeSpace: true })).toBe('" edge"');
    const cells = ['x', 'a,b', 'say "hi"', 'two\r\nlines', ''];
    const line = `${cells.map((c) => quoteCsvCell(c)).join(',')}\n`;
    expect(parseCsvRows(line, ',', '\n', true).rows).toEqual([cells]);
  });
});
