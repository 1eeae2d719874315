/**
 * Toyota SmartPath (SCRAPE-FACTS.md §2 "Twin City Toyota"): the inventory API lives on the
 * SmartPath host (the registry's API host), the car pages on the dealer site (its URL). A browser
 * first opens the SmartPath search page for its session cookies; then
 * `/consumerapi/retail/inventory?dealer[]=CODE&zipCode=&region=&pageNo=N&pageSize=15&...&type=used|new`
 * is paged per type. Each car is then looked up on the dealer site by typing its VIN into the
 * site search (`#s_search`): the first result is the car's page (its URL and trim). A car the
 * dealer site does not list (a pooled car of another dealer) is left out, as recorded.
 */
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { sleep } from '../http.js';
import { forEachLimited } from '../detail-pages.js';
import { ShapeError } from '../errors.js';
import { storeOf } from '../../core/scrape-rules.js';
import { absoluteUrl, expectShape, getPath, parseJson, siteUrlFor, text } from '../extract-util.js';
import { parseHtml } from '../html.js';
import type { Adapter, AdapterContext, RawVehicle } from '../types.js';

const PLATFORM = 'toyota-smartpath';

const options = z
  .object({
    /** `dealer[]`: the Toyota dealer code. */
    dealer_code: z.string().regex(/^\d+$/, 'a numeric Toyota dealer code'),
    zip: z.string().regex(/^\d{5}$/, 'a 5-digit zip code'),
    region: z.string().regex(/^\d+$/, 'a numeric Toyota region'),
    lead_id: z.string().min(1),
    brand: z.string().min(1).default('T'),
    include_pooling: z.boolean().default(true),
    page_size: z.number().int().min(1).max(100).default(15),
    /** One pass per type, in order; the pass is the car's condition. */
    types: z
      .array(z.enum(['used', 'new']))
      .min(1)
      .default(['used', 'new']),
    /** `sort[]` of the new pass, as recorded. */
    new_sort: z.string().default('dealerCategory desc,price.sellingPrice asc,vin desc'),
    /** Open the SmartPath search page in the browser first and send its cookies. */
    browser_cookies: z.boolean().default(true),
    /** Look each VIN up on the dealer site (its page URL and trim); a car not found is left out. */
    vin_lookup: z.boolean().default(true),
    lookup_attempts: z.number().int().min(1).max(10).default(3),
    lookup_retry_ms: z.number().int().min(0).max(60_000).default(2000),
    /** The dealer site's search shows this when a VIN has no result (not recorded: a guess). */
    lookup_no_results_selector: z.string().min(1).default('[class*=no-results], [class*=no_results]'),
    lookup_concurrency: z.number().int().min(1).max(8).default(3),
  })
  .strict();

export type SmartPathOptions = z.infer<typeof options>;

const pageSchema = z.looseObject({
  vehicleSummary: z.array(z.unknown()),
  pagination: z.looseObject({ totalPages: z.coerce.number().int().nonnegative() }),
});

/** Pure: one inventory response -> total pages and its rows (as served). */
export function extractSmartPathPage(json: unknown): { totalPages: number; rows: unknown[] } {
  const page = expectShape(PLATFORM, 'inventory response', pageSchema, json);
  return { totalPages: page.pagination.totalPages, rows: page.vehicleSummary };
}

/**
 * The raw vehicle of a row: stock `stockNumber` else `stockNum`, model `model.modelDescription`
 * else `model.marketingName`, the page URL and trim the dealer-site lookup added (`vdp_url`,
 * `vdp_trim`; the trim cut from the model). A row missing any of them keeps what it has.
 */
export function smartPathVehicle(row: Record<string, unknown>, condition: string): RawVehicle {
  const trim = text(row.vdp_trim);
  let model = text(getPath(row, 'model.modelDescription')) || text(getPath(row, 'model.marketingName'));
  if (trim && model.includes(trim)) model = model.replace(trim, '').trim();
  return {
    vin: text(row.vin).trim(),
    stock: text(row.stockNumber) || text(row.stockNum),
    year: text(row.year),
    make: text(row.brand) || 'Toyota',
    model,
    trim,
    condition,
    status: text(row.dealerCategory),
    price: text(getPath(row, 'price.sellingPrice')),
    msrp: text(getPath(row, 'price.totalMsrp')),
    date_in_stock: text(row.acquiredDate),
    url: text(row.vdp_url),
  };
}

/** Pure: the trim of a car page (the `div` after the `div` whose text is `Trim`). */
export function extractSmartPathTrim(html: string): string {
  for (const div of parseHtml(html).querySelectorAll('div')) {
    if (div.text.trim().toLowerCase() !== 'trim') continue;
    const next = div.nextElementSibling;
    if (next) return next.text.replace(/\s+/g, ' ').trim();
  }
  return '';
}

/** `_dd_s` cut at `&created=`, as the recorded scraper sent it. */
export function cookieForApi(header: string): string {
  return header.replace(/(_dd_s=[^;]*?)&created=[^;]*/, '$1');
}

const RESULT_LINK = 'div[id*=result_type_i_] li[class*=result] a[href]';

/** Clicks a banner's button when the page has one; dispatched, so an overlay on top cannot stall it. */
async function clickIfThere(page: Page, selector: string): Promise<void> {
  const el = await page.$(selector);
  if (el) await el.dispatchEvent('click').catch(() => {});
}

