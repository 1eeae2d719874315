/**
 * Normalization (rule 2 of DESIGN.md): one raw inventory row (text exactly as a feed had it)
 * becomes one normalized vehicle. Pure functions, shared by import, normalize, scrape and LIST.
 *
 * Glossary: a *raw row* holds the feed's text per field; a *vehicle* is the normalized form stored
 * in `vehicles`; a *flag* marks a vehicle that is kept but needs a look (invalid VIN, wrong check
 * digit, no price); a *duplicate* is the same VIN again in one snapshot (first wins).
 */
import { RAW_FIELDS, type RawField } from './columns.js';
import type { InventoryVehicle } from './cao.js';
import type { Condition } from './dealership.js';
import { VinSet } from './vin-set.js';
import { normalizeVin, isNotAVin, type VinProblem } from './vin.js';

export type LotStatus = 'on_lot' | 'off_lot';

/**
 * A copy of `s` that shares no memory with the text it was cut from. V8 keeps a substring as a
 * view into its parent, so a long-lived substring (a map key, a sample) would keep a whole input
 * chunk alive; anything kept across chunks goes through here.
 */
export function detachString(s: string): string {
  return s.length < 13 ? s : Array.from(s).join('');
}

/**
 * Remembers a pure function's answers for the few distinct texts a feed repeats on every row
 * (`New`, `In Stock`, `2025-03-04`); bounded, so a column of unique texts cannot grow it.
 */
function memo<T>(fn: (text: string) => T, max = 2000): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let v = cache.get(text);
    if (v === undefined && !cache.has(text)) {
      v = fn(text);
      if (cache.size >= max) cache.clear();
      cache.set(detachString(text), v);
    }
    return v as T;
  };
}

/**
 * `certified`/`cpo`/`carbravo` -> cpo; else `used`/`pre-owned`/`preowned` -> po; else `new`/`demo`
 * as the whole value or a known phrase (`New Vehicle`, `Brand New`, `New - In Stock`, `Demo`) -> new.
 */
export function normalizeCondition(text: string | null | undefined): Condition {
  return text ? conditionOf(text) : 'unknown';
}

/** Words that may stand beside `new`/`demo` in a known phrase without changing what it says. */
const NEW_PHRASE_WORDS = new Set([
  'brand',
  'vehicle',
  'vehicles',
  'car',
  'cars',
  'inventory',
  'in',
  'stock',
  'unit',
]);

const conditionOf = memo((text: string): Condition => {
  const t = text.toLowerCase();
  if (t.includes('certified') || t.includes('cpo') || t.includes('carbravo')) return 'cpo';
  if (t.includes('used') || /pre[\s_-]?owned/.test(t)) return 'po';
  // A description of wear is not the condition: "like new" (a used car), "renewed", "as new" are
  // not new. `new`/`demo` count only with words of a known phrase around them.
  const words = t.split(/[^a-z]+/).filter((w) => w !== '' && !NEW_PHRASE_WORDS.has(w));
  if (words.length === 0 || words.length > 2) return 'unknown';
  const isNew = (w: string) => w === 'new' || w === 'demo' || w === 'demonstrator';
  if (words.every(isNew)) return 'new';
  return 'unknown';
});

const OFF_LOT =
  /in[\s_-]?transit|allocated|in[\s_-]?service|courtesy|\bsold\b|build[\s_-]?phase|being[\s_-]?built|at[\s_-]?factory|in[\s_-]?production|on[\s_-]?order/i;

/**
 * In transit (`In Transit`, `InTransit`, `in_transit`), allocated, in service, courtesy, sold, build
 * phase, being built, at factory, in production, on order -> off_lot; anything else (empty too) -> on_lot.
 */
export function normalizeLotStatus(text: string | null | undefined): LotStatus {
  return text ? lotStatusOf(text) : 'on_lot';
}

const lotStatusOf = memo((text: string): LotStatus => (OFF_LOT.test(text) ? 'off_lot' : 'on_lot'));

