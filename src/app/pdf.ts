/**
 * `silverfox pdf ORDER_ID` (and `--pdf` on cao/list): an order's print-ready sticker sheet (one
 * page per vehicle) and proof sheet, written into its order folder and recorded with their
 * SHA-256 in order_summary.json. Running it again replaces both files.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { slugify } from '../core/dealership.js';
import { ORDER_SUMMARY_FILE, qrFilePath } from '../core/templates.js';
import { selectOrder, selectOrderVehicles, type OrderRecord } from '../db/orders.js';
import { InputError, NotFoundError, OutputError } from '../errors.js';
import { recordOrderFiles, writeOrderFile } from '../output/order-files.js';
import type { OrderFile } from '../output/order-folder.js';
import { renderOrderPdfs } from '../output/pdf.js';
import { loadStickerTemplate, type StickerVehicle } from '../output/pdf-template.js';
import type { AppContext } from './context.js';
import { getDealer } from './dealers.js';
import { recoverOrders } from './order-writer.js';
import { parseOrderId } from './orders.js';

export interface PdfOptions {
  /** `42` or `#42`. */
  orderId: number | string;
  /** A sticker template instead of the dealership's `sticker_template` setting. */
  template?: string;
  /** Pool pages printing at once (default: the concurrency setting). */
  concurrency?: number;
  /** Vehicles printed so far. */
  onProgress?: (printed: number, total: number) => void;
}

export interface PdfFile extends OrderFile {
  pages: number;
}

export interface PdfResult {
  orderId: number;
  dealership: string;
  folder: string;
  template: string;
  vehicles: number;
  stickers: PdfFile;
  proof: PdfFile;
  concurrency: number;
  /** Print tasks retried and pages the watchdog replaced. */
  retries: number;
  watchdogRecoveries: number;
  ms: number;
}

/** `<slug>_stickers.pdf` and `<slug>_proof.pdf`, beside the order's CSV. */
export function pdfFileNames(slug: string): { stickers: string; proof: string } {
  const s = slugify(slug);
  return { stickers: `${s}_stickers.pdf`, proof: `${s}_proof.pdf` };
}

async function mustFindOrder(ctx: AppContext, id: number): Promise<OrderRecord> {
  const order = await selectOrder(ctx.db, id);
  if (!order)
    throw new NotFoundError(`there is no order #${id}`, ['Run `silverfox orders list` to see the orders.']);
  if (order.status === 'voided')
    throw new InputError(`order #${id} is voided; its stickers are not printed`, {
      hints: ['Print the order that replaced it (silverfox orders list).'],
    });
  return order;
}

/** Renders and writes the sticker and proof PDFs of an order. */
export async function renderOrderPdf(ctx: AppContext, opts: PdfOptions): Promise<PdfResult> {
  const started = Date.now();
  const id = parseOrderId(opts.orderId);
  const order = await mustFindOrder(ctx, id);
  // A crash between commit and publish leaves the folder staged: publish it before reading it.
  await recoverOrders(ctx);
  if (!existsSync(path.join(order.folder, ORDER_SUMMARY_FILE)))
    throw new OutputError(`the folder of order #${id} is missing: ${order.folder}`, {
      hints: ['It was moved, renamed or deleted; put it back to print its stickers.'],
    });
  const dealership = await getDealer(ctx, order.dealershipId);
  const templateName = opts.template ?? dealership.effectiveSettings.sticker_template;
  const template = loadStickerTemplate(ctx.config.templatesDir, templateName);
  const records = await selectOrderVehicles(ctx.db, id);
  if (records.length === 0) throw new InputError(`order #${id} has no vehicles: there is nothing to print`);

  const missing: string[] = [];
  const vehicles: StickerVehicle[] = [];
  for (const r of records) {
    const rel = r.qrFile ?? qrFilePath(r.vin);
    let qrPng: Uint8Array;
    try {
      qrPng = await readFile(path.join(order.folder, rel));
    } catch {
      missing.push(rel);
      continue;
    }
    vehicles.push({
      vin: r.vin,
      stock: r.stock,
      year: r.year,
      make: r.make,
      model: r.model,
      trim: r.trim,
      condition: r.condition ?? 'unknown',
      price: r.price,
      url: r.url,
      reason: r.reason,
      notOnWebsite: r.notOnWebsite,
      position: r.position,
      qrPng,
    });
  }
  if (missing.length > 0)
    throw new OutputError(
      `order #${id}: ${missing.length} QR code(s) are missing from ${order.folder} (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''})`,
      {
        hints: [
          'The order folder was moved or edited. `silverfox orders show ' +
            id +
            '` checks it against its checksums.',
        ],
      },
    );

  const concurrency = opts.concurrency ?? ctx.config.concurrency;
  const rendered = await renderOrderPdfs({
    chromiumPath: ctx.config.chromiumPath,
    concurrency,
    template,
    order: {
      dealership: dealership.name,
      orderId: id,
      orderType: order.orderType,
      createdAt: order.createdAt,
      template: template.name,
      vehicleCount: vehicles.length,
    },
    vehicles,
    onProgress: opts.onProgress,
  });

  const names = pdfFileNames(dealership.slug);
  const stickers = await writeOrderFile(order.folder, names.stickers, rendered.stickers);
  const proof = await writeOrderFile(order.folder, names.proof, rendered.proof);
  await recordOrderFiles(order.folder, [stickers, proof], {
    sticker_sheets: {
      template: template.name,
      rendered_at: ctx.now().toISOString(),
      stickers: { file: stickers.path, pages: rendered.stickerPages },
      proof: { file: proof.path, pages: rendered.proofPages },
    },
  });
  return {
    orderId: id,
    dealership: dealership.name,
    folder: order.folder,
    template: template.name,
    vehicles: vehicles.length,
    stickers: { ...stickers, pages: rendered.stickerPages },
    proof: { ...proof, pages: rendered.proofPages },
    concurrency,
    retries: rendered.pool.retries,
    watchdogRecoveries: rendered.pool.watchdogRecoveries,
    ms: Date.now() - started,
  };
}
