/**
 * Order history: `orders list`, `orders show` (vehicles, files, checksums verified against the
 * folder on disk, the order's history), `orders void` (the order stays, marked voided; its VIN-log
 * rows go, so its vehicles come back in the next CAO) and `orders repair` (a complete order whose
 * folder is gone gets it rebuilt from the database).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseSince } from '../core/duration.js';
import { orderVehicle } from '../core/order.js';
import type { QrPathsRecord } from '../core/qr-path.js';
import { resolveTemplate } from '../core/templates.js';
import {
  lockDealershipOrders,
  markOrderVoided,
  selectOrder,
  insertOrderHistory,
  selectOrderHistory,
  selectOrders,
  selectOrderVehicles,
  updateOrderSummary,
  type OrderHistoryEntry,
  type OrderRecord,
  type OrderVehicleRecord,
} from '../db/orders.js';
import { deleteVinLogOfOrder } from '../db/vinlog.js';
import {
  CommitOutcomeUnknownError,
  InputError,
  NotFoundError,
  SilverfoxError,
  UsageError,
} from '../errors.js';
import {
  discardOrder,
  ORDER_SUMMARY_FIELDS,
  publishOrder,
  stageOrder,
  type OrderSummary,
} from '../output/order-folder.js';
import { verifyOrderFolder } from '../output/order-verify.js';
import type { AppContext } from './context.js';
import { listDealers, resolveDealership } from './dealers.js';
import { orderQrPaths, recoverOrders } from './order-writer.js';
import { operatorName } from '../process-identity.js';

export type { OrderHistoryEntry, OrderRecord, OrderVehicleRecord };

export interface ListOrdersOptions {
  /** A dealership name, slug or alias. */
  dealer?: string;
  /** `2026-11-01`, an ISO time, or a duration back from now (`7d`, `12h`). */
  since?: string;
}

/** Orders newest first (every match, no limit), optionally of one dealership and since a time. */
export async function listOrders(ctx: AppContext, opts: ListOrdersOptions = {}): Promise<OrderRecord[]> {
  let since: Date | undefined;
  if (opts.since !== undefined) {
    since = parseSince(opts.since, ctx.now());
    if (!since)
      throw new UsageError(
        `--since expects a date (2026-11-01) or a duration (7d, 12h); got "${opts.since}"`,
      );
  }
  const dealershipId = opts.dealer ? (await resolveDealership(ctx, opts.dealer)).id : undefined;
  return selectOrders(ctx.db, { dealershipId, since });
}

