// Browser suite: sticker sheets of real orders (imported from the real Craigslist sample, ordered
// through LIST), read back with pdftoppm/pdftotext and jsqr.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { importFiles } from '../../src/app/import.js';
import { runList } from '../../src/app/list.js';
import { showOrder } from '../../src/app/orders.js';
import { pdfFileNames, renderOrderPdf } from '../../src/app/pdf.js';
import { resolveConfig } from '../../src/config.js';
import { qrContent } from '../../src/core/templates.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { sha256Hex } from '../../src/durable-fs.js';
import { browserSuiteEnabled } from '../helpers/browser.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { ROOT, SHARED } from '../helpers/env.js';
import { pdfPagesAsPng, pdfText, qrOnPage } from '../helpers/pdf.js';

const CRAIGSLIST = path.join(SHARED, 'data/craigslist_vehicles_sample.csv');

/** The first `n` rows of the real sample with a usable VIN and URL, VINs distinct. */
function sampleVehicles(n: number): { vin: string; url: string; model: string; year: string }[] {
  const rows = Papa.parse<Record<string, string>>(readFileSync(CRAIGSLIST, 'utf8'), { header: true }).data;
  const out: { vin: string; url: string; model: string; year: string }[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const vin = (r.VIN ?? '').trim().toUpperCase();
    if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(vin) || !r.url?.startsWith('https://') || seen.has(vin)) continue;
    seen.add(vin);
    out.push({ vin, url: r.url, model: r.model ?? '', year: r.year ?? '' });
    if (out.length === n) break;
  }
  return out;
}

