/**
 * Team Velocity (SCRAPE-FACTS.md §1.6): no listing pages. `/sitemap.xml` names the inventory
 * sitemaps (URLs containing `inventoryvdpsitemap`); each lists vehicle detail pages (VDPs). A VDP
 * carries the vehicle as JSON in a script (`vehicleIdentificationNumber`), the stock in `div#stock`
 * (or a per-site fallback), the trim in the `inventoryVdpName` script, lot badges in
 * `vehicleBadgesInfo`; its price comes from `/api/Inventory/getPaymentSettingDetails` with the
 * site's account id. A sold car's page still answers, saying "this vehicle was just sold".
 */
import { z } from 'zod';
import { forEachLimited } from '../detail-pages.js';
import { ShapeError } from '../errors.js';
import { storeOf as storeOfRow } from '../../core/scrape-rules.js';
import { absoluteUrl, getPath, siteUrlFor, text, truthy } from '../extract-util.js';
import { parseHtml, type HTMLElement } from '../html.js';
import type { Adapter, RawVehicle } from '../types.js';

const PLATFORM = 'team-velocity';

const options = z
  .object({
    /** The account id getPaymentSettingDetails wants; a page that embeds one wins over this. */
    account_id: z.string().regex(/^\d+$/, 'a numeric Team Velocity account id').optional(),
    sitemap_path: z.string().startsWith('/').default('/sitemap.xml'),
    /** A sitemap `<loc>` containing this lists vehicle pages. */
    inventory_sitemap_match: z.string().min(1).default('inventoryvdpsitemap'),
    detail_concurrency: z.number().int().min(1).max(16).default(4),
  })
  .strict();

export type TeamVelocityOptions = z.infer<typeof options>;

export const SOLD_TEXT = /so sorry, this vehicle was just sold/i;

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

const decodeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Pure: every `<loc>` of a sitemap (index or urlset), entities decoded. */
export function extractSitemapLocs(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<loc>\s*(?:<!\[CDATA\[)?([\s\S]*?)(?:\]\]>)?\s*<\/loc>/gi)) {
    const loc = decodeXml(m[1]!.trim());
    if (loc) out.push(loc);
  }
  return out;
}

/** `/viewdetails/cpo/...` -> Certified Pre-Owned; `/used/` -> Used; `/new/` -> New; else ''. */
export function conditionOfVdpUrl(url: string): string {
  const path = url.toLowerCase();
  if (path.includes('/cpo/')) return 'Certified Pre-Owned';
  if (path.includes('/used/')) return 'Used';
  if (path.includes('/new/')) return 'New';
  return '';
}

/**
 * The badges JSON (`vehicleBadgesInfo = '...'; var`, `&quot;`-escaped) as flags, or undefined when
 * the page has none or it does not parse.
 */
export function extractBadges(
  html: string,
): { InTransit: boolean; InProduction: boolean; InStock: boolean } | undefined {
  const m = /vehicleBadgesInfo\s*=\s*'([\s\S]*?)'\s*;\s*var/.exec(html.replace(/\s+/g, ' '));
  if (!m) return undefined;
  let badges: unknown;
  try {
    badges = JSON.parse(m[1]!.replace(/&quot;/g, '"'));
  } catch {
    return undefined;
  }
  return {
    InTransit: truthy(getPath(badges, 'InTransit.InTransitStatus')),
    InProduction: truthy(getPath(badges, 'InProduction.InProductionStatus')),
    InStock: truthy(getPath(badges, 'InStock.InStockStatus')),
  };
}

