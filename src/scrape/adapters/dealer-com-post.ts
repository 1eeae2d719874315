/**
 * dealer.com, POST variant (SCRAPE-FACTS 1.2, Auffenberg Hyundai):
 * `POST /api/widget/ws-inv-data/getInventory` with `{siteId, locale, device, pageAlias, pageId,
 * windowId, widgetName, inventoryParameters: {start: ["N"]}, includePricing: true, flags}`.
 * Response `pageInfo.totalCount`, `inventory[]`; VIN, stock and colour sit in
 * `attributes[{name, value}]`. The site id is read from the listing page when it can be fetched;
 * the recorded `site_id` is the fallback. Offset += the page step (18); stop at
 * `totalCount // 18 + 1` pages or a page shorter than the step.
 */
import { z } from 'zod';
import { HttpStatusError, NetworkError, ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealer.com-post';

const options = z
  .object({
    /** The DDC site id the original hard-coded; the listing page's own id wins when it has one. */
    site_id: z.string().min(1).optional(),
    /** The listing page the site id is read from. */
    listing_path: z.string().startsWith('/').default('/all-inventory/index.htm'),
    page_alias: z.string().min(1).default('INVENTORY_LISTING_DEFAULT_AUTO_ALL'),
    page_id: z.string().min(1).optional(),
    window_id: z.string().min(1).default('inventory-data-bus1'),
    widget_name: z.string().min(1).default('ws-inv-data'),
    locale: z.string().min(1).default('en_US'),
    device: z.string().min(1).default('DESKTOP'),
    /** The page step: offsets grow by it; a page shorter than it is the last. */
    page_size: z.number().int().min(1).max(100).default(18),
  })
  .strict();

const pageSchema = z.looseObject({
  pageInfo: z.looseObject({ totalCount: z.unknown().optional() }),
  inventory: z.array(z.unknown()),
});

/** Reads the DDC site id a listing page embeds (`"siteId":"..."` in DDC.siteSettings / dataLayer). */
export function extractSiteId(page: string): string | undefined {
  return /["']?siteId["']?\s*[:=]\s*["']([A-Za-z0-9_-]+)["']/.exec(page)?.[1];
}

/** Pure: one `inventory[]` item -> a vehicle (status and price as the site wrote them). */
export function dealerComPostVehicle(item: Record<string, unknown>, site: string): RawVehicle {
  const a = new Map<string, string>();
  if (Array.isArray(item.attributes)) {
    for (const x of item.attributes as unknown[]) {
      if (x && typeof x === 'object') {
        const { name, value } = x as { name?: unknown; value?: unknown };
        if (typeof name === 'string' && !a.has(name.toLowerCase())) a.set(name.toLowerCase(), text(value));
      }
    }
  }
  const title = Array.isArray(item.title) ? (item.title as unknown[]) : [];
  const title0 = text(title[0]);
  const model = text(item.model);
  // The original: trim, else the text of title[1] after the model.
  let trim = text(item.trim);
  if (!trim) {
    const t1 = text(title[1]);
    trim = model && t1.includes(model) ? t1.slice(t1.indexOf(model) + model.length).trim() : t1;
  }
  const pricing =
    item.trackingPricing && typeof item.trackingPricing === 'object'
      ? (item.trackingPricing as Record<string, unknown>)
      : {};
  return {
    vin: a.get('vin') ?? '',
    stock: a.get('stocknumber') ?? a.get('stock') ?? '',
    year: text(item.year) || (/\b(19|20)\d\d\b/.exec(title0)?.[0] ?? ''),
    make: text(item.make),
    model,
    trim,
    // The original took the condition's first word, title-cased ("certified used" -> Certified).
    condition: text(item.condition),
    status: text(item.status),
    price: text(pricing.salePrice),
    msrp: text(pricing.msrp),
    date_in_stock: text(item.inventoryDate),
    url: absoluteUrl(item.link, site),
  };
}

/** Pure: one ws-inv-data response -> total (null when absent) and raw items. */
export function extractDealerComPostPage(json: unknown): { total: number | null; rows: unknown[] } {
  const page = expectShape(PLATFORM, 'getInventory response', pageSchema, json);
  const t = text(page.pageInfo.totalCount);
  return { total: t !== '' && Number.isFinite(Number(t)) ? Number(t) : null, rows: page.inventory };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    let siteId: string | undefined;
    const listing = siteUrlFor(ctx.siteUrl, opts.listing_path);
    try {
      siteId = extractSiteId(await ctx.http.text(listing));
    } catch (err) {
      // The recorded id is the fallback when the page cannot be read; without one, say why.
      if (!opts.site_id || !(err instanceof HttpStatusError || err instanceof NetworkError)) throw err;
    }
    siteId ??= opts.site_id;
    if (!siteId) {
      throw new ShapeError(PLATFORM, `listing page ${listing}`, 'no siteId in the page and none recorded');
    }
    const api = siteUrlFor(ctx.siteUrl, '/api/widget/ws-inv-data/getInventory');
    let lastPage = Infinity;
    for (let page = 1; page <= lastPage; page++) {
      if (page > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
      const start = opts.page_size * (page - 1);
      const body = await ctx.http.text(api, {
        json: {
          siteId,
          locale: opts.locale,
          device: opts.device,
          pageAlias: opts.page_alias,
          ...(opts.page_id ? { pageId: opts.page_id } : {}),
          windowId: opts.window_id,
          widgetName: opts.widget_name,
          inventoryParameters: { start: [String(start)] },
          includePricing: true,
          flags: {},
        },
      });
      const { total, rows } = extractDealerComPostPage(parseJson(PLATFORM, 'getInventory response', body));
      ctx.page(`${api} start=${start}`, rows.length);
      for (const row of rows) out.take(row, (r) => dealerComPostVehicle(r, ctx.siteUrl));
      if (total !== null) lastPage = Math.floor(total / opts.page_size) + 1;
      if (rows.length < opts.page_size) break;
    }
  },
};
