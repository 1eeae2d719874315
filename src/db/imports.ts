/**
 * SQL of the import aggregate: imports, their snapshots (one per dealership present) and raw rows.
 * A snapshot is `loading` while its import fills it and becomes `active` just before the import
 * commits, archiving the dealership's previous one (rule 1; sql/003_import_snapshots.sql), or
 * `held` when the drop guard stops it (sql/005_snapshot_holds.sql; core/drop-guard).
 */
import { RAW_FIELDS } from '../core/columns.js';
import type { Queryable } from './database.js';
import { copyCell, each } from './copy-csv.js';

/** Advisory-lock key serializing imports and normalization (7305_0001 migrations, _0002 registry). */
const IMPORT_LOCK = 7305_0003;

/** Waits until no other import or normalization runs, for the rest of the transaction. */
export async function lockImports(db: Queryable): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK]);
}

/** First key of the per-import advisory lock; the second is the import id (modulo int4). */
const IMPORT_ID_LOCK_CLASS = 7307;

/** Held by the transaction of import `id` from its insert until it ends (see `importCommitted`). */
export async function lockImportId(tx: Queryable, id: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)', [
    IMPORT_ID_LOCK_CLASS,
    id,
  ]);
}

/**
 * Whether import `id` committed (finished), asked after its transaction has ended: it waits for
 * the import's own lock at most `waitMs` (then a lock_timeout error).
 */
export async function importCommitted(tx: Queryable, id: number, waitMs = 10_000): Promise<boolean> {
  await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${Math.max(1, Math.round(waitMs))}ms`]);
  await lockImportId(tx, id);
  const { rows } = await tx.query('SELECT 1 FROM imports WHERE id = $1 AND finished_at IS NOT NULL', [id]);
  return rows.length > 0;
}

/** Finished imports whose ids are in `ids`, with the rejects file they recorded. */
export async function selectFinishedImports(
  db: Queryable,
  ids: readonly number[],
): Promise<{ id: number; rejectsFile: string | null }[]> {
  const { rows } = await db.query<{ id: number; rejects_file: string | null }>(
    'SELECT id, rejects_file FROM imports WHERE id = ANY($1::bigint[]) AND finished_at IS NOT NULL',
    [ids],
  );
  return rows.map((r) => ({ id: Number(r.id), rejectsFile: r.rejects_file }));
}

/** Finished imports that recorded a rejects file, newest first (doctor checks the files exist). */
export async function selectImportRejectFiles(db: Queryable): Promise<{ id: number; rejectsFile: string }[]> {
  const { rows } = await db.query<{ id: number; rejects_file: string }>(
    'SELECT id, rejects_file FROM imports WHERE rejects_file IS NOT NULL AND finished_at IS NOT NULL ORDER BY id DESC',
  );
  return rows.map((r) => ({ id: Number(r.id), rejectsFile: r.rejects_file }));
}

export interface PreviousImport {
  id: number;
  startedAt: Date;
  rowsImported: number;
}

/** The latest finished import with this content hash, if any. */
export async function findImportByContentHash(
  db: Queryable,
  contentHash: string,
): Promise<PreviousImport | undefined> {
  const { rows } = await db.query<{ id: number; started_at: Date | string; rows_imported: number }>(
    `SELECT id, started_at, rows_imported FROM imports
     WHERE content_hash = $1 AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    [contentHash],
  );
  const r = rows[0];
  return r
    ? { id: Number(r.id), startedAt: new Date(r.started_at), rowsImported: Number(r.rows_imported) }
    : undefined;
}

