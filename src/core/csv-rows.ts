/**
 * CSV text -> rows of cells (RFC 4180: `"` quotes a cell, `""` is a quote inside one, a quoted
 * cell may hold delimiters and line breaks). Pure and incremental: it parses the complete rows of
 * a chunk and says how much it consumed, so a stream can carry the rest over.
 *
 * Why not papaparse here: importing is ~90% parsing (TOOLCHAIN.md), and papaparse takes its fast
 * split() path only for a chunk without a single quote; one quoted price per row (`"$34,995"`)
 * sends every chunk down its character scanner, ~3x slower. Here each line without a quote is
 * split() on its own and only lines with quotes are scanned.
 */

export interface CsvRows {
  /** The rows, blank lines included (as `['']`). */
  rows: string[][];
  /** Physical lines each row takes: 1, plus the line breaks inside its quoted cells. */
  spans: number[];
  /** Per row, what is wrong with its quotes (sparse; null when nothing is). */
  problems: (string | undefined)[] | null;
  /** Per row, true when it had quotes (its cells may hold delimiters, quotes or line breaks). */
  quoted: boolean[] | null;
  /** Characters of the input consumed; the rest starts an incomplete row. */
  consumed: number;
}

/**
 * Parses the complete rows of `text`. Without `eof`, a last row that may continue in the next
 * chunk is left unconsumed; with `eof`, everything is parsed (an unclosed quote is a problem).
 */
export function parseCsvRows(
  text: string,
  delimiter: string,
  newline: '\n' | '\r\n' | '\r',
  eof: boolean,
): CsvRows {
  const sep = newline === '\r' ? '\r' : '\n';
  const crlf = newline === '\r\n';
  const rows: string[][] = [];
  const spans: number[] = [];
  let problems: (string | undefined)[] | null = null;
  let quoted: boolean[] | null = null;
  const len = text.length;
  let pos = 0;
  // The next quote at or after pos (-1: none left), found once rather than once per line.
  let nextQuote = text.indexOf('"');
  while (pos < len) {
    const end = text.indexOf(sep, pos);
    if (end < 0 && !eof) break;
    const lineEnd = end < 0 ? len : end;
    if (nextQuote >= 0 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
    if (nextQuote < 0 || nextQuote >= lineEnd) {
      let line = text.slice(pos, lineEnd);
      if (crlf && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      rows.push(line.split(delimiter));
      spans.push(1);
      pos = lineEnd + 1;
      continue;
    }
    const r = scanQuotedRow(text, pos, delimiter, sep, crlf, eof);
    if (r === null) break;
    const i = rows.length;
    rows.push(r.cells);
    spans.push(r.lines);
    (quoted ??= [])[i] = true;
    if (r.problem !== undefined) (problems ??= [])[i] = r.problem;
    pos = r.next;
  }
  return { rows, spans, problems, quoted, consumed: Math.min(pos, len) };
}

interface ScannedRow {
  cells: string[];
  lines: number;
  next: number;
  problem?: string;
}

/** Scans one row that has a quote, from `start`; null when it may continue past the text. */
function scanQuotedRow(
  text: string,
  start: number,
  d: string,
  sep: string,
  crlf: boolean,
  eof: boolean,
): ScannedRow | null {
  const len = text.length;
  const cells: string[] = [];
  let lines = 1;
  // The next line break at or after a position, found again only once passed.
  let sepAt = -2;
  const nextStop = (from: number): number => {
    if (sepAt !== -1 && sepAt < from) sepAt = text.indexOf(sep, from);
    const a = text.indexOf(d, from);
    if (a < 0) return sepAt;
    if (sepAt < 0) return a;
    return a < sepAt ? a : sepAt;
  };
  let problem: string | undefined;
  let i = start;
  for (;;) {
    if (text[i] === '"') {
      // A quoted cell: up to a quote that is not doubled.
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          if (!eof) return null;
          value += text.slice(j);
          lines += countOf(text, sep, j, len);
          cells.push(value);
          return {
            cells,
            lines,
            next: len,
            problem: 'a quoted field is never closed (it runs to the end of the file)',
          };
        }
        if (q + 1 >= len && !eof) return null; // `""` may be split across chunks
        if (text[q + 1] === '"') {
          value += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        lines += countOf(text, sep, j, q);
        value += text.slice(j, q);
        i = q + 1;
        break;
      }
      // After the closing quote: spaces, then a delimiter or the end of the row.
      while (i < len && (text[i] === ' ' || (text[i] === '\t' && d !== '\t'))) i++;
      if (i >= len) {
        if (!eof) return null;
        cells.push(value);
        return { cells, lines, next: len, problem };
      }
      const c = text[i];
      if (c === '\r' && crlf && i + 1 >= len && !eof) return null;
      if (c === d) {
        cells.push(value);
        i++;
        continue;
      }
      if (c === sep || (crlf && c === '\r' && text[i + 1] === '\n')) {
        cells.push(value);
        return { cells, lines, next: text.indexOf(sep, i) + 1, problem };
      }
      // `"abc"def`: keep the text up to the next delimiter and say the quotes are malformed.
      problem ??= `malformed quotes: text after the closing quote of field ${cells.length + 1}`;
      const k = nextStop(i);
      if (k < 0 && !eof) return null;
      const stop = k < 0 ? len : k;
      value += stripCr(text.slice(i, stop), crlf && text[stop] === sep);
      cells.push(value);
      if (stop >= len) return { cells, lines, next: len, problem };
      if (text[stop] === d) {
        i = stop + 1;
        continue;
      }
      return { cells, lines, next: stop + 1, problem };
    }
    // An unquoted cell: a quote inside it is literal (`5'10"`).
    const k = nextStop(i);
    if (k < 0 && !eof) return null;
    const stop = k < 0 ? len : k;
    cells.push(stripCr(text.slice(i, stop), crlf && text[stop] === sep));
    if (stop >= len) return { cells, lines, next: len, problem };
    if (text[stop] === d) {
      i = stop + 1;
      continue;
    }
    return { cells, lines, next: stop + 1, problem };
  }
}

function stripCr(s: string, beforeLf: boolean): string {
  return beforeLf && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

function countOf(text: string, ch: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf(ch, from); i >= 0 && i < to; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * One CSV cell as written (RFC 4180), the one quoting rule of every CSV silverfox writes: quoted,
 * `"` doubled, when it holds a quote, the delimiter or a line break. With `edgeSpace`, also when it
 * starts or ends with whitespace, for files read back by a reader that trims unquoted cells.
 */
export function quoteCsvCell(value: string, opts: { delimiter?: string; edgeSpace?: boolean } = {}): string {
  const needs =
    /["\r\n]/.test(value) ||
    value.includes(opts.delimiter ?? ',') ||
    (opts.edgeSpace === true && /^\s|\s$/.test(value));
  return needs ? `"${value.replace(/"/g, '""')}"` : value;
}
