/**
 * dealer.com, POST variant: `POST /api/widget/ws-inv-data/getInventory` with
 * `{siteId, pageAlias, inventoryParameters: {start: ["N"]}, includePricing: true}`. VIN and stock
 * sit in `attributes[{name, value}]`. The siteId is read from the listing page unless configured.
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealer.com-post';

const options = z
  .object({
    /** The DDC site id; read from the listing page when unset. */
    site_id: z.string().min(1).optional(),
    /** The listing page the site id is read from. */
    listing_path: z.string().startsWith('/').default('/all-inventory/index.htm'),
    page_alias: z.string().min(1).default('INVENTORY_LISTING_DEFAULT_AUTO_ALL'),
  })
  .strict();

const attr = z.looseObject({ name: z.string(), value: z.unknown() });
const pageSchema = z.looseObject({
  pageInfo: z.looseObject({ totalCount: z.coerce.number().int().nonnegative() }),
  inventory: z.array(
    z.looseObject({
      attributes: z.array(attr),
      condition: z.unknown().optional(),
      status: z.unknown().optional(),
      year: z.unknown().optional(),
      make: z.unknown().optional(),
      model: z.unknown().optional(),
      trim: z.unknown().optional(),
      title: z.array(z.unknown().optional()).nullish(),
      link: z.unknown().optional(),
      inventoryDate: z.unknown().optional(),
      trackingPricing: z.looseObject({ salePrice: z.unknown().optional(), msrp: z.unknown() }).nullish(),
    }),
  ),
});

/** Reads the DDC site id a listing page embeds (`"siteId":"..."` in DDC.siteSettings / dataLayer). */
export function extractSiteId(page: string): string | undefined {
  return /["']?siteId["']?\s*[:=]\s*["']([A-Za-z0-9_-]+)["']/.exec(page)?.[1];
}

/** Pure: one ws-inv-data response -> total and vehicles. */
export function extractDealerComPostPage(
  json: unknown,
  site: string,
): { total: number; vehicles: RawVehicle[] } {
  const page = expectShape(PLATFORM, 'getInventory response', pageSchema, json);
  return {
    total: page.pageInfo.totalCount,
    vehicles: page.inventory.map((item) => {
      const a = new Map(item.attributes.map((x) => [x.name.toLowerCase(), text(x.value)]));
      // title[0] is "2025 Hyundai Tucson": the year is taken from it when the item has none.
      const title = text(item.title?.[0]);
      return {
        vin: a.get('vin') ?? '',
        stock: a.get('stocknumber') ?? a.get('stock') ?? '',
        year: text(item.year) || (/\b(19|20)\d\d\b/.exec(title)?.[0] ?? ''),
        make: text(item.make),
        model: text(item.model),
        trim: text(item.trim) || text(item.title?.[1]),
        condition: text(item.condition),
        status: text(item.status),
        price: text(item.trackingPricing?.salePrice),
        msrp: text(item.trackingPricing?.msrp),
        date_in_stock: text(item.inventoryDate),
        url: absoluteUrl(item.link, site),
      };
    }),
  };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    let siteId = opts.site_id;
    if (!siteId) {
      const listing = siteUrlFor(ctx.siteUrl, opts.listing_path);
      siteId = extractSiteId(await ctx.http.text(listing));
      if (!siteId) throw new ShapeError(PLATFORM, `listing page ${listing}`, 'no siteId in the page');
    }
    const api = siteUrlFor(ctx.siteUrl, '/api/widget/ws-inv-data/getInventory');
    let start = 0;
    for (let pages = 0; ; pages++) {
      if (pages > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
      const body = await ctx.http.text(api, {
        json: {
          siteId,
          locale: 'en_US',
          device: 'DESKTOP',
          pageAlias: opts.page_alias,
          inventoryParameters: { start: [String(start)] },
          includePricing: true,
        },
      });
      const { total, vehicles } = extractDealerComPostPage(
        parseJson(PLATFORM, 'getInventory response', body),
        ctx.siteUrl,
      );
      ctx.page(`${api} start=${start}`, vehicles.length);
      out.addAll(vehicles);
      start += vehicles.length;
      if (vehicles.length === 0 || start >= total) break;
    }
  },
};
