/**
 * Dealr: `/functions/getInventorySubset?page=N&blockKey=KEY` -> `{filters, list: "<card html>"}`,
 * 50 cards per page. The block key is read from the inventory page (`data-block-key`) unless set.
 */
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor } from '../extract-util.js';
import { parseHtml } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealr';

const options = z
  .object({
    block_key: z.string().min(1).optional(),
    listing_path: z.string().startsWith('/').default('/inventory'),
  })
  .strict();

/** Pure: the block key of an inventory page. */
export function extractBlockKey(page: string): string | undefined {
  return /data-block-key=["']([^"']+)["']/.exec(page)?.[1];
}

const subsetSchema = z.looseObject({ list: z.string(), filters: z.unknown() });

/** Pure: one getInventorySubset response -> vehicles of its card HTML. */
export function extractDealrPage(json: unknown, site: string): RawVehicle[] {
  const { list } = expectShape(PLATFORM, 'getInventorySubset response', subsetSchema, json);
  return parseHtml(list)
    .querySelectorAll('.inventory-card')
    .map((el) => {
      const a = (k: string) => el.getAttribute(`data-${k}`) ?? '';
      return {
        vin: a('vin'),
        stock: a('stock'),
        year: a('year'),
        make: a('make'),
        model: a('model'),
        trim: a('trim'),
        condition: a('condition'),
        status: a('status'),
        price: a('price'),
        msrp: a('msrp'),
        date_in_stock: a('date-in-stock'),
        url: absoluteUrl(el.querySelector('a[href]')?.getAttribute('href'), site),
      };
    });
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    let key = opts.block_key;
    if (!key) {
      const listing = siteUrlFor(ctx.siteUrl, opts.listing_path);
      key = extractBlockKey(await ctx.http.text(listing));
      if (!key)
        throw new ShapeError(PLATFORM, `page ${listing}`, 'no data-block-key (set scraper.block_key)');
    }
    for (let page = 1; ; page++) {
      const url = siteUrlFor(
        ctx.siteUrl,
        `/functions/getInventorySubset?page=${page}&blockKey=${encodeURIComponent(key)}`,
      );
      const vehicles = extractDealrPage(
        parseJson(PLATFORM, 'getInventorySubset response', await ctx.http.text(url)),
        ctx.siteUrl,
      );
      ctx.page(url, vehicles.length);
      const fresh = out.addPage(vehicles);
      if (vehicles.length === 0 || fresh === 0) break;
      if (page > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
    }
  },
};
