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
  /** Reports a fetched page (progress and the watchdog's heartbeat). */
  page(url: string, vehicles: number): void;
}

/** A platform adapter: options validated by its own schema, then a scrape into a collector. */
export interface Adapter<O = unknown> {
  platform: string;
  /** The adapter's options in the registry entry's `scraper` object. */
  options: z.ZodType<O>;
  scrape(ctx: AdapterContext, options: O, out: VehicleCollector): Promise<void>;
}

/** Counts of rows a scrape saw but did not keep, with the reason. */
export interface SkipCounts {
  /** The same VIN again (another page, or another inventory feed): first wins. */
  duplicates: number;
  /** Rows of a sister store listed on a group site. */
  sisterStore: number;
  /** Listed, but gone by the time its detail was fetched (sold). */
  gone: number;
}

/**
 * Collects a dealership's vehicles: keeps the first row of each VIN (compared trimmed and
 * upper-cased) and counts what it skipped. Rows without any VIN are kept too: the import rejects
 * them with a reason (nothing is silently dropped).
 */
export class VehicleCollector {
  readonly vehicles: RawVehicle[] = [];
  readonly skipped: SkipCounts = { duplicates: 0, sisterStore: 0, gone: 0 };
  private readonly seen = new Set<string>();

  /** The key duplicates are detected by (not a normalization: the import does that). */
  static key(vin: string): string {
    return vin.replace(/\s+/g, '').toUpperCase();
  }

  has(vin: string): boolean {
    return this.seen.has(VehicleCollector.key(vin));
  }

  /** Adds a vehicle; false when its VIN was already collected. */
  add(v: RawVehicle): boolean {
    const key = VehicleCollector.key(v.vin);
    if (key !== '') {
      if (this.seen.has(key)) {
        this.skipped.duplicates++;
        return false;
      }
      this.seen.add(key);
    }
    this.vehicles.push(v);
    return true;
  }

  /** Counts a sister store's row (once per VIN: group feeds list a car on several pages). */
  skipSisterStore(vin: string): void {
    const key = `sister:${VehicleCollector.key(vin)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.skipped.sisterStore++;
  }

  /** Adds a page of vehicles; returns how many were new. */
  addAll(vs: readonly RawVehicle[]): number {
    let n = 0;
    for (const v of vs) if (this.add(v)) n++;
    return n;
  }

  /**
   * Adds one page of a paged listing; returns how many were new. A page with nothing new ends the
   * paging (a page number past the end answers page 1 again), so its repeats are not counted as
   * duplicates: they are the site's way of saying "no more".
   */
  addPage(vs: readonly RawVehicle[]): number {
    const before = this.skipped.duplicates;
    const n = this.addAll(vs);
    if (n === 0) this.skipped.duplicates = before;
    return n;
  }
}
