/**
 * Print-ready sticker sheets: an order's vehicles through a sticker template (pdf-template.ts)
 * into PDFs with Chromium's print-to-PDF, rendered in parallel on the browser pool.
 *
 * The sticker sheet is cut into chunks of vehicles; each chunk is one task on the pool (one page
 * of the pool prints it), so a failed or stuck chunk is retried alone. The chunk PDFs are then
 * joined in order with pdf-lib. Each chunk must print exactly one page per vehicle: a design
 * that overflows its page is an error, never a sheet with stickers out of step. The proof sheet
 * is one more task, rendered at the same time.
 *
 * Pages render with JavaScript off and the network closed: a template is HTML and CSS only,
 * and the values in it are escaped text.
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { OutputError } from '../errors.js';
import { BrowserPool, permanent, type PoolStats } from './browser-pool.js';
import {
  renderDocument,
  type OrderInfo,
  type StickerTemplate,
  type StickerVehicle,
  type TemplateDocument,
} from './pdf-template.js';

export interface RenderPdfOptions {
  chromiumPath: string;
  /** Pool pages printing at once. */
  concurrency: number;
  template: StickerTemplate;
  order: OrderInfo;
  vehicles: readonly StickerVehicle[];
  /** Vehicles per print task (default: spread over the pool, at most 25). */
  chunkSize?: number;
  /** Per print task (default 60 s). */
  taskTimeoutMs?: number;
  /** Extra attempts of a failed print task (default 1). */
  retries?: number;
  /** Vehicles printed so far, after each chunk. */
  onProgress?: (printed: number, total: number) => void;
}

export interface RenderedPdfs {
  stickers: Uint8Array;
  proof: Uint8Array;
  stickerPages: number;
  proofPages: number;
  chunks: number;
  pool: PoolStats;
  ms: number;
}

/** How many vehicles one print task takes: the pool kept busy, but no task too long to retry. */
export function chunkSizeFor(vehicles: number, concurrency: number, max = 25): number {
  return Math.max(1, Math.min(max, Math.ceil(vehicles / Math.max(1, concurrency))));
}

async function print(
  page: Page,
  template: StickerTemplate,
  doc: TemplateDocument,
  html: string,
): Promise<Buffer> {
  // Loading the template's own file first gives the page its folder as base and file origin,
  // so the document's relative links (CSS, fonts, logos) resolve; setContent keeps that URL.
  const url = pathToFileURL(path.join(template.dir, `${doc}.html`)).href;
  if (page.url() !== url) await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.setContent(html, { waitUntil: 'load' });
  return page.pdf({ preferCSSPageSize: true, printBackground: true });
}

/** Renders the sticker sheet (one page per vehicle) and the proof sheet of an order. */
export async function renderOrderPdfs(opts: RenderPdfOptions): Promise<RenderedPdfs> {
  const started = Date.now();
  const vehicles = opts.vehicles;
  if (vehicles.length === 0) throw new OutputError('an order without vehicles has no stickers to print');
  const size = opts.chunkSize ?? chunkSizeFor(vehicles.length, opts.concurrency);
  const chunks: StickerVehicle[][] = [];
  for (let i = 0; i < vehicles.length; i += size) chunks.push(vehicles.slice(i, i + size));
  const { PDFDocument } = await import('pdf-lib');

  const pool = await BrowserPool.open({
    chromiumPath: opts.chromiumPath,
    size: Math.min(opts.concurrency, chunks.length + 1),
    taskTimeoutMs: opts.taskTimeoutMs ?? 60_000,
    retries: opts.retries ?? 1,
    // A template is HTML and CSS; nothing in it (or in the data) may run or reach the network.
    contextOptions: { javaScriptEnabled: false, offline: true },
  });
  try {
    let printed = 0;
    const proofTask = pool.run(
      (page) =>
        print(page, opts.template, 'proof', renderDocument(opts.template.proof, opts.order, vehicles)),
      { key: 'proof' },
    );
    const chunkTasks = chunks.map((chunk, i) =>
      pool.run(
        async (page) => {
          const pdf = await print(
            page,
            opts.template,
            'sticker',
            renderDocument(opts.template.sticker, opts.order, chunk),
          );
          const pages = (await PDFDocument.load(pdf, { updateMetadata: false })).getPageCount();
          if (pages !== chunk.length)
            throw permanent(
              new OutputError(
                `sticker template "${opts.template.name}" printed ${pages} pages for ${chunk.length} vehicles ` +
                  `(vehicles ${chunk[0]!.position}-${chunk[chunk.length - 1]!.position}); every sticker must fill exactly one page`,
                {
                  hints: [
                    `Check ${opts.template.sticker.file}: the repeated block must be one page (break-after: page), and its content must fit the @page size of the CSS.`,
                  ],
                },
              ),
            );
          printed += chunk.length;
          opts.onProgress?.(printed, vehicles.length);
          return pdf;
        },
        { key: `stickers ${i + 1}/${chunks.length}` },
      ),
    );
    const results = await Promise.all(chunkTasks);
    const proofResult = await proofTask;
    for (const r of [...results, proofResult]) {
      if (!r.ok) {
        const err = r.error;
        if (err instanceof OutputError) throw err;
        throw new OutputError(`printing the stickers failed: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
          hints: ['Nothing was written. Run again; if it keeps failing, check the template with --verbose.'],
        });
      }
    }

    const merged = await PDFDocument.create({ updateMetadata: false });
    for (const r of results) {
      const part = await PDFDocument.load((r as { value: Buffer }).value, { updateMetadata: false });
      for (const page of await merged.copyPages(part, part.getPageIndices())) merged.addPage(page);
    }
    const title = `${opts.order.dealership} - order ${opts.order.orderId}`;
    merged.setTitle(`${title} - stickers`);
    merged.setCreator('silverfox');
    merged.setProducer('silverfox (Chromium print, pdf-lib)');
    merged.setCreationDate(opts.order.createdAt);
    merged.setModificationDate(opts.order.createdAt);
    const stickers = await merged.save();
    const proof = (proofResult as { value: Buffer }).value;
    const proofPages = (await PDFDocument.load(proof, { updateMetadata: false })).getPageCount();
    return {
      stickers,
      proof,
      stickerPages: merged.getPageCount(),
      proofPages,
      chunks: chunks.length,
      pool: { ...pool.stats },
      ms: Date.now() - started,
    };
  } finally {
    await pool.close();
  }
}
