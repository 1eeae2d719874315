/**
 * SQL for `silverfox report`: every number is an aggregate computed by the database (one statement
 * per function, values bound as parameters), never rows counted in JavaScript. Every function takes
 * the period as a half-open range [from, to) and an optional list of dealership ids (null: all).
 * Weeks start on Monday (date_trunc('week')) in the session's time zone.
 */
import type { Queryable } from './database.js';

export interface ReportRange {
  from: Date;
  to: Date;
  /** Dealership ids to keep; null for every dealership. */
  dealershipIds: readonly number[] | null;
}

const ids = (r: ReportRange) => (r.dealershipIds ? [...r.dealershipIds] : null);
const n = (v: unknown) => Number(v ?? 0);

export interface WeekConditionRow {
  /** Monday of the week, `YYYY-MM-DD`. */
  week: string;
  /** new, po, cpo or unknown (a vehicle without a recorded condition counts as unknown). */
  condition: string;
  vehicles: number;
}

/** Vehicles of complete orders per week and condition. */
export async function selectVehiclesPerWeek(db: Queryable, r: ReportRange): Promise<WeekConditionRow[]> {
  const { rows } = await db.query<{ week: string; condition: string; vehicles: number }>(
    `SELECT to_char(date_trunc('week', o.created_at), 'YYYY-MM-DD') AS week,
            coalesce(v.condition, 'unknown') AS condition, count(*)::int AS vehicles
     FROM orders o JOIN order_vehicles v ON v.order_id = o.id
     WHERE o.status = 'complete' AND o.created_at >= $1 AND o.created_at < $2
       AND ($3::int[] IS NULL OR o.dealership_id = ANY($3::int[]))
     GROUP BY 1, 2 ORDER BY 1, 2`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({ week: x.week, condition: x.condition, vehicles: n(x.vehicles) }));
}

export interface DealershipTypeRow {
  dealershipId: number;
  name: string;
  orderType: 'cao' | 'list';
  orders: number;
  vehicles: number;
}

/** Complete orders and their vehicles per dealership and order type (CAO / LIST). */
export async function selectOrdersPerDealership(db: Queryable, r: ReportRange): Promise<DealershipTypeRow[]> {
  const { rows } = await db.query<{
    dealership_id: number;
    name: string;
    order_type: 'cao' | 'list';
    orders: number;
    vehicles: number;
  }>(
    `SELECT o.dealership_id, d.name, o.order_type, count(*)::int AS orders,
            coalesce(sum(o.vehicle_count), 0)::int AS vehicles
     FROM orders o JOIN dealerships d ON d.id = o.dealership_id
     WHERE o.status = 'complete' AND o.created_at >= $1 AND o.created_at < $2
       AND ($3::int[] IS NULL OR o.dealership_id = ANY($3::int[]))
     GROUP BY o.dealership_id, d.name, o.order_type ORDER BY d.name, o.order_type`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({
    dealershipId: n(x.dealership_id),
    name: x.name,
    orderType: x.order_type,
    orders: n(x.orders),
    vehicles: n(x.vehicles),
  }));
}

export interface BillingRow {
  dealershipId: number;
  name: string;
  template: string;
  /** new, po, cpo, unknown */
  condition: string;
  orders: number;
  vehicles: number;
}

/**
 * What to bill: vehicles of complete orders per dealership, template and condition, counted from
 * the order's own vehicles (the rows its billing sheet lists). Voided orders are left out.
 */
export async function selectBilling(db: Queryable, r: ReportRange): Promise<BillingRow[]> {
  const { rows } = await db.query<{
    dealership_id: number;
    name: string;
    template: string;
    condition: string;
    orders: number;
    vehicles: number;
  }>(
    `SELECT o.dealership_id, d.name, o.template, coalesce(v.condition, 'unknown') AS condition,
            count(DISTINCT o.id)::int AS orders, count(*)::int AS vehicles
     FROM orders o
     JOIN dealerships d ON d.id = o.dealership_id
     JOIN order_vehicles v ON v.order_id = o.id
     WHERE o.status = 'complete' AND o.created_at >= $1 AND o.created_at < $2
       AND ($3::int[] IS NULL OR o.dealership_id = ANY($3::int[]))
     GROUP BY o.dealership_id, d.name, o.template, 4 ORDER BY d.name, o.template, 4`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({
    dealershipId: n(x.dealership_id),
    name: x.name,
    template: x.template,
    condition: x.condition,
    orders: n(x.orders),
    vehicles: n(x.vehicles),
  }));
}

