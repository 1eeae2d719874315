/**
 * What every platform adapter shares.
 *
 * Glossary: an **adapter** scrapes one website platform. It is split into fetching/paging
 * (`scrape`, with HTTP or a browser) and pure **extractors** (a JSON payload or HTML page in,
 * raw vehicle records out). A **raw vehicle** carries the canonical fields of the CSV importer as
 * the site wrote them; normalization (VIN case, prices, condition, lot status) happens once, in
 * the import, exactly as for a CSV feed.
 */
import { RAW_FIELDS, type RawField } from '../core/columns.js';
import {
  exclusionOf,
  priceOf,
  priceValue,
  statusOf,
  storeOf,
  type CommonParams,
} from '../core/scrape-rules.js';
import type { z } from 'zod';
import type { BrowserSession } from './browser.js';
import type { HttpClient } from './http.js';

/** The canonical vehicle fields of a scrape CSV, in column order (after `dealership`): the importer's own. */
export { RAW_FIELDS, type RawField };

/** One vehicle as a site shows it: text values, '' when the site has none. */
export type RawVehicle = { vin: string } & Partial<Record<Exclude<RawField, 'vin'>, string>>;

/** What a dealership's adapter gets from the runner. */
export interface AdapterContext {
  dealership: { name: string; slug: string; aliases: readonly string[] };
  /** The site URL from the registry, without a trailing slash. */
  siteUrl: string;
  /**
   * The registry's `api_host` (without a trailing slash), or null: where a hosted search API
   * (Algolia, SEARCH_SERVICE) or an entry's second site is reached instead of its recorded host.
   * `silverfox dealers set NAME --api-host URL` sets it (fixture sites, proxies).
   */
  apiHost: string | null;
  /** The entry's shared parameters (store filter, status, price, exclusions), already validated. */
  params: CommonParams;
  /** True under `scrape --probe`: the runner stops the adapter after the first pages. */
  probe: boolean;
  http: HttpClient;
  /** The per-request timeout (ms), for waits the HTTP client does not cover (browser pages). */
  timeoutMs: number;
  /** Aborted on the dealership timeout, by the watchdog, or on Ctrl-C. */
  signal: AbortSignal;
  /** A browser context for client-rendered sites (launched on first use, closed by the runner). */
  browser(): Promise<BrowserSession>;
  /** True when a store name on a group site (sister stores) is this dealership or one of its aliases. */
  isOwnStore(storeName: string): boolean;
  /** Reports a retry the adapter did itself (browser pages); HTTP retries are counted by `http`. */
  retried(url: string, attempt: number, error: Error): void;
  /**
   * Reports a fetched page (progress and the watchdog's heartbeat). Under `--probe` it throws
   * `ProbeLimitError` once the probe has its pages (the runner catches it): call it right after
   * the fetch, before taking the page's rows.
   */
  page(url: string, vehicles: number): void;
}

/** A platform adapter: options validated by its own schema, then a scrape into a collector. */
export interface Adapter<O = unknown> {
  platform: string;
  /** The adapter's options in the registry entry's `scraper` object (spread COMMON_PARAMS in). */
  options: z.ZodType<O>;
  scrape(ctx: AdapterContext, options: O, out: VehicleCollector): Promise<void>;
}

/**
 * Per-dealership counts of a scrape. Every row the site served ends in exactly one of kept,
 * duplicates, sisterStore, excluded, rejected: served = kept + duplicates + sisterStore +
 * excluded + rejected. noPrice, offLot and unknownStatus count kept rows.
 */
export interface ScrapeCounts {
  /** Rows the site served (every row offered to the collector). */
  served: number;
  kept: number;
  /** The same VIN again (another page, or another inventory feed): first wins. */
  duplicates: number;
  /** Rows of a sister store listed on a group site. */
  sisterStore: number;
  /** Rows excluded by the entry's rules (wholesale, loaner...). */
  excluded: number;
  excludedBy: Record<string, number>;
  /** Rows that cannot be a vehicle (no VIN, not an object): in the run's rejects file with a reason. */
  rejected: number;
  /** Kept rows without a price ("Please call", 0, blank, missing). */
  noPrice: number;
  /** Kept rows off the lot (in transit, being built...). */
  offLot: number;
  /** Kept rows whose status label the entry does not list (see unseenStatuses). */
  unknownStatus: number;
  /** Listed, but gone by the time its detail was fetched (sold): not a row served. */
  gone: number;
  /** Status labels the entry does not list, with how many kept rows had each. */
  unseenStatuses: Record<string, number>;
}

