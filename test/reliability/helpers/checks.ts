/**
 * What "consistent" means after a fault, checked from outside the process that failed:
 * the database and the orders folder, read with the product's own adapters.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { resolveConfig } from '../../../src/config.js';
import type { Database } from '../../../src/db/database.js';
import { openDatabase } from '../../../src/db/open.js';
import { STAGING_DIR } from '../../../src/output/order-folder.js';
import { verifyOrderFolder } from '../../../src/output/order-verify.js';

/** Opens (and migrates, a no-op once done) the database of a test environment, runs `fn`, closes. */
export async function withDb<T>(env: Record<string, string>, fn: (db: Database) => Promise<T>): Promise<T> {
  const config = resolveConfig({ env, cwd: env.SILVERFOX_DATA_DIR ?? '/' });
  const db = await openDatabase({ ...config, dbConnectTimeoutMs: 10_000 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function count(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: number }>(sql, params)).rows[0]!.n);
}

/** Published order folders (no dot folders: .staging is the writer's). */
export function orderFolders(ordersDir: string): string[] {
  return existsSync(ordersDir)
    ? readdirSync(ordersDir)
        .filter((f) => !f.startsWith('.'))
        .sort()
    : [];
}

/** Folders still staged (a crashed writer's, until the next order run recovers them). */
export function stagedFolders(ordersDir: string): string[] {
  const dir = path.join(ordersDir, STAGING_DIR);
  return existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.json')) : [];
}

/**
 * Rule 5 from the outside: every order row is complete (its vehicles, and for CAO its VIN-log
 * rows, one per vehicle); every published folder belongs to an order and matches its checksums;
 * no VIN is in two live CAO orders of one dealership. Before recovery a committed order's folder
 * may still be staged (`allowStaged`); afterwards nothing may be left in .staging.
 * Returns the problems found (empty = consistent).
 */
export async function orderProblems(
  db: Database,
  ordersDir: string,
  opts: { allowStaged?: boolean } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const orders = (
    await db.query<{
      id: number;
      folder: string;
      order_type: string;
      vehicle_count: number;
      n_vehicles: number;
      n_log: number;
    }>(
      `SELECT o.id, o.folder, o.order_type, o.vehicle_count,
              (SELECT count(*)::int FROM order_vehicles v WHERE v.order_id = o.id) AS n_vehicles,
              (SELECT count(*)::int FROM vin_log l WHERE l.order_id = o.id) AS n_log
       FROM orders o WHERE o.status = 'complete' ORDER BY o.id`,
    )
  ).rows;
  const staged = new Set(stagedFolders(ordersDir));
  const published = new Set(orderFolders(ordersDir));
  for (const o of orders) {
    if (o.n_vehicles !== o.vehicle_count)
      problems.push(`order ${o.id}: ${o.n_vehicles} vehicle rows for vehicle_count ${o.vehicle_count}`);
    if (o.order_type === 'cao' && o.n_log !== o.vehicle_count)
      problems.push(`order ${o.id}: ${o.n_log} VIN-log rows for ${o.vehicle_count} vehicles`);
    const name = path.basename(o.folder);
    if (published.has(name)) {
      const v = await verifyOrderFolder(o.folder);
      if (!v.ok || v.unexpected.length > 0)
        problems.push(
          `order ${o.id}: folder ${name} does not match its checksums (${JSON.stringify(v.files.filter((f) => f.status !== 'ok').map((f) => f.path))}, unexpected ${v.unexpected.join(',')})`,
        );
      if (Number(v.summary.id) !== Number(o.id))
        problems.push(`order ${o.id}: folder ${name} holds order ${v.summary.id}`);
      published.delete(name);
    } else if (!(opts.allowStaged && staged.has(name))) {
      problems.push(`order ${o.id}: its folder ${name} is neither published nor staged`);
    }
  }
  for (const name of published) problems.push(`folder ${name} belongs to no order`);
  if (!opts.allowStaged && staged.size > 0) problems.push(`left in .staging: ${[...staged].join(', ')}`);
  const twice = (
    await db.query<{ vin: string; n: number }>(
      `SELECT ov.vin, count(*)::int AS n FROM order_vehicles ov JOIN orders o ON o.id = ov.order_id
       WHERE o.status = 'complete' AND o.order_type = 'cao'
       GROUP BY o.dealership_id, ov.vin HAVING count(*) > 1 LIMIT 5`,
    )
  ).rows;
  for (const t of twice) problems.push(`VIN ${t.vin} is in ${t.n} CAO orders`);
  const orphanLog = await count(
    db,
    `SELECT count(*)::int AS n FROM vin_log l WHERE l.order_type IN ('cao', 'list')
       AND (l.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = l.order_id))`,
  );
  if (orphanLog > 0) problems.push(`${orphanLog} VIN-log rows of orders that do not exist`);
  return problems;
}

/**
 * Rule 1 from the outside: no snapshot is left loading; at most one active snapshot per
 * dealership; every committed import is finished and its row counts add up.
 */
export async function importProblems(db: Database): Promise<string[]> {
  const problems: string[] = [];
  const loading = await count(
    db,
    `SELECT count(*)::int AS n FROM snapshots WHERE status NOT IN ('active', 'archived')`,
  );
  if (loading > 0) problems.push(`${loading} snapshots neither active nor archived`);
  const twoActive = await count(
    db,
    `SELECT count(*)::int AS n FROM (SELECT dealership_id FROM snapshots WHERE status = 'active'
       GROUP BY dealership_id HAVING count(*) > 1) x`,
  );
  if (twoActive > 0) problems.push(`${twoActive} dealerships with two active snapshots`);
  const unfinished = await count(db, `SELECT count(*)::int AS n FROM imports WHERE finished_at IS NULL`);
  if (unfinished > 0) problems.push(`${unfinished} imports never finished`);
  const bad = (
    await db.query<{ id: number }>(
      `SELECT i.id FROM imports i
       WHERE i.rows_read <> i.rows_imported + i.rows_rejected
          OR i.rows_imported <> (SELECT count(*) FROM raw_vehicles r WHERE r.import_id = i.id)`,
    )
  ).rows;
  for (const b of bad) problems.push(`import ${b.id}: its row counts do not add up`);
  return problems;
}

/** Fails with the list of problems, so a failure says exactly what is inconsistent. */
export function expectNone(problems: string[], when: string): void {
  expect(problems, `inconsistent ${when}:\n${problems.join('\n')}`).toEqual([]);
}

/** A deterministic generator (mulberry32) so a failing kill point can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: SILVERFOX_TEST_SEED to replay one, else a fresh one (printed by the caller). */
export function testSeed(): number {
  const fixed = Number.parseInt(process.env.SILVERFOX_TEST_SEED ?? '', 10);
  return Number.isInteger(fixed) ? fixed : Math.floor(Math.random() * 2 ** 31);
}

/** No stack trace and no "internal error": what every failure must look like to an operator. */
export function expectCleanError(stderr: string, what = 'stderr'): void {
  expect(stderr, `${what} shows a stack trace:\n${stderr}`).not.toMatch(/^\s+at /m);
  expect(stderr, `${what} reports a bug:\n${stderr}`).not.toMatch(/internal error/i);
  expect(stderr, `${what} shows an unhandled error:\n${stderr}`).not.toMatch(
    /Unhandled|node:internal|\.js:\d+/,
  );
}
