/**
 * Team Velocity (Apollo): listing pages `/inventory/New?page=N` with cards `.standard-inventory` or
 * `.clean-design-srp-card` whose `data-itemid` is `Make-Model-Trim-VIN`, and an inline
 * `var accountId='...'`; each VIN's data from `/api/Inventory/vehicle?vin=&accountid=`. A car
 * sold meanwhile answers 404, or 200 with "this vehicle was just sold" and no data: counted as gone.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text, truthy } from '../extract-util.js';
import { parseHtml } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'team-velocity';

const options = z
  .object({
    /** Listing pages; the segment after /inventory/ is the condition of their cars. */
    listing_paths: z.array(z.string().startsWith('/')).min(1).default(['/inventory/New', '/inventory/Used']),
    detail_concurrency: z.number().int().min(1).max(16).default(4),
  })
  .strict();

const CARD = '.standard-inventory, .clean-design-srp-card';

/** A card of the listing: the VIN (last segment of data-itemid), its make, and its link. */
export interface TvCard {
  vin: string;
  make: string;
  url: string;
}

/** Pure: one listing page -> its cards and the account id. */
export function extractTeamVelocityListing(
  html: string,
  site: string,
): { accountId?: string; cards: TvCard[] } {
  const accountId = /\baccountId\s*=\s*["']([^"']+)["']/.exec(html)?.[1];
  const root = parseHtml(html);
  const cards = root.querySelectorAll(CARD).map((el, i) => {
    const itemId = el.getAttribute('data-itemid');
    if (!itemId) throw new ShapeError(PLATFORM, 'listing card', `card ${i + 1} has no data-itemid`);
    const parts = itemId.split('-');
    const href = el.querySelector('a[href]')?.getAttribute('href');
    // The VIN is the last segment: models and trims contain hyphens (F-150, CR-V).
    return { vin: parts.at(-1)!, make: parts.length > 1 ? parts[0]! : '', url: absoluteUrl(href, site) };
  });
  return { accountId, cards };
}

/** `/inventory/Used` -> `Used`. */
export function conditionOfPath(p: string): string {
  return decodeURIComponent(/\/inventory\/([^/?#]+)/i.exec(p)?.[1] ?? '');
}

const vehicleSchema = z.looseObject({
  vin: z.unknown().optional(),
  stock: z.unknown().optional(),
  year: z.unknown().optional(),
  make: z.unknown().optional(),
  model: z.unknown().optional(),
  trim: z.unknown().optional(),
  type: z.unknown().optional(),
  msrp: z.unknown().optional(),
  sellingPrice: z.unknown().optional(),
  inTransit: z.unknown().optional(),
  inProduction: z.unknown().optional(),
  reserved: z.unknown().optional(),
  dateInStock: z.unknown().optional(),
});

/**
 * Pure: the vehicle JSON -> a raw vehicle, or undefined when the car is gone (empty answer or the
 * "just sold" page). `condition` comes from the listing path when the JSON has no `type`.
 */
export function extractTeamVelocityVehicle(
  body: string,
  card: TvCard,
  condition: string,
): RawVehicle | undefined {
  if (/this vehicle was just sold/i.test(body)) return undefined;
  const trimmed = body.trim();
  if (trimmed === '' || trimmed === 'null' || trimmed === '{}') return undefined;
  const v = expectShape(PLATFORM, 'vehicle JSON', vehicleSchema, parseJson(PLATFORM, 'vehicle JSON', body));
  const status = truthy(v.inTransit)
    ? 'In Transit'
    : truthy(v.inProduction)
      ? 'Build Phase'
      : truthy(v.reserved)
        ? 'Reserved'
        : '';
  return {
    vin: text(v.vin) || card.vin,
    stock: text(v.stock),
    year: text(v.year),
    make: text(v.make) || card.make,
    model: text(v.model),
    trim: text(v.trim),
    condition: text(v.type) || condition,
    status,
    price: text(v.sellingPrice),
    msrp: text(v.msrp),
    date_in_stock: text(v.dateInStock),
    url: card.url,
  };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const listed = new Map<string, { card: TvCard; condition: string }>();
    let accountId: string | undefined;
    for (const listingPath of opts.listing_paths) {
      const condition = conditionOfPath(listingPath);
      for (let page = 1; ; page++) {
        const url = `${siteUrlFor(ctx.siteUrl, listingPath)}?page=${page}`;
        const res = extractTeamVelocityListing(await ctx.http.text(url), ctx.siteUrl);
        accountId ??= res.accountId;
        ctx.page(url, res.cards.length);
        let fresh = 0;
        let repeats = 0;
        for (const card of res.cards) {
          const key = card.vin.trim().toUpperCase();
          if (listed.has(key)) repeats++;
          else {
            listed.set(key, { card, condition });
            fresh++;
          }
        }
        if (fresh > 0) out.skipped.duplicates += repeats;
        // Past the last page the site shows no cards, or page 1 again.
        if (fresh === 0) break;
        if (page > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
      }
    }
    if (listed.size === 0) return;
    if (!accountId) throw new ShapeError(PLATFORM, 'listing page', 'no `var accountId` in the page');
    const limit = pLimit(opts.detail_concurrency);
    const results = await Promise.all(
      [...listed.values()].map(({ card, condition }) =>
        limit(async () => {
          const url = siteUrlFor(
            ctx.siteUrl,
            `/api/Inventory/vehicle?vin=${encodeURIComponent(card.vin.trim())}&accountid=${encodeURIComponent(accountId!)}`,
          );
          const res = await ctx.http.request(url, { allowStatus: [404, 410] });
          ctx.page(url, 1);
          if (res.status !== 200) return undefined;
          return extractTeamVelocityVehicle(res.body, card, condition);
        }),
      ),
    );
    for (const v of results) {
      if (v) out.add(v);
      else out.skipped.gone++;
    }
  },
};
