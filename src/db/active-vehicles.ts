/**
 * SQL reading the normalized vehicles of active snapshots, for CAO and LIST. Every query takes a
 * dealership id resolved beforehand: joined by name the planner scans every dealership's rows
 * (TOOLCHAIN.md). No LIMIT anywhere: a dealership's whole active snapshot is read (failure 3).
 */
import type { InventoryVehicle, LotStatus } from '../core/cao.js';
import type { Condition } from '../core/dealership.js';
import type { Queryable } from './database.js';

interface VehicleRow {
  vin: string;
  vin_valid: boolean;
  stock: string | null;
  year: number | null;
  make: string | null;
  model: string | null;
  trim: string | null;
  full_name: string | null;
  condition: Condition;
  lot_status: LotStatus;
  status: string | null;
  price: string | number | null;
  date_in_stock: string | null;
  url: string | null;
  [k: string]: unknown;
}

// date_in_stock as text: the pg driver turns a `date` into a local-midnight Date, which shifts a day
// west of UTC. numeric comes back as text from pg and is converted once here.
const COLUMNS = `v.vin, v.vin_valid, v.stock, v.year, v.make, v.model, v.trim, v.full_name,
  v.condition, v.lot_status, v.status, v.price, v.date_in_stock::text AS date_in_stock, v.url`;

const ACTIVE = `FROM vehicles v JOIN snapshots s ON s.id = v.snapshot_id
  WHERE s.dealership_id = $1 AND s.status = 'active'`;

function toVehicle(r: VehicleRow): InventoryVehicle {
  return {
    vin: r.vin,
    vinValid: r.vin_valid,
    stock: r.stock,
    year: r.year === null ? null : Number(r.year),
    make: r.make,
    model: r.model,
    trim: r.trim,
    fullName: r.full_name,
    condition: r.condition,
    lotStatus: r.lot_status,
    status: r.status,
    price: r.price === null ? null : Number(r.price),
    dateInStock: r.date_in_stock,
    url: r.url,
  };
}

/** Every normalized vehicle of the dealership's active snapshot, in file order. */
export async function selectActiveVehicles(db: Queryable, dealershipId: number): Promise<InventoryVehicle[]> {
  const { rows } = await db.query<VehicleRow>(
    `SELECT ${COLUMNS} ${ACTIVE} ORDER BY v.file_index, v.line, v.id`,
    [dealershipId],
  );
  return rows.map(toVehicle);
}

/** Active-snapshot vehicles of the dealership with one of these VINs (upper-case). */
export async function selectActiveVehiclesByVins(
  db: Queryable,
  dealershipId: number,
  vins: readonly string[],
): Promise<InventoryVehicle[]> {
  if (vins.length === 0) return [];
  const { rows } = await db.query<VehicleRow>(
    `SELECT ${COLUMNS} ${ACTIVE} AND v.vin = ANY($2::text[]) ORDER BY v.file_index, v.line, v.id`,
    [dealershipId, vins],
  );
  return rows.map(toVehicle);
}

/** Active-snapshot vehicles of the dealership whose stock number is one of these (case-insensitive). */
export async function selectActiveVehiclesByStocks(
  db: Queryable,
  dealershipId: number,
  stocks: readonly string[],
): Promise<InventoryVehicle[]> {
  if (stocks.length === 0) return [];
  const { rows } = await db.query<VehicleRow>(
    `SELECT ${COLUMNS} ${ACTIVE} AND upper(v.stock) = ANY($2::text[]) ORDER BY v.file_index, v.line, v.id`,
    [dealershipId, stocks.map((s) => s.toUpperCase())],
  );
  return rows.map(toVehicle);
}

/**
 * Active-snapshot vehicles with this VIN at any dealership (for `vinlog show`). Driven from the
 * active snapshots (one per dealership) so each lookup uses the (snapshot_id, vin) index instead
 * of scanning vehicles.
 */
export async function selectActiveVehiclesWithVin(
  db: Queryable,
  vin: string,
): Promise<(InventoryVehicle & { dealershipId: number })[]> {
  const { rows } = await db.query<VehicleRow & { dealership_id: number }>(
    `SELECT ${COLUMNS}, s.dealership_id
     FROM snapshots s
     JOIN vehicles v ON v.snapshot_id = s.id AND v.vin = $1
     WHERE s.status = 'active'
     ORDER BY s.dealership_id`,
    [vin],
  );
  return rows.map((r) => ({ ...toVehicle(r), dealershipId: Number(r.dealership_id) }));
}

/** The id of the dealership's active snapshot, or undefined when it was never imported. */
export async function selectActiveSnapshotId(
  db: Queryable,
  dealershipId: number,
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM snapshots WHERE dealership_id = $1 AND status = 'active'`,
    [dealershipId],
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}
