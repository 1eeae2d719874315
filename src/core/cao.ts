/**
 * CAO selection (DESIGN.md rule 3): candidates, the dealership's filters, then the VIN decision
 * against the VIN log. Pure functions: the use case reads the active snapshot and the VIN-log
 * facts, this module decides, and every decision carries the reason the operator sees.
 *
 * Glossary: a *candidate* is an active-snapshot vehicle with a valid VIN that is on the lot (or
 * off it when the dealership allows that); a *filter* removes a candidate by a setting; the *VIN
 * decision* orders it (`new`, `cross_dealership`, `condition_changed`) or skips it (`recent`,
 * `already_ordered`). Filters read normalized columns only (failure 10).
 */
import { addDays, dayIn, daysBetween } from './calendar.js';
import type { Condition, DealershipSettings } from './dealership.js';
import type { OrderedReason, SkippedReason, VehicleFields } from './order.js';

export type LotStatus = 'on_lot' | 'off_lot';

/** A normalized vehicle of an active snapshot, as CAO and LIST read it. */
export interface InventoryVehicle extends VehicleFields {
  /** 17 characters of [A-HJ-NPR-Z0-9]; CAO and LIST order only valid VINs. */
  vinValid: boolean;
  fullName: string | null;
  lotStatus: LotStatus;
  /** The feed's status text (normalized to trimmed text), read by exclude_keywords. */
  status: string | null;
  /** `YYYY-MM-DD`, or null when the feed had none. */
  dateInStock: string | null;
}

/** What removed a vehicle before the VIN decision: a candidate rule (3a) or a filter (3b). */
export const FILTERS = [
  'invalid_vin',
  'off_lot',
  'vehicle_types',
  'min_price',
  'max_price',
  'min_year',
  'seasoning_days',
  'require_stock',
  'require_price',
  'brands',
  'exclude_keywords',
] as const;
export type FilterName = (typeof FILTERS)[number];

/** Why a filter removed a vehicle: the filter and a sentence with the values compared. */
export interface FilterHit {
  filter: FilterName;
  detail: string;
}

/** The settings the filters read. */
export type FilterSettings = Pick<
  DealershipSettings,
  | 'vehicle_types'
  | 'min_price'
  | 'max_price'
  | 'min_year'
  | 'seasoning_days'
  | 'require_stock'
  | 'require_price'
  | 'brands'
  | 'exclude_keywords'
  | 'allow_off_lot'
>;

const DAY_MS = 86_400_000;

/**
 * Whole days from `YYYY-MM-DD` to the calendar day of `now` in the shop's `timeZone` (one clock for
 * days, core/calendar.ts), or null for an unreadable date.
 */
