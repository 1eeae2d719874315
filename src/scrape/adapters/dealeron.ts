/**
 * DealerOn, JSON (SCRAPE-FACTS 1.4): the tagging page's `<script id="dealeron_tagging_data">`
 * (whitespace collapsed, JSON) gives `dealerId` and `pageId`; then
 * `/api/vhcliaa/vehicle-pages/cosmos/srp/vehicles/{dealerId}/{pageId}?pt=N&pn=M&host=H&displayCardsShown=E`
 * (+ the entry's `Dealership=` / `Location=` / `baseFilter=`) pages `DisplayCards[].VehicleCard`,
 * `pt` from 1, `displayCardsShown` = the previous page's `PageEnd`. Stop at
 * `pt >= TotalPages`, or a page with fewer cards than the short-page size (12; Indigo 24). A `pt`
 * past the end may answer page 1 again, so a page with no new VIN ends paging too.
 */
import { z } from 'zod';
import { isTrue } from '../../core/scrape-rules.js';
import { ShapeError } from '../errors.js';
import { absoluteUrl, expectShape, parseJson, siteUrlFor, text } from '../extract-util.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'dealeron';

const options = z
  .object({
    listing_path: z.string().startsWith('/').default('/searchall.aspx'),
    /** Query of the tagging page (`pt=1`, or `Dealership=...`). */
    listing_query: z.record(z.string(), z.string()).default({ pt: '1' }),
    /** Extra API parameters the original sent (`Dealership`, `Location`, `baseFilter`). */
    query: z.record(z.string(), z.string()).default({}),
    /** Cards per page (`pn`). */
    page_size: z.number().int().min(1).max(100).default(12),
    /** A page with fewer vehicle cards than this is the last (default: page_size). */
    short_page: z.number().int().min(1).max(100).optional(),
  })
  .strict();

/** Pure: `dealerId` and `pageId` from the tagging page. */
export function extractTaggingData(page: string): { dealerId: string; pageId: string } {
  const m = /<script[^>]*\bid=["']dealeron_tagging_data["'][^>]*>([\s\S]*?)<\/script>/i.exec(page);
  if (!m) throw new ShapeError(PLATFORM, 'listing page', 'no <script id="dealeron_tagging_data">');
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(m[1]!.replace(/\s+/g, ' ')) as Record<string, unknown>;
  } catch {
    throw new ShapeError(PLATFORM, 'dealeron_tagging_data', 'not JSON');
  }
  const dealerId = text(data.dealerId).trim();
  const pageId = text(data.pageId).trim();
  if (!dealerId || !pageId)
    throw new ShapeError(PLATFORM, 'dealeron_tagging_data', 'dealerId or pageId missing');
  return { dealerId, pageId };
}

const pageSchema = z.looseObject({
  DisplayCards: z.array(z.unknown()),
  Paging: z
    .looseObject({
      PaginationDataModel: z
        .looseObject({
          TotalCount: z.unknown().optional(),
          TotalPages: z.unknown().optional(),
          PageEnd: z.unknown().optional(),
        })
        .nullish(),
    })
    .nullish(),
});

const num = (v: unknown): number | null => {
  const t = text(v).trim();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : null;
};

/** Pure: one VehicleCard -> a vehicle (status from the card's text or flags; MSRP first, as the originals priced). */
export function dealerOnVehicle(c: Record<string, unknown>, site: string): RawVehicle {
  const statusModel =
    c.VehicleStatusModel && typeof c.VehicleStatusModel === 'object'
      ? (c.VehicleStatusModel as Record<string, unknown>)
      : {};
  const statusText = text(statusModel.StatusText).trim();
  const msrp = num(c.VehicleMsrp);
  return {
    vin: text(c.VehicleVin),
    stock: text(c.VehicleStockNumber),
    year: text(c.VehicleYear),
    make: text(c.VehicleMake),
    model: text(c.VehicleModel),
    trim: text(c.VehicleTrim),
    condition: text(c.VehicleCondition),
    status:
      statusText || (isTrue(c.VehicleInTransit) ? 'In Transit' : isTrue(c.VehicleInStock) ? 'In Stock' : ''),
    price: msrp !== null && msrp > 0 ? text(c.VehicleMsrp) : text(c.VehicleInternetPrice),
    msrp: text(c.VehicleMsrp),
    date_in_stock: text(c.VehicleTaggingInventoryDate),
    url: absoluteUrl(c.VehicleDetailUrl, site),
  };
}

/** Pure: one vehicles response -> paging and the vehicle cards (ad cards have no VehicleCard). */
export function extractDealerOnPage(json: unknown): {
  totalPages: number | null;
  totalCount: number | null;
  pageEnd: number | null;
  cards: unknown[];
} {
  const page = expectShape(PLATFORM, 'vehicles response', pageSchema, json);
  const cards: unknown[] = [];
  for (const d of page.DisplayCards) {
    if (d && typeof d === 'object' && 'VehicleCard' in d) {
      const c = (d as { VehicleCard: unknown }).VehicleCard;
      if (c !== null && c !== undefined) cards.push(c);
    }
  }
  const p = page.Paging?.PaginationDataModel;
  return { totalPages: num(p?.TotalPages), totalCount: num(p?.TotalCount), pageEnd: num(p?.PageEnd), cards };
}

export const adapter: Adapter<z.infer<typeof options>> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const lq = new URLSearchParams(opts.listing_query).toString();
    const listing = siteUrlFor(ctx.siteUrl, `${opts.listing_path}${lq ? `?${lq}` : ''}`);
    const { dealerId, pageId } = extractTaggingData(await ctx.http.text(listing));
    ctx.page(listing, 0);
    const host = new URL(ctx.siteUrl).host;
    const shortPage = opts.short_page ?? opts.page_size;
    let shown = 0;
    // A store filter applied by the site: its value goes in its parameter (`Dealership=`, `Location=`).
    const sf = ctx.params.store_filter;
    const storeParam: Record<string, string> = sf?.param
      ? { [sf.param]: Array.isArray(sf.value) ? sf.value[0]! : sf.value }
      : {};
    for (let pt = 1; ; pt++) {
      if (pt > 2000) throw new ShapeError(PLATFORM, 'paging', 'more than 2000 pages');
      const q = new URLSearchParams({
        ...storeParam,
        ...opts.query,
        host,
        pt: String(pt),
        pn: String(opts.page_size),
        displayCardsShown: String(shown),
      });
      const url = siteUrlFor(
        ctx.siteUrl,
        `/api/vhcliaa/vehicle-pages/cosmos/srp/vehicles/${encodeURIComponent(dealerId)}/${encodeURIComponent(pageId)}?${q.toString()}`,
      );
      const page = extractDealerOnPage(parseJson(PLATFORM, 'vehicles response', await ctx.http.text(url)));
      ctx.page(url, page.cards.length);
      const before = out.counts.kept + out.counts.sisterStore + out.counts.excluded + out.counts.rejected;
      for (const card of page.cards) out.take(card, (c) => dealerOnVehicle(c, ctx.siteUrl));
      const fresh =
        out.counts.kept + out.counts.sisterStore + out.counts.excluded + out.counts.rejected - before;
      shown = page.pageEnd ?? shown + page.cards.length;
      if (page.totalPages !== null && pt >= page.totalPages) break;
      if (page.cards.length < shortPage || fresh === 0) break;
    }
  },
};