/** Starts an import row; returns its id. */
export async function insertImport(
  db: Queryable,
  i: { source: 'csv' | 'scrape'; files: unknown; contentHash: string | null },
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO imports (source, files, content_hash) VALUES ($1, $2::jsonb, $3) RETURNING id`,
    [i.source, JSON.stringify(i.files), i.contentHash],
  );
  return Number(rows[0]!.id);
}

/** Records the outcome of an import. */
export async function finishImport(
  db: Queryable,
  id: number,
  r: {
    files: unknown;
    contentHash: string;
    rowsRead: number;
    rowsImported: number;
    rowsRejected: number;
    rejectsFile: string | null;
    report: unknown;
  },
): Promise<void> {
  await db.query(
    `UPDATE imports SET files = $2::jsonb, content_hash = $3, rows_read = $4, rows_imported = $5,
       rows_rejected = $6, rejects_file = $7, report = $8::jsonb, finished_at = now()
     WHERE id = $1`,
    [
      id,
      JSON.stringify(r.files),
      r.contentHash,
      r.rowsRead,
      r.rowsImported,
      r.rowsRejected,
      r.rejectsFile,
      JSON.stringify(r.report),
    ],
  );
}

/** A new, still invisible (`loading`) snapshot of one dealership in an import; returns its id. */
export async function insertLoadingSnapshot(
  db: Queryable,
  importId: number,
  dealershipId: number,
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO snapshots (import_id, dealership_id, status) VALUES ($1, $2, 'loading') RETURNING id`,
    [importId, dealershipId],
  );
  return Number(rows[0]!.id);
}

/** Sets the row counts of several snapshots at once. */
export async function updateSnapshotRowCounts(
  db: Queryable,
  snapshotIds: readonly number[],
  rowCounts: readonly number[],
): Promise<void> {
  if (snapshotIds.length === 0) return;
  await db.query(
    `UPDATE snapshots s SET row_count = v.n
     FROM unnest($1::bigint[], $2::int[]) AS v(id, n) WHERE s.id = v.id`,
    [snapshotIds, rowCounts],
  );
}

/**
 * Archives the active snapshots of the dealerships this import activates a snapshot for (its
 * `loading` ones), and only those (failure 15: a partial file must not empty the others; a held
 * snapshot leaves its dealership's active one in place). Returns dealership -> archived snapshot.
 */
export async function archiveSnapshotsReplacedBy(
  db: Queryable,
  importId: number,
): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: number; dealership_id: number }>(
    `UPDATE snapshots SET status = 'archived', archived_at = now()
     WHERE status = 'active'
       AND dealership_id IN (SELECT dealership_id FROM snapshots WHERE import_id = $1 AND status = 'loading')
     RETURNING id, dealership_id`,
    [importId],
  );
  return new Map(rows.map((r) => [Number(r.dealership_id), Number(r.id)]));
}

/**
 * Archives the held snapshots of earlier imports for the dealerships this import has a snapshot
 * for: the newest snapshot of a dealership supersedes an older hold, whether it is activated or
 * held itself (at most one held per dealership). Returns dealership -> archived held snapshot.
 */
export async function archiveHeldSnapshotsReplacedBy(
  db: Queryable,
  importId: number,
): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: number; dealership_id: number }>(
    `UPDATE snapshots SET status = 'archived', archived_at = now()
     WHERE status = 'held' AND import_id <> $1
       AND dealership_id IN (SELECT dealership_id FROM snapshots WHERE import_id = $1)
     RETURNING id, dealership_id`,
    [importId],
  );
  return new Map(rows.map((r) => [Number(r.dealership_id), Number(r.id)]));
}

/** Holds some of the import's loading snapshots (drop guard): stored, not activated. */
export async function holdLoadingSnapshots(
  db: Queryable,
  importId: number,
  holds: readonly { dealershipId: number; hold: unknown }[],
): Promise<void> {
  if (holds.length === 0) return;
  await db.query(
    `UPDATE snapshots s SET status = 'held', hold = v.hold::jsonb
     FROM unnest($2::int[], $3::text[]) AS v(dealership_id, hold)
     WHERE s.import_id = $1 AND s.dealership_id = v.dealership_id AND s.status = 'loading'`,
    [importId, holds.map((h) => h.dealershipId), holds.map((h) => JSON.stringify(h.hold))],
  );
}

