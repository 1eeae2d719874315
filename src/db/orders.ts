/**
 * SQL for the order aggregate: the per-dealership order lock, order rows, their vehicles, history
 * and voiding. The VIN-log rows of an order are written by db/vinlog.ts in the same transaction.
 */
import type { Condition } from '../core/dealership.js';
import type { OrderType, VehicleFields, VehicleReason } from '../core/order.js';
import type { Queryable } from './database.js';

/** First key of the two-key advisory lock; the second is the dealership id (rule 6). */
const ORDER_LOCK_CLASS = 7305;

/**
 * Serializes orders of one dealership until the transaction ends (commit or rollback): two
 * concurrent CAO runs then read the VIN log one after the other and never order a VIN twice.
 */
export async function lockDealershipOrders(tx: Queryable, dealershipId: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [ORDER_LOCK_CLASS, dealershipId]);
}

/** First key of the per-order advisory lock; the second is the order id (modulo int4). */
const ORDER_ID_LOCK_CLASS = 7306;

/**
 * Held by the transaction that writes order `orderId` from the moment the id is allocated until
 * it commits or rolls back. Whoever asks "did order N commit?" takes it first (`orderCommitted`),
 * so the answer can never come while the writer's COMMIT is still in flight.
 */
export async function lockOrderId(tx: Queryable, orderId: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)', [
    ORDER_ID_LOCK_CLASS,
    orderId,
  ]);
}

/**
 * Whether order `orderId` committed, asked in a transaction of its own after its writer's
 * transaction has ended (waits for the order's lock at most `waitMs`; then a lock_timeout
 * error says the writer's transaction is still open).
 */
