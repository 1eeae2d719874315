/** SQL for the weekly order queue (queue_entries). */
import type { DueOrder, QueueStatus } from '../core/queue.js';
import type { Queryable } from './database.js';
import { localDay } from '../core/calendar.js';

export interface QueueEntryRecord extends DueOrder {
  id: number;
  dueDate: string;
  status: QueueStatus;
  orderId: number | null;
  vehicleCount: number | null;
  reason: string | null;
  ranBy: string | null;
  updatedAt: string;
}

interface QueueRow {
  id: number;
  due_date: string | Date;
  dealership_id: number;
  dealership_name: string;
  schedule_key: string;
  template: string;
  vehicle_types: string[];
  priority: number;
  status: QueueStatus;
  order_id: number | null;
  vehicle_count: number | null;
  reason: string | null;
  ran_by: string | null;
  updated_at: string | Date;
  [k: string]: unknown;
}

function day(v: string | Date): string {
  if (typeof v === 'string') return v.slice(0, 10);
  // DATE comes back as a local-midnight Date from both drivers.
  return localDay(v);
}

function toRecord(r: QueueRow): QueueEntryRecord {
  return {
    id: Number(r.id),
    dueDate: day(r.due_date),
    dealershipId: Number(r.dealership_id),
    dealershipName: r.dealership_name,
    key: r.schedule_key,
    template: r.template,
    vehicleTypes: r.vehicle_types,
    priority: Number(r.priority),
    status: r.status,
    orderId: r.order_id === null ? null : Number(r.order_id),
    vehicleCount: r.vehicle_count === null ? null : Number(r.vehicle_count),
    reason: r.reason,
    ranBy: r.ran_by,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

const SELECT = `
  SELECT q.id, q.due_date::text AS due_date, q.dealership_id, d.name AS dealership_name, q.schedule_key,
         q.template, q.vehicle_types, q.priority, q.status, q.order_id, q.vehicle_count, q.reason,
         q.ran_by, q.updated_at
  FROM queue_entries q JOIN dealerships d ON d.id = q.dealership_id`;

/** Creates the pending entries of a day that do not exist yet (existing ones keep their status). */
export async function insertDueEntries(
  db: Queryable,
  dueDate: string,
  due: readonly DueOrder[],
): Promise<void> {
  for (const o of due) {
    await db.query(
      `INSERT INTO queue_entries (due_date, dealership_id, schedule_key, template, vehicle_types, priority)
       VALUES ($1::date, $2, $3, $4, $5::text[], $6)
       ON CONFLICT (due_date, dealership_id, schedule_key) DO NOTHING`,
      [dueDate, o.dealershipId, o.key, o.template, o.vehicleTypes, o.priority],
    );
  }
}

/** The entries of the given days, by day, priority and name. */
export async function selectQueueEntries(
  db: Queryable,
  days: readonly string[],
): Promise<QueueEntryRecord[]> {
  const { rows } = await db.query<QueueRow>(
    `${SELECT} WHERE q.due_date = ANY($1::date[]) ORDER BY q.due_date, q.priority, d.name, q.schedule_key`,
    [days],
  );
  return rows.map(toRecord);
}

/**
 * Claims pending entries of a day for running: pending -> running, atomically, so two
 * overlapping `cao --due` runs never take the same entry.
 */
export async function claimPendingEntries(
  db: Queryable,
  dueDate: string,
  ranBy: string,
  dealershipIds?: readonly number[],
): Promise<QueueEntryRecord[]> {
  const { rows } = await db.query<{ id: number }>(
    `UPDATE queue_entries SET status = 'running', ran_by = $2, reason = NULL, updated_at = now()
     WHERE due_date = $1::date AND status = 'pending'
       AND ($3::int[] IS NULL OR dealership_id = ANY($3::int[]))
     RETURNING id`,
    [dueDate, ranBy, dealershipIds ?? null],
  );
  if (rows.length === 0) return [];
  const claimed = await db.query<QueueRow>(
    `${SELECT} WHERE q.id = ANY($1::bigint[]) ORDER BY q.priority, d.name`,
    [rows.map((r) => r.id)],
  );
  return claimed.rows.map(toRecord);
}

/** Records how an entry ended. */
export async function finishEntry(
  db: Queryable,
  id: number,
  result: {
    status: 'done' | 'failed' | 'pending';
    orderId?: number | null;
    vehicleCount?: number | null;
    reason?: string | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE queue_entries SET status = $2, order_id = $3, vehicle_count = $4, reason = $5, updated_at = now()
     WHERE id = $1`,
    [id, result.status, result.orderId ?? null, result.vehicleCount ?? null, result.reason ?? null],
  );
}

/** Marks a dealership's entries of a day skipped (by hand), or back to pending; returns how many changed. */
export async function setEntriesStatus(
  db: Queryable,
  dueDate: string,
  dealershipId: number,
  status: 'skipped' | 'pending',
  reason: string | null,
  ranBy: string,
  fromStatuses: readonly QueueStatus[],
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE queue_entries SET status = $3, reason = $4, ran_by = $5, order_id = NULL, vehicle_count = NULL,
            updated_at = now()
     WHERE due_date = $1::date AND dealership_id = $2 AND status = ANY($6::text[])`,
    [dueDate, dealershipId, status, reason, ranBy, fromStatuses],
  );
  return rowCount;
}

/** The committed, not voided order of a queue entry's run (idempotency key `queue:<entry id>:...`). */
export async function findOrderOfEntry(
  db: Queryable,
  entryId: number,
): Promise<{ orderId: number; vehicleCount: number } | undefined> {
  const { rows } = await db.query<{ id: number; vehicle_count: number }>(
    `SELECT id, vehicle_count FROM orders
     WHERE idempotency_key LIKE $1 AND status = 'complete' ORDER BY created_at DESC LIMIT 1`,
    [`queue:${entryId}:%`],
  );
  return rows[0] ? { orderId: Number(rows[0].id), vehicleCount: Number(rows[0].vehicle_count) } : undefined;
}

/** Running entries of a day not touched for `staleMinutes` (their process died). */
export async function selectStaleRunning(
  db: Queryable,
  dueDate: string,
  staleMinutes: number,
): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM queue_entries WHERE due_date = $1::date AND status = 'running'
       AND updated_at < now() - make_interval(mins => $2)`,
    [dueDate, staleMinutes],
  );
  return rows.map((r) => Number(r.id));
}

/** Whether the order of a done entry was voided (then the entry may be reset). */
export async function selectDoneEntriesWithLiveOrders(
  db: Queryable,
  dueDate: string,
  dealershipId: number,
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM queue_entries q JOIN orders o ON o.id = q.order_id
     WHERE q.due_date = $1::date AND q.dealership_id = $2 AND q.status = 'done' AND o.status = 'complete'`,
    [dueDate, dealershipId],
  );
  return Number(rows[0]?.n ?? 0);
}
