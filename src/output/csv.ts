/**
 * CSV for InDesign Data Merge (and the spreadsheet billing sheet).
 *
 * Choices, for the design team's machines:
 * - ASCII only: accents are dropped (`Citroën` -> `Citroen`), typographic quotes and dashes
 *   become `'`, `"` and `-`, anything else non-ASCII becomes `?`. ASCII reads the same in every
 *   encoding Data Merge may assume (UTF-8, Mac Roman, Windows ANSI), so no BOM is written: a BOM
 *   turns into garbage in front of the first header in readers that do not expect it.
 * - CRLF line endings, a CRLF after the last record too (RFC 4180; InDesign on Windows and macOS
 *   reads both, Excel prefers CRLF).
 * - Data Merge cannot take a line break inside a field: control characters (tab, CR, LF...)
 *   become spaces.
 * - RFC 4180 quoting: a field with `,` or `"` is quoted, `"` doubled; nothing else is.
 * - Every data cell is formula-neutralized (core `neutralizeFormula`) before and after the ASCII
 *   step, so neither a leading tab nor a full-width `＝` (which becomes `=`) gets through.
 *   Headers are written as they are (`@QR` stays).
 */
import { quoteCsvCell } from '../core/csv-rows.js';
import { neutralizeFormula } from '../core/templates.js';

const REPLACEMENTS: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201b': "'",
  '\u2032': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u201f': '"',
  '\u2033': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u00df': 'ss',
  '\u00e6': 'ae',
  '\u00c6': 'AE',
  '\u0153': 'oe',
  '\u0152': 'OE',
  '\u00f8': 'o',
  '\u00d8': 'O',
  '\u0111': 'd',
  '\u0110': 'D',
  '\u0142': 'l',
  '\u0141': 'L',
  '\u00fe': 'th',
  '\u00de': 'TH',
  '\u00f0': 'd',
  '\u0131': 'i',
  '\u00a9': '(C)',
  '\u00ae': '(R)',
  '\u00b0': ' deg',
  '\u00d7': 'x',
  '\u20ac': 'EUR',
  '\u00a3': 'GBP',
};

/** Text as printable ASCII, per the choices above. */
export function toAsciiText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      // NFKD turns non-breaking and other spaces into U+0020 already; control characters remain.
      // eslint-disable-next-line no-control-regex -- control characters are exactly what goes
      .replace(/[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]/g, ' ')
      .replace(/[^\x20-\x7e]/gu, (c) => REPLACEMENTS[c] ?? '?')
  );
}

/** One field, RFC 4180-quoted when needed (line breaks never reach it: `toAsciiText` made them spaces). */
export function csvField(text: string): string {
  return quoteCsvCell(text);
}

/** One record (no line ending); `cells` are data unless `header` says otherwise. */
export function csvRecord(cells: readonly string[], opts: { header?: boolean } = {}): string {
  return cells
    .map((c) => {
      if (opts.header) return csvField(toAsciiText(c));
      // Before the ASCII step (a leading tab is still a tab) and after it (`＝` became `=`).
      return csvField(neutralizeFormula(toAsciiText(neutralizeFormula(c))));
    })
    .join(',');
}

/**
 * A whole CSV document: the header, then the rows, CRLF after each. `pad` fills short rows with
 * empty fields so every record has as many fields as the widest (RFC 4180), for sectioned sheets.
 */
export function formatCsv(
  header: readonly string[] | null,
  rows: readonly (readonly string[])[],
  opts: { pad?: boolean } = {},
): string {
  const width = opts.pad ? Math.max(header?.length ?? 0, ...rows.map((r) => r.length)) : 0;
  const fill = (r: readonly string[]) =>
    r.length < width ? [...r, ...new Array<string>(width - r.length).fill('')] : r;
  const lines: string[] = [];
  if (header) lines.push(csvRecord(fill(header), { header: true }));
  for (const r of rows) lines.push(csvRecord(fill(r)));
  return lines.map((l) => `${l}\r\n`).join('');
}
