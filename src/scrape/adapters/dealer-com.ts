/**
 * dealer.com (DDC / Cox), GET widget API (SCRAPE-FACTS 1.1):
 * `/apis/widget/INVENTORY_LISTING_DEFAULT_AUTO_{NEW|USED}:inventory-data-bus1/getInventory?start=N`,
 * `start` += the page step (18; Glendale 16), stop when a page has fewer rows than the step or
 * `start >= pageInfo.totalCount`. Rows: `pageInfo.trackingData[]`. Group sites list sister stores'
 * cars; the entry's store filter (`address.accountName` contains ...) keeps this dealership's.
 * A feed may live on a second site (Rusty Drewing Chevy's used cars on the Cadillac site).
 */
import { z } from 'zod';
import { isTrue } from '../../core/scrape-rules.js';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealer.com';
export const FEEDS = ['NEW', 'USED', 'CERTIFIED_USED'] as const;
export type Feed = (typeof FEEDS)[number];

const feedSchema = z
  .object({
    type: z.enum(FEEDS),
    /** A second site this feed is read from (its URL), instead of the dealership's site. */
    site: z.string().url().optional(),
    /** Extra query parameters (e.g. `accountId` on the second site). */
    query: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type FeedOption = z.infer<typeof feedSchema>;

const options = z
  .object({
    /** Feeds in order; the originals read NEW then USED (Glendale: USED then NEW). */
    feeds: z
      .array(z.union([z.enum(FEEDS).transform((type): FeedOption => ({ type, query: {} })), feedSchema]))
      .min(1)
      .default([
        { type: 'NEW', query: {} },
        { type: 'USED', query: {} },
      ]),
    /** The page step: `start` grows by it, and a page shorter than it is the last. */
    page_size: z.number().int().min(1).max(100).default(18),
  })
  .strict();

/** The page envelope: only this must hold; every row is read tolerantly. */
const pageSchema = z.looseObject({
  pageInfo: z.looseObject({
    totalCount: z.unknown().optional(),
    trackingData: z.array(z.unknown()),
  }),
});

const str = (row: Record<string, unknown>, k: string): string => text(row[k]);
const sub = (row: Record<string, unknown>, k: string): Record<string, unknown> => {
  const v = row[k];
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
};

/** Pure: one trackingData row -> a vehicle with the site's own texts (status, price as written). */
export function dealerComVehicle(row: Record<string, unknown>, site: string, feed: Feed = 'NEW'): RawVehicle {
  let condition = str(row, 'inventoryType');
  if ((feed === 'CERTIFIED_USED' || isTrue(row.certified)) && !/certified|cpo/i.test(condition)) {
    condition = `certified ${condition || 'used'}`.trim();
  }
  const pricing = sub(row, 'pricing');
  return {
    vin: str(row, 'vin'),
    stock: str(row, 'stockNumber'),
    year: str(row, 'year') || str(row, 'modelYear'),
    make: str(row, 'make'),
    model: str(row, 'model'),
    trim: str(row, 'trim'),
    condition,
    status: str(row, 'status'),
    // Stellantis sites (Glendale) have top-level prices and no `pricing` object.
    price: text(pricing.finalPrice) || str(row, 'salePrice'),
    msrp: text(pricing.msrp) || str(row, 'msrp'),
    date_in_stock: str(row, 'inventoryDate'),
    url: absoluteUrl(row.link, site),
  };
}

/** Pure: one getInventory response -> total count (null when absent) and its raw rows. */
export function extractDealerComPage(json: unknown): { total: number | null; rows: unknown[] } {
  const page = expectShape(PLATFORM, 'getInventory response', pageSchema, json);
  const total = Number(text(page.pageInfo.totalCount));
  return {
    total: text(page.pageInfo.totalCount) !== '' && Number.isFinite(total) ? total : null,
    rows: page.pageInfo.trackingData,
  };
}

/** The getInventory URL of one feed and offset on `site`. */
export function dealerComUrl(
  site: string,
  feed: Feed,
  start: number,
  query: Record<string, string> = {},
): string {
  const q = new URLSearchParams({ ...query, start: String(start) });
  return siteUrlFor(
    site,
    `/apis/widget/INVENTORY_LISTING_DEFAULT_AUTO_${feed}:inventory-data-bus1/getInventory?${q.toString()}`,
  );
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    for (const feed of opts.feeds) {
      // A second site is reached at the api host when one is set (fixture sites, proxies).
      const host = feed.site ? (ctx.apiHost ?? feed.site.replace(/\/+$/, '')) : ctx.siteUrl;
      let start = 0;
      for (let pages = 0; ; pages++) {
        if (pages > 2000) throw new ShapeError(PLATFORM, 'paging', `${feed.type}: more than 2000 pages`);
        const url = dealerComUrl(host, feed.type, start, feed.query);
        const { total, rows } = extractDealerComPage(
          parseJson(PLATFORM, 'getInventory response', await ctx.http.text(url)),
        );
        ctx.page(url, rows.length);
        // Links are made absolute against the dealership's own site, as the originals did.
        for (const row of rows) out.take(row, (r) => dealerComVehicle(r, ctx.siteUrl, feed.type));
        start += opts.page_size;
        if (rows.length < opts.page_size || (total !== null && start >= total)) break;
      }
    }
  },
};
