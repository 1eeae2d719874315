/**
 * Dealer eProcess (SCRAPE-FACTS.md §2 "Joe Machens Toyota"): one search pass per availability,
 * `/search/<slug>/?av=<availability>&cy=<zip>&lc=<location>&p=N`, read in a real browser (the
 * results are rendered by script); cards `div.srp_results.carbon` > `[class*=srp_results_vehicles_wrapper]`
 * with `h2.vehicle_title a[href]`, page count `span.pagination_settings__page_count`. Each car's
 * detail page (VDP) holds the Shift Digital data layer `page: {...}, shift_digital_session_id` whose
 * values are lists; `vehicle_location_id` says which store the car belongs to. The lot status is the
 * pass the car was listed in.
 */
import { z } from 'zod';
import { forEachLimited } from '../detail-pages.js';
import { ShapeError } from '../errors.js';
import { absoluteUrl, siteUrlFor, text } from '../extract-util.js';
import { parseHtml } from '../html.js';
import type { AdapterContext, Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealer-eprocess';

const options = z
  .object({
    /** The search path's slug: `/search/<slug>/`. */
    search_slug: z.string().regex(/^[a-z0-9-]+$/, 'the slug of /search/<slug>/'),
    /** `cy`: the zip code the site searches from. */
    zip: z.string().regex(/^\d{5}$/, 'a 5-digit zip code'),
    /** `lc`: the dealership's location id (the entry's store_filter checks each VDP's vehicle_location_id). */
    location_id: z.string().regex(/^\d+$/, 'a numeric eProcess location id'),
    /** One search pass per value, in order; the pass is the lot status of its cars. */
    availability: z
      .array(z.object({ av: z.string().min(1), status: z.string().min(1) }).strict())
      .min(1)
      .default([
        { av: 'allocated', status: 'Allocated' },
        { av: 'in_stock', status: 'In-Stock' },
        { av: 'in_transit', status: 'In-Transit' },
      ]),
    /** A search with no cars shows this instead of cards (what eProcess shows is not recorded). */
    no_results_selector: z.string().min(1).default('[class*=no_results], [class*=no-results]'),
    /** Cards a full page has; a shorter page is the last. */
    page_size: z.number().int().min(1).max(500).default(12),
    /** `browser` as recorded (the results are rendered by script); `http` for a site that serves them. */
    render: z.enum(['browser', 'http']).default('browser'),
    detail_concurrency: z.number().int().min(1).max(8).default(3),
  })
  .strict();

export type EprocessOptions = z.infer<typeof options>;

const CARD_TITLES = 'div.srp_results.carbon [class*=srp_results_vehicles_wrapper] h2.vehicle_title';
const CARD_LINKS = `${CARD_TITLES} a[href]`;

/**
 * Pure: one search page -> VDP links (absolute), how many cards it shows (a card whose title has no
 * link counts, its link is ''), and the page count (1 when the page shows none).
 */
export function extractEprocessSearch(
  html: string,
  site: string,
): { links: string[]; cards: number; pageCount: number } {
  const root = parseHtml(html);
  const titles = root.querySelectorAll(CARD_TITLES);
  const links = titles.map((h) => absoluteUrl(h.querySelector('a[href]')?.getAttribute('href'), site));
  const countText = root.querySelector('span.pagination_settings__page_count')?.text ?? '';
  const pageCount = Number.parseInt(countText.replace(/[^\d]/g, ''), 10);
  return {
    links: links.filter((l) => l !== ''),
    cards: titles.length,
    pageCount: Number.isFinite(pageCount) && pageCount > 0 ? pageCount : 1,
  };
}

/** Pure: the data layer of a VDP (`page: {...}, shift_digital_session_id`), or undefined. */
export function extractShiftDigitalPage(html: string): Record<string, unknown> | undefined {
  const root = parseHtml(html);
  const script = root.querySelectorAll('script').find((s) => s.rawText.includes('shift_digital_session_id'));
  if (!script) return undefined;
  const t = script.rawText.replace(/\s+/g, ' ');
  const start = t.indexOf('page:');
  const end = t.indexOf(', shift_digital_session_id');
  if (start < 0 || end < start) return undefined;
  try {
    const v = JSON.parse(t.slice(start + 'page:'.length, end)) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const first = (v: unknown): string => text(Array.isArray(v) ? v[0] : v).trim();

const titleCase = (s: string) => s.toLowerCase().replace(/\b[a-z]/g, (c) => c.toUpperCase());

/**
 * Pure: a VDP -> a row for the collector: the data layer with each list cut to its first element
 * (`vehicle_type` kept whole as `vehicle_types`), plus `availability_status` (the pass that listed
 * the car) and `url`; or the reason it is no vehicle.
 */
export function extractEprocessVdp(
  html: string,
  url: string,
  status: string,
): { row: Record<string, unknown> } | { reject: string } {
  const page = extractShiftDigitalPage(html);
  if (!page) return { reject: 'no vehicle data (the shift_digital_session_id script) in the detail page' };
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(page)) row[k] = Array.isArray(v) ? v[0] : v;
  const types = Array.isArray(page.vehicle_type) ? page.vehicle_type : [page.vehicle_type];
  row.vehicle_types = types.map((t) => text(t));
  row.availability_status = status;
  row.url = url;
  return { row };
}

/** The raw vehicle of a VDP row (price as written; the entry's rule picks it). */
export function eprocessVehicle(row: Record<string, unknown>): RawVehicle {
  const types = (Array.isArray(row.vehicle_types) ? row.vehicle_types : []).map((t) => text(t).toLowerCase());
  return {
    vin: first(row.vehicle_vin),
    stock: first(row.vehicle_stock),
    year: first(row.vehicle_year),
    make: first(row.vehicle_make),
    model: first(row.vehicle_model),
    trim: first(row.vehicle_trim),
    condition: types.some((t) => t.includes('certified')) ? 'Certified' : titleCase(types[0] ?? ''),
    status: text(row.availability_status),
    price: first(row.vehicle_price),
    msrp: '',
    date_in_stock: first(row.vehicle_date_instock).split(' ')[0] ?? '',
    url: text(row.url),
  };
}

/** A page's HTML (undefined: 404/410 over HTTP, a car gone meanwhile). */
async function load(
  ctx: AdapterContext,
  opts: EprocessOptions,
  url: string,
  waitFor: string,
): Promise<string | undefined> {
  if (opts.render === 'http') {
    const res = await ctx.http.request(url, { allowStatus: [404, 410] });
    return res.status === 200 ? res.body : undefined;
  }
  const session = await ctx.browser();
  return session.render(url, {
    waitFor,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    onRetry: (r) => ctx.retried(r.url, r.attempt, r.error),
  });
}

export const adapter: Adapter<EprocessOptions> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    // VDP -> the status of the first pass that listed it.
    const listed = new Map<string, string>();
    const waitFor = `${CARD_LINKS}, div.srp_results.carbon ${opts.no_results_selector.split(',').join(', div.srp_results.carbon ')}`;
    for (const { av, status } of opts.availability) {
      for (let p = 1; ; p++) {
        const url = siteUrlFor(
          ctx.siteUrl,
          `/search/${opts.search_slug}/?av=${encodeURIComponent(av)}&cy=${opts.zip}&lc=${opts.location_id}&p=${p}`,
        );
        const html = (await load(ctx, opts, url, waitFor)) ?? '';
        const { links, cards, pageCount } = extractEprocessSearch(html, ctx.siteUrl);
        if (cards === 0 && !parseHtml(html).querySelector('div.srp_results.carbon')) {
          throw new ShapeError(
            PLATFORM,
            `search page ${url}`,
            opts.render === 'http'
              ? 'no div.srp_results.carbon results block (rendered by script? set scraper.render to "browser")'
              : 'no div.srp_results.carbon results block',
          );
        }
        ctx.page(url, cards);
        for (let i = cards - links.length; i > 0; i--)
          out.reject('a vehicle card without a detail link', { url });
        let fresh = 0;
        for (const l of links) {
          if (listed.has(l)) continue;
          listed.set(l, status);
          fresh++;
        }
        if (cards < opts.page_size || p >= pageCount || fresh === 0) break;
        if (p > 1000) throw new ShapeError(PLATFORM, 'paging', 'more than 1000 pages');
      }
    }
    await forEachLimited([...listed], opts.detail_concurrency, async ([url, status]) => {
      const html = await load(ctx, opts, url, 'body');
      ctx.page(url, 1);
      if (html === undefined) return void out.counts.gone++;
      const d = extractEprocessVdp(html, url, status);
      if ('reject' in d) return out.reject(d.reject, { url });
      out.take(d.row, eprocessVehicle);
    });
  },
};
