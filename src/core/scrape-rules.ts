/**
 * Scrape rules: the per-dealership parameters every platform adapter embeds in its registry
 * `scraper` options (store filter, lot status, prices, exclusions, group site), and the pure
 * functions that apply them to one row of a site's payload. No I/O: adapters fetch, these decide.
 *
 * Glossary: a **row** is one vehicle object as the site served it (JSON object, or a record of
 * HTML attributes); a **field** is a dotted path into it (`address.accountName`); a **sister
 * store** is another dealership listed on the same group site; a **label** is a status text
 * (`live`, `In Transit`), a **flag** a yes/no field (`VehicleInTransit`).
 */
import { z } from 'zod';
import { normalizeLotStatus, parsePrice } from './normalize.js';

// ---------------------------------------------------------------------------------------------
// Values and paths

/** Reads `a.b.c` (or `attributes[name=vin].value`-free plain paths) from a row; undefined when absent. */
export function fieldValue(row: unknown, path: string): unknown {
  let cur: unknown = row;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A field value as text: numbers and booleans as written, null/undefined/objects as ''. */
export function fieldText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return '';
}

/** The first non-blank text of `paths` in `row`, or ''. */
export function firstText(row: unknown, paths: readonly string[]): string {
  for (const p of paths) {
    const t = fieldText(fieldValue(row, p)).trim();
    if (t !== '') return t;
  }
  return '';
}

/**
 * The form store names and status labels are compared in: markup removed (`<br>`, `<a ...>`),
 * entities decoded, lower case, every run of spaces/underscores/dashes one space. So
 * `Suntrup Kia <br/><small>South</small>` = `suntrup kia south`, `in_transit` = `In Transit`.
 */
export function comparable(s: string): string {
  return stripHtml(s)
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

/** Strips tags and collapses whitespace: `Suntrup Kia <br/><small>South</small>` -> `Suntrup Kia South`. */
export function stripHtml(s: string): string {
  return s
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&quot;/gi, '"')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A label compared without any separator, so `InTransit` = `in_transit` = `In Transit`. */
function squeezed(s: string): string {
  return comparable(s).replace(/ /g, '');
}

/** `true`, `"true"`, `"True"`, `"1"`, `"yes"`, 1 -> true. */
export function isTrue(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return /^(true|1|yes|y)$/i.test(fieldText(v).trim());
}

// ---------------------------------------------------------------------------------------------
// Schemas of the per-entry parameters (embedded in every adapter's options)

const path = z.string().trim().min(1);
const stringList = z.union([z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1)]);

/**
 * Which rows are this dealership's on a site that lists several stores. `field` is checked on every
 * row; `param` names the request parameter or search facet the adapter sends `value` in (the site
 * narrows), in which case rows without `field` are the site's answer and kept.
 */
export const storeFilterSchema = z
  .object({
    /** Row field holding the store name (`address.accountName`, `VehicleLocationLabel`, `Location`). */
    field: path.optional(),
    /** The store value(s): the first is what a request sends; any of them matches a row. */
    value: stringList,
    /** `equals` or `contains`, after `comparable()` (case, spacing and markup ignored). */
    match: z.enum(['equals', 'contains']).default('equals'),
    /** Request parameter / search facet the site narrows by (adapter-specific meaning). */
    param: path.optional(),
  })
  .strict()
  .refine((f) => f.field !== undefined || f.param !== undefined, {
    message: 'a store filter needs a row `field`, a request `param`, or both',
  });
export type StoreFilter = z.infer<typeof storeFilterSchema>;

export const LOT_VERDICTS = ['on_lot', 'off_lot', 'unknown'] as const;
export type LotVerdict = (typeof LOT_VERDICTS)[number];

/**
 * How a row's lot status is read. Flags win over labels (`in_transit_flags` first: a car both "in
 * stock" and "in transit" is not on the lot). A label is compared to `on_lot`/`off_lot` with
 * `comparable()` and separators ignored; a label in neither list is `unlisted`, a missing one `blank`.
 */
