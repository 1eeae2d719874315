import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDatabase, restoreDatabase } from '../../src/app/backup.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { resolveConfig } from '../../src/config.js';
import { InputError, UsageError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { seedOrder, seedSnapshots } from '../helpers/ops-seed.js';

const TABLES = [
  'dealerships',
  'imports',
  'snapshots',
  'raw_vehicles',
  'vehicles',
  'orders',
  'order_vehicles',
  'vin_log',
];

/** Counts and a sample of rows (ordered, all columns as text) that a round trip must keep. */
async function fingerprint(t: TestEnv) {
  const ctx = await t.open();
  try {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const r = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = Number(r.rows[0]!.n);
    }
    const sample = async (sql: string) => (await ctx.db.query(sql)).rows.map((r) => JSON.stringify(r));
    return {
      counts,
      vehicles: await sample(
        `SELECT snapshot_id, vin, stock, year, make, price::text, url FROM vehicles ORDER BY snapshot_id, vin LIMIT 25`,
      ),
      vinLog: await sample(
        `SELECT d.name, l.vin, l.condition, l.order_type, l.processed_at::text FROM vin_log l
         JOIN dealerships d ON d.id = l.dealership_id ORDER BY l.vin`,
      ),
      orders: await sample(
        `SELECT id, dealership_id, folder, vehicle_count, created_at::text FROM orders ORDER BY id`,
      ),
      dealers: await sample(`SELECT name, slug, enabled, settings::text FROM dealerships ORDER BY slug`),
    };
  } finally {
    await ctx.db.close();
  }
}

describe.each(DATABASE_KINDS)('backup and restore on %s', (kind) => {
  let t: TestEnv;
  let file: string;
  let before: Awaited<ReturnType<typeof fingerprint>>;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    const ctx = await t.open();
    try {
      const honda = await resolveDealership(ctx, 'Columbia Honda');
      const kia = await resolveDealership(ctx, 'HW Kia');
      await seedSnapshots(ctx.db, honda.id, { count: 2, rows: 50 });
      await seedSnapshots(ctx.db, kia.id, { count: 1, rows: 20 });
      await seedOrder(ctx.db, {
        dealershipId: honda.id,
        slug: honda.slug,
        ordersDir: t.config.ordersDir,
        ageDays: 2,
        vins: ['1HGCM82633A004352', '1HGCM82633A004353', '1HGCM82633A004354'],
      });
    } finally {
      await ctx.db.close();
    }
    before = await fingerprint(t);
    file = path.join(t.dir, 'backups', `silverfox-${kind}.backup`);
  });
  afterAll(async () => t?.cleanup());

  it('backs up, with the counts of what it holds', async () => {
    const r = await backupDatabase(t.config, { file });
    expect(r.format).toBe(kind);
    expect(r.bytes).toBeGreaterThan(1000);
    expect(r.counts).toMatchObject({ imports: 3, snapshots: 3, vehicles: 120, orders: 1, vin_log: 3 });
    expect(r.database).toContain(kind === 'server' ? 'server postgres://' : 'embedded database in');
  });

  it('refuses to overwrite an existing backup file unless told', async () => {
    await expect(backupDatabase(t.config, { file })).rejects.toThrow(UsageError);
  });

  it('refuses to replace a database that holds work without --yes, and changes nothing', async () => {
    await expect(restoreDatabase(t.config, { file })).rejects.toThrow(/holds work/);
    await expect(restoreDatabase(t.config, { file, confirm: async () => false })).rejects.toThrow(UsageError);
    expect(await fingerprint(t)).toEqual(before);
  });

  it('round trip: counts and sampled rows come back after the database was changed', async () => {
    const ctx = await t.open();
    try {
      await ctx.db.query(`DELETE FROM vin_log`);
      await ctx.db.query(`DELETE FROM vehicles WHERE snapshot_id IN (SELECT min(id) FROM snapshots)`);
      await ctx.db.query(`UPDATE dealerships SET enabled = false WHERE slug = 'hw_kia'`);
    } finally {
      await ctx.db.close();
    }
    expect(await fingerprint(t)).not.toEqual(before);
    let asked: Record<string, number> | undefined;
    const r = await restoreDatabase(t.config, {
      file,
      confirm: async (c) => {
        asked = c;
        return true;
      },
    });
    expect(asked).toMatchObject({ orders: 1, vin_log: 0 });
    expect(r.before.vin_log).toBe(0);
    expect(r.after).toMatchObject({ vin_log: 3, vehicles: 120, orders: 1 });
    expect(r.migrated).toEqual([]);
    expect(await fingerprint(t)).toEqual(before);
    if (kind === 'embedded') {
      expect(r.previous).toBeDefined();
      expect(existsSync(r.previous!)).toBe(true);
      // No lockfile left behind: the next command opens the restored database at once.
      expect(readdirSync(t.config.dataDir).filter((f) => f.startsWith('silverfox'))).toEqual([]);
    }
  });

  it('a restore into an empty database needs no confirmation', async () => {
    const empty =
      kind === 'embedded'
        ? resolveConfig({ env: { ...t.env, SILVERFOX_DATA_DIR: path.join(t.dir, 'fresh') }, cwd: t.dir })
        : undefined;
    if (!empty) {
      // server: empty the database first (a failed earlier restore would leave it half-full otherwise)
      const ctx = await t.open();
      await ctx.db.query('TRUNCATE imports, orders, vin_log CASCADE');
      await ctx.db.close();
    }
    const r = await restoreDatabase(empty ?? t.config, { file });
    expect(r.after).toMatchObject({ imports: 3, vehicles: 120, orders: 1, vin_log: 3 });
  });

  it('refuses a backup of the other kind of database, and a file that is no backup', async () => {
    const other = path.join(t.dir, 'other.backup');
    writeFileSync(other, kind === 'embedded' ? 'PGDMP\x01\x0e' : Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    await expect(restoreDatabase(t.config, { file: other, force: true })).rejects.toThrow(
      kind === 'embedded' ? /backup of a PostgreSQL server/ : /backup of an embedded/,
    );
    const junk = path.join(t.dir, 'junk.backup');
    writeFileSync(junk, 'hello');
    await expect(restoreDatabase(t.config, { file: junk, force: true })).rejects.toThrow(InputError);
    await expect(restoreDatabase(t.config, { file: path.join(t.dir, 'nope'), force: true })).rejects.toThrow(
      /no backup file/,
    );
    expect((await fingerprint(t)).counts).toEqual(before.counts);
  });

  it('a corrupt backup of the right kind fails and leaves the database as it was', async () => {
    const bad = path.join(t.dir, 'corrupt.backup');
    const { readFileSync } = await import('node:fs');
    const good = readFileSync(file);
    writeFileSync(bad, good.subarray(0, Math.floor(good.length / 2)));
    await expect(restoreDatabase(t.config, { file: bad, force: true })).rejects.toThrow();
    expect(await fingerprint(t)).toEqual(before);
  });
});
