/**
 * DealerOn, JSON: the listing page's `<script id="dealeron_tagging_data">` gives `dealerId` and
 * `pageId`; `/api/vhcliaa/vehicle-pages/cosmos/srp/vehicles/{dealerId}/{pageId}?pt=N&pn=M` pages
 * `DisplayCards[].VehicleCard` (1-based `pt`). A `pt` past the end may answer page 1 again, so
 * paging also stops when a page brings no new VIN.
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text, truthy } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealeron';

const options = z
  .object({
    listing_path: z.string().startsWith('/').default('/searchall.aspx'),
    /** Cards per page (`pn`). */
    page_size: z.number().int().min(1).max(100).default(24),
  })
  .strict();

/** Pure: `dealerId` and `pageId` from the listing page's tagging data. */
export function extractTaggingData(page: string): { dealerId: string; pageId: string } {
  const m = /<script[^>]*\bid=["']dealeron_tagging_data["'][^>]*>([\s\S]*?)<\/script>/i.exec(page);
  if (!m) throw new ShapeError(PLATFORM, 'listing page', 'no <script id="dealeron_tagging_data">');
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(m[1]!) as Record<string, unknown>;
  } catch {
    throw new ShapeError(PLATFORM, 'dealeron_tagging_data', 'not JSON');
  }
  const dealerId = text(data.dealerId).trim();
  const pageId = text(data.pageId).trim();
  if (!dealerId || !pageId)
    throw new ShapeError(PLATFORM, 'dealeron_tagging_data', 'dealerId or pageId missing');
  return { dealerId, pageId };
}

const cardSchema = z.looseObject({
  VehicleVin: z.unknown().optional(),
  VehicleStockNumber: z.unknown().optional(),
  VehicleCondition: z.unknown().optional(),
  VehicleYear: z.unknown().optional(),
  VehicleMake: z.unknown().optional(),
  VehicleModel: z.unknown().optional(),
  VehicleTrim: z.unknown().optional(),
  VehicleMsrp: z.unknown().optional(),
  VehicleInternetPrice: z.unknown().optional(),
  VehicleInStock: z.unknown().optional(),
  VehicleInTransit: z.unknown().optional(),
  VehicleStatusModel: z.looseObject({ StatusText: z.unknown() }).nullish(),
  VehicleTaggingInventoryDate: z.unknown().optional(),
  VehicleDetailUrl: z.unknown().optional(),
});
const pageSchema = z.looseObject({
  DisplayCards: z.array(z.looseObject({ VehicleCard: cardSchema.nullish() })),
  Paging: z.looseObject({
    PaginationDataModel: z.looseObject({
      TotalCount: z.coerce.number().int().nonnegative(),
      TotalPages: z.coerce.number().int().nonnegative(),
      PageEnd: z.coerce.number().int().nonnegative().optional(),
    }),
  }),
});

/** Pure: one vehicles response -> paging and vehicles (ad cards without a VehicleCard are skipped). */
export function extractDealerOnPage(
  json: unknown,
  site: string,
): { totalPages: number; totalCount: number; vehicles: RawVehicle[] } {
  const page = expectShape(PLATFORM, 'vehicles response', pageSchema, json);
  const vehicles: RawVehicle[] = [];
  for (const { VehicleCard: c } of page.DisplayCards) {
    if (!c) continue;
    const statusText = text(c.VehicleStatusModel?.StatusText);
    vehicles.push({
      vin: text(c.VehicleVin),
      stock: text(c.VehicleStockNumber),
      year: text(c.VehicleYear),
      make: text(c.VehicleMake),
      model: text(c.VehicleModel),
      trim: text(c.VehicleTrim),
      condition: text(c.VehicleCondition),
      status:
        statusText ||
        (truthy(c.VehicleInTransit) ? 'In Transit' : truthy(c.VehicleInStock) ? 'In Stock' : ''),
      price: text(c.VehicleInternetPrice),
      msrp: text(c.VehicleMsrp),
      date_in_stock: text(c.VehicleTaggingInventoryDate),
      url: absoluteUrl(c.VehicleDetailUrl, site),
    });
  }
  const p = page.Paging.PaginationDataModel;
  return { totalPages: p.TotalPages, totalCount: p.TotalCount, vehicles };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const listing = siteUrlFor(ctx.siteUrl, opts.listing_path);
    const { dealerId, pageId } = extractTaggingData(await ctx.http.text(listing));
    ctx.page(listing, 0);
    const host = new URL(ctx.siteUrl).host;
    for (let pt = 1; ; pt++) {
      const url = siteUrlFor(
        ctx.siteUrl,
        `/api/vhcliaa/vehicle-pages/cosmos/srp/vehicles/${encodeURIComponent(dealerId)}/${encodeURIComponent(pageId)}?pt=${pt}&pn=${opts.page_size}&host=${encodeURIComponent(host)}`,
      );
      const { totalPages, vehicles } = extractDealerOnPage(
        parseJson(PLATFORM, 'vehicles response', await ctx.http.text(url)),
        ctx.siteUrl,
      );
      ctx.page(url, vehicles.length);
      const fresh = out.addPage(vehicles);
      if (pt >= totalPages || vehicles.length === 0 || fresh === 0) break;
      if (pt > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
    }
  },
};
