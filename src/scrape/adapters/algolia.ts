/**
 * DealerInspire sites search an Algolia index (SCRAPE-FACTS.md §1.3). The registry entry records
 * what the original scrapers hard-coded: app id, search key, and one query per type group (index +
 * facet filters), plus the store filter, status field and price fields. The listing page is read
 * only for fresher keys (`var algoliaConfig = {appId, apiKeySearch, indexName}`); when it cannot
 * be fetched or embeds none, the recorded values are used.
 *
 * Algolia multi-query: `POST {host}/1/indexes/* /queries` with the credentials in the query string
 * (as the sites send them), host `https://{appid}-dsn.algolia.net` or the registry's API host.
 * Only `paginationLimitedTo` hits (default 1,000) of a query are reachable by paging while
 * `nbHits` tells the true total: a query whose `nbHits` exceeds what its pages reach is split by
 * facet (type, then make, then year, using the counts Algolia returns) until every car is
 * reachable, or the dealership fails with that reason (never a silent part).
 */
import { z } from 'zod';
import { fieldText, matchesValue, type StoreFilter } from '../../core/scrape-rules.js';
import { ProbeLimitError, ScrapeError, ShapeError } from '../errors.js';
import {
  absoluteUrl,
  expectShape,
  findAssignedObject,
  parseJson,
  readJsString,
  siteUrlFor,
  stripHtml,
} from '../extract-util.js';
import type { Adapter, AdapterContext, NotAVehicle, RawVehicle } from '../types.js';

const PLATFORM = 'algolia';

/** One facet filter (`attr:value`, `-attr:value` negates) or an OR-group of them. */
const facetFilter = z.union([
  z.string().min(3).includes(':'),
  z.array(z.string().min(3).includes(':')).min(1),
]);

const querySchema = z
  .object({
    /** What this query covers (used, new...): progress and error messages. */
    name: z.string().min(1),
    /** The Algolia index (sort replica) the original queried for this group. */
    index: z.string().min(1),
    /** AND of OR-groups, as the site sends them (the store filter is added by the adapter). */
    facet_filters: z.array(facetFilter).default([]),
  })
  .strict();

export const options = z
  .object({
    /** Algolia application id the site uses (recorded; SCRAPE-FACTS §2). */
    app_id: z.string().regex(/^[A-Za-z0-9]+$/, 'letters and digits'),
    /** Algolia search-only key the site uses (recorded; a fresher one is read from the page). */
    api_key: z.string().min(8),
    /** The listing page that embeds `algoliaConfig`; read for fresher keys only. */
    listing_path: z.string().startsWith('/').default('/new-vehicles/'),
    /** Hits per page (Algolia allows 1..1000; the sites ask 20). */
    hits_per_page: z.number().int().min(1).max(1000).default(20),
    /** One query per type group, in the original's order. */
    queries: z.array(querySchema).min(1),
    /** Facets a capped query is split by, in order. */
    split_facets: z.array(z.string().min(1)).min(1).default(['type', 'make', 'year']),
  })
  .strict();
export type AlgoliaOptions = z.infer<typeof options>;

export interface AlgoliaConfig {
  appId: string;
  apiKey: string;
  indexName?: string;
}

/** Pure: the Algolia config a DealerInspire page embeds, or undefined when it embeds none. */
export function extractSearchConfig(page: string): AlgoliaConfig | undefined {
  const ac = findAssignedObject(page, 'algoliaConfig');
  if (!ac) return undefined;
  const appId = readJsString(ac, 'appId');
  const apiKey = readJsString(ac, 'apiKeySearch') ?? readJsString(ac, 'apiKey');
  if (!appId || !apiKey) return undefined;
  return { appId, apiKey, indexName: readJsString(ac, 'indexName') };
}

const resultSchema = z.looseObject({
  hits: z.array(z.unknown()),
  nbHits: z.number().int().nonnegative(),
  nbPages: z.number().int().nonnegative(),
  page: z.number().int().nonnegative(),
  hitsPerPage: z.number().int().nonnegative(),
  facets: z.record(z.string(), z.record(z.string(), z.number())).optional(),
});
const queriesSchema = z.looseObject({ results: z.array(resultSchema).min(1) });
export type AlgoliaResult = z.infer<typeof resultSchema>;

/** A facet filter list: AND of OR-groups. */
export type FacetFilters = readonly (string | readonly string[])[];

/** Pure: `attr:value` with a value Algolia would read as a negation escaped. */
export function facetFilterFor(attr: string, value: string): string {
  return `${attr}:${value.startsWith('-') ? `\\${value}` : value}`;
}

/**
 * Pure: true when paging cannot reach every hit of the query: Algolia's `nbPages` stops at
 * `paginationLimitedTo` while `nbHits` keeps counting.
 */
