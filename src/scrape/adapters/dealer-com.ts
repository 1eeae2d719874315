/**
 * dealer.com (DDC / Cox), GET widget API:
 * `/apis/widget/INVENTORY_LISTING_DEFAULT_AUTO_{NEW|USED|CERTIFIED_USED}:inventory-data-bus1/getInventory?start=N`
 * with offset paging. Group sites list sister stores' cars: only rows whose `address.accountName`
 * is this dealership (or an alias) are kept.
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealer.com';
export const FEEDS = ['NEW', 'CERTIFIED_USED', 'USED'] as const;
export type Feed = (typeof FEEDS)[number];

const options = z
  .object({
    /** Feeds to read, in order; certified first so a CPO car listed in USED too keeps its CPO row. */
    inventory_types: z
      .array(z.enum(FEEDS))
      .min(1)
      .default([...FEEDS]),
    /** Rows per page to ask for (some sites accept up to 100); unset: the site's default (18). */
    page_size: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const pageSchema = z.looseObject({
  pageInfo: z.looseObject({
    totalCount: z.coerce.number().int().nonnegative(),
    trackingData: z.array(
      z.looseObject({
        vin: z.string().nullish(),
        stockNumber: z.unknown().optional(),
        inventoryType: z.unknown().optional(),
        modelYear: z.unknown().optional(),
        make: z.unknown().optional(),
        model: z.unknown().optional(),
        trim: z.unknown().optional(),
        status: z.unknown().optional(),
        inventoryDate: z.unknown().optional(),
        link: z.unknown().optional(),
        certified: z.unknown().optional(),
        pricing: z.looseObject({ msrp: z.unknown().optional(), finalPrice: z.unknown() }).nullish(),
        address: z.looseObject({ accountName: z.unknown() }).nullish(),
      }),
    ),
  }),
});

/** A vehicle plus the store that lists it (sister stores share group sites). */
export type StoreVehicle = RawVehicle & { store: string };

/** Pure: one getInventory response -> total count and vehicles. */
export function extractDealerComPage(
  json: unknown,
  site: string,
  feed: Feed = 'NEW',
): { total: number; vehicles: StoreVehicle[] } {
  const page = expectShape(PLATFORM, 'getInventory response', pageSchema, json);
  return {
    total: page.pageInfo.totalCount,
    vehicles: page.pageInfo.trackingData.map((t) => {
      let condition = text(t.inventoryType);
      if ((feed === 'CERTIFIED_USED' || t.certified === true) && !/certified|cpo/i.test(condition)) {
        condition = `certified ${condition || 'used'}`.trim();
      }
      return {
        vin: text(t.vin),
        stock: text(t.stockNumber),
        year: text(t.modelYear),
        make: text(t.make),
        model: text(t.model),
        trim: text(t.trim),
        condition,
        status: text(t.status),
        price: text(t.pricing?.finalPrice),
        msrp: text(t.pricing?.msrp),
        date_in_stock: text(t.inventoryDate),
        url: absoluteUrl(t.link, site),
        store: text(t.address?.accountName).trim(),
      };
    }),
  };
}

/** The getInventory URL of one feed and offset. */
export function dealerComUrl(site: string, feed: Feed, start: number, pageSize?: number): string {
  const q = `start=${start}${pageSize ? `&pageSize=${pageSize}` : ''}`;
  return siteUrlFor(
    site,
    `/apis/widget/INVENTORY_LISTING_DEFAULT_AUTO_${feed}:inventory-data-bus1/getInventory?${q}`,
  );
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    for (const feed of opts.inventory_types) {
      let start = 0;
      for (let pages = 0; ; pages++) {
        if (pages > 2000) throw new ShapeError(PLATFORM, 'paging', `${feed}: more than 2000 pages`);
        const url = dealerComUrl(ctx.siteUrl, feed, start, opts.page_size);
        const { total, vehicles } = extractDealerComPage(
          parseJson(PLATFORM, 'getInventory response', await ctx.http.text(url)),
          ctx.siteUrl,
          feed,
        );
        ctx.page(url, vehicles.length);
        for (const { store, ...v } of vehicles) {
          if (store !== '' && !ctx.isOwnStore(store)) out.skipSisterStore(v.vin);
          else out.add(v);
        }
        start += vehicles.length;
        // An empty page before the total means offsets shifted (cars sold meanwhile): stop here.
        if (vehicles.length === 0 || start >= total) break;
      }
    }
  },
};
