/**
 * The VIN logs of the earlier system, in the two shapes the shop has, parsed into VIN-log entries.
 * Nothing is dropped silently (failure 9: BASELINE groups, 261 VINs, were lost last time): every
 * non-blank row becomes an entry, a duplicate, a header, a group label or a rejection with a reason.
 *
 * - columnar: a header row with `VIN`, `ORDER_NUMBER` and (optionally) `ORDER_DATE`, `CONDITION`;
 * - grouped: the order number in the first column, VINs in the second; the order number may be
 *   given once (first row of the group) or on every row; a blank row ends a group. A group whose
 *   name is not a number (BASELINE, INITIAL, SETUP, TEST, MAINTENANCE, ...) is kept as baseline
 *   entries: those vehicles were graphic'd before the log began.
 */
import type { Condition } from './dealership.js';
import { normalizeCondition, parseDate } from './normalize.js';
import { normalizeVin, VIN_PROBLEM_TEXT } from './vin.js';

export type LegacyFormat = 'columnar' | 'grouped';

export interface LegacyEntry {
  line: number;
  vin: string;
  orderType: 'legacy' | 'baseline';
  /** The order number, or the group name (BASELINE...), or null when the row had none. */
  orderRef: string | null;
  /** `YYYY-MM-DD` of ORDER_DATE when the file had a readable one. */
  orderDate: string | null;
  condition: Condition | null;
}

export interface LegacyProblem {
  line: number;
  value: string;
  reason: string;
}

export interface LegacyGroup {
  ref: string;
  orderType: 'legacy' | 'baseline';
  line: number;
  vins: number;
}

export interface ParsedLegacyLog {
  format: LegacyFormat;
  entries: LegacyEntry[];
  rejected: LegacyProblem[];
  /** The same VIN again under the same order reference (kept once). */
  duplicates: LegacyProblem[];
  /** Header rows (the first, and repeated ones such as `VIN` in the VIN column). */
  headers: number;
  /** Grouped format: rows that only name a group. */
  groupLabels: number;
  blankRows: number;
  /** Non-blank rows: entries + duplicates + rejected + headers + groupLabels (the counts add up). */
  rows: number;
  groups: LegacyGroup[];
  /** E.g. unreadable ORDER_DATE values (the entry is kept with the import time). */
  warnings: LegacyProblem[];
}

const norm = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');
const NUMERIC_REF = /^#?\s*(\d+)$/;

/** `12345` / `#12345` -> a legacy order; anything else (BASELINE, INITIAL...) -> a baseline group. */
export function classifyOrderRef(text: string): {
  orderType: 'legacy' | 'baseline';
  orderRef: string | null;
} {
  const t = text.trim();
  const m = NUMERIC_REF.exec(t);
  if (m) return { orderType: 'legacy', orderRef: m[1]! };
  return { orderType: 'baseline', orderRef: t === '' ? null : t };
}

/** Which shape a file has: columnar when its first non-blank row names VIN and ORDER_NUMBER columns. */
export function detectLegacyFormat(rows: readonly (readonly string[])[]): LegacyFormat {
  const first = rows.find((r) => r.some((c) => c.trim() !== ''));
  const h = (first ?? []).map(norm);
  return h.includes('vin') && h.includes('ordernumber') ? 'columnar' : 'grouped';
}

function empty(format: LegacyFormat): ParsedLegacyLog {
  return {
    format,
    entries: [],
    rejected: [],
    duplicates: [],
    headers: 0,
    groupLabels: 0,
    blankRows: 0,
    rows: 0,
    groups: [],
    warnings: [],
  };
}

/** Adds an entry unless the same VIN is already there under the same reference; validates the VIN. */
function add(
  out: ParsedLegacyLog,
  seen: Set<string>,
  line: number,
  raw: string,
  e: Omit<LegacyEntry, 'line' | 'vin'>,
) {
  const v = normalizeVin(raw);
  if (v.problem === 'header') {
    out.headers++;
    return false;
  }
  if (!v.valid) {
    out.rejected.push({ line, value: raw.trim(), reason: VIN_PROBLEM_TEXT[v.problem!] });
    return false;
  }
  const key = `${e.orderType}\u0000${e.orderRef ?? ''}\u0000${v.vin}`;
  if (seen.has(key)) {
    out.duplicates.push({ line, value: v.vin, reason: `again in ${e.orderRef ?? e.orderType}` });
    return false;
  }
  seen.add(key);
  out.entries.push({ line, vin: v.vin, ...e });
  return true;
}

