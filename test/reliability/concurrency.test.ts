/**
 * Concurrency on the server (rule 6, and rule 1 seen from an order): CAO runs for a dealership
 * while imports of the same dealership switch its active snapshot. No VIN may land in two orders,
 * and no order may be built from a half-switched snapshot: every order's vehicles come from one
 * inventory, the snapshot the order row names.
 *
 * Each inventory generation has VINs of its own, so an order mixing generations, or naming a
 * snapshot its vehicles are not in, shows at once. (Five CAO runs at once with no import are in
 * test/e2e/orders.test.ts.)
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import {
  count,
  expectCleanError,
  expectNone,
  importProblems,
  orderProblems,
  withDb,
} from './helpers/checks.js';
import { vins, waitFor, writeFeed } from './helpers/fleet.js';

const DEALER = 'Columbia Honda';
const GENERATION = 100_000;

/** Orders as the database holds them: which generations their VINs are from, and whether they are in the named snapshot. */
async function orderSources(db: Database, generationOf: (vin: string) => number) {
  const rows = (
    await db.query<{ id: number; snapshot_id: number; vin: string; in_snapshot: boolean }>(
      `SELECT o.id, o.snapshot_id, ov.vin,
              EXISTS (SELECT 1 FROM vehicles v WHERE v.snapshot_id = o.snapshot_id AND v.vin = ov.vin) AS in_snapshot
       FROM orders o JOIN order_vehicles ov ON ov.order_id = o.id ORDER BY o.id`,
    )
  ).rows;
  const orders = new Map<number, { generations: Set<number>; outside: string[]; snapshot: number }>();
  for (const r of rows) {
    const o = orders.get(r.id) ?? { generations: new Set(), outside: [], snapshot: Number(r.snapshot_id) };
    o.generations.add(generationOf(r.vin));
    if (!r.in_snapshot) o.outside.push(r.vin);
    orders.set(r.id, o);
  }
  return orders;
}