/** A held snapshot (drop guard) with its dealership and import. */
export interface HeldSnapshot {
  snapshotId: number;
  importId: number;
  source: 'csv' | 'scrape';
  dealershipId: number;
  name: string;
  rowCount: number;
  createdAt: Date;
  /** snapshots.hold as written by the import (core/drop-guard SnapshotHold). */
  hold: unknown;
}

/** Held snapshots, of the given dealerships or of all, by dealership name. */
export async function selectHeldSnapshots(
  db: Queryable,
  dealershipIds?: readonly number[],
): Promise<HeldSnapshot[]> {
  const { rows } = await db.query<{
    id: number;
    import_id: number;
    source: 'csv' | 'scrape';
    dealership_id: number;
    name: string;
    row_count: number;
    created_at: Date | string;
    hold: unknown;
  }>(
    `SELECT s.id, s.import_id, i.source, s.dealership_id, d.name, s.row_count, s.created_at, s.hold
     FROM snapshots s JOIN dealerships d ON d.id = s.dealership_id JOIN imports i ON i.id = s.import_id
     WHERE s.status = 'held' AND ($1::int[] IS NULL OR s.dealership_id = ANY($1::int[]))
     ORDER BY d.name`,
    [dealershipIds ? [...dealershipIds] : null],
  );
  return rows.map((r) => ({
    snapshotId: Number(r.id),
    importId: Number(r.import_id),
    source: r.source,
    dealershipId: Number(r.dealership_id),
    name: r.name,
    rowCount: Number(r.row_count),
    createdAt: new Date(r.created_at),
    hold: typeof r.hold === 'string' ? (JSON.parse(r.hold) as unknown) : r.hold,
  }));
}

/**
 * Activates a held snapshot (an operator accepted the drop): archives its dealership's active
 * snapshot and flips the held one to active. `accepted` is false when it is no longer held (a
 * newer import archived it); `previousSnapshotId` is the active snapshot archived, if any.
 */
export async function activateHeldSnapshot(
  db: Queryable,
  snapshotId: number,
): Promise<{ accepted: boolean; previousSnapshotId: number | null }> {
  const { rows: held } = await db.query<{ dealership_id: number }>(
    `SELECT dealership_id FROM snapshots WHERE id = $1 AND status = 'held' FOR UPDATE`,
    [snapshotId],
  );
  if (held.length === 0) return { accepted: false, previousSnapshotId: null };
  const { rows } = await db.query<{ id: number }>(
    `UPDATE snapshots SET status = 'archived', archived_at = now()
     WHERE status = 'active' AND dealership_id = $1 RETURNING id`,
    [held[0]!.dealership_id],
  );
  await db.query(`UPDATE snapshots SET status = 'active', accepted_at = now() WHERE id = $1`, [snapshotId]);
  return { accepted: true, previousSnapshotId: rows[0] ? Number(rows[0].id) : null };
}