export async function orderCommitted(tx: Queryable, orderId: number, waitMs = 10_000): Promise<boolean> {
  await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${Math.max(1, Math.round(waitMs))}ms`]);
  await lockOrderId(tx, orderId);
  return orderExists(tx, orderId);
}

/** Takes the next order id before the row exists, so the folder can carry it while staged. */
export async function allocateOrderId(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(`SELECT nextval('orders_id_seq') AS id`);
  return Number(rows[0]!.id);
}

export interface NewOrder {
  id: number;
  dealershipId: number;
  orderType: OrderType;
  template: string;
  folder: string;
  vehicleCount: number;
  snapshotId: number | null;
  idempotencyKey: string | null;
  summary: unknown;
  createdBy: string | null;
  createdAt: Date;
}

/** Inserts the order row with its pre-allocated id. */
export async function insertOrder(tx: Queryable, o: NewOrder): Promise<void> {
  await tx.query(
    `INSERT INTO orders (id, dealership_id, order_type, template, folder, vehicle_count, snapshot_id,
                         idempotency_key, summary, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`,
    [
      o.id,
      o.dealershipId,
      o.orderType,
      o.template,
      o.folder,
      o.vehicleCount,
      o.snapshotId,
      o.idempotencyKey,
      JSON.stringify(o.summary ?? null),
      o.createdBy,
      o.createdAt.toISOString(),
    ],
  );
}

/** One vehicle of an order as stored. */
export interface OrderVehicleRecord extends VehicleFields<Condition | null> {
  position: number;
  reason: VehicleReason;
  notOnWebsite: boolean;
  qrFile: string | null;
}

/** Inserts an order's vehicles in one statement. */
export async function insertOrderVehicles(
  tx: Queryable,
  orderId: number,
  vehicles: readonly OrderVehicleRecord[],
): Promise<void> {
  if (vehicles.length === 0) return;
  const col = <K extends keyof OrderVehicleRecord>(k: K) => vehicles.map((v) => v[k]);
  await tx.query(
    `INSERT INTO order_vehicles (order_id, position, vin, stock, year, make, model, trim, condition,
                                 price, url, reason, not_on_website, qr_file)
     SELECT $1, u.* FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
                                $8::text[], $9::text[], $10::numeric[], $11::text[], $12::text[],
                                $13::boolean[], $14::text[])
       AS u(position, vin, stock, year, make, model, trim, condition, price, url, reason, not_on_website,
            qr_file)`,
    [
      orderId,
      col('position'),
      col('vin'),
      col('stock'),
      col('year'),
      col('make'),
      col('model'),
      col('trim'),
      col('condition'),
      col('price'),
      col('url'),
      col('reason'),
      col('notOnWebsite'),
      col('qrFile'),
    ],
  );
}

/** An order row, camelCased, with its dealership's name. */
export interface OrderRecord extends NewOrder {
  dealershipName: string;
  dealershipSlug: string;
  status: 'complete' | 'voided';
  voidedAt: Date | null;
  voidReason: string | null;
  /** Set when `orders archive` zipped the folder away. */
  archivePath: string | null;
}

interface OrderRow {
  id: number;
  dealership_id: number;
  dealership_name: string;
  dealership_slug: string;
  order_type: OrderType;
  status: 'complete' | 'voided';
  template: string;
  folder: string;
  vehicle_count: number;
  snapshot_id: number | null;
  idempotency_key: string | null;
  summary: unknown;
  created_by: string | null;
  created_at: Date | string;
  voided_at: Date | string | null;
  void_reason: string | null;
  archive_path: string | null;
  [k: string]: unknown;
}

const SELECT_ORDERS = `
  SELECT o.id, o.dealership_id, d.name AS dealership_name, d.slug AS dealership_slug, o.order_type,
         o.status, o.template, o.folder, o.vehicle_count, o.snapshot_id, o.idempotency_key, o.summary,
         o.created_by, o.created_at, o.voided_at, o.void_reason, o.archive_path
  FROM orders o JOIN dealerships d ON d.id = o.dealership_id`;

function toOrder(r: OrderRow): OrderRecord {
  return {
    id: Number(r.id),
    dealershipId: Number(r.dealership_id),
    dealershipName: r.dealership_name,
    dealershipSlug: r.dealership_slug,
    orderType: r.order_type,
    status: r.status,
    template: r.template,
    folder: r.folder,
    vehicleCount: Number(r.vehicle_count),
    snapshotId: r.snapshot_id === null ? null : Number(r.snapshot_id),
    idempotencyKey: r.idempotency_key,
    summary: typeof r.summary === 'string' ? JSON.parse(r.summary) : r.summary,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    voidedAt: r.voided_at === null ? null : new Date(r.voided_at),
    voidReason: r.void_reason,
    archivePath: r.archive_path,
  };
}

/** One order by id. */
export async function selectOrder(db: Queryable, id: number): Promise<OrderRecord | undefined> {
  const { rows } = await db.query<OrderRow>(`${SELECT_ORDERS} WHERE o.id = $1`, [id]);
  return rows[0] ? toOrder(rows[0]) : undefined;
}

/** The order written under an idempotency key, if any (LIST batches, scheduled runs). */
export async function selectOrderByIdempotencyKey(
  db: Queryable,
  key: string,
): Promise<OrderRecord | undefined> {
  const { rows } = await db.query<OrderRow>(`${SELECT_ORDERS} WHERE o.idempotency_key = $1`, [key]);
  return rows[0] ? toOrder(rows[0]) : undefined;
}

/** Whether an order row exists (the staged folder of a committed order is published on recovery). */
export async function orderExists(db: Queryable, id: number): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM orders WHERE id = $1', [id]);
  return rows.length > 0;
}

/** Complete orders that should have a folder on disk (not archived), newest first. */
export async function selectCompleteOrderFolders(db: Queryable): Promise<{ id: number; folder: string }[]> {
  const { rows } = await db.query<{ id: number; folder: string }>(
    `SELECT id, folder FROM orders WHERE status = 'complete' AND archive_path IS NULL ORDER BY id DESC`,
  );
  return rows.map((r) => ({ id: Number(r.id), folder: r.folder }));
}

/** Orders newest first, optionally of one dealership and since a time. Every match: no LIMIT. */
export async function selectOrders(
  db: Queryable,
  filter: { dealershipId?: number; since?: Date } = {},
): Promise<OrderRecord[]> {
  const { rows } = await db.query<OrderRow>(
    `${SELECT_ORDERS}
     WHERE ($1::int IS NULL OR o.dealership_id = $1) AND ($2::timestamptz IS NULL OR o.created_at >= $2)
     ORDER BY o.created_at DESC, o.id DESC`,
    [filter.dealershipId ?? null, filter.since?.toISOString() ?? null],
  );
  return rows.map(toOrder);
}

/** An order's vehicles in CSV order. */
export async function selectOrderVehicles(db: Queryable, orderId: number): Promise<OrderVehicleRecord[]> {
  // price is numeric: node-postgres returns numeric as text.
  type Row = Omit<VehicleFields<Condition | null>, 'price'> & {
    position: number;
    price: string | number | null;
    reason: VehicleReason;
    not_on_website: boolean;
    qr_file: string | null;
  };
  const { rows } = await db.query<Row>(
    `SELECT position, vin, stock, year, make, model, trim, condition, price, url, reason, not_on_website, qr_file
     FROM order_vehicles WHERE order_id = $1 ORDER BY position`,
    [orderId],
  );
  return rows.map((r) => ({
    position: Number(r.position),
    vin: r.vin,
    stock: r.stock,
    year: r.year === null ? null : Number(r.year),
    make: r.make,
    model: r.model,
    trim: r.trim,
    condition: r.condition,
    price: r.price === null ? null : Number(r.price),
    url: r.url,
    reason: r.reason,
    notOnWebsite: r.not_on_website,
    qrFile: r.qr_file,
  }));
}

/** Marks a complete order voided; false when it was not complete (already voided or gone). */
export async function markOrderVoided(
  tx: Queryable,
  id: number,
  reason: string | null,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE orders SET status = 'voided', voided_at = $2, void_reason = $3 WHERE id = $1 AND status = 'complete'`,
    [id, at.toISOString(), reason],
  );
  return rowCount > 0;
}

