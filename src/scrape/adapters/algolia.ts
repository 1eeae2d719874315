/**
 * DealerInspire sites. Two generations, told apart by what the listing page embeds:
 * - `var algoliaConfig = {appId, apiKeySearch, indexName}`: Algolia multi-query
 *   `POST {host}/1/indexes/* /queries`, host `https://{appId}-dsn.algolia.net` (overridable with
 *   `algolia_host`); only `results[0]` holds hits; 0-based pages up to `nbPages`.
 * - `var SEARCH_SERVICE = {apiUrl, ccid, apiKey}`: `POST {apiUrl}/api/v1/listings/{ccid}/search`,
 *   1-based pages, `data.listings[]` and `total_vehicle_count`.
 * Keys are read from the page on every run, never stored. Group indexes hold several stores: the
 * `location` option names ours, matched against the `Location` facet values with their HTML
 * stripped (one dealer's value carries markup that must be sent back verbatim).
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import {
  absoluteUrl,
  expectShape,
  findAssignedObject,
  getPath,
  parseJson,
  readJsString,
  siteUrlFor,
  stripHtml,
  text,
  truthy,
} from '../extract-util.js';
import type { Adapter, AdapterContext, RawVehicle, VehicleCollector } from '../types.js';

const PLATFORM = 'algolia';

/** Where DealerInspire sites keep lot status, tried in this order when `status_field` is unset. */
export const STATUS_FIELDS = [
  'lightning.statusLabel',
  'lightning.status',
  'custom_status',
  'vehicle_status_filter',
  'intransit',
  'in_transit',
] as const;

const options = z
  .object({
    listing_path: z.string().startsWith('/').default('/new-vehicles/'),
    /** Algolia query host; default `https://{appId}-dsn.algolia.net`. */
    algolia_host: z.string().url().optional(),
    /** Overrides the index the page names (e.g. a sort index). */
    index_name: z.string().min(1).optional(),
    /** The hit field (dot path) that holds lot status at this dealership. */
    status_field: z.string().min(1).optional(),
    /** This store's `Location` facet value (HTML ignored) on a group index. */
    location: z.string().min(1).optional(),
    /** Extra Algolia facet filters, e.g. ["type:New"]. */
    facet_filters: z.array(z.string().min(1)).default([]),
    hits_per_page: z.number().int().min(1).max(1000).default(100),
    /** SEARCH_SERVICE: listing statuses to ask for. */
    statuses: z.array(z.string().min(1)).default(['publish', 'modified', 'pend-sale']),
  })
  .strict();
type Options = z.infer<typeof options>;

export interface AlgoliaConfig {
  kind: 'algolia';
  appId: string;
  apiKey: string;
  indexName: string;
}
export interface SearchServiceConfig {
  kind: 'search-service';
  apiUrl: string;
  ccid: string;
  apiKey: string;
}

/** Pure: the search configuration a listing page embeds, or a ShapeError naming what is missing. */
export function extractSearchConfig(page: string): AlgoliaConfig | SearchServiceConfig {
  const ss = findAssignedObject(page, 'SEARCH_SERVICE');
  if (ss) {
    const apiUrl = readJsString(ss, 'apiUrl');
    const ccid = readJsString(ss, 'ccid');
    const apiKey = readJsString(ss, 'apiKey');
    if (!apiUrl || !ccid || !apiKey) {
      throw new ShapeError(PLATFORM, 'SEARCH_SERVICE', 'apiUrl, ccid or apiKey missing');
    }
    return { kind: 'search-service', apiUrl, ccid, apiKey };
  }
  const ac = findAssignedObject(page, 'algoliaConfig');
  if (!ac)
    throw new ShapeError(PLATFORM, 'listing page', 'neither algoliaConfig nor SEARCH_SERVICE is embedded');
  const appId = readJsString(ac, 'appId');
  const apiKey = readJsString(ac, 'apiKeySearch') ?? readJsString(ac, 'apiKey');
  const indexName = readJsString(ac, 'indexName');
  if (!appId || !apiKey || !indexName) {
    throw new ShapeError(PLATFORM, 'algoliaConfig', 'appId, apiKeySearch or indexName missing');
  }
  return { kind: 'algolia', appId, apiKey, indexName };
}

