/** SQL writing the normalized vehicles of a snapshot (rule 2). Reading them for CAO/LIST is in active-vehicles.ts. */
import type { NormalizedVehicle } from '../core/normalize.js';
import { copyCell, each } from './copy-csv.js';
import type { Queryable } from './database.js';

// snapshot_id and vin lead each line, so sorting a batch's lines as plain strings orders them by
// (snapshot, VIN): index entries then go in near order, ~35% less COPY time on a server (B-tree
// inserts into neighbouring pages instead of random ones).
const VEHICLE_COPY_COLUMNS = [
  'snapshot_id',
  'vin',
  'dealership_id',
  'file_index',
  'line',
  'vin_valid',
  'check_digit_ok',
  'stock',
  'year',
  'make',
  'model',
  'trim',
  'full_name',
  'condition',
  'lot_status',
  'status',
  'price',
  'msrp',
  'date_in_stock',
  'url',
];

/** One vehicles line for COPY (no trailing newline); it starts with `snapshotId,VIN,`. */
export function vehicleCopyLine(
  snapshotId: number,
  dealershipId: number,
  fileIndex: number,
  line: number,
  v: NormalizedVehicle,
): string {
  return (
    `${snapshotId},${v.vin},${dealershipId},${fileIndex},${line},${v.vinValid ? 't' : 'f'},` +
    `${v.checkDigitOk ? 't' : 'f'},${copyCell(v.stock)},${v.year ?? ''},${copyCell(v.make)},` +
    `${copyCell(v.model)},${copyCell(v.trim)},${copyCell(v.fullName)},${v.condition},${v.lotStatus},` +
    `${copyCell(v.status)},${v.price ?? ''},${v.msrp ?? ''},${v.dateInStock ?? ''},${copyCell(v.url)}`
  );
}

/** COPYs pieces of newline-terminated vehicles lines; returns rows copied. */
export async function copyVehicles(db: Queryable, pieces: readonly string[]): Promise<number> {
  return db.copyIn('vehicles', VEHICLE_COPY_COLUMNS, each(pieces));
}

/** Removes the vehicles of some snapshots (before normalizing them again). */
export async function deleteVehiclesOfSnapshots(
  db: Queryable,
  snapshotIds: readonly number[],
): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM vehicles WHERE snapshot_id = ANY($1::bigint[])', [
    [...snapshotIds],
  ]);
  return rowCount;
}