export interface VoidedOrderRow {
  id: number;
  name: string;
  orderType: 'cao' | 'list';
  template: string;
  vehicles: number;
  createdAt: Date;
  voidedAt: Date | null;
  reason: string | null;
}

/** Orders of the period that were voided (not billed), listed apart. */
export async function selectVoidedOrders(db: Queryable, r: ReportRange): Promise<VoidedOrderRow[]> {
  const { rows } = await db.query<{
    id: number;
    name: string;
    order_type: 'cao' | 'list';
    template: string;
    vehicle_count: number;
    created_at: Date | string;
    voided_at: Date | string | null;
    void_reason: string | null;
  }>(
    `SELECT o.id, d.name, o.order_type, o.template, o.vehicle_count, o.created_at, o.voided_at, o.void_reason
     FROM orders o JOIN dealerships d ON d.id = o.dealership_id
     WHERE o.status = 'voided' AND o.created_at >= $1 AND o.created_at < $2
       AND ($3::int[] IS NULL OR o.dealership_id = ANY($3::int[]))
     ORDER BY o.created_at, o.id`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({
    id: n(x.id),
    name: x.name,
    orderType: x.order_type,
    template: x.template,
    vehicles: n(x.vehicle_count),
    createdAt: new Date(x.created_at),
    voidedAt: x.voided_at === null ? null : new Date(x.voided_at),
    reason: x.void_reason,
  }));
}

export interface InventoryPointRow {
  dealershipId: number;
  name: string;
  /** `YYYY-MM-DD` */
  day: string;
  /** Rows of the last snapshot imported that day. */
  rows: number;
}

/** Inventory size per dealership and day: the row count of the day's last snapshot. */
export async function selectInventoryHistory(db: Queryable, r: ReportRange): Promise<InventoryPointRow[]> {
  const { rows } = await db.query<{ dealership_id: number; name: string; day: string; row_count: number }>(
    `SELECT x.dealership_id, d.name, x.day, x.row_count
     FROM (
       SELECT DISTINCT ON (s.dealership_id, 2) s.dealership_id,
              to_char(s.created_at, 'YYYY-MM-DD') AS day, s.row_count
       FROM snapshots s
       WHERE s.status <> 'loading' AND s.created_at >= $1 AND s.created_at < $2
         AND ($3::int[] IS NULL OR s.dealership_id = ANY($3::int[]))
       ORDER BY s.dealership_id, 2, s.created_at DESC, s.id DESC
     ) x JOIN dealerships d ON d.id = x.dealership_id
     ORDER BY d.name, x.day`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({
    dealershipId: n(x.dealership_id),
    name: x.name,
    day: x.day,
    rows: n(x.row_count),
  }));
}

export interface ImportActivityRow {
  dealershipId: number;
  name: string;
  enabled: boolean;
  /** Snapshots the dealership got in the period, by source of the import. */
  csvImports: number;
  scrapeImports: number;
  lastImportAt: Date | null;
  /** The active snapshot: when it was imported and its rows (null: never imported). */
  activeAt: Date | null;
  activeRows: number | null;
  /** Hours between the active snapshot and the database clock. */
  ageHours: number | null;
}

