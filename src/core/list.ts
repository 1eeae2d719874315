/**
 * LIST entries (DESIGN.md rule 4): what an operator names, from arguments, a file or stdin.
 * De-duplicated case-insensitively; a 17-character entry is a VIN (validated by core/vin.ts),
 * anything else a stock number looked up in the active snapshot. Invalid entries are reported with
 * the reason, never ordered. Pure functions.
 */
import { normalizeStock } from './normalize.js';
import { normalizeVin, VIN_PROBLEM_TEXT } from './vin.js';

export type ListEntry =
  | { kind: 'vin'; entry: string; vin: string; checkDigitOk: boolean }
  | { kind: 'stock'; entry: string; stock: string };

export interface InvalidEntry {
  entry: string;
  reason: string;
}

export interface ParsedEntries {
  /** Valid entries in the order given, each once. */
  entries: ListEntry[];
  invalid: InvalidEntry[];
  /** Entries given again (case-insensitively), as typed the second time. */
  duplicates: string[];
  /** Empty entries (blank lines) ignored. */
  blank: number;
}

/** Column headers people leave at the top of a pasted list: never an entry. */
const HEADERS = new Set([
  'VIN',
  'VINS',
  'STOCK',
  'STOCK#',
  'STOCK_NUMBER',
  'STOCKNUMBER',
  'STOCK_NO',
  'STOCKNO',
]);
const STOCK = /^[A-Z0-9][A-Z0-9._/#-]*$/i;
/**
 * Stock numbers in the feeds are short; a 16- or 18-character entry is almost always a VIN with a
 * character missing or extra, and is reported as such instead of being looked up as a stock number.
 */
export const MAX_STOCK_LENGTH = 15;

/** Splits the text of a file or stdin into entries: one per line, or separated by commas, semicolons, tabs, spaces. */
export function splitEntries(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/[\s,;]+/)
    .filter((s) => s !== '');
}

/** Classifies one trimmed, non-empty entry. */
export function classifyEntry(entry: string): ListEntry | InvalidEntry {
  const upper = entry.toUpperCase();
  if (HEADERS.has(upper.replace(/\s+/g, '_'))) return { entry, reason: 'header, not a vehicle' };
  const vin = normalizeVin(entry);
  if (entry.length === 17) {
    if (vin.valid) return { kind: 'vin', entry, vin: vin.vin, checkDigitOk: vin.checkDigitOk };
    return { entry, reason: VIN_PROBLEM_TEXT[vin.problem!] };
  }
  if (vin.problem === 'scientific_notation') return { entry, reason: VIN_PROBLEM_TEXT.scientific_notation };
  if (normalizeStock(entry) === null) return { entry, reason: 'a placeholder, not a stock number' };
  if (entry.length > MAX_STOCK_LENGTH)
    return {
      entry,
      reason: `${entry.length} characters: not a VIN (17) and too long for a stock number (at most ${MAX_STOCK_LENGTH})`,
    };
  if (!STOCK.test(entry))
    return { entry, reason: 'not a VIN (17 characters) and not a stock number (letters, digits, - . / #)' };
  return { kind: 'stock', entry, stock: entry };
}

/**
 * An entry as reported (invalid or duplicate): control characters shown as \uXXXX (PostgreSQL
 * refuses a NUL in text and JSON, so one stray byte failed the whole order), at most 100 characters.
 */
function reported(entry: string): string {
  const visible = entry.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return visible.length > 100 ? `${visible.slice(0, 100)}... (${entry.length} characters)` : visible;
}

/** Trims, drops blanks, de-duplicates case-insensitively and classifies every entry. */
export function parseListEntries(raw: readonly string[]): ParsedEntries {
  const out: ParsedEntries = { entries: [], invalid: [], duplicates: [], blank: 0 };
  const seen = new Set<string>();
  for (const r of raw) {
    const entry = r.trim();
    if (entry === '') {
      out.blank++;
      continue;
    }
    const key = entry.toUpperCase();
    if (seen.has(key)) {
      out.duplicates.push(reported(entry));
      continue;
    }
    seen.add(key);
    const c = classifyEntry(entry);
    if ('kind' in c) out.entries.push(c);
    else out.invalid.push({ ...c, entry: reported(c.entry) });
  }
  return out;
}