const PRICE = /^\$?\s*(\d[\d,]*(\.\d+)?|\.\d+)$/;

/** `$34,995` -> 34995; `Call for price`, blank, zero or negative -> null. Rounded to cents. */
export function parsePrice(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = PRICE.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(n) || n <= 0) return null;
  return Math.round(n * 100) / 100;
}

/** The latest model year accepted when it is `currentYear`: next year's models are sold now, plus one. */
export function maxModelYear(currentYear: number): number {
  return currentYear + 2;
}

/** A model year 1900..next year + 1 (`2019`, `2019.0`), else null. */
export function parseYear(text: string | null | undefined, currentYear: number): number | null {
  if (!text) return null;
  const m = /^(\d{4})(\.0*)?$/.exec(text.trim());
  if (!m) return null;
  const y = Number(m[1]);
  return y >= 1900 && y <= maxModelYear(currentYear) ? y : null;
}

const STOCK_PLACEHOLDERS = new Set(['', '*', 'N/A', 'NONE', 'NULL', 'NAN', 'AUTO', 'TBD', 'TBA']);

/** A stock number, or null for blank and placeholders (`*`, `N/A`, `NONE`, `NULL`, `NAN`, `AUTO`, `TBD`, `TBA`). */
export function normalizeStock(text: string | null | undefined): string | null {
  if (!text) return null;
  const t = text.trim();
  return STOCK_PLACEHOLDERS.has(t.toUpperCase()) ? null : t;
}

/** `{year} {make} {model}`, leaving out missing parts; null when all are missing. */
export function fullName(
  year: number | null | undefined,
  make: string | null | undefined,
  model: string | null | undefined,
): string | null {
  const parts = [year ?? null, make ?? null, model ?? null].filter((p) => p !== null && p !== '');
  return parts.length > 0 ? parts.join(' ') : null;
}

/** Trimmed text, or null when blank or only dashes (feeds write `-` or an em dash for "none"). */
export function cleanText(text: string | null | undefined): string | null {
  if (!text) return null;
  const t = text.trim();
  return t === '' || /^[-\u2013\u2014]+$/.test(t) ? null : t;
}

function isoDate(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2999) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** A date in stock as `YYYY-MM-DD`: accepts ISO (`2025-03-04`, with a time) and US (`3/4/2025`, `03/04/25`). */
export function parseDate(text: string | null | undefined): string | null {
  return text ? dateOf(text) : null;
}

const dateOf = memo((text: string): string | null => {
  const t = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s].*)?$/.exec(t);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})(?:\s.*)?$/.exec(t);
  if (m) {
    const y = m[3]!.length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    return isoDate(y, Number(m[1]), Number(m[2]));
  }
  return null;
});

type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The RawVehicle key of a raw field (`date_in_stock` -> `dateInStock`). */
export type RawVehicleKey = CamelCase<RawField>;

/**
 * A raw row: the feed's text per field of RAW_FIELDS (null when the file has no such column),
 * keyed in camelCase.
 */
export type RawVehicle = { vin: string | null } & {
  [K in Exclude<RawField, 'vin'> as CamelCase<K>]?: string | null;
};

/** RawVehicle's key of each RAW_FIELDS entry, in that order. */
export const RAW_VEHICLE_KEYS: readonly RawVehicleKey[] = RAW_FIELDS.map(
  (f) => f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as RawVehicleKey,
);

/** A normalized vehicle, as stored in `vehicles`. */
export interface NormalizedVehicle extends InventoryVehicle {
  checkDigitOk: boolean;
  msrp: number | null;
}

/** Why a kept vehicle needs a look. Duplicates are counted by the snapshot, not per row. */
export type VehicleFlag = 'invalid_vin' | 'bad_check_digit' | 'no_price';

export type NormalizeOutcome =
  | { ok: true; vehicle: NormalizedVehicle; flags: VehicleFlag[] }
  /** Not a vehicle at all: blank VIN, header row, scientific notation, not 17 letters/digits. */
  | { ok: false; problem: VinProblem };