export function isCapped(r: Pick<AlgoliaResult, 'nbHits' | 'nbPages' | 'hitsPerPage'>): boolean {
  return r.nbHits > r.nbPages * r.hitsPerPage;
}

/**
 * Pure: the sub-queries that together cover a capped query, split by the first facet in `order`
 * whose counts (from the capped response) hold at least two values. Hits without any listed value
 * (no such attribute, or values past maxValuesPerFacet) get a complement query with negated
 * filters. Undefined when no facet can split it.
 */
export function splitQuery(
  filters: FacetFilters,
  facets: AlgoliaResult['facets'],
  nbHits: number,
  order: readonly string[],
): { facet: string; queries: FacetFilters[] } | undefined {
  for (const facet of order) {
    // Already split by this facet (a multi-valued attribute would list other values again).
    if (filters.some((f) => typeof f === 'string' && f.startsWith(`${facet}:`))) continue;
    const counts = facets?.[facet];
    const values = Object.keys(counts ?? {});
    if (values.length < 2) continue;
    const queries: FacetFilters[] = values.map((v) => [...filters, facetFilterFor(facet, v)]);
    const covered = values.reduce((n, v) => n + (counts?.[v] ?? 0), 0);
    if (covered < nbHits) queries.push([...filters, ...values.map((v) => `-${facetFilterFor(facet, v)}`)]);
    return { facet, queries };
  }
  return undefined;
}

/**
 * Pure: one hit -> a raw vehicle (site text; the entry's status and price rules are applied by the
 * collector), or why it cannot be one. VIN from `objectID` as the originals read it, else `vin`.
 * Odd fields (an object where text belongs) are left empty, never guessed.
 */
export function hitToVehicle(hit: Record<string, unknown>, site: string): RawVehicle | NotAVehicle {
  const t = (k: string) => fieldText(hit[k]).trim();
  const vin = t('objectID') || t('vin');
  if (vin === '') return { reject: 'hit has no objectID or vin' };
  return {
    vin,
    stock: t('stock'),
    year: t('year'),
    make: t('make'),
    model: t('model'),
    trim: t('trim'),
    condition: t('type'),
    status: '',
    price: t('our_price'),
    msrp: t('msrp'),
    date_in_stock: t('date_in_stock'),
    url: site ? absoluteUrl(t('link'), site) : t('link'),
  };
}

