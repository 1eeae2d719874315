/**
 * DealerOn, HTML: listing pages `/searchall.aspx?pt=N` carry `script#dlron-srp-model` with
 * `ItemListJson` (a schema.org ItemList, often JSON inside a JSON string) and
 * `SearchResultsListModel.ResultsCount`; each vehicle's detail page carries
 * `.vdp[data-vehicle-information]` with `data-vin`, `data-stocknum`, `data-price`, ... Pagination
 * links are `href="#"`: there is a next page while `li.pagination__item--next` is not `disabled`.
 * A `pt` past the end may answer page 1 again, so paging also stops when a page brings nothing new.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, parseJson, siteUrlFor, text, truthy } from '../extract-util.js';
import { parseHtml, scriptById } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealeron-html';

const options = z
  .object({
    listing_path: z.string().startsWith('/').default('/searchall.aspx'),
    /** Detail pages fetched at once for this dealership (the host rate limit still applies). */
    detail_concurrency: z.number().int().min(1).max(16).default(4),
  })
  .strict();

/** A vehicle as the listing shows it: where its detail page is. */
export interface ListedVehicle {
  url: string;
  vin: string;
  name: string;
}

/** Pure: one listing page -> listed vehicles, the results count and whether a next page exists. */
export function extractDealerOnListing(
  html: string,
  site: string,
): { vehicles: ListedVehicle[]; resultsCount: number; hasNext: boolean } {
  const root = parseHtml(html);
  const raw = scriptById(root, 'dlron-srp-model');
  if (raw === undefined) throw new ShapeError(PLATFORM, 'listing page', 'no script#dlron-srp-model');
  const model = parseJson(PLATFORM, 'dlron-srp-model', raw) as Record<string, unknown>;
  let list = model.ItemListJson;
  if (typeof list === 'string') list = parseJson(PLATFORM, 'ItemListJson', list);
  const elements = (list as { itemListElement?: unknown } | undefined)?.itemListElement;
  if (!Array.isArray(elements)) throw new ShapeError(PLATFORM, 'ItemListJson', 'no itemListElement array');
  const count = (model.SearchResultsListModel as { ResultsCount?: unknown } | undefined)?.ResultsCount;
  if (count === undefined)
    throw new ShapeError(PLATFORM, 'dlron-srp-model', 'no SearchResultsListModel.ResultsCount');
  const vehicles = elements.map((e, i) => {
    const item = ((e as { item?: unknown }).item ?? e) as Record<string, unknown>;
    const url = absoluteUrl(item.url, site);
    if (!url) throw new ShapeError(PLATFORM, 'ItemListJson', `element ${i} has no url`);
    return { url, vin: text(item.vehicleIdentificationNumber), name: text(item.name) };
  });
  const next = root.querySelector('li.pagination__item--next');
  return {
    vehicles,
    resultsCount: Number(count) || 0,
    hasNext: next !== null && !next.classList.contains('disabled'),
  };
}

/** Pure: a detail page -> the vehicle its `.vdp[data-vehicle-information]` describes. */
export function extractDealerOnDetail(html: string, url: string): RawVehicle {
  const el = parseHtml(html).querySelector('[data-vehicle-information]');
  if (!el) throw new ShapeError(PLATFORM, `detail page ${url}`, 'no [data-vehicle-information] element');
  const a = (k: string) => el.getAttribute(`data-${k}`) ?? '';
  const type = a('vehicletype');
  return {
    vin: a('vin'),
    stock: a('stocknum'),
    year: a('year'),
    make: a('make'),
    model: a('model'),
    trim: a('trim'),
    // data-cpo marks certified cars whose vehicletype still says "Used".
    condition: truthy(a('cpo')) && !/certified|cpo/i.test(type) ? `Certified ${type || 'Used'}` : type,
    status: truthy(a('intransit')) ? 'In Transit' : truthy(a('instock')) ? 'In Stock' : '',
    price: a('price'),
    msrp: a('msrp'),
    date_in_stock: a('dateinstock'),
    url,
  };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const listed = new Map<string, ListedVehicle>();
    for (let pt = 1; ; pt++) {
      const url = `${siteUrlFor(ctx.siteUrl, opts.listing_path)}?pt=${pt}`;
      const page = extractDealerOnListing(await ctx.http.text(url), ctx.siteUrl);
      ctx.page(url, page.vehicles.length);
      let fresh = 0;
      let repeats = 0;
      for (const v of page.vehicles) {
        const key = v.vin ? v.vin.replace(/\s+/g, '').toUpperCase() : v.url;
        if (!listed.has(key)) {
          listed.set(key, v);
          fresh++;
        } else repeats++;
      }
      // A page with nothing new is page 1 again (past the end): its repeats are no duplicates.
      if (fresh > 0) out.skipped.duplicates += repeats;
      if (!page.hasNext || fresh === 0) break;
      if (pt > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
    }
    const limit = pLimit(opts.detail_concurrency);
    const details = await Promise.all(
      [...listed.values()].map((v) =>
        limit(async () => {
          const res = await ctx.http.request(v.url, { allowStatus: [404, 410] });
          ctx.page(v.url, 1);
          // A car sold between the listing and its detail page.
          if (res.status === 404 || res.status === 410) return undefined;
          return extractDealerOnDetail(res.body, v.url);
        }),
      ),
    );
    for (const d of details) {
      if (d) out.add(d);
      else out.skipped.gone++;
    }
  },
};