/** Types the VIN into the dealer site's search; the first result's URL, or undefined. */
async function findOnSite(
  page: Page,
  site: string,
  vin: string,
  opts: SmartPathOptions,
  timeoutMs: number,
): Promise<string | undefined> {
  await page.goto(siteUrlFor(site, '/'), { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await clickIfThere(page, 'button:has-text("Allow all cookies")');
  await clickIfThere(page, 'div[data-testid=close-modal]');
  await page.fill('#s_search', vin, { timeout: timeoutMs });
  const hit = await page
    .waitForSelector(
      `${RESULT_LINK}, #s_search ~ * ${opts.lookup_no_results_selector}, ${opts.lookup_no_results_selector}`,
      {
        timeout: timeoutMs,
        state: 'attached',
      },
    )
    .catch(() => null);
  if (!hit) return undefined;
  const link = await page.$(RESULT_LINK);
  const href = link ? await link.getAttribute('href') : null;
  return href ? absoluteUrl(href, site) : undefined;
}

async function lookUp(
  ctx: AdapterContext,
  opts: SmartPathOptions,
  vin: string,
): Promise<{ url: string; trim: string } | undefined> {
  const session = await ctx.browser();
  for (let attempt = 1; attempt <= opts.lookup_attempts; attempt++) {
    const found = await session
      .withPage(async (page) => {
        const url = await findOnSite(page, ctx.siteUrl, vin, opts, ctx.timeoutMs);
        if (!url) return undefined;
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: ctx.timeoutMs });
        return { url, trim: extractSmartPathTrim(await page.content()) };
      }, ctx.signal)
      .catch((err: unknown) => {
        if (ctx.signal.aborted) throw err;
        ctx.retried(ctx.siteUrl, attempt, err instanceof Error ? err : new Error(String(err)));
        return undefined;
      });
    if (found) return found;
    if (attempt < opts.lookup_attempts) await sleep(opts.lookup_retry_ms, ctx.signal);
  }
  return undefined;
}

export const adapter: Adapter<SmartPathOptions> = {
  platform: PLATFORM,
  options,
  async scrape(ctx, opts, out) {
    // The SmartPath host is the registry's API host; without one, the site itself.
    const api = ctx.apiHost ?? ctx.siteUrl;
    // Rows of this dealership, with the pass (condition) they came from, before the lookup.
    const found: { row: Record<string, unknown>; condition: string }[] = [];
    for (const type of opts.types) {
      const search = siteUrlFor(
        api,
        `/inventory/search?dealerCd=${opts.dealer_code}&source=t3&zipcode=${opts.zip}&type=${type}`,
      );
      let cookie: string | undefined;
      if (opts.browser_cookies) {
        const session = await ctx.browser();
        await session.render(search, {
          waitFor: 'body',
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
          onRetry: (r) => ctx.retried(r.url, r.attempt, r.error),
        });
        cookie = cookieForApi(await session.cookieHeader(search));
      }
      const condition = type === 'new' ? 'New' : 'Used';
      for (let pageNo = 1; ; pageNo++) {
        const q = new URLSearchParams({
          'dealer[]': opts.dealer_code,
          zipCode: opts.zip,
          region: opts.region,
          pageNo: String(pageNo),
          pageSize: String(opts.page_size),
          leadid: opts.lead_id,
          includeInvPooling: String(opts.include_pooling),
          brand: opts.brand,
          type,
        });
        if (type === 'new' && opts.new_sort) q.append('sort[]', opts.new_sort);
        const url = siteUrlFor(api, `/consumerapi/retail/inventory?${q.toString()}`);
        const headers: Record<string, string> = {
          referer: search,
          accept: 'application/json, text/plain, */*',
        };
        if (cookie) headers.cookie = cookie;
        const { totalPages, rows } = extractSmartPathPage(
          parseJson(PLATFORM, 'inventory response', await ctx.http.text(url, { headers })),
        );
        ctx.page(url, rows.length);
        for (const r of rows) {
          if (!opts.vin_lookup) {
            out.take(r, (row) => smartPathVehicle(row, condition));
            continue;
          }
          if (!r || typeof r !== 'object' || Array.isArray(r)) {
            out.reject('a vehicleSummary entry that is not an object', r);
            continue;
          }
          const row = r as Record<string, unknown>;
          const vin = text(row.vin).trim();
          if (!vin) {
            out.reject('a vehicleSummary entry without a vin', row);
            continue;
          }
          // Pooled cars of other dealers are not looked up on this dealer's site.
          const store = storeOf(ctx.params.store_filter, row);
          if (store.verdict === 'sister') out.skipSisterStore(vin, store.store);
          else found.push({ row, condition });
        }
        if (pageNo >= totalPages || rows.length < opts.page_size) break;
        if (pageNo > 1000) throw new ShapeError(PLATFORM, 'paging', 'more than 1000 pages');
      }
    }
    const looked = await forEachLimited(found, opts.lookup_concurrency, async ({ row, condition }) => {
      const vin = text(row.vin).trim();
      const hit = out.has(vin) ? undefined : await lookUp(ctx, opts, vin);
      ctx.page(ctx.siteUrl, hit ? 1 : 0);
      return { row, condition, hit };
    });
    for (const { row, condition, hit } of looked) {
      if (!hit) {
        out.skipExcluded(text(row.vin), 'not found by the dealer site search');
        continue;
      }
      out.take({ ...row, vdp_url: hit.url, vdp_trim: hit.trim }, (r) => smartPathVehicle(r, condition));
    }
  },
};