/** Makes the import's loading snapshots active; returns how many. */
export async function activateLoadingSnapshots(db: Queryable, importId: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE snapshots SET status = 'active' WHERE import_id = $1 AND status = 'loading'`,
    [importId],
  );
  return rowCount;
}

/** The raw fields, in the order of raw_vehicles' text columns (defined once, in core/columns). */
export { RAW_FIELDS };

const RAW_COPY_COLUMNS = ['import_id', 'dealership_id', 'file_index', 'line', ...RAW_FIELDS];

/**
 * One raw_vehicles line for COPY (no trailing newline): `indexes` gives, per RAW_FIELDS entry, the
 * cell of `row` holding it (undefined: no such column, NULL). `escape` false means no cell can
 * hold a quote, comma or line break, so cells go in as they are.
 */
export function rawCopyLine(
  importId: number,
  dealershipId: number,
  fileIndex: number,
  line: number,
  row: readonly string[],
  indexes: readonly (number | undefined)[],
  escape: boolean,
): string {
  let out = `${importId},${dealershipId},${fileIndex},${line}`;
  for (let i = 0; i < indexes.length; i++) {
    const k = indexes[i];
    out += k === undefined ? ',' : `,${escape ? copyCell(row[k]) : row[k]!}`;
  }
  return out;
}

/** COPYs pieces of newline-terminated raw_vehicles lines; returns rows copied. */
export async function copyRawRows(db: Queryable, pieces: readonly string[]): Promise<number> {
  return db.copyIn('raw_vehicles', RAW_COPY_COLUMNS, each(pieces));
}

/** A raw row read back, camelCased. */
export interface RawRowRecord {
  dealershipId: number;
  fileIndex: number;
  line: number;
  vin: string | null;
  stock: string | null;
  year: string | null;
  make: string | null;
  model: string | null;
  trim: string | null;
  condition: string | null;
  status: string | null;
  price: string | null;
  msrp: string | null;
  dateInStock: string | null;
  url: string | null;
}

const RAW_CURSOR = 'silverfox_raw_rows';

/**
 * Opens a cursor over the raw rows of some dealerships of one import, by dealership then file
 * order: one sort per import (the BRIN index on import_id finds its pages). Only inside a
 * transaction; close it before opening the next one.
 */
export async function openRawRowsCursor(
  db: Queryable,
  importId: number,
  dealershipIds: readonly number[],
): Promise<void> {
  await db.query(
    `DECLARE ${RAW_CURSOR} NO SCROLL CURSOR FOR
     SELECT dealership_id, file_index, line, ${RAW_FIELDS.join(', ')} FROM raw_vehicles
     WHERE import_id = $1 AND dealership_id = ANY($2::int[])
     ORDER BY dealership_id, file_index, line`,
    [importId, [...dealershipIds]],
  );
}

/** The next `count` rows of the open raw-rows cursor (fewer at the end). */
export async function fetchRawRows(db: Queryable, count: number): Promise<RawRowRecord[]> {
  const { rows } = await db.query<Record<string, string | number | null>>(
    `FETCH FORWARD ${Math.trunc(count)} FROM ${RAW_CURSOR}`,
  );
  return rows.map((r) => ({
    dealershipId: Number(r.dealership_id),
    fileIndex: Number(r.file_index),
    line: Number(r.line),
    vin: r.vin as string | null,
    stock: r.stock as string | null,
    year: r.year as string | null,
    make: r.make as string | null,
    model: r.model as string | null,
    trim: r.trim as string | null,
    condition: r.condition as string | null,
    status: r.status as string | null,
    price: r.price as string | null,
    msrp: r.msrp as string | null,
    dateInStock: r.date_in_stock as string | null,
    url: r.url as string | null,
  }));
}

/** Closes the raw-rows cursor. */
export async function closeRawRowsCursor(db: Queryable): Promise<void> {
  await db.query(`CLOSE ${RAW_CURSOR}`);
}

/** An active snapshot and its dealership. */
export interface ActiveSnapshot {
  snapshotId: number;
  importId: number;
  dealershipId: number;
  name: string;
  rowCount: number;
}

/** Active snapshots, of the given dealerships or of all, by dealership name. */
export async function selectActiveSnapshots(
  db: Queryable,
  dealershipIds?: readonly number[],
): Promise<ActiveSnapshot[]> {
  const { rows } = await db.query<{
    id: number;
    import_id: number;
    dealership_id: number;
    name: string;
    row_count: number;
  }>(
    `SELECT s.id, s.import_id, s.dealership_id, d.name, s.row_count
     FROM snapshots s JOIN dealerships d ON d.id = s.dealership_id
     WHERE s.status = 'active' AND ($1::int[] IS NULL OR s.dealership_id = ANY($1::int[]))
     ORDER BY d.name`,
    [dealershipIds ? [...dealershipIds] : null],
  );
  return rows.map((r) => ({
    snapshotId: Number(r.id),
    importId: Number(r.import_id),
    dealershipId: Number(r.dealership_id),
    name: r.name,
    rowCount: Number(r.row_count),
  }));
}