/** Normalizes one raw row; `currentYear` bounds the model year. */
export function normalizeRow(raw: RawVehicle, currentYear: number): NormalizeOutcome {
  const v = normalizeVin(raw.vin);
  if (isNotAVin(v)) return { ok: false, problem: v.problem! };
  const year = parseYear(raw.year, currentYear);
  const make = cleanText(raw.make);
  const model = cleanText(raw.model);
  const vehicle: NormalizedVehicle = {
    vin: v.vin,
    vinValid: v.valid,
    checkDigitOk: v.checkDigitOk,
    stock: normalizeStock(raw.stock),
    year,
    make,
    model,
    trim: cleanText(raw.trim),
    fullName: fullName(year, make, model),
    condition: normalizeCondition(raw.condition),
    lotStatus: normalizeLotStatus(raw.status),
    status: cleanText(raw.status),
    price: parsePrice(raw.price),
    msrp: parsePrice(raw.msrp),
    dateInStock: parseDate(raw.dateInStock),
    url: cleanText(raw.url),
  };
  const flags: VehicleFlag[] = [];
  if (!v.valid) flags.push('invalid_vin');
  else if (!v.checkDigitOk) flags.push('bad_check_digit');
  if (vehicle.price === null) flags.push('no_price');
  return { ok: true, vehicle, flags };
}

/** Counts of one snapshot's normalization: raw = normalized + duplicates + notVehicles. */
export interface NormalizeCounts {
  /** Raw rows of the snapshot. */
  raw: number;
  /** Vehicles stored (duplicates left out). */
  normalized: number;
  /** The same VIN again in the snapshot: counted once, first wins. */
  duplicates: number;
  /** Raw rows that are no vehicle (only rows that skipped import validation, e.g. from a scrape). */
  notVehicles: number;
  /** Stored with vin_valid = false (I, O or Q). */
  invalidVin: number;
  badCheckDigit: number;
  noPrice: number;
  /** Rows that deserve a look: vehicles with any flag, plus duplicates. */
  flagged: number;
}

/** Empty counts. */
export function emptyCounts(): NormalizeCounts {
  return {
    raw: 0,
    normalized: 0,
    duplicates: 0,
    notVehicles: 0,
    invalidVin: 0,
    badCheckDigit: 0,
    noPrice: 0,
    flagged: 0,
  };
}

/** Adds `b` into `a`. */
export function addCounts(a: NormalizeCounts, b: NormalizeCounts): NormalizeCounts {
  for (const k of Object.keys(a) as (keyof NormalizeCounts)[]) a[k] += b[k];
  return a;
}

/**
 * Tallies the raw rows of one snapshot in file order: counts flags, drops a VIN seen before in
 * this snapshot (first wins) and remembers a few of them for the report.
 */
export class SnapshotTally {
  readonly counts = emptyCounts();
  /** Up to `sampleSize` duplicate VINs, for the report. */
  readonly duplicateVins: string[] = [];
  private readonly vins = new VinSet();

  constructor(private readonly sampleSize = 10) {}

  /** Takes the outcome of normalizeRow for the next raw row; returns the vehicle to store, or null. */
  take(outcome: NormalizeOutcome): NormalizedVehicle | null {
    const c = this.counts;
    c.raw++;
    if (!outcome.ok) {
      c.notVehicles++;
      return null;
    }
    const v = outcome.vehicle;
    if (!this.vins.add(v.vin)) {
      c.duplicates++;
      c.flagged++;
      if (this.duplicateVins.length < this.sampleSize && !this.duplicateVins.includes(v.vin)) {
        this.duplicateVins.push(detachString(v.vin));
      }
      return null;
    }
    c.normalized++;
    if (outcome.flags.length > 0) {
      c.flagged++;
      for (const f of outcome.flags) {
        if (f === 'invalid_vin') c.invalidVin++;
        else if (f === 'bad_check_digit') c.badCheckDigit++;
        else c.noPrice++;
      }
    }
    return v;
  }
}
