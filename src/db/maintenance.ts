/** SQL for maintenance: archiving old order folders and pruning archived snapshots' rows. */
import type { Queryable } from './database.js';

/** An order whose folder may be zipped. */
export interface ArchivableOrder {
  id: number;
  dealershipName: string;
  orderType: string;
  status: string;
  folder: string;
  createdAt: Date;
  archivePath: string | null;
}

/**
 * Orders created before `cutoff` whose folder was not archived yet, plus archived ones (so an
 * archive interrupted after its row was marked can remove the folder it left), oldest first.
 */
export async function selectOrdersToArchive(db: Queryable, cutoff: Date): Promise<ArchivableOrder[]> {
  const { rows } = await db.query<{
    id: number;
    dealership_name: string;
    order_type: string;
    status: string;
    folder: string;
    created_at: Date | string;
    archive_path: string | null;
  }>(
    `SELECT o.id, d.name AS dealership_name, o.order_type, o.status, o.folder, o.created_at, o.archive_path
     FROM orders o JOIN dealerships d ON d.id = o.dealership_id
     WHERE o.created_at < $1
     ORDER BY o.created_at, o.id`,
    [cutoff],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    dealershipName: r.dealership_name,
    orderType: r.order_type,
    status: r.status,
    folder: r.folder,
    createdAt: new Date(r.created_at),
    archivePath: r.archive_path,
  }));
}

/** Records where an order's folder was zipped; false when another run recorded it first. */
export async function setOrderArchivePath(
  db: Queryable,
  orderId: number,
  archivePath: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE orders SET archive_path = $2 WHERE id = $1 AND archive_path IS NULL',
    [orderId, archivePath],
  );
  return rowCount === 1;
}

/** An archived snapshot beyond the newest N of its dealership. */
export interface PrunableSnapshot {
  id: number;
  importId: number;
  dealershipId: number;
  dealershipName: string;
  createdAt: Date;
}

/**
 * Archived snapshots beyond the newest `keep` archived ones of each dealership. Active (and
 * loading) snapshots are never candidates, whatever their dates.
 */
export async function selectSnapshotsToPrune(db: Queryable, keep: number): Promise<PrunableSnapshot[]> {
  const { rows } = await db.query<{
    id: number;
    import_id: number;
    dealership_id: number;
    dealership_name: string;
    created_at: Date | string;
  }>(
    `SELECT r.id, r.import_id, r.dealership_id, d.name AS dealership_name, r.created_at
     FROM (
       SELECT s.id, s.import_id, s.dealership_id, s.created_at,
              row_number() OVER (PARTITION BY s.dealership_id ORDER BY s.created_at DESC, s.id DESC) AS rn
       FROM snapshots s
       WHERE s.status = 'archived'
     ) r
     JOIN dealerships d ON d.id = r.dealership_id
     WHERE r.rn > $1
     ORDER BY d.name, r.created_at`,
    [keep],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    importId: Number(r.import_id),
    dealershipId: Number(r.dealership_id),
    dealershipName: r.dealership_name,
    createdAt: new Date(r.created_at),
  }));
}

/** Locks the snapshot rows so an import cannot re-activate one while its rows are deleted. */
export async function lockSnapshotsForPrune(
  db: Queryable,
  snapshotIds: readonly number[],
): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM snapshots WHERE id = ANY($1::bigint[]) AND status = 'archived' FOR UPDATE`,
    [snapshotIds],
  );
  return rows.map((r) => Number(r.id));
}

export interface DeletedRows {
  rows: number;
  /** Sum of the deleted tuples' sizes (pg_column_size), the row data freed. */
  bytes: number;
}

/** Deletes the normalized vehicles of the given (archived) snapshots. */
export async function deleteSnapshotVehicles(
  db: Queryable,
  snapshotIds: readonly number[],
): Promise<DeletedRows> {
  const { rows } = await db.query<{ rows: number; bytes: number | string }>(
    `WITH gone AS (
       DELETE FROM vehicles v WHERE v.snapshot_id = ANY($1::bigint[]) RETURNING pg_column_size(v.*) AS b
     )
     SELECT count(*)::int AS rows, COALESCE(sum(b), 0)::bigint AS bytes FROM gone`,
    [snapshotIds],
  );
  return { rows: Number(rows[0]?.rows ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
}

/** Deletes the raw rows of the given snapshots, keyed by (import, dealership) like the snapshots. */
export async function deleteSnapshotRawRows(
  db: Queryable,
  snapshotIds: readonly number[],
): Promise<DeletedRows> {
  const { rows } = await db.query<{ rows: number; bytes: number | string }>(
    `WITH gone AS (
       DELETE FROM raw_vehicles r USING snapshots s
       WHERE s.id = ANY($1::bigint[]) AND s.status = 'archived'
         AND r.import_id = s.import_id AND r.dealership_id = s.dealership_id
       RETURNING pg_column_size(r.*) AS b
     )
     SELECT count(*)::int AS rows, COALESCE(sum(b), 0)::bigint AS bytes FROM gone`,
    [snapshotIds],
  );
  return { rows: Number(rows[0]?.rows ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
}

/** Rows and data bytes the given snapshots hold (for --dry-run). */
export async function measureSnapshotRows(
  db: Queryable,
  snapshotIds: readonly number[],
): Promise<{ vehicles: DeletedRows; raw: DeletedRows }> {
  const v = await db.query<{ rows: number; bytes: number | string }>(
    `SELECT count(*)::int AS rows, COALESCE(sum(pg_column_size(v.*)), 0)::bigint AS bytes
     FROM vehicles v WHERE v.snapshot_id = ANY($1::bigint[])`,
    [snapshotIds],
  );
  const r = await db.query<{ rows: number; bytes: number | string }>(
    `SELECT count(*)::int AS rows, COALESCE(sum(pg_column_size(r.*)), 0)::bigint AS bytes
     FROM raw_vehicles r JOIN snapshots s ON r.import_id = s.import_id AND r.dealership_id = s.dealership_id
     WHERE s.id = ANY($1::bigint[])`,
    [snapshotIds],
  );
  const row = (x: { rows: number; bytes: number | string } | undefined) => ({
    rows: Number(x?.rows ?? 0),
    bytes: Number(x?.bytes ?? 0),
  });
  return { vehicles: row(v.rows[0]), raw: row(r.rows[0]) };
}

/** Makes the space of deleted rows reusable (VACUUM cannot run inside a transaction). */
export async function vacuumSnapshotTables(db: Queryable): Promise<void> {
  await db.exec('VACUUM (ANALYZE) vehicles, raw_vehicles');
}

/** Total on-disk size of the snapshot tables with their indexes. */
export async function selectSnapshotTablesSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ bytes: number | string }>(
    `SELECT (pg_total_relation_size('vehicles') + pg_total_relation_size('raw_vehicles'))::bigint AS bytes`,
  );
  return Number(rows[0]?.bytes ?? 0);
}