/** The stock number: `div#stock` after `Stock:`, else the recorded fallbacks. */
export function stockOf(root: HTMLElement): string {
  const div = root.querySelector('div#stock');
  if (div) return collapse(div.text.replace(/^[\s\S]*?stock\s*#?\s*:?/i, ''));
  for (const p of root.querySelectorAll('p')) {
    if (collapse(p.text).toLowerCase() === 'stock' && p.parentNode) {
      return collapse(p.parentNode.text.replace(/^[\s\S]*?stock/i, ''));
    }
  }
  for (const span of root.querySelectorAll('span')) {
    const t = collapse(span.text);
    if (/stock\s*:/i.test(t)) return collapse(t.replace(/^[\s\S]*?stock\s*:/i, ''));
  }
  const stockSpan = root.querySelector('span.stock');
  if (stockSpan?.parentNode) return collapse(stockSpan.parentNode.text.replace(stockSpan.text, ''));
  return '';
}

/** The trim from the `inventoryVdpName` script: after `trim =` up to `;`, quotes dropped, `&#x2B` = `+`. */
export function trimOf(root: HTMLElement): string {
  for (const s of root.querySelectorAll('script')) {
    const t = collapse(s.rawText);
    if (!t.includes('inventoryVdpName')) continue;
    const m = /\btrim\s*=\s*([^;]*)/.exec(t);
    if (m) return m[1]!.replace(/["']/g, '').replace(/&#x2B/gi, '+').trim();
  }
  return '';
}

/** The store a VDP names: the `Location:` span (else `span.location-label-custom`), lower-cased. */
export function storeOf(root: HTMLElement): string {
  for (const span of root.querySelectorAll('span')) {
    const t = collapse(span.text);
    if (/location:/i.test(t)) return t.replace(/^[\s\S]*?location:\s*/i, '').toLowerCase();
  }
  return collapse(root.querySelector('span.location-label-custom')?.text ?? '').toLowerCase();
}

/**
 * One VDP read into a row for the collector: the JSON fields, `availability` (schema.org's
 * `https://schema.org/` prefix cut, so `InStock`), `badges` flags, `location` (the store the page
 * names, lower-cased), and later `payment` (the getPaymentSettingDetails answer).
 */
export type TvRow = Record<string, unknown> & { vin: string; location: string };

/** What one VDP is: a vehicle row (its price still to fetch), a sold car, or no vehicle. */
export type TvDetail =
  { kind: 'vehicle'; row: TvRow } | { kind: 'sold' } | { kind: 'reject'; reason: string };

/** Pure: one VDP -> what it is. */
export function extractTeamVelocityVdp(html: string, url: string): TvDetail {
  if (SOLD_TEXT.test(html)) return { kind: 'sold' };
  const root = parseHtml(html);
  const script = root
    .querySelectorAll('script')
    .find((s) => s.rawText.includes('vehicleIdentificationNumber'));
  if (!script) return { kind: 'reject', reason: 'no vehicle JSON (vehicleIdentificationNumber) in the page' };
  let data: unknown;
  try {
    data = JSON.parse(collapse(script.rawText));
  } catch {
    return { kind: 'reject', reason: 'the vehicle JSON (vehicleIdentificationNumber) is not valid JSON' };
  }
  const node = Array.isArray(data)
    ? data.find((d) => getPath(d, 'vehicleIdentificationNumber') !== undefined)
    : data;
  const vin = text(getPath(node, 'vehicleIdentificationNumber')).trim();
  if (!vin) return { kind: 'reject', reason: 'the vehicle JSON has no vehicleIdentificationNumber' };
  const brand = getPath(node, 'brand');
  return {
    kind: 'vehicle',
    row: {
      vin,
      stock: stockOf(root),
      year: text(getPath(node, 'vehicleModelDate')),
      make: typeof brand === 'object' && brand !== null ? text(getPath(brand, 'name')) : text(brand),
      model: text(getPath(node, 'model')),
      trim: trimOf(root),
      condition: conditionOfVdpUrl(url),
      availability: text(getPath(node, 'offers.availability')).replace(/^https?:\/\/schema\.org\//i, ''),
      badges: extractBadges(html),
      location: storeOf(root),
      url,
    },
  };
}

/** Pure: a getPaymentSettingDetails answer as an object ({} when it is not JSON or null). */
export function paymentOf(body: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The raw vehicle of a row (status and price as the site wrote them; the entry's rules decide). */
export function teamVelocityVehicle(row: Record<string, unknown>): RawVehicle {
  const badges = row.badges as { InTransit: boolean; InProduction: boolean; InStock: boolean } | undefined;
  const status = badges?.InTransit
    ? 'In-Transit'
    : badges?.InProduction
      ? 'In Production'
      : badges?.InStock
        ? 'In-Stock'
        : text(row.availability);
  return {
    vin: text(row.vin),
    stock: text(row.stock),
    year: text(row.year),
    make: text(row.make),
    model: text(row.model),
    trim: text(row.trim),
    condition: text(row.condition),
    status,
    price: text(getPath(row, 'payment.yourPrice')),
    msrp: text(getPath(row, 'payment.cashMSRP')),
    url: text(row.url),
  };
}

/** Pure: the account id a page embeds (`accountId = '44482'`, `"accountId":"44482"`). */
export function extractAccountId(html: string): string | undefined {
  return /["']?\baccountId["']?\s*[:=]\s*["']?(\d+)/i.exec(html)?.[1];
}

export const adapter: Adapter<TeamVelocityOptions> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    const index = siteUrlFor(ctx.siteUrl, opts.sitemap_path);
    const sitemaps = extractSitemapLocs(await ctx.http.text(index)).filter((l) =>
      l.toLowerCase().includes(opts.inventory_sitemap_match.toLowerCase()),
    );
    ctx.page(index, 0);
    if (sitemaps.length === 0) {
      throw new ShapeError(
        PLATFORM,
        `sitemap ${index}`,
        `no <loc> containing "${opts.inventory_sitemap_match}"`,
      );
    }
    const vdps = new Set<string>();
    for (const sm of sitemaps) {
      const url = absoluteUrl(sm, ctx.siteUrl);
      const locs = extractSitemapLocs(await ctx.http.text(url));
      ctx.page(url, locs.length);
      for (const loc of locs) vdps.add(absoluteUrl(loc, ctx.siteUrl));
    }
    let accountId: string | undefined;
    let priceCalls = 0;
    const priceErrors: string[] = [];
    await forEachLimited([...vdps], opts.detail_concurrency, async (url) => {
      const res = await ctx.http.request(url, { allowStatus: [404, 410] });
      ctx.page(url, 1);
      if (res.status !== 200) return void out.counts.gone++;
      const d = extractTeamVelocityVdp(res.body, url);
      if (d.kind === 'sold') return void out.counts.gone++;
      if (d.kind === 'reject') return out.reject(d.reason, { url });
      // A sister store's car needs no price call.
      const store = storeOfRow(ctx.params.store_filter, d.row);
      if (store.verdict === 'sister') return out.skipSisterStore(d.row.vin, store.store);
      accountId ??= extractAccountId(res.body) ?? opts.account_id;
      if (!accountId) {
        throw new ShapeError(PLATFORM, `page ${url}`, 'no accountId in the page (set scraper.account_id)');
      }
      const priceUrl = siteUrlFor(
        ctx.siteUrl,
        `/api/Inventory/getPaymentSettingDetails?accountId=${encodeURIComponent(accountId)}&vin=${encodeURIComponent(d.row.vin)}&styleid=`,
      );
      // One car's price call failing (an error page, no price object) leaves that car without
      // a price; only when every call fails is the account id taken for wrong.
      priceCalls++;
      const pr = await ctx.http.request(priceUrl, { allowStatus: [404, 410] }).catch((err: unknown) => {
        if (ctx.signal.aborted) throw err;
        priceErrors.push(err instanceof Error ? err.message : String(err));
        return undefined;
      });
      out.take({ ...d.row, payment: pr?.status === 200 ? paymentOf(pr.body) : {} }, teamVelocityVehicle);
    });
    if (priceCalls > 0 && priceErrors.length === priceCalls) {
      throw new ShapeError(
        PLATFORM,
        'getPaymentSettingDetails',
        `every price call failed (accountId ${accountId}; check scraper.account_id): ${priceErrors[0]}`,
      );
    }
  },
};