const hitSchema = z.looseObject({
  objectID: z.unknown().optional(),
  vin: z.unknown().optional(),
  stock: z.unknown().optional(),
  type: z.unknown().optional(),
  year: z.unknown().optional(),
  make: z.unknown().optional(),
  model: z.unknown().optional(),
  trim: z.unknown().optional(),
  msrp: z.unknown().optional(),
  our_price: z.unknown().optional(),
  link: z.unknown().optional(),
  date_in_stock: z.unknown().optional(),
});
const queriesSchema = z.looseObject({
  results: z
    .array(
      z.looseObject({
        hits: z.array(hitSchema),
        nbPages: z.number().int().nonnegative(),
        page: z.number().int().nonnegative(),
        nbHits: z.number().int().nonnegative().optional(),
        facets: z.record(z.string(), z.record(z.string(), z.number())).optional(),
      }),
    )
    .min(1),
});

/** Reads a hit's lot status from `field`, or from the first known status field that has a value. */
export function hitStatus(hit: Record<string, unknown>, field?: string): string {
  for (const f of field ? [field] : STATUS_FIELDS) {
    const v = getPath(hit, f);
    if (v === undefined || v === null || v === '') continue;
    // `intransit: true` / `in_transit: "1"`: a flag, not a label.
    if (/^(intransit|in_transit)$/.test(f) || typeof v === 'boolean') return truthy(v) ? 'In Transit' : '';
    return text(v);
  }
  return '';
}

/** Pure: one multi-query response -> page count and vehicles (results[0] only). */
export function extractAlgoliaPage(
  json: unknown,
  site: string,
  statusField?: string,
): { nbPages: number; vehicles: RawVehicle[] } {
  const r = expectShape(PLATFORM, 'queries response', queriesSchema, json).results[0]!;
  return {
    nbPages: r.nbPages,
    vehicles: r.hits.map((h) => ({
      vin: text(h.vin) || text(h.objectID),
      stock: text(h.stock),
      year: text(h.year),
      make: text(h.make),
      model: text(h.model),
      trim: text(h.trim),
      condition: text(h.type),
      status: hitStatus(h, statusField),
      price: text(h.our_price),
      msrp: text(h.msrp),
      date_in_stock: text(h.date_in_stock),
      url: absoluteUrl(h.link, site),
    })),
  };
}

/** Pure: the raw `Location` facet value whose text (HTML stripped) is `wanted`, case-insensitively. */
export function matchLocation(values: readonly string[], wanted: readonly string[]): string | undefined {
  const keys = new Set(wanted.map((w) => stripHtml(w).toLowerCase()));
  return values.find((v) => keys.has(stripHtml(v).toLowerCase()));
}

const listingSchema = z.looseObject({
  data: z.looseObject({
    listings: z.array(
      z.looseObject({
        vin: z.unknown().optional(),
        stock_number: z.unknown().optional(),
        condition: z.unknown().optional(),
        year: z.unknown().optional(),
        make: z.unknown().optional(),
        model: z.unknown().optional(),
        trim: z.unknown().optional(),
        msrp: z.unknown().optional(),
        price: z.unknown().optional(),
        vdp_url: z.unknown().optional(),
        date_in_stock: z.unknown().optional(),
        availability: z.unknown().optional(),
        in_transit: z.unknown().optional(),
      }),
    ),
    total_vehicle_count: z.coerce.number().int().nonnegative(),
  }),
});

/** Pure: one SEARCH_SERVICE response -> total and vehicles. */
export function extractSearchServicePage(
  json: unknown,
  site: string,
): { total: number; vehicles: RawVehicle[] } {
  const d = expectShape(PLATFORM, 'SEARCH_SERVICE response', listingSchema, json).data;
  return {
    total: d.total_vehicle_count,
    vehicles: d.listings.map((l) => ({
      vin: text(l.vin),
      stock: text(l.stock_number),
      year: text(l.year),
      make: text(l.make),
      model: text(l.model),
      trim: text(l.trim),
      condition: text(l.condition),
      status: text(l.availability) || (truthy(l.in_transit) ? 'In Transit' : ''),
      price: text(l.price),
      msrp: text(l.msrp),
      date_in_stock: text(l.date_in_stock),
      url: absoluteUrl(l.vdp_url, site),
    })),
  };
}

