/**
 * Database faults: the PostgreSQL server stops in the middle of a run and starts again.
 * This runs on a private PostgreSQL 15 cluster (the shared server is never stopped): the run
 * fails with a clear error (exit 1, no stack trace), the retries at connect are bounded, and
 * after the restart nothing is committed twice and nothing is lost.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/env.js';
import {
  count,
  expectCleanError,
  expectNone,
  importProblems,
  orderProblems,
  orderFolders,
  withDb,
} from './helpers/checks.js';
import { sleep, vins, waitFor, writeFeed } from './helpers/fleet.js';
import { startPrivateCluster, type PrivateCluster } from './helpers/private-pg.js';

const HONDA = 'Columbia Honda';

describe('the server stops in the middle of a run', () => {
  let cluster: PrivateCluster;
  let dir: string;
  let n = 0;
  /** A fresh database on the private cluster and the environment of a run against it. */
  const fresh = async () => {
    const url = await cluster.createDatabase(`sf_faults_${++n}`);
    const d = path.join(dir, `run${n}`);
    return {
      DATABASE_URL: url,
      SILVERFOX_ORDERS_DIR: path.join(d, 'orders'),
      SILVERFOX_LOG_DIR: path.join(d, 'logs'),
      SILVERFOX_REGISTRY_DIR: path.join(ROOT, 'scrapers'),
      SILVERFOX_DB_CONNECT_TIMEOUT_MS: '3000',
    };
  };
  /** Polls the server until a statement matching `like` runs (the moment to pull the plug). */
  const whenRunning = async (url: string, like: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await waitFor(
        async () =>
          (
            await c.query(`SELECT 1 FROM pg_stat_activity WHERE query ILIKE $1 AND pid <> pg_backend_pid()`, [
              like,
            ])
          ).rowCount! > 0,
        60_000,
        5,
      );
    } finally {
      await c.end().catch(() => {});
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-dbfaults-'));
    cluster = await startPrivateCluster({ password: 'db-faults-pw' });
  });
  afterAll(() => {
    cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('server down when the run starts and back within the bound: the connect retries carry the run', async () => {
    const env = await fresh();
    expect((await runCli(['status', '--json'], { env })).code).toBe(0);
    writeFeed(
      path.join(dir, 'late.csv'),
      vins(5, 900_000).map((vin) => ({ dealer: HONDA, vin })),
    );
    cluster.stop('fast');
    try {
      const started = Date.now();
      const run = runCli(['import', path.join(dir, 'late.csv'), '--json'], {
        env: { ...env, SILVERFOX_DB_CONNECT_TIMEOUT_MS: '30000' },
      });
      await sleep(1500);
      cluster.start();
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThan(1500);
      expect(JSON.parse(r.stdout).rowsImported).toBe(5);
    } finally {
      if (!cluster.running()) cluster.start();
    }
  });

  it('stopped during an import: exit 1 with a clear error; after the restart the previous snapshot is active and the import succeeds once', async () => {
    const env = await fresh();
    const old = writeFeed(
      path.join(dir, 'old.csv'),
      vins(50, 0).map((vin) => ({ dealer: HONDA, vin })),
    );
    expect((await runCli(['import', old], { env })).code).toBe(0);
    const before = await withDb(env, (db) =>
      db.query(`SELECT dealership_id, id FROM snapshots WHERE status = 'active' ORDER BY 1`),
    );
    // Big enough to still be copying when the server goes away.
    const big = writeFeed(
      path.join(dir, 'big.csv'),
      vins(150_000, 100_000).map((vin, i) => ({ dealer: i % 2 ? HONDA : 'Spirit Lexus', vin })),
    );
    for (const mode of ['fast', 'immediate'] as const) {
      const run = startCli(['import', big, '--json'], { env, timeoutMs: 120_000 });
      expect(await whenRunning(env.DATABASE_URL, 'COPY%')).toBe(true);
      cluster.stop(mode);
      const r = await run.done;
      cluster.start();
      expect(r.code, `${mode}: ${r.stderr}`).toBe(1);
      expectCleanError(r.stderr, `import with the server stopped (${mode})`);
      expect(r.stderr).toMatch(/lost the database connection/);
      expect(r.stderr).toMatch(/the step that was running was rolled back/i);
      expect(r.stdout).toBe('');
      await withDb(env, async (db) => {
        expectNone(await importProblems(db), `after the server stopped (${mode}) during an import`);
        expect(
          (await db.query(`SELECT dealership_id, id FROM snapshots WHERE status = 'active' ORDER BY 1`)).rows,
        ).toEqual(before.rows);
        expect(await count(db, 'SELECT count(*)::int AS n FROM imports')).toBe(1);
      });
    }
    const again = await runCli(['import', big, '--json'], { env, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    await withDb(env, async (db) => {
      expectNone(await importProblems(db), 'after the import ran again');
      expect(await count(db, 'SELECT count(*)::int AS n FROM imports')).toBe(2);
      expect(
        await count(
          db,
          'SELECT count(*)::int AS n FROM raw_vehicles WHERE import_id = (SELECT max(id) FROM imports)',
        ),
      ).toBe(150_000);
    });
  });

  it('stopped during CAO orders: the order is all or nothing, and the runs after the restart order every VIN exactly once', async () => {
    const env = await fresh();
    const fleet = vins(400, 200_000, '5YJSA1E2');
    expect(
      (
        await runCli(
          [
            'import',
            writeFeed(
              path.join(dir, 'cao.csv'),
              fleet.map((vin) => ({ dealer: HONDA, vin })),
            ),
          ],
          { env },
        )
      ).code,
    ).toBe(0);
    const staging = path.join(env.SILVERFOX_ORDERS_DIR, '.staging');
    // Pull the plug while the order folder is being staged (the order transaction is open).
    const run = startCli(['cao', HONDA, '--yes', '--json'], { env });
    expect(await waitFor(() => existsSync(staging), 60_000, 2)).toBe(true);
    cluster.stop('immediate');
    const r = await run.done;
    cluster.start();
    expect(r.code, r.stderr).toBe(1);
    expectCleanError(r.stderr, 'cao with the server stopped');
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({
      status: 'failed',
      error: { code: 'database_unreachable' },
    });
    await withDb(env, async (db) => {
      expectNone(
        await orderProblems(db, env.SILVERFOX_ORDERS_DIR, { allowStaged: true }),
        'after the server stopped',
      );
      expect(await count(db, 'SELECT count(*)::int AS n FROM orders')).toBe(0);
      expect(await count(db, 'SELECT count(*)::int AS n FROM vin_log')).toBe(0);
    });
    expect(orderFolders(env.SILVERFOX_ORDERS_DIR)).toEqual([]);
    const again = await runCli(['cao', HONDA, '--yes', '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).results[0].vehicleCount).toBe(400);
    const third = await runCli(['cao', HONDA, '--yes', '--json'], { env });
    expect(JSON.parse(third.stdout).results[0].status).toBe('nothing_new');
    await withDb(env, async (db) => {
      expectNone(await orderProblems(db, env.SILVERFOX_ORDERS_DIR), 'after the runs that followed');
      expect(await count(db, 'SELECT count(DISTINCT vin)::int AS n FROM vin_log')).toBe(400);
      expect(await count(db, 'SELECT count(*)::int AS n FROM vin_log')).toBe(400);
    });
  });

  it('stopped during a LIST batch: running the same batch again finishes it without ordering anything twice', async () => {
    const env = await fresh();
    const dealers = [
      'Columbia Honda',
      'Spirit Lexus',
      'Porsche St. Louis',
      'Suntrup Ford Kirkwood',
      'Glendale CDJR',
      'BMW of West St. Louis',
    ];
    const rows = dealers.flatMap((dealer, d) => vins(60, 300_000 + d * 1000).map((vin) => ({ dealer, vin })));
    expect((await runCli(['import', writeFeed(path.join(dir, 'list.csv'), rows)], { env })).code).toBe(0);
    const batch = path.join(dir, 'batch.csv');
    writeFeed(batch, rows);
    const run = startCli(['list', '--batch', batch, '--json', '--concurrency', '1', '--yes'], { env });
    expect(await waitFor(() => orderFolders(env.SILVERFOX_ORDERS_DIR).length >= 2, 60_000, 2)).toBe(true);
    cluster.stop('immediate');
    const r = await run.done;
    cluster.start();
    expect(r.code, r.stderr).not.toBe(0);
    expectCleanError(r.stderr, 'list --batch with the server stopped');
    await withDb(env, async (db) =>
      expectNone(
        await orderProblems(db, env.SILVERFOX_ORDERS_DIR, { allowStaged: true }),
        'after the server stopped',
      ),
    );
    const again = await runCli(['list', '--batch', batch, '--json', '--yes'], { env });
    expect(again.code, again.stderr).toBe(0);
    await withDb(env, async (db) => {
      expectNone(await orderProblems(db, env.SILVERFOX_ORDERS_DIR), 'after the batch ran again');
      // One order per dealership, every VIN once: nothing twice, nothing lost.
      expect(await count(db, 'SELECT count(*)::int AS n FROM orders')).toBe(dealers.length);
      expect(await count(db, 'SELECT count(*)::int AS n FROM order_vehicles')).toBe(rows.length);
      expect(await count(db, 'SELECT count(DISTINCT (order_id, vin))::int AS n FROM order_vehicles')).toBe(
        rows.length,
      );
    });
  });
});
