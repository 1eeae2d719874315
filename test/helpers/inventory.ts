/**
 * Test inventory: valid VINs (real check digits) and active snapshots written straight into the
 * tables, so order tests do not depend on the import pipeline.
 */
import { resolveDealership } from '../../src/app/dealers.js';
import type { InventoryVehicle } from '../../src/core/cao.js';
import { expectedCheckDigit } from '../../src/core/vin.js';
import type { Queryable } from '../../src/db/database.js';
import type { TestEnv } from './databases.js';

/** A valid VIN with a correct check digit, distinct for each `n` (and `prefix`, 8 characters). */
export function makeVin(n: number, prefix = '1HGCM826'): string {
  const serial = String(n).padStart(6, '0');
  const draft = `${prefix}0A${'ABCDEFGHJKLMNPRSTUVWXYZ'[Math.floor(n / 1e6) % 23]}${serial}`;
  const check = expectedCheckDigit(draft)!;
  return draft.slice(0, 8) + check + draft.slice(9);
}

export type SeedVehicle = Partial<InventoryVehicle> & { vin: string };

/** The fields a seeded vehicle gets unless told otherwise: a new, priced, on-lot 2024 Honda. */
export function vehicleDefaults(v: SeedVehicle): InventoryVehicle {
  const year = v.year === undefined ? 2024 : v.year;
  const make = v.make === undefined ? 'Honda' : v.make;
  const model = v.model === undefined ? 'Accord' : v.model;
  return {
    vinValid: true,
    stock: `S${v.vin.slice(-6)}`,
    year,
    make,
    model,
    trim: 'EX',
    fullName: [year, make, model].filter((x) => x !== null).join(' ') || null,
    condition: 'new',
    lotStatus: 'on_lot',
    status: 'In Stock',
    price: 25_000,
    dateInStock: '2026-01-02',
    url: `https://dealer.example/vdp/${v.vin}`,
    ...v,
  };
}

/**
 * Replaces the dealership's active snapshot with these vehicles (the previous one is archived),
 * as an import would. Returns the new snapshot id.
 */
export async function seedInventory(
  db: Queryable,
  dealershipId: number,
  vehicles: SeedVehicle[],
): Promise<number> {
  await db.query(
    `UPDATE snapshots SET status = 'archived', archived_at = now() WHERE dealership_id = $1 AND status = 'active'`,
    [dealershipId],
  );
  const imp = await db.query<{ id: number }>(`INSERT INTO imports (source) VALUES ('csv') RETURNING id`);
  const snap = await db.query<{ id: number }>(
    `INSERT INTO snapshots (import_id, dealership_id, status, row_count) VALUES ($1, $2, 'active', $3) RETURNING id`,
    [imp.rows[0]!.id, dealershipId, vehicles.length],
  );
  const snapshotId = Number(snap.rows[0]!.id);
  const vs = vehicles.map(vehicleDefaults);
  if (vs.length > 0) {
    const col = <K extends keyof InventoryVehicle>(k: K) => vs.map((v) => v[k]);
    await db.query(
      `INSERT INTO vehicles (snapshot_id, dealership_id, line, vin, vin_valid, stock, year, make, model, trim,
                             full_name, condition, lot_status, status, price, date_in_stock, url)
       SELECT $1, $2, u.ord + 1, u.vin, u.vin_valid, u.stock, u.year, u.make, u.model, u.trim, u.full_name,
              u.condition, u.lot_status, u.status, u.price, u.date_in_stock, u.url
       FROM unnest($3::text[], $4::boolean[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::text[], $12::text[], $13::text[], $14::numeric[], $15::date[], $16::text[])
            WITH ORDINALITY AS u(vin, vin_valid, stock, year, make, model, trim, full_name, condition,
                                 lot_status, status, price, date_in_stock, url, ord)`,
      [
        snapshotId,
        dealershipId,
        col('vin'),
        col('vinValid'),
        col('stock'),
        col('year'),
        col('make'),
        col('model'),
        col('trim'),
        col('fullName'),
        col('condition'),
        col('lotStatus'),
        col('status'),
        col('price'),
        col('dateInStock'),
        col('url'),
      ],
    );
  }
  return snapshotId;
}

/** A VIN-log row written by hand (an earlier order, or an imported one). */
export async function seedVinLog(
  db: Queryable,
  dealershipId: number,
  vin: string,
  opts: { condition?: string | null; orderType?: string; processedAt?: Date; orderRef?: string | null } = {},
): Promise<void> {
  await db.query(
    `INSERT INTO vin_log (dealership_id, vin, condition, order_type, order_ref, processed_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      dealershipId,
      vin,
      opts.condition === undefined ? 'new' : opts.condition,
      opts.orderType ?? 'legacy',
      opts.orderRef ?? null,
      (opts.processedAt ?? new Date()).toISOString(),
    ],
  );
}

/**
 * Opens the test database, gives `dealer` an active inventory of these VINs, closes it again (so a
 * CLI test's binary finds the embedded database free); returns the dealership's id.
 */
export async function seedDealerVins(t: TestEnv, dealer: string, vins: readonly string[]): Promise<number> {
  const ctx = await t.open();
  try {
    const id = (await resolveDealership(ctx, dealer)).id;
    await seedInventory(
      ctx.db,
      id,
      vins.map((vin) => ({ vin })),
    );
    return id;
  } finally {
    await ctx.db.close();
  }
}