function parseColumnar(rows: readonly (readonly string[])[]): ParsedLegacyLog {
  const out = empty('columnar');
  const seen = new Set<string>();
  const headerIndex = rows.findIndex((r) => r.some((c) => c.trim() !== ''));
  const header = rows[headerIndex]!.map(norm);
  const vinCol = header.indexOf('vin');
  const refCol = header.indexOf('ordernumber');
  const dateCol = header.indexOf('orderdate');
  const condCol = header.findIndex((h) => h === 'condition' || h === 'type');
  out.headers = 1;
  out.rows = 1;
  const groups = new Map<string, LegacyGroup>();
  for (let i = headerIndex + 1; i < rows.length; i++) {
    const r = rows[i]!;
    const line = i + 1;
    if (r.every((c) => c.trim() === '')) {
      out.blankRows++;
      continue;
    }
    out.rows++;
    const vinText = r[vinCol] ?? '';
    if (norm(vinText) === 'vin' && norm(r[refCol] ?? '') === 'ordernumber') {
      out.headers++;
      continue;
    }
    const { orderType, orderRef } = classifyOrderRef(r[refCol] ?? '');
    const dateText = dateCol >= 0 ? (r[dateCol] ?? '').trim() : '';
    const orderDate = dateText ? parseDate(dateText) : null;
    if (dateText && !orderDate)
      out.warnings.push({
        line,
        value: dateText,
        reason: 'unreadable ORDER_DATE; kept with the import time',
      });
    const condText = condCol >= 0 ? (r[condCol] ?? '').trim() : '';
    const condition = condText ? normalizeCondition(condText) : null;
    if (add(out, seen, line, vinText, { orderType, orderRef, orderDate, condition })) {
      const k = `${orderType}:${orderRef ?? ''}`;
      const g = groups.get(k) ?? { ref: orderRef ?? '(none)', orderType, line, vins: 0 };
      g.vins++;
      groups.set(k, g);
    }
  }
  out.groups = [...groups.values()];
  return out;
}

function parseGrouped(rows: readonly (readonly string[])[]): ParsedLegacyLog {
  const out = empty('grouped');
  const seen = new Set<string>();
  let current: LegacyGroup | null = null;
  let started = false;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!.map((c) => c.trim());
    const line = i + 1;
    if (r.every((c) => c === '')) {
      if (started) out.blankRows++;
      current = null;
      continue;
    }
    started = true;
    out.rows++;
    const [first = '', second = ''] = r;
    // A header row such as `ORDER,VIN` or `Order Number,VIN`.
    if (norm(second) === 'vin' || norm(second) === 'vins') {
      out.headers++;
      continue;
    }
    let vinText = second;
    if (first !== '') {
      const firstVin = normalizeVin(first);
      if (second === '' && firstVin.valid) {
        // A VIN alone in the first column: part of the open group, never mistaken for a group name.
        vinText = first;
      } else if (!current || current.ref !== classifyOrderRef(first).orderRef) {
        const c = classifyOrderRef(first);
        current = { ref: c.orderRef!, orderType: c.orderType, line, vins: 0 };
        out.groups.push(current);
      }
    }
    if (vinText === '') {
      out.groupLabels++;
      continue;
    }
    if (!current) {
      out.rejected.push({
        line,
        value: vinText,
        reason: 'VIN without an order number (no group opened above it since the last blank row)',
      });
      continue;
    }
    if (
      add(out, seen, line, vinText, {
        orderType: current.orderType,
        orderRef: current.ref,
        orderDate: null,
        condition: null,
      })
    )
      current.vins++;
  }
  return out;
}

/** Parses a legacy VIN log (CSV rows as arrays of cells) in whichever of the two shapes it has. */
export function parseLegacyVinLog(rows: readonly (readonly string[])[]): ParsedLegacyLog {
  return detectLegacyFormat(rows) === 'columnar' ? parseColumnar(rows) : parseGrouped(rows);
}
