/**
 * Seeds for the operations tests (maintenance, backup, doctor): snapshots with raw and normalized
 * rows, and orders with real folders, written straight in SQL so these tests do not depend on the
 * import and order code they maintain.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../src/db/database.js';

const DAY = 86_400_000;

/**
 * Gives a dealership `count` snapshots of `rows` vehicles each, one per day ending `endDaysAgo`
 * days before `now`; the newest is active, the others archived. Returns the snapshot ids, oldest first.
 */
export async function seedSnapshots(
  db: Queryable,
  dealershipId: number,
  opts: { count: number; rows: number; now?: Date; endDaysAgo?: number },
): Promise<number[]> {
  const now = opts.now ?? new Date();
  const ids: number[] = [];
  for (let i = 0; i < opts.count; i++) {
    const at = new Date(now.getTime() - ((opts.endDaysAgo ?? 0) + (opts.count - 1 - i)) * DAY);
    const active = i === opts.count - 1;
    const imp = await db.query<{ id: number }>(
      `INSERT INTO imports (rows_read, rows_imported, started_at, finished_at) VALUES ($1, $1, $2, $2) RETURNING id`,
      [opts.rows, at],
    );
    const importId = Number(imp.rows[0]!.id);
    if (active) {
      await db.query(
        `UPDATE snapshots SET status = 'archived', archived_at = $2 WHERE dealership_id = $1 AND status = 'active'`,
        [dealershipId, at],
      );
    }
    const snap = await db.query<{ id: number }>(
      `INSERT INTO snapshots (import_id, dealership_id, status, row_count, created_at, archived_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [importId, dealershipId, active ? 'active' : 'archived', opts.rows, at, active ? null : at],
    );
    const snapshotId = Number(snap.rows[0]!.id);
    await db.query(
      `INSERT INTO raw_vehicles (import_id, dealership_id, line, vin, stock, year, make, model, condition, status, price, url)
       SELECT $1, $2, g + 1, $3 || lpad(g::text, 6, '0'), 'S' || g, '2024', 'Honda', 'Civic', 'New', '', '$24,995',
              'https://example.com/v/' || g
       FROM generate_series(1, $4) g`,
      [importId, dealershipId, `1HGCM8263${String(i % 10)}A`, opts.rows],
    );
    await db.query(
      `INSERT INTO vehicles (snapshot_id, dealership_id, line, vin, vin_valid, stock, year, make, model, full_name,
                             condition, lot_status, price, url)
       SELECT $1, $2, g + 1, $3 || lpad(g::text, 6, '0'), true, 'S' || g, 2024, 'Honda', 'Civic', '2024 Honda Civic',
              'new', 'on_lot', 24995, 'https://example.com/v/' || g
       FROM generate_series(1, $4) g`,
      [snapshotId, dealershipId, `1HGCM8263${String(i % 10)}A`, opts.rows],
    );
    ids.push(snapshotId);
  }
  return ids;
}

/** A 1x1 PNG: real bytes, so a zip of an order folder holds what a real one does. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UBGAAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * An order with a real folder (CSV, QR PNGs, summary) created `ageDays` before `now`, and its VIN
 * log rows. Returns the order id and folder.
 */
export async function seedOrder(
  db: Queryable,
  opts: {
    dealershipId: number;
    slug: string;
    ordersDir: string;
    ageDays: number;
    vins: string[];
    now?: Date;
  },
): Promise<{ id: number; folder: string; files: Record<string, Buffer> }> {
  const at = new Date((opts.now ?? new Date()).getTime() - opts.ageDays * DAY);
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const folder = path.join(
    opts.ordersDir,
    `${opts.slug}_cao_${stamp}_${Math.random().toString(36).slice(2, 6)}`,
  );
  const files: Record<string, Buffer> = {
    [`${opts.slug}_standard.csv`]: Buffer.from(
      `VIN,Make,@QR\n${opts.vins.map((v) => `${v},Honda,qr_codes/${v}.png`).join('\n')}\n`,
    ),
    'order_summary.json': Buffer.from(JSON.stringify({ vins: opts.vins }, null, 2)),
  };
  for (const v of opts.vins) files[`qr_codes/${v}.png`] = PNG;
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    writeFileSync(path.join(folder, name), data);
  }
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO orders (dealership_id, order_type, template, folder, vehicle_count, created_at)
     VALUES ($1, 'cao', 'standard', $2, $3, $4) RETURNING id`,
    [opts.dealershipId, folder, opts.vins.length, at],
  );
  const id = Number(rows[0]!.id);
  for (const [i, v] of opts.vins.entries()) {
    await db.query(
      `INSERT INTO order_vehicles (order_id, position, vin, make, reason) VALUES ($1, $2, $3, 'Honda', 'new')`,
      [id, i + 1, v],
    );
    await db.query(
      `INSERT INTO vin_log (dealership_id, vin, condition, order_id, order_type, processed_at)
       VALUES ($1, $2, 'new', $3, 'cao', $4)`,
      [opts.dealershipId, v, id, at],
    );
  }
  return { id, folder, files };
}

/** Row count of a table (test-side check). */
export async function count(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql, params);
  return Number(rows[0]!.n);
}