export function daysSince(date: string, now: Date, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m || Number.isNaN(Date.parse(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`))) return null;
  return daysBetween(`${m[1]}-${m[2]}-${m[3]}`, dayIn(now, timeZone));
}

/** `used` in settings means po + cpo (failure 7); the other names are conditions themselves. */
export function allowedConditions(vehicleTypes: readonly string[]): Set<Condition> {
  const out = new Set<Condition>();
  for (const t of vehicleTypes) {
    if (t === 'used') {
      out.add('po');
      out.add('cpo');
    } else if (t === 'new' || t === 'po' || t === 'cpo' || t === 'unknown') out.add(t);
  }
  return out;
}

/** Brand names compare without case, spaces or punctuation: `Mercedes-Benz` = `mercedes benz`. */
export function brandKey(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

const money = (n: number) => `$${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;

/** Rule 3a: is the vehicle a candidate at all? Returns what excludes it, or null. */
export function candidateRule(v: InventoryVehicle, settings: Pick<FilterSettings, 'allow_off_lot'>) {
  if (!v.vinValid) return hit('invalid_vin', `VIN "${v.vin}" is not 17 characters of A-H, J-N, P, R-Z, 0-9`);
  if (v.lotStatus === 'off_lot' && !settings.allow_off_lot)
    return hit(
      'off_lot',
      `off the lot${v.status ? ` (status "${v.status}")` : ''} and allow_off_lot is false`,
    );
  return null;
}

function hit(filter: FilterName, detail: string): FilterHit {
  return { filter, detail };
}

/**
 * Rule 3b: the first dealership filter that removes the vehicle, or null when it passes.
 * A missing value passes a range filter (min/max price, min_year, seasoning_days): the
 * `require_price` / `require_stock` settings exist to exclude vehicles without them.
 */
export function dealershipFilter(
  v: InventoryVehicle,
  settings: FilterSettings,
  now: Date,
  timeZone: string,
): FilterHit | null {
  const allowed = allowedConditions(settings.vehicle_types);
  if (!allowed.has(v.condition))
    return hit(
      'vehicle_types',
      `condition ${v.condition} is not in vehicle_types [${settings.vehicle_types.join(', ')}]`,
    );
  if (settings.min_price !== null && v.price !== null && v.price < settings.min_price)
    return hit('min_price', `price ${money(v.price)} is below min_price ${money(settings.min_price)}`);
  if (settings.max_price !== null && v.price !== null && v.price > settings.max_price)
    return hit('max_price', `price ${money(v.price)} is above max_price ${money(settings.max_price)}`);
  if (settings.min_year !== null && v.year !== null && v.year < settings.min_year)
    return hit('min_year', `year ${v.year} is before min_year ${settings.min_year}`);
  if (settings.seasoning_days !== null && settings.seasoning_days > 0 && v.dateInStock !== null) {
    const days = daysSince(v.dateInStock, now, timeZone);
    if (days !== null && days < settings.seasoning_days)
      return hit(
        'seasoning_days',
        `in stock since ${v.dateInStock} (${days} day${days === 1 ? '' : 's'}), seasoning_days is ${settings.seasoning_days}`,
      );
  }
  if (settings.require_stock && (v.stock === null || v.stock === ''))
    return hit('require_stock', 'no stock number and require_stock is true');
  if (settings.require_price && v.price === null)
    return hit('require_price', 'no price and require_price is true');
  if (settings.brands.length > 0) {
    const make = v.make ? brandKey(v.make) : '';
    if (!make || !settings.brands.some((b) => brandKey(b) === make))
      return hit(
        'brands',
        `make ${v.make ? `"${v.make}"` : '(none)'} is not in brands [${settings.brands.join(', ')}]`,
      );
  }
  if (settings.exclude_keywords.length > 0) {
    const fields: [string, string | null][] = [
      ['make', v.make],
      ['model', v.model],
      ['trim', v.trim],
      ['status', v.status],
      ['full name', v.fullName],
    ];
    for (const keyword of settings.exclude_keywords) {
      const k = keyword.toLowerCase();
      const found = fields.find(([, value]) => value !== null && value.toLowerCase().includes(k));
      if (found)
        return hit('exclude_keywords', `${found[0]} "${found[1]}" contains excluded keyword "${keyword}"`);
    }
  }
  return null;
}

/** Rule 3a then 3b: what removes the vehicle from a CAO, or null. */
export function filterVehicle(
  v: InventoryVehicle,
  settings: FilterSettings,
  now: Date,
  timeZone: string,
): FilterHit | null {
  return candidateRule(v, settings) ?? dealershipFilter(v, settings, now, timeZone);
}

/** Where a VIN-log entry came from. `baseline` and `legacy` were imported from the old system. */
export type VinLogOrderType = 'cao' | 'list' | 'baseline' | 'legacy';

/** One VIN-log entry of the dealership being ordered for. */
export interface OwnVinLogEntry {
  condition: Condition | null;
  orderType: VinLogOrderType;
  orderId: number | null;
  processedAt: Date;
}

/** What the VIN log knows about one VIN: this dealership's entries and who else ordered it. */
export interface VinHistory {
  own: OwnVinLogEntry[];
  /** Names of other dealerships that ordered this VIN. */
  otherDealerships: string[];
}

export type VinDecision =
  | { order: true; reason: OrderedReason; detail: string }
  | { order: false; reason: SkippedReason; detail: string };

/** VIN-log entries of these types are silverfox orders: only they make a VIN `recent`. */
export const RECENT_ORDER_TYPES: readonly VinLogOrderType[] = ['cao', 'list'];

/** Conditions differ only when both are known: a log entry without one (baseline) never "changes". */
function conditionChanged(was: Condition | null, now: Condition): boolean {
  return was !== null && was !== 'unknown' && now !== 'unknown' && was !== now;
}

const fmtTime = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/**
 * Rule 3c: order or skip a candidate by this dealership's VIN log.
 * - nothing here: `new`, or `cross_dealership` when another dealership ordered it (still ordered);
 * - the latest silverfox order (cao/list) here is younger than `recent_days`: `recent`, skipped;
 * - the latest known condition here differs: `condition_changed`, ordered again;
 * - otherwise `already_ordered` (baseline and legacy rows count: failure 9).
 * Imported baseline/legacy rows carry no condition and no reliable order time, so they never make
 * a VIN `recent` and never `condition_changed`; they make it `already_ordered`.
 */
export function decideVin(
  condition: Condition,
  history: VinHistory,
  settings: Pick<DealershipSettings, 'recent_days'>,
  now: Date,
): VinDecision {
  if (history.own.length === 0) {
    if (history.otherDealerships.length > 0)
      return {
        order: true,
        reason: 'cross_dealership',
        detail: `never ordered here; ordered by ${history.otherDealerships.join(', ')}`,
      };
    return { order: true, reason: 'new', detail: 'never ordered here' };
  }
  const byTime = [...history.own].sort((a, b) => b.processedAt.getTime() - a.processedAt.getTime());
  const lastOrder = byTime.find((e) => RECENT_ORDER_TYPES.includes(e.orderType));
  const recentMs = settings.recent_days * DAY_MS;
  if (lastOrder && now.getTime() - lastOrder.processedAt.getTime() < recentMs) {
    return {
      order: false,
      reason: 'recent',
      detail: `ordered here at ${fmtTime(lastOrder.processedAt)}${lastOrder.orderId ? ` (order #${lastOrder.orderId})` : ''}, within recent_days ${settings.recent_days}`,
    };
  }
  const lastKnown = byTime.find((e) => e.condition !== null && e.condition !== 'unknown');
  if (lastKnown && conditionChanged(lastKnown.condition, condition)) {
    return {
      order: true,
      reason: 'condition_changed',
      detail: `ordered here as ${lastKnown.condition} at ${fmtTime(lastKnown.processedAt)}, now ${condition}`,
    };
  }
  const first = byTime[0]!;
  const what =
    first.orderType === 'baseline' || first.orderType === 'legacy'
      ? `${first.orderType} entry of the imported VIN log`
      : `order #${first.orderId ?? '?'} at ${fmtTime(first.processedAt)}`;
  return { order: false, reason: 'already_ordered', detail: `already ordered here (${what})` };
}

/** A VIN-log fact as the database returns it: one entry, here or at another dealership. */
export interface VinLogFact {
  vin: string;
  own: boolean;
  dealershipName: string;
  condition: Condition | null;
  orderType: VinLogOrderType;
  orderId: number | null;
  processedAt: Date;
}

/** Groups VIN-log facts by VIN into histories. */
export function historiesFrom(facts: readonly VinLogFact[]): Map<string, VinHistory> {
  const out = new Map<string, VinHistory>();
  for (const f of facts) {
    let h = out.get(f.vin);
    if (!h) {
      h = { own: [], otherDealerships: [] };
      out.set(f.vin, h);
    }
    if (f.own)
      h.own.push({
        condition: f.condition,
        orderType: f.orderType,
        orderId: f.orderId,
        processedAt: f.processedAt,
      });
    else if (!h.otherDealerships.includes(f.dealershipName)) h.otherDealerships.push(f.dealershipName);
  }
  for (const h of out.values()) h.otherDealerships.sort();
  return out;
}

export interface SelectedVehicle {
  vehicle: InventoryVehicle;
  reason: OrderedReason;
  detail: string;
}
export interface SkippedVehicle {
  vehicle: InventoryVehicle;
  reason: SkippedReason;
  detail: string;
}
export interface FilteredVehicle {
  vehicle: InventoryVehicle;
  filter: FilterName;
  detail: string;
}

/** The outcome of rule 3 for one dealership: every active vehicle lands in exactly one list. */
export interface CaoSelection {
  toOrder: SelectedVehicle[];
  skipped: SkippedVehicle[];
  filteredOut: FilteredVehicle[];
  /** Candidates with the same VIN as an earlier one (normalization keeps one per snapshot). */
  duplicates: string[];
}

/** Settings rule 3 reads. */
export type CaoSettings = FilterSettings & Pick<DealershipSettings, 'recent_days'>;

/** The VINs that passed the filters: what the VIN-log facts must be read for. */
export function vinsToDecide(
  vehicles: readonly InventoryVehicle[],
  settings: FilterSettings,
  now: Date,
  timeZone: string,
): string[] {
  const out = new Set<string>();
  for (const v of vehicles) if (!filterVehicle(v, settings, now, timeZone)) out.add(v.vin);
  return [...out];
}

/**
 * Rule 3 for one dealership: `vehicles` is its active snapshot, `facts` the VIN-log entries for
 * (at least) the VINs that pass the filters. Order of the input is kept in every list.
 */
export function selectCao(
  vehicles: readonly InventoryVehicle[],
  facts: readonly VinLogFact[] | Map<string, VinHistory>,
  settings: CaoSettings,
  now: Date,
  timeZone: string,
): CaoSelection {
  const histories = facts instanceof Map ? facts : historiesFrom(facts);
  const sel: CaoSelection = { toOrder: [], skipped: [], filteredOut: [], duplicates: [] };
  const seen = new Set<string>();
  for (const vehicle of vehicles) {
    const removed = filterVehicle(vehicle, settings, now, timeZone);
    if (removed) {
      sel.filteredOut.push({ vehicle, ...removed });
      continue;
    }
    if (seen.has(vehicle.vin)) {
      sel.duplicates.push(vehicle.vin);
      continue;
    }
    seen.add(vehicle.vin);
    const history = histories.get(vehicle.vin) ?? { own: [], otherDealerships: [] };
    const d = decideVin(vehicle.condition, history, settings, now);
    if (d.order) sel.toOrder.push({ vehicle, reason: d.reason, detail: d.detail });
    else sel.skipped.push({ vehicle, reason: d.reason, detail: d.detail });
  }
  return sel;
}

/**
 * Rule 3 as parameters for the database (db/cao-decision.ts decides in one statement what
 * `selectCao` decides in memory, for the counts and the vehicles to order without reading the
 * whole snapshot). Every value is derived here from the same settings, clock and definitions
 * `filterVehicle` and `decideVin` use; test/integration/cao-decision.test.ts checks that both
 * decide the same on the same data. The filters apply in the order of FILTERS.
 */
export interface CaoDecisionParameters {
  allowOffLot: boolean;
  /** Conditions vehicle_types admits (`used` = po + cpo). */
  conditions: Condition[];
  minPrice: number | null;
  maxPrice: number | null;
  minYear: number | null;
  /**
   * A vehicle in stock after this day (`YYYY-MM-DD`, the shop's calendar) is younger than
   * seasoning_days; null when seasoning_days is off.
   */
  seasonedBy: string | null;
  requireStock: boolean;
  requirePrice: boolean;
  /** brandKey of every brand setting (a make's brandKey must be one of them). */
  brandKeys: string[];
  /** The exclude keywords, lower-cased: a field containing one removes the vehicle. */
  excludeKeywords: string[];
  /**
   * A silverfox order (RECENT_ORDER_TYPES) later than this makes a VIN `recent`. The database
   * keeps each VIN's latest such order in vin_state (sql/009_vin_state.sql names the same types;
   * test/integration/vin-state.test.ts checks it).
   */
  recentAfter: Date;
  /** The condition that is never compared (condition_changed needs both known). */
  unknownCondition: Condition;
}

/** The parameters of rule 3 for one dealership's settings at `now` (see CaoDecisionParameters). */
export function caoDecisionParameters(
  settings: CaoSettings,
  now: Date,
  timeZone: string,
): CaoDecisionParameters {
  return {
    allowOffLot: settings.allow_off_lot,
    conditions: [...allowedConditions(settings.vehicle_types)],
    minPrice: settings.min_price,
    maxPrice: settings.max_price,
    minYear: settings.min_year,
    // daysSince(d) < seasoning_days  <=>  d > today - seasoning_days
    seasonedBy:
      settings.seasoning_days !== null && settings.seasoning_days > 0
        ? addDays(dayIn(now, timeZone), -settings.seasoning_days)
        : null,
    requireStock: settings.require_stock,
    requirePrice: settings.require_price,
    brandKeys: settings.brands.map(brandKey),
    excludeKeywords: settings.exclude_keywords.map((k) => k.toLowerCase()),
    // now - processedAt < recent_days  <=>  processedAt > now - recent_days
    recentAfter: new Date(now.getTime() - settings.recent_days * DAY_MS),
    unknownCondition: 'unknown',
  };
}

/**
 * Rule 3's outcome without the per-vehicle details: whether anything is to be ordered and how many
 * vehicles each filter removed and each reason decided. It says `new` for every VIN never ordered
 * here: which of them another dealership ordered (`cross_dealership`, still ordered) is told only
 * when the vehicles are read for the order, the preview or --explain, the only places where it is
 * shown (with nothing to order, there are none).
 */
export interface CaoDecision {
  /** Vehicles of the active snapshot. */
  active: number;
  /** Vehicles to order (new, cross_dealership and condition_changed). */
  toOrder: number;
  byFilter: Partial<Record<FilterName, number>>;
  byReason: Partial<Record<Exclude<OrderedReason, 'cross_dealership'> | SkippedReason, number>>;
  filteredOut: number;
  skipped: number;
  /** Candidates with the VIN of an earlier one (none in a snapshot: it holds each VIN once). */
  duplicates: number;
}

/** The decision of a selection decided in memory (the same shape db/cao-decision.ts returns). */
export function caoDecisionOf(selection: CaoSelection, active: number): CaoDecision {
  const byFilter: CaoDecision['byFilter'] = {};
  for (const f of selection.filteredOut) byFilter[f.filter] = (byFilter[f.filter] ?? 0) + 1;
  const byReason: CaoDecision['byReason'] = {};
  for (const s of [...selection.toOrder, ...selection.skipped]) {
    const reason = s.reason === 'cross_dealership' ? 'new' : s.reason;
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }
  return {
    active,
    toOrder: selection.toOrder.length,
    byFilter,
    byReason,
    filteredOut: selection.filteredOut.length,
    skipped: selection.skipped.length,
    duplicates: selection.duplicates.length,
  };
}