/** Parses an order id typed by an operator (`42` or `#42`). */
export function parseOrderId(text: string | number): number {
  const n = typeof text === 'number' ? text : Number(String(text).trim().replace(/^#/, ''));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`"${text}" is not an order id (a positive number)`);
  return n;
}

async function mustFind(ctx: AppContext, id: number): Promise<OrderRecord> {
  const order = await selectOrder(ctx.db, id);
  if (!order)
    throw new NotFoundError(`there is no order #${id}`, ['Run `silverfox orders list` to see the orders.']);
  return order;
}

/** One order row (no files, no vehicles). */
export async function getOrder(ctx: AppContext, idText: string | number): Promise<OrderRecord> {
  return mustFind(ctx, parseOrderId(idText));
}

export interface OrderDetails {
  order: OrderRecord;
  vehicles: OrderVehicleRecord[];
  /** What was done to the order after it was written (QR paths rewritten, folder repaired), oldest first. */
  history: OrderHistoryEntry[];
  /** A complete, not archived order whose folder is not on disk (`orders repair` rebuilds it). */
  folderMissing: boolean;
  /**
   * The folder checked against the SHA-256 sums of its order_summary.json; `error` when the
   * folder cannot be read at all (moved, deleted).
   */
  verification:
    | (Awaited<ReturnType<typeof verifyOrderFolder>> & { error?: undefined })
    | { ok: false; error: string; files: []; unexpected: [] };
  /**
   * The base of the QR paths in the `@` columns (order_summary.json in the folder, else the copy
   * kept with the order row); null for orders written before it was recorded (relative cells).
   */
  qrPaths: QrPathsRecord | null;
}

/** One order with its vehicles and its folder verified on disk. */
export async function showOrder(ctx: AppContext, idText: string | number): Promise<OrderDetails> {
  const id = parseOrderId(idText);
  const order = await mustFind(ctx, id);
  // A crash between commit and publish leaves the folder staged; publishing it now makes `show` true.
  await recoverOrders(ctx);
  const vehicles = await selectOrderVehicles(ctx.db, id);
  const history = await selectOrderHistory(ctx.db, id);
  const folderMissing = order.status === 'complete' && !order.archivePath && !existsSync(order.folder);
  let verification: OrderDetails['verification'];
  try {
    verification = await verifyOrderFolder(order.folder);
  } catch (err) {
    if (!(err instanceof SilverfoxError)) throw err;
    const message = order.archivePath
      ? `the folder was archived to ${order.archivePath} (silverfox orders archive)`
      : folderMissing
        ? `the folder of this complete order is missing (${order.folder}): rebuild it from the database with \`silverfox orders repair ${id}\``
        : err.message;
    verification = { ok: false, error: message, files: [], unexpected: [] };
  }
  const recorded = (s: unknown) => ((s ?? {}) as { qr_paths?: QrPathsRecord }).qr_paths;
  const qrPaths =
    recorded(verification.error === undefined ? verification.summary : undefined) ??
    recorded(order.summary) ??
    null;
  return { order, vehicles, history, folderMissing, verification, qrPaths };
}

export interface VoidResult {
  order: OrderRecord;
  /** VIN-log rows removed: these vehicles are ordered again by the next CAO. */
  vinLogRemoved: number;
}

/**
 * Voids an order: marks it voided (kept for history, its folder untouched) and removes the VIN-log
 * rows it wrote, under the dealership's order lock so a concurrent CAO sees all or nothing of it.
 */
export async function voidOrder(
  ctx: AppContext,
  idText: string | number,
  opts: { reason?: string } = {},
): Promise<VoidResult> {
  const id = parseOrderId(idText);
  const order = await mustFind(ctx, id);
  if (order.status === 'voided')
    throw new InputError(`order #${id} is already voided (at ${order.voidedAt?.toISOString() ?? '?'})`, {
      hints: ['Nothing changed.'],
    });
  const removed = await ctx.db.transaction(async (tx) => {
    await lockDealershipOrders(tx, order.dealershipId);
    const voided = await markOrderVoided(tx, id, opts.reason ?? null, ctx.now());
    if (!voided)
      throw new InputError(`order #${id} was voided by someone else just now`, {
        hints: ['Nothing changed.'],
      });
    return deleteVinLogOfOrder(tx, id);
  });
  return { order: (await selectOrder(ctx.db, id))!, vinLogRemoved: removed };
}

export interface RepairResult {
  order: OrderRecord;
  /** The rebuilt folder (where the order row says it is). */
  folder: string;
  files: number;
  vehicles: number;
}

/**
 * Rebuilds the missing folder of a complete order from the database (issue 15: a folder lost to
 * a commit whose reply never came, or deleted by hand): its vehicles, template, skipped and
 * duplicate lists as recorded; the files regenerated under the recorded folder name, their
 * checksums recorded anew in the order's summary, and a `folder_repaired` event in its history.
 * A staged copy (a crashed run's) is published instead when the order committed.
 */
export async function repairOrder(ctx: AppContext, idText: string | number): Promise<RepairResult> {
  const id = parseOrderId(idText);
  const order = await mustFind(ctx, id);
  if (order.status !== 'complete')
    throw new InputError(`order #${id} is ${order.status}: only a complete order's folder is repaired`);
  if (order.archivePath)
    throw new InputError(`order #${id} was archived to ${order.archivePath}: its folder is in that archive`, {
      hints: ['Unzip the archive to get the folder back.'],
    });
  await recoverOrders(ctx);
  if (existsSync(order.folder))
    throw new InputError(`order #${id} has its folder (${order.folder}): nothing to repair`, {
      hints: [
        `\`silverfox orders show ${id}\` verifies its files. To rebuild it from the database, move the folder away first.`,
      ],
    });
  const d = (await listDealers(ctx)).find((x) => x.id === order.dealershipId);
  if (!d) throw new NotFoundError(`the dealership of order #${id} no longer exists`);
  const recorded = (order.summary ?? {}) as Partial<OrderSummary>;
  const vehicles = await selectOrderVehicles(ctx.db, id);
  const at = ctx.now();
  const extra = Object.fromEntries(Object.entries(recorded).filter(([k]) => !ORDER_SUMMARY_FIELDS.has(k)));
  const staged = await stageOrder({
    ordersDir: path.dirname(order.folder),
    folderName: path.basename(order.folder),
    // The cells the designers had: the recorded base, else (an order older than the setting) today's.
    qrPaths: (recorded as { qr_paths?: QrPathsRecord }).qr_paths ?? orderQrPaths(ctx),
    orderId: id,
    dealership: { name: order.dealershipName, slug: order.dealershipSlug },
    orderType: order.orderType,
    createdAt: order.createdAt,
    template: resolveTemplate(order.template, d.effectiveSettings.custom_templates),
    splitNewUsed: recorded.split_new_used ?? d.effectiveSettings.split_new_used,
    vehicles: vehicles.map((v) =>
      orderVehicle({ ...v, condition: v.condition ?? 'unknown' }, v.reason, v.notOnWebsite),
    ),
    skipped: recorded.skipped ?? [],
    duplicates: recorded.duplicates ?? [],
    extra: { ...extra, repaired_at: at.toISOString() },
  });
  try {
    await ctx.db.transaction(async (tx) => {
      await lockDealershipOrders(tx, order.dealershipId);
      await updateOrderSummary(tx, id, staged.summary);
      await insertOrderHistory(tx, id, {
        action: 'folder_repaired',
        createdBy: operatorName(),
        detail: {
          folder: staged.finalDir,
          files: staged.files.length,
          vehicles: vehicles.length,
          previous_files: Array.isArray(recorded.files) ? recorded.files.length : null,
        },
        at,
      });
    });
  } catch (err) {
    // Outcome unknown: the order exists either way, so the staged folder is the next recovery's to publish.
    if (!(err instanceof CommitOutcomeUnknownError)) await discardOrder(staged).catch(() => {});
    throw err;
  }
  await publishOrder(staged);
  return {
    order: (await selectOrder(ctx.db, id))!,
    folder: staged.finalDir,
    files: staged.files.length,
    vehicles: vehicles.length,
  };
}