/** The old name of the counts (duplicates, sisterStore, gone are still there). */
export type SkipCounts = ScrapeCounts;

export function emptyScrapeCounts(): ScrapeCounts {
  return {
    served: 0,
    kept: 0,
    duplicates: 0,
    sisterStore: 0,
    excluded: 0,
    excludedBy: {},
    rejected: 0,
    noPrice: 0,
    offLot: 0,
    unknownStatus: 0,
    gone: 0,
    unseenStatuses: {},
  };
}

/** A row that cannot be a vehicle, for the run's rejects file. */
export interface ScrapeReject {
  reason: string;
  /** The row as served (JSON, cut to 500 characters). */
  row: string;
}

/** What `--probe` shows besides counts: values seen on the rows (all rows, kept or not). */
export interface SeenValues {
  /** Store values (the store filter's field) -> rows. */
  stores: Record<string, number>;
  /** Status labels -> rows. */
  statuses: Record<string, number>;
  /** Price field a kept row's price came from ('(none)' when none) -> rows. */
  priceFields: Record<string, number>;
}

/** What `build` returns for a row that is not a vehicle: the reason. */
export type NotAVehicle = { reject: string };

function bump(r: Record<string, number>, key: string, n = 1): void {
  r[key] = (r[key] ?? 0) + n;
}

function rowText(row: unknown): string {
  let t: string;
  try {
    t = typeof row === 'string' ? row : (JSON.stringify(row) ?? String(row));
  } catch {
    t = String(row);
  }
  return t.length > 500 ? `${t.slice(0, 497)}...` : t;
}

/**
 * Collects a dealership's vehicles and accounts for every row. Adapters hand each served row to
 * `take(row, build)`: the collector applies the entry's store filter, exclusions, status and price
 * rules, keeps the first row of each VIN (compared trimmed and upper-cased) and counts the rest.
 * A row `build` cannot turn into a vehicle (it throws, returns `{reject}`, or no VIN) is rejected
 * with the reason, never failing the dealership.
 */
export class VehicleCollector {
  readonly vehicles: RawVehicle[] = [];
  readonly counts: ScrapeCounts = emptyScrapeCounts();
  readonly rejects: ScrapeReject[] = [];
  readonly seen: SeenValues = { stores: {}, statuses: {}, priceFields: {} };
  private readonly keys = new Set<string>();

  constructor(private readonly params: CommonParams = { group_site: false, exclude: [], notes: [] }) {}

  /** The old name of `counts`. */
  get skipped(): ScrapeCounts {
    return this.counts;
  }

  /** The key duplicates are detected by (not a normalization: the import does that). */
  static key(vin: string): string {
    return vin.replace(/\s+/g, '').toUpperCase();
  }

  has(vin: string): boolean {
    return this.keys.has(VehicleCollector.key(vin));
  }

