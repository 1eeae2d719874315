/**
 * Dealer eProcess: `/search/<slug>/?tp=new&av=in_stock|in_transit|allocated&p=N`, cards
 * `.vehicle_item` carrying `data-vehicle` JSON, total pages in `.pagination_settings__page_count`,
 * in-transit cards marked `.intransit`. Some sites render the results client-side: with
 * `render: "browser"` the pages are loaded in Chromium, then read by the same extractor.
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, siteUrlFor, text } from '../extract-util.js';
import { parseHtml } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealer-eprocess';

/** Availability filter -> the lot status its cars have. */
export const AVAILABILITY: Record<string, string> = {
  in_stock: 'In Stock',
  in_transit: 'In Transit',
  allocated: 'Allocated',
};

const options = z
  .object({
    /** Search pages, one per condition (`tp`). */
    searches: z
      .array(z.object({ path: z.string().startsWith('/'), tp: z.string().min(1) }).strict())
      .min(1)
      .default([
        { path: '/search/new/', tp: 'new' },
        { path: '/search/used/', tp: 'used' },
      ]),
    availability: z
      .array(z.enum(['in_stock', 'in_transit', 'allocated']))
      .min(1)
      .default(['in_stock', 'in_transit', 'allocated']),
    /** `browser` for sites whose results are rendered client-side. */
    render: z.enum(['http', 'browser']).default('http'),
  })
  .strict();

/** What a search page's results look like once rendered. */
export const RESULTS_SELECTOR = '.vehicle_item, .pagination_settings__page_count, .no_results';

/** Pure: one search page -> page count and vehicles. */
export function extractEprocessPage(
  html: string,
  site: string,
  availability = 'in_stock',
): { pageCount: number; vehicles: RawVehicle[] } {
  const root = parseHtml(html);
  const items = root.querySelectorAll('.vehicle_item');
  const countEl = root.querySelector('.pagination_settings__page_count');
  if (items.length === 0 && !countEl && !root.querySelector('.no_results')) {
    throw new ShapeError(
      PLATFORM,
      'search page',
      'no .vehicle_item cards, page count or .no_results: the results may be rendered client-side (set scraper.render to "browser")',
    );
  }
  const pageCount = countEl
    ? Number.parseInt(countEl.text.replace(/[^\d]/g, ''), 10) || 0
    : items.length
      ? 1
      : 0;
  const vehicles = items.map((el, i) => {
    const raw = el.getAttribute('data-vehicle');
    if (!raw) throw new ShapeError(PLATFORM, 'vehicle card', `card ${i + 1} has no data-vehicle`);
    let d: Record<string, unknown>;
    try {
      d = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new ShapeError(PLATFORM, 'vehicle card', `card ${i + 1}: data-vehicle is not JSON`);
    }
    const inTransit = el.classList.contains('intransit') || el.querySelector('.intransit') !== null;
    return {
      vin: text(d.vin),
      stock: text(d.stock),
      year: text(d.year),
      make: text(d.make),
      model: text(d.model),
      trim: text(d.trim),
      condition: text(d.condition),
      status: inTransit ? 'In Transit' : (AVAILABILITY[availability] ?? availability),
      price: text(d.price),
      msrp: text(d.msrp),
      date_in_stock: text(d.date_in_stock),
      url: absoluteUrl(d.url ?? el.querySelector('a[href]')?.getAttribute('href'), site),
    };
  });
  return { pageCount, vehicles };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const session = opts.render === 'browser' ? await ctx.browser() : undefined;
    for (const search of opts.searches) {
      for (const av of opts.availability) {
        for (let p = 1; ; p++) {
          const sep = search.path.includes('?') ? '&' : '?';
          const url = siteUrlFor(
            ctx.siteUrl,
            `${search.path}${sep}tp=${encodeURIComponent(search.tp)}&av=${av}&p=${p}`,
          );
          const html = session
            ? await session.render(url, {
                waitFor: RESULTS_SELECTOR,
                timeoutMs: ctx.timeoutMs,
                signal: ctx.signal,
                onRetry: (r) => ctx.retried(r.url, r.attempt, r.error),
              })
            : await ctx.http.text(url);
          const { pageCount, vehicles } = extractEprocessPage(html, ctx.siteUrl, av);
          ctx.page(url, vehicles.length);
          const fresh = out.addPage(vehicles);
          if (p >= pageCount || vehicles.length === 0 || fresh === 0) break;
          if (p > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
        }
      }
    }
  },
};