/** One change made to an order after it was written (`orders paths`...), as stored. */
export interface OrderHistoryEntry {
  at: Date;
  /** What was done, e.g. `qr_paths`. */
  action: string;
  /** What changed (from, to, files), as JSON. */
  detail: unknown;
  createdBy: string | null;
}

/** Appends one entry to an order's history. */
export async function insertOrderHistory(
  db: Queryable,
  orderId: number,
  entry: OrderHistoryEntry,
): Promise<void> {
  await db.query(
    `INSERT INTO order_history (order_id, at, action, detail, created_by) VALUES ($1, $2, $3, $4::jsonb, $5)`,
    [orderId, entry.at.toISOString(), entry.action, JSON.stringify(entry.detail ?? null), entry.createdBy],
  );
}

/** An order's history, oldest first. */
export async function selectOrderHistory(db: Queryable, orderId: number): Promise<OrderHistoryEntry[]> {
  const { rows } = await db.query<{
    at: Date | string;
    action: string;
    detail: unknown;
    created_by: string | null;
  }>(`SELECT at, action, detail, created_by FROM order_history WHERE order_id = $1 ORDER BY at, id`, [
    orderId,
  ]);
  return rows.map((r) => ({
    at: new Date(r.at),
    action: r.action,
    detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail,
    createdBy: r.created_by,
  }));
}

/** Replaces the recorded order_summary.json of an order (its folder was rebuilt). */
export async function updateOrderSummary(tx: Queryable, orderId: number, summary: unknown): Promise<void> {
  await tx.query('UPDATE orders SET summary = $2::jsonb WHERE id = $1', [orderId, JSON.stringify(summary)]);
}
