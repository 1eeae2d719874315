/** SQL writing the normalized vehicles of a snapshot (rule 2). Reading them for CAO/LIST is in active-vehicles.ts. */
import type { NormalizedVehicle } from '../core/normalize.js';
import { copyCell, single } from './copy-csv.js';
import type { Queryable } from './database.js';

const VEHICLE_COPY_COLUMNS = [
  'snapshot_id',
  'dealership_id',
  'file_index',
  'line',
  'vin',
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

/** One vehicles line for COPY (no trailing newline). */
export function vehicleCopyLine(
  snapshotId: number,
  dealershipId: number,
  fileIndex: number,
  line: number,
  v: NormalizedVehicle,
): string {
  return (
    `${snapshotId},${dealershipId},${fileIndex},${line},${v.vin},${v.vinValid ? 't' : 'f'},` +
    `${v.checkDigitOk ? 't' : 'f'},${copyCell(v.stock)},${v.year ?? ''},${copyCell(v.make)},` +
    `${copyCell(v.model)},${copyCell(v.trim)},${copyCell(v.fullName)},${v.condition},${v.lotStatus},` +
    `${copyCell(v.status)},${v.price ?? ''},${v.msrp ?? ''},${v.dateInStock ?? ''},${copyCell(v.url)}`
  );
}

/** COPYs newline-terminated vehicles lines; returns rows copied. */
export async function copyVehicles(db: Queryable, csv: string): Promise<number> {
  return db.copyIn('vehicles', VEHICLE_COPY_COLUMNS, single(csv));
}

/** Removes the vehicles of a snapshot (before normalizing it again). */
export async function deleteVehiclesOfSnapshot(db: Queryable, snapshotId: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM vehicles WHERE snapshot_id = $1', [snapshotId]);
  return rowCount;
}
