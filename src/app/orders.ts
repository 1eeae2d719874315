/**
 * Order history: `orders list`, `orders show` (vehicles, files, checksums verified against the
 * folder on disk) and `orders void` (the order stays, marked voided; its VIN-log rows go, so its
 * vehicles come back in the next CAO).
 */
import { parseSince } from '../core/duration.js';
import type { QrPathsRecord } from '../core/qr-path.js';
import {
  lockDealershipOrders,
  markOrderVoided,
  selectOrder,
  selectOrderHistory,
  selectOrders,
  selectOrderVehicles,
  type OrderHistoryEntry,
  type OrderRecord,
  type OrderVehicleRecord,
} from '../db/orders.js';
import { deleteVinLogOfOrder } from '../db/vinlog.js';
import { InputError, NotFoundError, SilverfoxError, UsageError } from '../errors.js';
import { verifyOrderFolder } from '../output/order-folder.js';
import type { AppContext } from './context.js';
import { resolveDealership } from './dealers.js';
import { recoverOrders } from './order-writer.js';

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
  /** Changes made to the order after it was written (`orders paths`), oldest first. */
  history: OrderHistoryEntry[];
}

/** One order with its vehicles and its folder verified on disk. */
export async function showOrder(ctx: AppContext, idText: string | number): Promise<OrderDetails> {
  const id = parseOrderId(idText);
  const order = await mustFind(ctx, id);
  // A crash between commit and publish leaves the folder staged; publishing it now makes `show` true.
  await recoverOrders(ctx);
  const vehicles = await selectOrderVehicles(ctx.db, id);
  let verification: OrderDetails['verification'];
  try {
    verification = await verifyOrderFolder(order.folder);
  } catch (err) {
    if (!(err instanceof SilverfoxError)) throw err;
    const message = order.archivePath
      ? `the folder was archived to ${order.archivePath} (silverfox orders archive)`
      : err.message;
    verification = { ok: false, error: message, files: [], unexpected: [] };
  }
  const recorded = (s: unknown) => ((s ?? {}) as { qr_paths?: QrPathsRecord }).qr_paths;
  const qrPaths =
    recorded(verification.error === undefined ? verification.summary : undefined) ??
    recorded(order.summary) ??
    null;
  return { order, vehicles, verification, qrPaths, history: await selectOrderHistory(ctx.db, id) };
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