  /**
   * Takes one served row: `build` reads the platform's fields into a RawVehicle (status and price
   * as the site wrote them; the entry's rules override them when it has some). Returns true when kept.
   */
  take(row: unknown, build: (row: Record<string, unknown>) => RawVehicle | NotAVehicle): boolean {
    this.counts.served++;
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      this.rejectRow('not a vehicle object', row);
      return false;
    }
    let v: RawVehicle | NotAVehicle;
    try {
      v = build(row as Record<string, unknown>);
    } catch (err) {
      this.rejectRow(`unreadable row: ${(err as Error).message}`, row);
      return false;
    }
    if ('reject' in v) {
      this.rejectRow(v.reject, row);
      return false;
    }
    if (VehicleCollector.key(v.vin ?? '') === '') {
      this.rejectRow('no VIN', row);
      return false;
    }
    const { verdict, store } = storeOf(this.params.store_filter, row);
    if (store !== '') bump(this.seen.stores, store);
    if (verdict === 'sister') {
      this.countSister(v.vin);
      return false;
    }
    const excluded = exclusionOf(this.params.exclude, row);
    if (excluded !== null) {
      this.countExcluded(v.vin, excluded);
      return false;
    }
    const status = statusOf(this.params.status, row, v.status ?? '');
    if (status.label !== '') bump(this.seen.statuses, status.label);
    let priceField: string | null = v.price ? '(adapter)' : null;
    let vehicle: RawVehicle = { ...v, status: status.text };
    if (this.params.price) {
      const p = priceOf(this.params.price, row);
      priceField = p.field;
      vehicle = {
        ...vehicle,
        price: p.price,
        msrp: p.msrp || (this.params.price.msrp_fields.length ? '' : (v.msrp ?? '')),
      };
    }
    if (!this.keep(vehicle)) return false;
    bump(this.seen.priceFields, priceValue(vehicle.price) === null ? '(none)' : (priceField ?? '(adapter)'));
    if (priceValue(vehicle.price) === null) this.counts.noPrice++;
    if (status.lot === 'off_lot') this.counts.offLot++;
    if (status.unlisted) bump(this.counts.unseenStatuses, status.label);
    if (status.lot === 'unknown') this.counts.unknownStatus++;
    return true;
  }

  /** Records a row that cannot be a vehicle (counted as served and rejected). */
  reject(reason: string, row: unknown): void {
    this.counts.served++;
    this.rejectRow(reason, row);
  }

  private rejectRow(reason: string, row: unknown): void {
    this.counts.rejected++;
    this.rejects.push({ reason, row: rowText(row) });
  }

  private keep(v: RawVehicle): boolean {
    const key = VehicleCollector.key(v.vin);
    if (this.keys.has(key)) {
      this.counts.duplicates++;
      return false;
    }
    this.keys.add(key);
    this.vehicles.push(v);
    this.counts.kept++;
    return true;
  }

  private countSister(vin: string): void {
    // Once per VIN: group feeds list a car on several pages; the repeats are duplicates.
    const key = `sister:${VehicleCollector.key(vin)}`;
    if (this.keys.has(key)) {
      this.counts.duplicates++;
      return;
    }
    this.keys.add(key);
    this.counts.sisterStore++;
  }

  private countExcluded(vin: string, reason: string): void {
    const key = `excluded:${VehicleCollector.key(vin)}`;
    if (this.keys.has(key)) {
      this.counts.duplicates++;
      return;
    }
    this.keys.add(key);
    this.counts.excluded++;
    bump(this.counts.excludedBy, reason);
  }

  /**
   * Adds a vehicle the adapter built and judged itself (older adapters); false when its VIN was
   * already collected. Counts it as served; a row without VIN is rejected.
   */
  add(v: RawVehicle): boolean {
    this.counts.served++;
    if (VehicleCollector.key(v.vin ?? '') === '') {
      this.rejectRow('no VIN', v);
      return false;
    }
    if (!this.keep(v)) return false;
    const status = statusOf(undefined, null, v.status ?? '');
    if (status.lot === 'off_lot') this.counts.offLot++;
    if (priceValue(v.price) === null) this.counts.noPrice++;
    if (status.label !== '') bump(this.seen.statuses, status.label);
    return true;
  }

  /** Counts a sister store's row the adapter recognised itself (served, once per VIN). */
  skipSisterStore(vin: string, store = ''): void {
    this.counts.served++;
    if (store !== '') bump(this.seen.stores, store);
    this.countSister(vin);
  }

  /** Counts a row the adapter excluded itself (served, once per VIN). */
  skipExcluded(vin: string, reason: string): void {
    this.counts.served++;
    this.countExcluded(vin, reason);
  }

  /** Adds a page of vehicles; returns how many were new. */
  addAll(vs: readonly RawVehicle[]): number {
    let n = 0;
    for (const v of vs) if (this.add(v)) n++;
    return n;
  }

  /**
   * Adds one page of a paged listing; returns how many were new. A page with nothing new ends the
   * paging (a page number past the end answers page 1 again), so its repeats are not counted: they
   * are the site's way of saying "no more".
   */
  addPage(vs: readonly RawVehicle[]): number {
    const before = this.counts.duplicates;
    const n = this.addAll(vs);
    if (n === 0) {
      this.counts.served -= this.counts.duplicates - before;
      this.counts.duplicates = before;
    }
    return n;
  }
}
