/**
 * Dealr (SCRAPE-FACTS.md §2 "Stehouwer Auto"): `/functions/getInventorySubset?body_type=T&blockKey=K`
 * once per body type -> `{filters, list: "<card html>"}`; each card links a detail page whose JSON
 * script holds the offer (`makesOffer.itemOffered.*`, `makesOffer.priceSpecification.price`), with the
 * VIN in `div.vin-container` and the stock in `div.stock-container`. The recorded scraper sent no
 * page number; when `filters` says a body type has more cars than the answer held, further pages
 * are asked for, and if the cars still are not all reachable the scrape fails instead of importing
 * a part.
 */
import { z } from 'zod';
import { forEachLimited } from '../detail-pages.js';
import { ShapeError } from '../errors.js';
import { expectShape, getPath, parseJson, siteUrlFor, text } from '../extract-util.js';
import { parseHtml } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealr';

const options = z
  .object({
    block_key: z.string().min(1).default('blocks/inventory/srp/inventory-list.twig'),
    /** One getInventorySubset request per body type; a car of another body type is never listed. */
    body_types: z.array(z.string().min(1)).min(1).default(['Car', 'Suv', 'Truck']),
    /** Cars of this model year or later are New, older ones Used (the site says neither). */
    new_from_year: z.number().int().min(1900).max(3000).default(2024),
    detail_concurrency: z.number().int().min(1).max(16).default(4),
  })
  .strict();

export type DealrOptions = z.infer<typeof options>;

const subsetSchema = z.looseObject({ list: z.string(), filters: z.unknown().optional() });

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Pure: one getInventorySubset answer -> detail links (as written) and what `filters` claims. */
export function extractDealrSubset(json: unknown): { links: string[]; matches?: number; pages?: number } {
  const { list, filters } = expectShape(PLATFORM, 'getInventorySubset response', subsetSchema, json);
  const links = parseHtml(list)
    .querySelectorAll('a.dealr-inventory-list__vehicle__photo-container')
    .map((a) => a.getAttribute('href') ?? '');
  const num = (k: string) => {
    const n = Number(getPath(filters, k));
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  return { links, matches: num('matches'), pages: num('pages') };
}

/** `https://site/` + href, as the recorded scraper built it (hrefs are relative, without `/`). */
export function dealrDetailUrl(site: string, href: string): string {
  if (/^https?:\/\//i.test(href)) return href;
  return siteUrlFor(site, `/${href.replace(/^\/+/, '')}`);
}

/**
 * Pure: a detail page -> a row for the collector (the page's JSON with `vin`, `stock`,
 * `exterior_color`, `url` added), or the reason it cannot be a vehicle.
 */
export function extractDealrDetail(
  html: string,
  url: string,
): { row: Record<string, unknown> } | { reject: string } {
  const root = parseHtml(html);
  const script = root.querySelectorAll('script').find((s) => s.rawText.includes('model'));
  let json: unknown;
  try {
    json = script ? JSON.parse(collapse(script.rawText)) : undefined;
  } catch {
    json = undefined;
  }
  if (!json || typeof json !== 'object' || !getPath(json, 'makesOffer.itemOffered')) {
    return { reject: 'no vehicle JSON (makesOffer.itemOffered) in the detail page' };
  }
  const stock = collapse(root.querySelector('div.stock-container')?.text ?? '');
  const exterior = root.querySelectorAll('b').find((b) => collapse(b.text) === 'Exterior');
  return {
    row: {
      ...(json as Record<string, unknown>),
      vin: collapse(root.querySelector('div.vin-container')?.text ?? ''),
      stock: stock.includes(':') ? collapse(stock.slice(stock.indexOf(':') + 1)) : stock,
      exterior_color: collapse(exterior?.parentNode?.nextElementSibling?.text ?? ''),
      url,
    },
  };
}

/**
 * The raw vehicle of a detail row: year = the name's first word, trim = what follows ` <model> `,
 * New from `newFromYear` on (the site says neither); price as written (the entry's rule picks it).
 */
export function dealrVehicle(row: Record<string, unknown>, newFromYear: number): RawVehicle {
  const item = getPath(row, 'makesOffer.itemOffered');
  const name = collapse(text(getPath(item, 'name')));
  const model = collapse(text(getPath(item, 'model')));
  const year = /^\d{4}\b/.exec(name)?.[0] ?? '';
  const at = model ? name.indexOf(` ${model} `) : -1;
  return {
    vin: text(row.vin),
    stock: text(row.stock),
    year,
    make: text(getPath(item, 'manufacturer.name')),
    model,
    trim: at >= 0 ? name.slice(at + model.length + 2).trim() : '',
    condition: year === '' ? '' : Number(year) >= newFromYear ? 'New' : 'Used',
    status: '',
    price: text(getPath(row, 'makesOffer.priceSpecification.price')),
    msrp: '',
    url: text(row.url),
  };
}

export const adapter: Adapter<DealrOptions> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const details = new Set<string>();
    for (const body of opts.body_types) {
      const links = new Set<string>();
      // Cards without a link are rejected rows, but still cars the site counted.
      let linkless = 0;
      let claimed: number | undefined;
      for (let page = 1; ; page++) {
        // The first request is the recorded one (no page number); later ones only when needed.
        const url = siteUrlFor(
          ctx.siteUrl,
          `/functions/getInventorySubset?body_type=${encodeURIComponent(body)}&blockKey=${encodeURIComponent(opts.block_key)}${page > 1 ? `&page=${page}` : ''}`,
        );
        const res = extractDealrSubset(
          parseJson(PLATFORM, 'getInventorySubset response', await ctx.http.text(url)),
        );
        ctx.page(url, res.links.length);
        claimed ??= res.matches;
        const hrefs = res.links.filter((h) => h !== '').map((h) => dealrDetailUrl(ctx.siteUrl, h));
        // A later page with no new link is the site repeating itself (it ignores `page`).
        const repeat = page > 1 && hrefs.every((h) => links.has(h));
        if (!repeat) {
          for (const h of hrefs) links.add(h);
          for (let i = res.links.length - hrefs.length; i > 0; i--) {
            linkless++;
            out.reject('a vehicle card without a detail link', { url });
          }
        }
        const reached = links.size + linkless;
        const complete = claimed === undefined || reached >= claimed;
        if (complete || repeat || page >= (res.pages ?? 1)) {
          if (!complete) {
            throw new ShapeError(
              PLATFORM,
              `getInventorySubset body_type=${body}`,
              `the site counts ${claimed} cars but only ${reached} could be reached`,
            );
          }
          break;
        }
      }
      // A car listed under two body types (a crossover as Car and Suv) is fetched once.
      for (const l of links) {
        if (details.has(l)) {
          out.counts.served++;
          out.counts.duplicates++;
        } else details.add(l);
      }
    }
    await forEachLimited([...details.keys()], opts.detail_concurrency, async (url) => {
      const res = await ctx.http.request(url, { allowStatus: [404, 410] });
      ctx.page(url, 1);
      if (res.status !== 200) return void out.counts.gone++;
      const d = extractDealrDetail(res.body, url);
      if ('reject' in d) return out.reject(d.reject, { url });
      out.take(d.row, (r) => dealrVehicle(r, opts.new_from_year));
    });
  },
};