/** The URL-encoded `params` string of one query. */
function paramsString(p: Record<string, string | number | undefined>): string {
  return Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

type Search = (index: string, params: Record<string, string | number | undefined>) => Promise<AlgoliaResult>;

/** Everything the paging needs beyond the search itself. */
export interface Walk {
  search: Search;
  hitsPerPage: number;
  splitFacets: readonly string[];
  /** Called with each page's hits, right after the page was reported. */
  onHits(hits: readonly unknown[]): void;
  onPage(label: string, hits: number): void;
}

/**
 * Pages one query to the end, splitting it while it is capped. Throws when a capped query cannot
 * be split (the dealership fails rather than importing a part of it).
 */
export async function walkQuery(
  w: Walk,
  name: string,
  index: string,
  filters: FacetFilters,
  depth = 0,
): Promise<void> {
  const label = `${name}${filters.length ? ` ${JSON.stringify(filters)}` : ''}`;
  const base = { facetFilters: JSON.stringify(filters), hitsPerPage: w.hitsPerPage };
  const first = await w.search(index, {
    ...base,
    page: 0,
    facets: JSON.stringify(w.splitFacets),
    maxValuesPerFacet: 1000,
  });
  if (isCapped(first)) {
    const split = depth < 8 ? splitQuery(filters, first.facets, first.nbHits, w.splitFacets) : undefined;
    if (!split) {
      throw new ScrapeError(
        'capped_query',
        `algolia: query ${label} on ${index} matches ${first.nbHits} cars but paging reaches only ${first.nbPages * first.hitsPerPage} (Algolia's pagination limit), and no facet of ${w.splitFacets.join(', ')} splits it further`,
        {
          hints: [
            'Nothing was imported for this dealership (no part of an inventory is imported as the whole); its active snapshot is kept.',
            "Add a narrower query to the entry's scraper.queries, or another facet to scraper.split_facets (e.g. model).",
          ],
        },
      );
    }
    w.onPage(
      `${label}: ${first.nbHits} hits, more than paging reaches; split by ${split.facet} into ${split.queries.length}`,
      0,
    );
    for (const sub of split.queries) await walkQuery(w, name, index, sub, depth + 1);
    return;
  }
  let r = first;
  for (let page = 0; ;) {
    w.onPage(`${label} page=${page}`, r.hits.length);
    w.onHits(r.hits);
    page++;
    if (page >= r.nbPages || r.hits.length === 0) break;
    r = await w.search(index, { ...base, page });
  }
}

/** The keys to use: the listing page's when it can be read (and names the same app), else the recorded ones. */
async function resolveKeys(ctx: AdapterContext, opts: AlgoliaOptions): Promise<AlgoliaConfig> {
  if (ctx.siteUrl) {
    try {
      const cfg = extractSearchConfig(await ctx.http.text(siteUrlFor(ctx.siteUrl, opts.listing_path)));
      if (cfg && cfg.appId.toUpperCase() === opts.app_id.toUpperCase()) return cfg;
    } catch (err) {
      if (ctx.signal.aborted || err instanceof ProbeLimitError) throw err;
      // A page we cannot read (bot wall, moved, down) is why the keys are recorded.
    }
  }
  return { appId: opts.app_id, apiKey: opts.api_key };
}

/** The store facet and the values that are ours, from the facet counts of a query without it. */
function ownStoreValues(filter: StoreFilter, counts: Record<string, number>): string[] {
  return Object.keys(counts).filter((v) => matchesValue(v, filter.value, filter.match));
}

export const adapter: Adapter<AlgoliaOptions> = {
  platform: PLATFORM,
  options,
  // The originals never fetched the dealer site: app id, key and indexes are recorded.
  siteUrlOptional: true,
  async scrape(ctx, opts, out) {
    const keys = await resolveKeys(ctx, opts);
    const host = (ctx.apiHost ?? `https://${keys.appId.toLowerCase()}-dsn.algolia.net`).replace(/\/+$/, '');
    // Credentials in the query string, as the DealerInspire pages send them.
    const url = `${host}/1/indexes/*/queries?${paramsString({
      'x-algolia-agent': 'Algolia for JavaScript (4.9.1); Browser (lite)',
      'x-algolia-api-key': keys.apiKey,
      'x-algolia-application-id': keys.appId,
    })}`;
    const search: Search = async (indexName, params) => {
      const body = await ctx.http.text(url, {
        json: { requests: [{ indexName, params: paramsString(params) }] },
      });
      const json = parseJson(PLATFORM, 'queries response', body);
      return expectShape(PLATFORM, 'queries response', queriesSchema, json).results[0]!;
    };

    const filter = ctx.params.store_filter;
    const facet = filter?.param ?? filter?.field;
    const storesSeen = new Set<string>();
    let ownFound = false;
    const take = (hits: readonly unknown[]) => {
      for (const h of hits) out.take(h, (row) => hitToVehicle(row, ctx.siteUrl));
    };
    // Group index: narrow each query to our store's facet value(s) as the site does. The values
    // come from Algolia's own facet counts (markup and all), matched by the entry's rule; asked
    // for every query first, so a wrong filter fails before any paging and a probe sees them all.
    const planned: { name: string; index: string; filters: FacetFilters }[] = [];
    for (const q of opts.queries) {
      if (!filter || !facet) {
        planned.push({ name: q.name, index: q.index, filters: q.facet_filters });
        continue;
      }
      const r = await search(q.index, {
        facetFilters: JSON.stringify(q.facet_filters),
        hitsPerPage: 0,
        facets: JSON.stringify([facet]),
        maxValuesPerFacet: 1000,
      });
      const counts = r.facets?.[facet] ?? {};
      const own = ownStoreValues(filter, counts);
      for (const [v, n] of Object.entries(counts)) {
        storesSeen.add(v);
        // Other stores' cars are never fetched: they show as store values seen, with their counts.
        if (!own.includes(v)) out.seen.stores[v] = (out.seen.stores[v] ?? 0) + n;
      }
      if (own.length === 0) continue;
      ownFound = true;
      planned.push({
        name: q.name,
        index: q.index,
        filters: [...q.facet_filters, own.map((v) => facetFilterFor(facet, v))],
      });
    }
    if (filter && facet && !ownFound) {
      const seen = [...storesSeen].map((v) => `"${stripHtml(v)}"`);
      throw new ShapeError(
        PLATFORM,
        `${facet} facet`,
        `no value matches the store filter ${JSON.stringify(filter.value)} (${filter.match}); the index has: ${seen.join(', ') || 'none'}`,
      );
    }
    for (const q of planned) {
      await walkQuery(
        {
          search,
          hitsPerPage: opts.hits_per_page,
          splitFacets: opts.split_facets,
          onHits: take,
          onPage: (label, n) => ctx.page(`${q.index} ${label}`, n),
        },
        q.name,
        q.index,
        q.filters,
      );
    }
  },
};