export const statusRuleSchema = z
  .object({
    /** Label fields, first non-blank wins (`custom_status`, else `lightning.status`). */
    fields: z.array(path).default([]),
    /** Yes/no fields that, when true, put the car off the lot (`VehicleInTransit`, `in_transit_filter`). */
    in_transit_flags: z.array(path).default([]),
    /** Yes/no fields that, when true (and no in-transit flag is), put the car on the lot. */
    in_stock_flags: z.array(path).default([]),
    /** Labels meaning on the lot (`live`, `In Stock`, `At Dealership`). */
    on_lot: z.array(z.string()).default([]),
    /** Labels meaning off the lot (`in_transit`, `in_transit_at_factory`, `InTransit`, `Being Built`). */
    off_lot: z.array(z.string()).default([]),
    /** A label in neither list: `unknown` (listed in the summary), or what the original did. */
    unlisted: z.enum(LOT_VERDICTS).default('unknown'),
    /** No label and no true flag. */
    blank: z.enum(LOT_VERDICTS).default('on_lot'),
  })
  .strict();
export type StatusRule = z.infer<typeof statusRuleSchema>;

/** Price fields in the order they are tried; "Please call", "PLEASE_CALL", 0 and blank are no price. */
export const priceRuleSchema = z
  .object({
    /** Price fields, first real price wins (`pricing.finalPrice`; `VehicleMsrp`, `VehicleInternetPrice`). */
    fields: z.array(path).min(1),
    /** MSRP fields, first real price wins. */
    msrp_fields: z.array(path).default([]),
  })
  .strict();
export type PriceRule = z.infer<typeof priceRuleSchema>;

/** A row excluded from the inventory (wholesale, loaner...), counted under `reason`. */
export const excludeRuleSchema = z
  .object({
    field: path,
    value: stringList,
    match: z.enum(['equals', 'contains']).default('equals'),
    reason: z.string().trim().min(1),
  })
  .strict();
export type ExcludeRule = z.infer<typeof excludeRuleSchema>;

/**
 * The parameters every adapter's options share (spread `COMMON_PARAMS` into the adapter's
 * `z.object({...})`). All optional, so an entry without them scrapes as before; `doctor` and the
 * group-site rule check what is required.
 */
export const COMMON_PARAMS = {
  /** The site lists other stores too: a store filter is then required (else the scrape refuses). */
  group_site: z.boolean().default(false),
  store_filter: storeFilterSchema.optional(),
  status: statusRuleSchema.optional(),
  price: priceRuleSchema.optional(),
  exclude: z.array(excludeRuleSchema).default([]),
  /** Where the values come from (SCRAPE-FACTS section / original file:lines). */
  source: z.string().optional(),
  /** What SCRAPE-FACTS left unclear and which safe side this entry took. */
  notes: z.array(z.string()).default([]),
} as const;

export const commonParamsSchema = z.object(COMMON_PARAMS);
export type CommonParams = z.infer<typeof commonParamsSchema>;

/**
 * The group-site rule: why an entry cannot be scraped as it stands, or null. Reads the raw
 * `scraper` object, so `doctor` can judge an entry without loading its adapter.
 */