/** Per dealership: imports in the period by source, and the freshness of its active snapshot. */
export async function selectImportActivity(db: Queryable, r: ReportRange): Promise<ImportActivityRow[]> {
  const { rows } = await db.query<{
    id: number;
    name: string;
    enabled: boolean;
    csv_imports: number;
    scrape_imports: number;
    last_import_at: Date | string | null;
    active_at: Date | string | null;
    active_rows: number | null;
    age_hours: number | string | null;
  }>(
    `SELECT d.id, d.name, d.enabled,
            coalesce(p.csv_imports, 0)::int AS csv_imports,
            coalesce(p.scrape_imports, 0)::int AS scrape_imports,
            p.last_import_at,
            a.created_at AS active_at, a.row_count AS active_rows,
            round((extract(epoch FROM (now() - a.created_at)) / 3600)::numeric, 1)::float8 AS age_hours
     FROM dealerships d
     LEFT JOIN snapshots a ON a.dealership_id = d.id AND a.status = 'active'
     LEFT JOIN (
       SELECT s.dealership_id,
              count(*) FILTER (WHERE i.source = 'csv') AS csv_imports,
              count(*) FILTER (WHERE i.source = 'scrape') AS scrape_imports,
              max(s.created_at) AS last_import_at
       FROM snapshots s JOIN imports i ON i.id = s.import_id
       WHERE s.status <> 'loading' AND s.created_at >= $1 AND s.created_at < $2
       GROUP BY s.dealership_id
     ) p ON p.dealership_id = d.id
     WHERE ($3::int[] IS NULL OR d.id = ANY($3::int[]))
     ORDER BY d.name`,
    [r.from, r.to, ids(r)],
  );
  const date = (v: Date | string | null) => (v === null ? null : new Date(v));
  return rows.map((x) => ({
    dealershipId: n(x.id),
    name: x.name,
    enabled: x.enabled,
    csvImports: n(x.csv_imports),
    scrapeImports: n(x.scrape_imports),
    lastImportAt: date(x.last_import_at),
    activeAt: date(x.active_at),
    activeRows: x.active_rows === null ? null : n(x.active_rows),
    ageHours: x.age_hours === null ? null : n(x.age_hours),
  }));
}

export interface VinLogGrowthRow {
  /** Monday of the week, `YYYY-MM-DD`. */
  week: string;
  added: number;
}

/** VIN-log rows added per week of the period. */
export async function selectVinLogGrowth(db: Queryable, r: ReportRange): Promise<VinLogGrowthRow[]> {
  const { rows } = await db.query<{ week: string; added: number }>(
    `SELECT to_char(date_trunc('week', processed_at), 'YYYY-MM-DD') AS week, count(*)::int AS added
     FROM vin_log
     WHERE processed_at >= $1 AND processed_at < $2
       AND ($3::int[] IS NULL OR dealership_id = ANY($3::int[]))
     GROUP BY 1 ORDER BY 1`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({ week: x.week, added: n(x.added) }));
}

/** VIN-log rows processed before `at` (the size of the log when the period starts). */
export async function selectVinLogSizeBefore(db: Queryable, r: ReportRange): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM vin_log
     WHERE processed_at < $1 AND ($2::int[] IS NULL OR dealership_id = ANY($2::int[]))`,
    [r.from, ids(r)],
  );
  return n(rows[0]?.n);
}

/** The size of the database on disk, in bytes, as the database reports it. */
export async function selectDatabaseSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ bytes: string | number }>(
    'SELECT pg_database_size(current_database())::bigint AS bytes',
  );
  return n(rows[0]?.bytes);
}

/** The Mondays of the weeks the period touches, `YYYY-MM-DD`, in the database's time zone. */
export async function selectWeeks(db: Queryable, r: ReportRange): Promise<string[]> {
  const { rows } = await db.query<{ week: string }>(
    `SELECT to_char(g, 'YYYY-MM-DD') AS week
     FROM generate_series(date_trunc('week', $1::timestamptz),
                          $2::timestamptz - interval '1 microsecond', interval '1 week') g
     ORDER BY g`,
    [r.from, r.to],
  );
  return rows.map((x) => x.week);
}

export interface BillingOrdersRow {
  dealershipId: number;
  template: string;
  orders: number;
}

/** Complete orders per dealership and template (an order counts once whatever its conditions). */
export async function selectBillingOrders(db: Queryable, r: ReportRange): Promise<BillingOrdersRow[]> {
  const { rows } = await db.query<{ dealership_id: number; template: string; orders: number }>(
    `SELECT o.dealership_id, o.template, count(*)::int AS orders
     FROM orders o
     WHERE o.status = 'complete' AND o.created_at >= $1 AND o.created_at < $2
       AND ($3::int[] IS NULL OR o.dealership_id = ANY($3::int[]))
     GROUP BY o.dealership_id, o.template`,
    [r.from, r.to, ids(r)],
  );
  return rows.map((x) => ({ dealershipId: n(x.dealership_id), template: x.template, orders: n(x.orders) }));
}
