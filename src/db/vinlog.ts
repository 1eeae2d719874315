/**
 * SQL for the VIN log: one table keyed by dealership (never a table per dealership, failure 2).
 * Reads take a dealership id resolved beforehand so the (dealership_id, vin) index is used.
 */
import type { VinLogFact, VinLogOrderType } from '../core/cao.js';
import type { Condition } from '../core/dealership.js';
import type { Queryable } from './database.js';

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/**
 * Every VIN-log entry, at any dealership, for these VINs; `own` marks the entries of
 * `dealershipId`. Used for the VIN decision (rule 3c) inside the order transaction; in id order.
 */
export async function selectVinLogFacts(
  db: Queryable,
  dealershipId: number,
  vins: readonly string[],
): Promise<VinLogFact[]> {
  if (vins.length === 0) return [];
  const { rows } = await db.query<{
    vin: string;
    own: boolean;
    dealership_name: string;
    condition: Condition | null;
    order_type: VinLogOrderType;
    order_id: number | null;
    processed_at: Date | string;
    id: number | string;
  }>(
    `SELECT l.id, l.vin, l.dealership_id = $1 AS own, d.name AS dealership_name, l.condition,
            l.order_type, l.order_id, l.processed_at
     FROM vin_log l JOIN dealerships d ON d.id = l.dealership_id
     WHERE l.vin = ANY($2::text[])`,
    [dealershipId, vins],
  );
  // In id order (sorted here, so the plan stays on the vin index): entries at the same time are
  // then taken in the order db/cao-decision.ts takes them.
  return rows
    .map((r) => ({ ...r, id: Number(r.id) }))
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      vin: r.vin,
      own: r.own,
      dealershipName: r.dealership_name,
      condition: r.condition,
      orderType: r.order_type,
      orderId: r.order_id === null ? null : Number(r.order_id),
      processedAt: date(r.processed_at),
    }));
}

/** One VIN-log row to write. */
export interface NewVinLogEntry {
  vin: string;
  condition: Condition | null;
  orderType: VinLogOrderType;
  orderId: number | null;
  orderRef: string | null;
  processedAt: Date;
}

/** Writes the VIN-log rows of an order (same transaction as the order row, rule 5). */
export async function insertVinLogEntries(
  db: Queryable,
  dealershipId: number,
  entries: readonly NewVinLogEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO vin_log (dealership_id, vin, condition, order_id, order_type, order_ref, processed_at)
     SELECT $1, u.vin, u.condition, u.order_id, u.order_type, u.order_ref, u.processed_at
     FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[])
       AS u(vin, condition, order_id, order_type, order_ref, processed_at)`,
    [
      dealershipId,
      entries.map((e) => e.vin),
      entries.map((e) => e.condition),
      entries.map((e) => e.orderId),
      entries.map((e) => e.orderType),
      entries.map((e) => e.orderRef),
      entries.map((e) => e.processedAt.toISOString()),
    ],
  );
  return rowCount;
}

/**
 * Writes imported legacy rows, leaving out any already in the log (same dealership, VIN, type and
 * order reference) so importing one file twice adds nothing. Returns the rows written.
 */
export async function insertLegacyVinLogEntries(
  db: Queryable,
  dealershipId: number,
  entries: readonly NewVinLogEntry[],
): Promise<{ vin: string; orderRef: string | null }[]> {
  if (entries.length === 0) return [];
  const { rows } = await db.query<{ vin: string; order_ref: string | null }>(
    `INSERT INTO vin_log (dealership_id, vin, condition, order_id, order_type, order_ref, processed_at)
     SELECT $1, u.vin, u.condition, NULL, u.order_type, u.order_ref, u.processed_at
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
       AS u(vin, condition, order_type, order_ref, processed_at)
     WHERE NOT EXISTS (
       SELECT 1 FROM vin_log l
       WHERE l.dealership_id = $1 AND l.vin = u.vin AND l.order_type = u.order_type
         AND l.order_ref IS NOT DISTINCT FROM u.order_ref)
     RETURNING vin, order_ref`,
    [
      dealershipId,
      entries.map((e) => e.vin),
      entries.map((e) => e.condition),
      entries.map((e) => e.orderType),
      entries.map((e) => e.orderRef),
      entries.map((e) => e.processedAt.toISOString()),
    ],
  );
  return rows.map((r) => ({ vin: r.vin, orderRef: r.order_ref }));
}

/** Removes the VIN-log rows an order wrote (voiding it); returns how many. */
export async function deleteVinLogOfOrder(db: Queryable, orderId: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM vin_log WHERE order_id = $1', [orderId]);
  return rowCount;
}

/** A VIN-log entry as `vinlog show` lists it. */
export interface VinLogRecord {
  id: number;
  dealershipId: number;
  dealershipName: string;
  vin: string;
  condition: Condition | null;
  orderType: VinLogOrderType;
  orderId: number | null;
  orderRef: string | null;
  orderStatus: 'complete' | 'voided' | null;
  /** Why the order took the vehicle (order_vehicles.reason), when it was a silverfox order. */
  reason: string | null;
  processedAt: Date;
}

/** Every dealership's entries for one VIN, oldest first. */
export async function selectVinLogByVin(db: Queryable, vin: string): Promise<VinLogRecord[]> {
  const { rows } = await db.query<{
    id: number;
    dealership_id: number;
    dealership_name: string;
    vin: string;
    condition: Condition | null;
    order_type: VinLogOrderType;
    order_id: number | null;
    order_ref: string | null;
    order_status: 'complete' | 'voided' | null;
    reason: string | null;
    processed_at: Date | string;
  }>(
    `SELECT l.id, l.dealership_id, d.name AS dealership_name, l.vin, l.condition, l.order_type,
            l.order_id, l.order_ref, o.status AS order_status, ov.reason, l.processed_at
     FROM vin_log l
     JOIN dealerships d ON d.id = l.dealership_id
     LEFT JOIN orders o ON o.id = l.order_id
     LEFT JOIN order_vehicles ov ON ov.order_id = l.order_id AND ov.vin = l.vin
     WHERE l.vin = $1
     ORDER BY l.processed_at, l.id`,
    [vin],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    dealershipId: Number(r.dealership_id),
    dealershipName: r.dealership_name,
    vin: r.vin,
    condition: r.condition,
    orderType: r.order_type,
    orderId: r.order_id === null ? null : Number(r.order_id),
    orderRef: r.order_ref,
    orderStatus: r.order_status,
    reason: r.reason,
    processedAt: date(r.processed_at),
  }));
}

/** How many VIN-log rows a dealership has, by order type. */
export async function countVinLogByType(
  db: Queryable,
  dealershipId: number,
): Promise<Partial<Record<VinLogOrderType, number>>> {
  const { rows } = await db.query<{ order_type: VinLogOrderType; n: number }>(
    `SELECT order_type, count(*)::int AS n FROM vin_log WHERE dealership_id = $1 GROUP BY order_type`,
    [dealershipId],
  );
  return Object.fromEntries(rows.map((r) => [r.order_type, Number(r.n)]));
}
