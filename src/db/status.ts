/** SQL for `silverfox status`: per-dealership snapshot, VIN-log and order facts. */
import type { Queryable } from './database.js';

export interface DealershipStatusRow {
  id: number;
  name: string;
  slug: string;
  enabled: boolean;
  inRegistry: boolean;
  activeRows: number | null;
  importedAt: Date | null;
  vinLogSize: number;
  lastOrderId: number | null;
  lastOrderAt: Date | null;
  /** Its held snapshot (drop guard), if any. */
  heldSnapshotId: number | null;
}

/** One row per dealership; counts come from indexed lookups, not scans of every table. */
export async function selectDealershipStatus(db: Queryable): Promise<DealershipStatusRow[]> {
  const { rows } = await db.query<{
    id: number;
    name: string;
    slug: string;
    enabled: boolean;
    in_registry: boolean;
    active_rows: number | null;
    imported_at: Date | string | null;
    vin_log_size: number;
    last_order_id: number | null;
    last_order_at: Date | string | null;
    held_snapshot_id: number | null;
  }>(
    `SELECT d.id, d.name, d.slug, d.enabled, d.in_registry,
            s.row_count AS active_rows, s.created_at AS imported_at,
            (SELECT count(*) FROM vin_log l WHERE l.dealership_id = d.id)::int AS vin_log_size,
            o.id AS last_order_id, o.created_at AS last_order_at, h.id AS held_snapshot_id
     FROM dealerships d
     LEFT JOIN snapshots s ON s.dealership_id = d.id AND s.status = 'active'
     LEFT JOIN snapshots h ON h.dealership_id = d.id AND h.status = 'held'
     LEFT JOIN LATERAL (
       SELECT id, created_at FROM orders WHERE dealership_id = d.id AND status = 'complete'
       ORDER BY created_at DESC LIMIT 1
     ) o ON true
     ORDER BY d.name`,
  );
  const date = (v: Date | string | null) => (v === null ? null : new Date(v));
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    slug: r.slug,
    enabled: r.enabled,
    inRegistry: r.in_registry,
    activeRows: r.active_rows === null ? null : Number(r.active_rows),
    importedAt: date(r.imported_at),
    vinLogSize: Number(r.vin_log_size),
    lastOrderId: r.last_order_id === null ? null : Number(r.last_order_id),
    lastOrderAt: date(r.last_order_at),
    heldSnapshotId: r.held_snapshot_id === null ? null : Number(r.held_snapshot_id),
  }));
}

/** The database server's clock, so ages do not depend on the local one. */
export async function selectNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ now: Date | string }>('SELECT now() AS now');
  return new Date(rows[0]!.now);
}
