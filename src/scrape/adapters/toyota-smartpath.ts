/**
 * Toyota SmartPath: `/consumerapi/retail/inventory?dealer[]=CODE&pageNo=N` -> `vehicleSummary[]`
 * and `pagination.totalPages`. The dealer code is read from the inventory page unless configured.
 * `dealerCategory` says where a car is: G on the ground, A allocated, F in transit from the factory.
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text, truthy } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'toyota-smartpath';

const options = z
  .object({
    dealer_code: z.string().regex(/^\d+$/, 'a numeric Toyota dealer code').optional(),
    listing_path: z.string().startsWith('/').default('/inventory'),
  })
  .strict();

export const DEALER_CATEGORY: Record<string, string> = { G: 'In Stock', A: 'Allocated', F: 'In Transit' };

const pageSchema = z.looseObject({
  vehicleSummary: z.array(
    z.looseObject({
      vin: z.unknown().optional(),
      stockNum: z.unknown().optional(),
      year: z.unknown().optional(),
      make: z.unknown().optional(),
      model: z.looseObject({ marketingName: z.unknown() }).or(z.string()).nullish(),
      grade: z.unknown().optional(),
      price: z.looseObject({ advertizedPrice: z.unknown().optional(), totalMsrp: z.unknown() }).nullish(),
      dealerCategory: z.unknown().optional(),
      isPreSold: z.unknown().optional(),
      vdpUrl: z.unknown().optional(),
      inventoryDate: z.unknown().optional(),
    }),
  ),
  pagination: z.looseObject({ totalPages: z.coerce.number().int().nonnegative() }),
});

/** Pure: the dealer code an inventory page embeds (`"dealerCd":"12345"`). */
export function extractDealerCode(page: string): string | undefined {
  return /["']?dealerCd["']?\s*[:=]\s*["']?(\d+)/.exec(page)?.[1];
}

/** Pure: one inventory response -> total pages and vehicles. */
export function extractSmartPathPage(
  json: unknown,
  site: string,
): { totalPages: number; vehicles: RawVehicle[] } {
  const page = expectShape(PLATFORM, 'inventory response', pageSchema, json);
  return {
    totalPages: page.pagination.totalPages,
    vehicles: page.vehicleSummary.map((v) => {
      const cat = text(v.dealerCategory).toUpperCase();
      return {
        vin: text(v.vin),
        stock: text(v.stockNum),
        year: text(v.year),
        make: text(v.make) || 'Toyota',
        model: typeof v.model === 'string' ? v.model : text(v.model?.marketingName),
        trim: text(v.grade),
        condition: 'New',
        status: truthy(v.isPreSold) ? 'Sold' : (DEALER_CATEGORY[cat] ?? cat),
        price: text(v.price?.advertizedPrice),
        msrp: text(v.price?.totalMsrp),
        date_in_stock: text(v.inventoryDate),
        url: absoluteUrl(v.vdpUrl, site),
      };
    }),
  };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    let code = opts.dealer_code;
    if (!code) {
      const listing = siteUrlFor(ctx.siteUrl, opts.listing_path);
      code = extractDealerCode(await ctx.http.text(listing));
      if (!code) throw new ShapeError(PLATFORM, `page ${listing}`, 'no dealerCd (set scraper.dealer_code)');
    }
    for (let pageNo = 1; ; pageNo++) {
      const url = siteUrlFor(ctx.siteUrl, `/consumerapi/retail/inventory?dealer[]=${code}&pageNo=${pageNo}`);
      const { totalPages, vehicles } = extractSmartPathPage(
        parseJson(PLATFORM, 'inventory response', await ctx.http.text(url)),
        ctx.siteUrl,
      );
      ctx.page(url, vehicles.length);
      const fresh = out.addPage(vehicles);
      if (pageNo >= totalPages || vehicles.length === 0 || fresh === 0) break;
      if (pageNo > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
    }
  },
};