describe.runIf(browserSuiteEnabled({ pdftoppm: true })).each(DATABASE_KINDS)('sticker PDFs on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  const picked = sampleVehicles(7);
  let orderId: number;
  let hostileOrderId: number;

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    await importFiles(ctx, { files: [CRAIGSLIST], dealer: 'Spirit Lexus' });
    const order = await runList(ctx, { dealer: 'Spirit Lexus', entries: picked.map((p) => p.vin) });
    expect(order.status).toBe('ordered');
    orderId = order.orderId!;
    // Scraped text that is markup: it must print as text, never run or vanish.
    const hostile = path.join(t.dir, 'hostile.csv');
    writeFileSync(
      hostile,
      'VIN,Stock,Year,Make,Model,Trim,Price,URL,Condition\n' +
        '1HGCM82633A004352,<b>S1</b>,2024,Honda & Sons,"<script>document.title=1</script>Accord",' +
        '"""quoted"" <i>trim</i>",$34995,https://example.test/vdp/1?a=1&b=<2>,new\n',
    );
    await importFiles(ctx, { files: [hostile], dealer: 'HW Kia' });
    const h = await runList(ctx, { dealer: 'HW Kia', entries: ['1HGCM82633A004352'] });
    hostileOrderId = h.orderId!;
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('prints one page per vehicle whose QR decodes to that vehicle, plus a proof sheet, recorded in the checksums', async () => {
    const progress: number[] = [];
    const r = await renderOrderPdf(ctx, { orderId, concurrency: 3, onProgress: (n) => progress.push(n) });
    expect(r.vehicles).toBe(picked.length);
    expect(r.template).toBe('default');
    expect(r.stickers.path).toBe(pdfFileNames('spirit_lexus').stickers);
    expect(r.stickers.pages).toBe(picked.length);
    expect(r.proof.pages).toBe(1);
    expect(progress.at(-1)).toBe(picked.length);

    const stickersPdf = path.join(r.folder, r.stickers.path);
    const pages = pdfPagesAsPng(stickersPdf, { dpi: 110 });
    expect(pages).toHaveLength(picked.length);
    const text = pdfText(stickersPdf);
    const { vehicles } = await showOrder(ctx, orderId);
    for (const [i, v] of vehicles.entries()) {
      // Page i is vehicle i of the order, and its QR says what the order's QR PNG says.
      expect(qrOnPage(pages[i]!)).toBe(qrContent(v));
      expect(qrOnPage(pages[i]!)).toContain('utm_source=SilverFox&utm_medium=VDP_ShortCut');
      expect(text[i]).toContain(v.vin);
      expect(text[i]).toContain(String(v.year));
    }
    expect(qrOnPage(pages[0]!)!.startsWith(picked.find((p) => p.vin === vehicles[0]!.vin)!.url)).toBe(true);

    const proofText = pdfText(path.join(r.folder, r.proof.path)).join('\n');
    for (const v of vehicles) expect(proofText).toContain(v.vin);
    expect(proofText).toContain(`Proof of order ${orderId}`);

    // Recorded in order_summary.json, and the folder still verifies.
    const shown = await showOrder(ctx, orderId);
    expect(shown.verification.ok).toBe(true);
    expect(shown.verification.unexpected).toEqual([]);
    const entry = shown.verification.files.find((f) => f.path === r.stickers.path)!;
    expect(entry.sha256).toBe(sha256Hex(readFileSync(stickersPdf)));
    expect(shown.verification.files.some((f) => f.path === r.proof.path)).toBe(true);
  });

  it('running it again replaces the files and keeps the summary consistent', async () => {
    const again = await renderOrderPdf(ctx, { orderId: `#${orderId}`, concurrency: 1 });
    expect(again.stickers.pages).toBe(picked.length);
    const shown = await showOrder(ctx, orderId);
    expect(shown.verification.ok).toBe(true);
    expect(shown.verification.files.filter((f) => f.path.endsWith('.pdf'))).toHaveLength(2);
  });

  it('scraped markup is printed as text: a <script> in a model name shows, and nothing runs', async () => {
    const r = await renderOrderPdf(ctx, { orderId: hostileOrderId });
    // Compared without white space: the layout may wrap a long name anywhere.
    const squash = (s: string) => s.replace(/\s+/g, '');
    const page = squash(pdfText(path.join(r.folder, r.stickers.path))[0]!);
    for (const shown of [
      '<script>document.title=1</script>Accord',
      'Honda & Sons',
      '"quoted" <i>trim</i>',
      'Stock <b>S1</b>',
    ])
      expect(page).toContain(squash(shown));
    const [png] = pdfPagesAsPng(path.join(r.folder, r.stickers.path), { dpi: 110 });
    expect(qrOnPage(png!)).toBe(
      'https://example.test/vdp/1?a=1&b=<2>&utm_source=SilverFox&utm_medium=VDP_ShortCut',
    );
  });

  it('a designer template from another folder is used; a broken one is reported with its line', async () => {
    const dir = path.join(t.dir, 'templates');
    cpSync(path.join(ROOT, 'templates/default'), path.join(dir, 'big'), { recursive: true });
    // Every sticker doubled in height: two pages per vehicle is refused, not printed out of step.
    const css = readFileSync(path.join(dir, 'big/sticker.css'), 'utf8').replace(
      'height: 6in;',
      'height: 12in;',
    );
    writeFileSync(path.join(dir, 'big/sticker.css'), css);
    cpSync(path.join(ROOT, 'templates/default'), path.join(dir, 'typo'), { recursive: true });
    const html = readFileSync(path.join(dir, 'typo/sticker.html'), 'utf8').replace('{{stock}}', '{{stok}}');
    writeFileSync(path.join(dir, 'typo/sticker.html'), html);
    const other = {
      ...ctx,
      config: resolveConfig({ env: { ...t.env, SILVERFOX_TEMPLATES_DIR: dir }, cwd: t.dir }),
    };
    await expect(renderOrderPdf(other, { orderId, template: 'big' })).rejects.toThrow(
      /printed (\d+) pages for (\d+) vehicles \(vehicles \d+-\d+\); every sticker must fill exactly one page/,
    );
    const typo = await renderOrderPdf(other, { orderId, template: 'typo' }).catch((e: unknown) => e);
    expect(typo).toBeInstanceOf(InputError);
    expect((typo as Error).message).toMatch(/line \d+: unknown field \{\{stok\}\}/);
    const unknown = await renderOrderPdf(other, { orderId, template: 'nope' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).hints[0]).toBe('Templates there: big, typo.');
  });

  it('an unknown order is not found; a bad id is a usage error', async () => {
    await expect(renderOrderPdf(ctx, { orderId: 999999 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(renderOrderPdf(ctx, { orderId: 'abc' })).rejects.toThrow(/not an order id/);
  });
});