function params(p: Record<string, string | number>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

async function scrapeAlgolia(ctx: AdapterContext, opts: Options, cfg: AlgoliaConfig, out: VehicleCollector) {
  const host = (opts.algolia_host ?? `https://${cfg.appId.toLowerCase()}-dsn.algolia.net`).replace(
    /\/+$/,
    '',
  );
  const url = `${host}/1/indexes/*/queries`;
  const indexName = opts.index_name ?? cfg.indexName;
  const headers = { 'x-algolia-application-id': cfg.appId, 'x-algolia-api-key': cfg.apiKey };
  const query = async (requests: { indexName: string; params: string }[]) =>
    parseJson(PLATFORM, 'queries response', await ctx.http.text(url, { json: { requests }, headers }));

  const filters = [...opts.facet_filters];
  if (opts.location) {
    const facetJson = await query([
      { indexName, params: params({ hitsPerPage: 0, facets: '["Location"]' }) },
    ]);
    const facets = expectShape(PLATFORM, 'facet response', queriesSchema, facetJson).results[0]!.facets;
    const values = Object.keys(facets?.Location ?? {});
    const value = matchLocation(values, [opts.location]);
    if (value === undefined) {
      throw new ShapeError(
        PLATFORM,
        'Location facet',
        `no value matches "${opts.location}" (the index has: ${values.map((v) => `"${stripHtml(v)}"`).join(', ') || 'none'})`,
      );
    }
    filters.push(`Location:${value}`);
  }
  for (let page = 0; ; page++) {
    const p: Record<string, string | number> = { hitsPerPage: opts.hits_per_page, page };
    if (filters.length) p.facetFilters = JSON.stringify(filters.map((f) => [f]));
    // DealerInspire pages send facet-count queries beside the hits query; results[0] is ours.
    const json = await query([
      { indexName, params: params(p) },
      { indexName, params: params({ hitsPerPage: 0, page: 0, facets: '["type"]' }) },
    ]);
    const { nbPages, vehicles } = extractAlgoliaPage(json, ctx.siteUrl, opts.status_field);
    ctx.page(`${url} page=${page}`, vehicles.length);
    out.addAll(vehicles);
    if (page + 1 >= nbPages || vehicles.length === 0) break;
    if (page > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
  }
}

async function scrapeSearchService(
  ctx: AdapterContext,
  opts: Options,
  cfg: SearchServiceConfig,
  out: VehicleCollector,
) {
  const url = `${cfg.apiUrl.replace(/\/+$/, '')}/api/v1/listings/${encodeURIComponent(cfg.ccid)}/search`;
  let seen = 0;
  for (let page = 1; ; page++) {
    const body = await ctx.http.text(url, {
      json: { page, perPage: opts.hits_per_page, filters: { status: opts.statuses } },
      headers: { 'x-api-key': cfg.apiKey },
    });
    const { total, vehicles } = extractSearchServicePage(
      parseJson(PLATFORM, 'SEARCH_SERVICE response', body),
      ctx.siteUrl,
    );
    ctx.page(`${url} page=${page}`, vehicles.length);
    out.addAll(vehicles);
    seen += vehicles.length;
    if (vehicles.length === 0 || seen >= total) break;
    if (page > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
  }
}

export const adapter: Adapter<Options> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const listing = siteUrlFor(ctx.siteUrl, opts.listing_path);
    const cfg = extractSearchConfig(await ctx.http.text(listing));
    ctx.page(listing, 0);
    if (cfg.kind === 'algolia') await scrapeAlgolia(ctx, opts, cfg, out);
    else await scrapeSearchService(ctx, opts, cfg, out);
  },
};
