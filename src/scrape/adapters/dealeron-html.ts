/**
 * DealerOn, HTML (SCRAPE-FACTS 1.5, Porsche St. Louis): listing pages `/searchnew.aspx?pt=N`, then
 * `/searchused.aspx?pt=N`, `pt` from 1, carry `script#dlron-srp-model` (whitespace collapsed, JSON)
 * with `ItemListJson` (a JSON string: `itemListElement[]` with `url`, `name`) and
 * `SearchResultsListModel.ResultsCount`; a missing script ends that listing. Pages: total =
 * `ResultsCount // 12 + 1`; stop at that or a page with fewer than 12 items (or nothing new). Each
 * vehicle's detail page has `div.vdp.vdp--mod` whose `data-*` attributes are the row.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { isTrue } from '../../core/scrape-rules.js';
import { ProbeLimitError, ScrapeAbortedError, ScrapeError, ShapeError } from '../errors.js';
import { absoluteUrl, parseJson, siteUrlFor, text } from '../extract-util.js';
import { parseHtml, scriptById } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealeron-html';

const options = z
  .object({
    /** Listing pages, read in order (`?pt=N` appended). */
    listing_paths: z
      .array(z.string().startsWith('/'))
      .min(1)
      .default(['/searchnew.aspx', '/searchused.aspx']),
    /** Items per listing page: the page count is ResultsCount // page_size + 1, a shorter page is the last. */
    page_size: z.number().int().min(1).max(100).default(12),
    /** Detail pages fetched at once for this dealership (the host rate limit still applies). */
    detail_concurrency: z.number().int().min(1).max(16).default(4),
  })
  .strict();

/** A vehicle as the listing shows it: where its detail page is. */
export interface ListedVehicle {
  url: string;
  name: string;
}

/**
 * Pure: one listing page -> listed vehicles and the results count; null when the page has no
 * `script#dlron-srp-model` (the original ended that listing there).
 */
export function extractDealerOnListing(
  html: string,
  site: string,
): { vehicles: ListedVehicle[]; resultsCount: number } | null {
  const raw = scriptById(parseHtml(html), 'dlron-srp-model');
  if (raw === undefined) return null;
  const model = parseJson(PLATFORM, 'dlron-srp-model', raw.replace(/\s+/g, ' ')) as Record<string, unknown>;
  let list = model.ItemListJson;
  if (typeof list === 'string') list = parseJson(PLATFORM, 'ItemListJson', list);
  const elements = (list as { itemListElement?: unknown } | undefined)?.itemListElement;
  if (!Array.isArray(elements)) throw new ShapeError(PLATFORM, 'ItemListJson', 'no itemListElement array');
  const count = (model.SearchResultsListModel as { ResultsCount?: unknown } | undefined)?.ResultsCount;
  const vehicles: ListedVehicle[] = [];
  for (const e of elements) {
    if (!e || typeof e !== 'object') continue;
    const item = ((e as { item?: unknown }).item ?? e) as Record<string, unknown>;
    const url = absoluteUrl(item.url, site);
    if (url) vehicles.push({ url, name: text(item.name) });
  }
  const n = Number(text(count));
  return { vehicles, resultsCount: Number.isFinite(n) ? n : 0 };
}

/** Pure: a detail page -> the `data-*` attributes of its `div.vdp` (keys without `data-`), or null. */
export function extractDealerOnDetailRow(html: string): Record<string, string> | null {
  const el = parseHtml(html).querySelector('div.vdp');
  if (!el) return null;
  const row: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attributes)) {
    if (k.toLowerCase().startsWith('data-')) row[k.toLowerCase().slice(5)] = v;
  }
  return row;
}

/** Pure: the attribute row of a detail page -> a vehicle. */
export function dealerOnDetailVehicle(a: Record<string, unknown>, url: string): RawVehicle {
  const s = (k: string) => text(a[k]).trim();
  const type = s('vehicletype');
  // data-cpo="True" marks certified cars whose vehicletype still says "Used".
  const condition = isTrue(a.cpo) && !/certified|cpo/i.test(type) ? 'Certified Pre-Owned' : type;
  return {
    vin: s('vin'),
    stock: s('dotagging-item-number') || s('stocknum'),
    year: s('year'),
    make: s('make'),
    model: s('model'),
    trim: s('trim'),
    condition,
    // The original: data-intransit "False" -> In Stock, anything else -> In Transit.
    status: s('intransit') === 'False' ? 'In Stock' : 'In Transit',
    price: s('price'),
    msrp: '',
    date_in_stock: s('dotagging-item-inventory-date') || s('dateinstock'),
    url,
  };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const listed = new Map<string, ListedVehicle>();
    for (const listingPath of opts.listing_paths) {
      let lastPage = Infinity;
      for (let pt = 1; pt <= lastPage; pt++) {
        if (pt > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
        const url = `${siteUrlFor(ctx.siteUrl, listingPath)}?pt=${pt}`;
        const page = extractDealerOnListing(await ctx.http.text(url), ctx.siteUrl);
        ctx.page(url, page?.vehicles.length ?? 0);
        if (!page) break;
        let fresh = 0;
        for (const v of page.vehicles) {
          if (!listed.has(v.url)) {
            listed.set(v.url, v);
            fresh++;
          }
        }
        lastPage = Math.floor(page.resultsCount / opts.page_size) + 1;
        if (page.vehicles.length < opts.page_size || fresh === 0) break;
      }
    }
    const limit = pLimit(opts.detail_concurrency);
    await Promise.all(
      [...listed.values()].map((v) =>
        limit(async () => {
          let res;
          try {
            res = await ctx.http.request(v.url, { allowStatus: [404, 410] });
          } catch (err) {
            // One detail page that fails on every attempt costs that car, not the dealership.
            if (err instanceof ProbeLimitError || err instanceof ScrapeAbortedError) throw err;
            if (!(err instanceof ScrapeError) || ctx.signal.aborted) throw err;
            out.reject(`detail page failed: ${err.message}`, { url: v.url, name: v.name });
            return;
          }
          ctx.page(v.url, 1);
          // A car sold between the listing and its detail page.
          if (res.status === 404 || res.status === 410) {
            out.counts.gone++;
            return;
          }
          const row = extractDealerOnDetailRow(res.body);
          if (!row) {
            out.reject('detail page has no div.vdp', { url: v.url, name: v.name });
            return;
          }
          out.take(row, (r) => dealerOnDetailVehicle(r, v.url));
        }),
      ),
    );
  },
};
