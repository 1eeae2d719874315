/**
 * `silverfox orders paths ID --base BASE`: the QR paths in an existing order's `@` columns, rewritten
 * for another base (the orders folder moved, the designers reach it through a new share). The CSVs
 * are replaced atomically with every other byte kept, order_summary.json gets their new checksums
 * and the base, the order's history gets an entry; the QR files are not touched.
 */
import path from 'node:path';
import {
  describeQrPaths,
  parseQrPathBase,
  QR_PATH_BASE_FORMS,
  sameQrPathBase,
  type QrPathBase,
  type QrPathsRecord,
} from '../core/qr-path.js';
import { insertOrderHistory, type OrderRecord } from '../db/orders.js';
import { OutputError, SilverfoxError, UsageError } from '../errors.js';
import { verifyOrderFolder } from '../output/order-verify.js';
import { planQrPathRewrite, recordedQrPaths, writeQrPathRewrite } from '../output/order-qr-paths.js';
import type { AppContext } from './context.js';
import { recoverOrders } from './order-writer.js';
import { getOrder, parseOrderId } from './orders.js';
import { operatorName } from '../process-identity.js';

/** The history action of a QR path rewrite. */
export const QR_PATHS_ACTION = 'qr_paths';

/** `--base` as typed: a bad base is a usage error (exit 2) that names the forms accepted. */
export function parseBaseOption(text: string): QrPathBase {
  const r = parseQrPathBase(text);
  if (!r.ok) throw new UsageError(`--base "${text}" cannot be used: ${r.problem}`, [QR_PATH_BASE_FORMS]);
  return r.base;
}

export interface OrderPathsResult {
  order: OrderRecord;
  from: QrPathBase;
  to: QrPathsRecord;
  /** False when the order already had this base (nothing written, no history entry). */
  changed: boolean;
  /** The CSVs and how many `@` cells each holds. */
  csvFiles: { file: string; cells: number; sha256: string | null }[];
  /** What a cell looks like now. */
  example: string;
}

/** Rewrites the `@` cells of order `idText` for `baseText`; see the top of this file. */
export async function setOrderQrPaths(
  ctx: AppContext,
  idText: string | number,
  baseText: string,
): Promise<OrderPathsResult> {
  const id = parseOrderId(idText);
  const to = parseBaseOption(baseText);
  const order = await getOrder(ctx, id);
  // A crash between commit and publish leaves the folder staged: publish it before reading it.
  await recoverOrders(ctx);
  let summary;
  try {
    summary = (await verifyOrderFolder(order.folder)).summary;
  } catch (err) {
    if (!(err instanceof SilverfoxError)) throw err;
    throw new OutputError(
      order.archivePath
        ? `order #${id} was archived to ${order.archivePath}: its folder is gone`
        : `the folder of order #${id} cannot be read: ${err.message}`,
      { hints: ['Nothing was changed.'] },
    );
  }
  const from = recordedQrPaths(summary);
  const plans = await planQrPathRewrite(order.folder, summary, to);
  const record: QrPathsRecord = { ...to, source: 'rewrite' };
  const unchanged = sameQrPathBase(from, to) && plans.every((p) => p.after.equals(p.before));
  // The history entry commits only when the files are written; a failure half way is finished by
  // running the command again (planQrPathRewrite accepts CSVs already rewritten).
  const written = unchanged
    ? null
    : await ctx.db.transaction(async (tx) => {
        const w = await writeQrPathRewrite(order.folder, plans, record);
        await insertOrderHistory(tx, id, {
          at: ctx.now(),
          action: QR_PATHS_ACTION,
          detail: {
            from: from.style === 'relative' ? 'relative' : from.base,
            to: to.style === 'relative' ? 'relative' : to.base,
            files: w.files.map((f) => ({ file: f.path, sha256: f.sha256 })),
          },
          createdBy: operatorName(),
        });
        return w;
      });
  const csvFiles = plans.map((p) => ({
    file: p.file,
    cells: p.cells,
    sha256: (written?.summary ?? summary).files.find((f) => f.path === p.file)?.sha256 ?? null,
  }));
  return {
    order,
    from,
    to: unchanged ? { ...from, source: summary.qr_paths?.source ?? 'setting' } : record,
    changed: !unchanged,
    csvFiles,
    example: describeQrPaths(to, path.basename(order.folder)),
  };
}