describe('CAO while imports switch the same dealership', () => {
  let t: TestEnv;
  const generations = [1, 2, 3, 4, 5];
  const perGeneration = 1200;
  const byVin = new Map<string, number>();
  let files: string[];
  beforeAll(async () => {
    t = await createTestEnv('server');
    files = generations.map((g) => {
      const list = vins(perGeneration, g * GENERATION, '5YJSA1E2');
      for (const v of list) byVin.set(v, g);
      return writeFeed(
        path.join(t.dir, `generation-${g}.csv`),
        list.map((vin) => ({ dealer: DEALER, vin })),
      );
    });
  });
  afterAll(async () => t?.cleanup());
  const reset = async () => {
    rmSync(t.env.SILVERFOX_ORDERS_DIR!, { recursive: true, force: true });
    await withDb(t.env, async (db) => {
      for (const table of [
        'vin_log',
        'order_vehicles',
        'orders',
        'vehicles',
        'raw_vehicles',
        'snapshots',
        'imports',
      ])
        await db.query(`DELETE FROM ${table}`);
    });
  };

  it('library: an importer and five CAO processes racing (no run lock) never mix inventories or order a VIN twice', async () => {
    await reset();
    expect((await runCli(['import', files[0]!], { env: t.env })).code).toBe(0);
    const done = path.join(t.dir, 'importer.done');
    const dist = (p: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', p)).href);
    // The use cases themselves, as a wizard or a scheduled run would call them: no CLI run lock.
    const script = `
      import { existsSync, rmSync, writeFileSync } from 'node:fs';
      const { resolveConfig } = await import(${dist('config.js')});
      const { openContext } = await import(${dist('app/context.js')});
      const { runCao } = await import(${dist('app/cao.js')});
      const { importFiles } = await import(${dist('app/import.js')});
      const ctx = await openContext(resolveConfig());
      const out = [];
      if (process.env.RACE_ROLE === 'importer') {
        for (const f of JSON.parse(process.env.RACE_FILES)) out.push((await importFiles(ctx, { files: [f] })).rowsImported);
        writeFileSync(process.env.RACE_DONE, 'done');
      } else {
        let last = false;
        for (;;) {
          const finished = existsSync(process.env.RACE_DONE);
          const r = await runCao(ctx, { dealers: [${JSON.stringify(DEALER)}], concurrency: 1 });
          const d = r.results[0];
          if (d.status === 'failed') throw new Error(d.error.message);
          out.push(d.status + ':' + d.vehicles.length);
          if (finished) break;
        }
      }
      await ctx.db.close();
      console.log(JSON.stringify(out));`;
    // A file, not `node --input-type=module -e`: worker threads (the QR pool) inherit execArgv.
    const scriptFile = path.join(t.dir, 'race.mjs');
    writeFileSync(scriptFile, script);
    const child = (role: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const c = spawn(process.execPath, [scriptFile], {
          env: {
            PATH: process.env.PATH ?? '',
            ...t.env,
            RACE_ROLE: role,
            RACE_FILES: JSON.stringify(files.slice(1)),
            RACE_DONE: done,
          },
        });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('error', reject);
        c.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const runs = await Promise.all([child('importer'), ...Array.from({ length: 5 }, () => child('cao'))]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(existsSync(done)).toBe(true);
    await withDb(t.env, async (db) => {
      expectNone(await orderProblems(db, t.env.SILVERFOX_ORDERS_DIR!), 'after the race');
      expectNone(await importProblems(db), 'after the race');
      const orders = await orderSources(db, (v) => byVin.get(v)!);
      for (const [id, o] of orders) {
        expect([...o.generations], `order ${id} mixes inventories`).toHaveLength(1);
        expect(
          o.outside,
          `order ${id} names snapshot ${o.snapshot} but holds vehicles from elsewhere`,
        ).toEqual([]);
      }
      // The last generation is active and fully ordered; nothing was ordered twice.
      expect(await count(db, 'SELECT count(*)::int AS n FROM vin_log')).toBe(
        await count(db, 'SELECT count(DISTINCT vin)::int AS n FROM vin_log'),
      );
      const last = generations.at(-1)!;
      const orderedLast = (await db.query<{ vin: string }>(`SELECT vin FROM vin_log`)).rows.filter(
        (r) => byVin.get(r.vin) === last,
      ).length;
      expect(orderedLast).toBe(perGeneration);
    });
  });

  it('CLI: five `silverfox cao` started during an import wait for it (run lock) and order the new inventory once', async () => {
    await reset();
    expect((await runCli(['import', files[0]!], { env: t.env })).code).toBe(0);
    expect((await runCli(['cao', DEALER, '--yes'], { env: t.env })).code).toBe(0);
    // A bigger import, so the CAO runs surely start while it holds the run lock.
    const bigList = vins(60_000, 700_000, '1FTFW1E5');
    const big = writeFeed(path.join(t.dir, 'big.csv'), [
      ...vins(perGeneration, 2 * GENERATION, '5YJSA1E2').map((vin) => ({ dealer: DEALER, vin })),
      ...bigList.map((vin) => ({ dealer: 'Spirit Lexus', vin })),
    ]);
    const importing = startCli(['import', big, '--json'], { env: t.env, timeoutMs: 120_000 });
    // Wait until the import holds the run lock (its log line appears only at the end; ask the server,
    // about this test's database only: other test files COPY into theirs at the same time).
    expect(
      await waitFor(
        () =>
          withDb(
            t.env,
            async (db) =>
              (await count(
                db,
                `SELECT count(*)::int AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND query ILIKE 'COPY%'`,
              )) > 0,
          ),
        60_000,
        20,
      ),
    ).toBe(true);
    const refused = await runCli(['cao', DEALER, '--yes'], { env: t.env });
    const caos = Array.from({ length: 5 }, () =>
      runCli(['cao', DEALER, '--yes', '--json', '--wait-lock', '120'], { env: t.env, timeoutMs: 180_000 }),
    );
    const imported = await importing.done;
    const runs = await Promise.all(caos);
    expect(imported.code, imported.stderr).toBe(0);
    // Without --wait-lock the operator is told at once who is in the way.
    expect(refused.code).toBe(1);
    expectCleanError(refused.stderr);
    expect(refused.stderr).toMatch(/import/);
    expect(refused.stderr).toMatch(/--wait-lock/);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = runs.map((r) => JSON.parse(r.stdout).results[0]);
    expect(results.map((r) => r.status).sort()).toEqual([
      'nothing_new',
      'nothing_new',
      'nothing_new',
      'nothing_new',
      'ordered',
    ]);
    const ordered = results.find((r) => r.status === 'ordered');
    expect(ordered.vehicles.map((v: { vin: string }) => byVin.get(v.vin))).toEqual(
      Array.from({ length: perGeneration }, () => 2),
    );
    await withDb(t.env, async (db) => {
      expectNone(await orderProblems(db, t.env.SILVERFOX_ORDERS_DIR!), 'after the runs');
      const orders = await orderSources(db, (v) => byVin.get(v)!);
      for (const [id, o] of orders) expect(o.outside, `order ${id}`).toEqual([]);
    });
  });
});