export function groupSiteProblem(scraper: Record<string, unknown>): string | null {
  if (scraper.group_site === true && (scraper.store_filter === undefined || scraper.store_filter === null)) {
    return "it is marked as on a group site (group_site: true) but has no store_filter, so other stores' cars would be imported as its own";
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Rules

function values(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}

/** Whether `text` matches one of `wanted` by the rule (after `comparable()`). Blank never matches. */
export function matchesValue(text: string, wanted: string | string[], match: 'equals' | 'contains'): boolean {
  const t = comparable(text);
  if (t === '') return false;
  return values(wanted).some((w) => {
    const c = comparable(w);
    return match === 'equals' ? t === c : t.includes(c);
  });
}

export type StoreVerdict = 'own' | 'sister';

/**
 * Whose row this is. With a row `field`: its value must match (a row without it is `sister` unless
 * the site was narrowed by `param`, the safe side: never import a car whose store is unknown from
 * a group site). Without a field (request-only filter): `own`.
 */
export function storeOf(
  filter: StoreFilter | undefined,
  row: unknown,
): { verdict: StoreVerdict; store: string } {
  if (!filter?.field) return { verdict: 'own', store: '' };
  const store = fieldText(fieldValue(row, filter.field)).trim();
  if (store === '') return { verdict: filter.param ? 'own' : 'sister', store };
  return { verdict: matchesValue(store, filter.value, filter.match) ? 'own' : 'sister', store };
}

/** The exclusion reason of a row, or null. */
export function exclusionOf(rules: readonly ExcludeRule[], row: unknown): string | null {
  for (const r of rules) {
    if (matchesValue(fieldText(fieldValue(row, r.field)), r.value, r.match)) return r.reason;
  }
  return null;
}

/** What a row's status says. */
export interface StatusVerdict {
  lot: LotVerdict;
  /** The label as the site wrote it ('' when none); flags give `In Transit` / `In Stock`. */
  label: string;
  /** A label the entry does not list (to show in the summary). */
  unlisted: boolean;
  /** The status text to write for the import: it maps to `lot` in core/normalize. */
  text: string;
}

/** Status text the import reads as on the lot / off the lot (core/normalize). */
export const ON_LOT_TEXT = 'On Lot';
export const OFF_LOT_TEXT = 'In Transit';

function listed(label: string, list: readonly string[]): boolean {
  const s = squeezed(label);
  return list.some((x) => squeezed(x) === s);
}

/**
 * The lot status of a row. Without a rule: the row's `fallbackLabel` decides through the import's
 * own text rules (unknown when the import would take it as on the lot only by default).
 */
export function statusOf(rule: StatusRule | undefined, row: unknown, fallbackLabel = ''): StatusVerdict {
  if (!rule) return judgeLabel(fallbackLabel.trim(), [], [], 'unknown', 'on_lot');
  const label = firstText(row, rule.fields);
  if (rule.in_transit_flags.some((f) => isTrue(fieldValue(row, f)))) {
    return { lot: 'off_lot', label: label || OFF_LOT_TEXT, unlisted: false, text: withLot(label, 'off_lot') };
  }
  if (rule.in_stock_flags.some((f) => isTrue(fieldValue(row, f)))) {
    return { lot: 'on_lot', label: label || 'In Stock', unlisted: false, text: withLot(label, 'on_lot') };
  }
  return judgeLabel(label, rule.on_lot, rule.off_lot, rule.unlisted, rule.blank);
}

function judgeLabel(
  label: string,
  onLot: readonly string[],
  offLot: readonly string[],
  unlisted: LotVerdict,
  blank: LotVerdict,
): StatusVerdict {
  if (label === '')
    return { lot: blank, label, unlisted: false, text: blank === 'off_lot' ? OFF_LOT_TEXT : '' };
  if (listed(label, offLot))
    return { lot: 'off_lot', label, unlisted: false, text: withLot(label, 'off_lot') };
  if (listed(label, onLot)) return { lot: 'on_lot', label, unlisted: false, text: withLot(label, 'on_lot') };
  // Not listed: what the import's text rules say is kept when they recognise an off-lot word.
  const byText = normalizeLotStatus(label);
  const lot = unlisted === 'unknown' && byText === 'off_lot' ? 'off_lot' : unlisted;
  return { lot, label, unlisted: true, text: lot === 'unknown' ? label : withLot(label, lot) };
}

/**
 * The status text written to the CSV: the site's label when the import reads it the same way,
 * else a canonical text carrying the label (`In Transit (Being Built)`), so the import never takes
 * an off-lot car for on the lot.
 */
function withLot(label: string, lot: 'on_lot' | 'off_lot'): string {
  if (label === '') return lot === 'off_lot' ? OFF_LOT_TEXT : ON_LOT_TEXT;
  if (normalizeLotStatus(label) === lot) return label;
  return `${lot === 'off_lot' ? OFF_LOT_TEXT : ON_LOT_TEXT} (${label})`;
}

/** "Please call", "PLEASE_CALL", "Call for price", 0, blank, any non-price text -> null. */
export function priceValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v * 100) / 100 : null;
  const t = fieldText(v).trim();
  if (t === '') return null;
  // Cents after a dot are kept by parsePrice; a price like "34,995.00" is 34995.
  return parsePrice(t.replace(/\s+/g, ''));
}

/** The price the site shows, tried in the recorded order. */
export interface PricePick {
  /** The price as text for the CSV ('' when none). */
  price: string;
  /** The field it came from, or null. */
  field: string | null;
  msrp: string;
}

function pickFrom(row: unknown, fields: readonly string[]): { value: number | null; field: string | null } {
  for (const f of fields) {
    const n = priceValue(fieldValue(row, f));
    if (n !== null) return { value: n, field: f };
  }
  return { value: null, field: null };
}

/** Picks price and MSRP from a row by the rule. */
export function priceOf(rule: PriceRule, row: unknown): PricePick {
  const p = pickFrom(row, rule.fields);
  const m = pickFrom(row, rule.msrp_fields);
  return {
    price: p.value === null ? '' : String(p.value),
    field: p.field,
    msrp: m.value === null ? '' : String(m.value),
  };
}
