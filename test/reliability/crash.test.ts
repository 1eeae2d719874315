/**
 * Crash safety (rule 5 and rule 1): `kill -9` at random points of an import and of a CAO order,
 * on both databases. The points are drawn from a seeded generator over the duration of a clean
 * run measured first; the seed is printed, and SILVERFOX_TEST_SEED=<seed> replays the same points
 * (SILVERFOX_TEST_KILLS sets how many on the server, default 20; the embedded database, slower to
 * open, gets half as many). After every kill the database and the orders
 * folder are consistent (a complete order with its VIN log, or nothing; the previous snapshots
 * active, or all of the new ones), and the next run succeeds.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import {
  count,
  expectNone,
  importProblems,
  orderFolders,
  orderProblems,
  seededRandom,
  stagedFolders,
  testSeed,
  withDb,
} from './helpers/checks.js';
import { sleep, vins, writeFeed } from './helpers/fleet.js';

const KILLS = Number(process.env.SILVERFOX_TEST_KILLS ?? 20);
const DEALERS = ['Columbia Honda', 'Spirit Lexus', 'HW Kia'];

/** Runs the binary to the end and measures it (ms). */
async function timed(args: string[], env: Record<string, string>): Promise<{ ms: number; r: CliResult }> {
  const t = Date.now();
  const r = await runCli(args, { env, timeoutMs: 120_000 });
  return { ms: Date.now() - t, r };
}

/** Starts the binary and kills it with SIGKILL after `delayMs` (or lets it finish first). */
async function killAfter(args: string[], env: Record<string, string>, delayMs: number) {
  const run = startCli(args, { env, timeoutMs: 120_000 });
  await sleep(delayMs);
  run.child.kill('SIGKILL');
  return run.done;
}

const tally = (outcomes: string[]) =>
  Object.entries(outcomes.reduce<Record<string, number>>((a, o) => ({ ...a, [o]: (a[o] ?? 0) + 1 }), {}))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');

describe.each(DATABASE_KINDS)('kill -9 at random points (%s)', (kind) => {
  let t: TestEnv;
  const seed = testSeed();
  const kills = kind === 'server' ? KILLS : Math.ceil(KILLS / 2);
  beforeAll(async () => {
    t = await createTestEnv(kind);
    console.log(`[crash ${kind}] seed ${seed} (replay: SILVERFOX_TEST_SEED=${seed}), ${kills} kills each`);
  });
  afterAll(async () => t?.cleanup());

  it(`an import killed at random points leaves the previous snapshots or all the new ones; the next import succeeds`, async () => {
    const random = seededRandom(seed);
    const rows = kind === 'server' ? 12_000 : 5_000;
    // Two inventories of the same dealerships; each iteration imports the other one (--force).
    const files = [0, 1].map((g) =>
      writeFeed(
        path.join(t.dir, `inventory-${g}.csv`),
        vins(rows, g * 500_000).map((vin, i) => ({ dealer: DEALERS[i % DEALERS.length]!, vin })),
      ),
    );
    const first = await timed(['import', files[0]!, '--json'], t.env);
    expect(first.r.code, first.r.stderr).toBe(0);
    const full = await timed(['import', files[1]!, '--json', '--force'], t.env);
    expect(full.r.code, full.r.stderr).toBe(0);
    const active = () =>
      withDb(t.env, async (db) => ({
        ids: (
          await db.query<{ id: number }>(
            `SELECT id FROM snapshots WHERE status = 'active' ORDER BY dealership_id`,
          )
        ).rows.map((r) => Number(r.id)),
        imports: await count(db, 'SELECT count(*)::int AS n FROM imports'),
        problems: await importProblems(db),
      }));
    const outcomes: string[] = [];
    let before = await active();
    for (let k = 0; k < kills; k++) {
      const file = files[k % 2]!;
      const delay = Math.round((0.1 + 0.9 * random()) * full.ms);
      const r = await killAfter(['import', file, '--json', '--force'], t.env, delay);
      const after = await active();
      const where = `kill ${k + 1} at ${delay} ms (seed ${seed})`;
      expectNone(after.problems, `after ${where}`);
      if (r.signal !== 'SIGKILL') {
        // The run finished before the kill: then it must have succeeded.
        expect(r.code, `${where}: ${r.stderr}`).toBe(0);
      }
      const committed = after.imports === before.imports + 1;
      if (committed) {
        expect(
          after.ids.every((id) => !before.ids.includes(id)),
          where,
        ).toBe(true);
        outcomes.push(r.signal === 'SIGKILL' ? 'killed after the commit' : 'finished first');
      } else {
        expect(after.imports, where).toBe(before.imports);
        expect(after.ids, `${where}: the previous snapshots stay active`).toEqual(before.ids);
        outcomes.push('rolled back');
        // The next run succeeds and activates the new inventory.
        const next = await runCli(['import', file, '--json', '--force'], { env: t.env, timeoutMs: 120_000 });
        expect(next.code, `${where}, next run: ${next.stderr}`).toBe(0);
        expect(JSON.parse(next.stdout).rowsImported).toBe(rows);
      }
      before = committed ? after : await active();
    }
    console.log(`[crash ${kind}] import kills: ${tally(outcomes)}`);
    expect(outcomes).toContain('rolled back');
    // What the kills left in the log folder (report folders of imports that never committed, or
    // of one killed between COMMIT and the rename) is finished by the next import.
    const last = await runCli(['import', files[0]!, '--json', '--force'], { env: t.env, timeoutMs: 120_000 });
    expect(last.code, last.stderr).toBe(0);
    const logImports = path.join(t.env.SILVERFOX_LOG_DIR!, 'imports');
    expect(readdirSync(logImports).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const end = await active();
    expectNone(end.problems, 'at the end');
  });

  it(`a CAO order killed at random points leaves a complete order with its VIN log, or nothing; the next run recovers and orders the rest`, async () => {
    const random = seededRandom(seed + 1);
    const n = kind === 'server' ? 300 : 150;
    const dealer = 'Columbia Honda';
    const fleet = vins(n, 700_000, '5YJSA1E2');
    const feed = writeFeed(
      path.join(t.dir, 'cao.csv'),
      fleet.map((vin) => ({ dealer, vin })),
    );
    expect((await runCli(['import', feed, '--force'], { env: t.env, timeoutMs: 120_000 })).code).toBe(0);
    const ordersDir = t.env.SILVERFOX_ORDERS_DIR!;
    /** Forgets every order, so the next kill lands on a run with all n vehicles to order. */
    const reset = async (db: Database) => {
      await db.query('DELETE FROM vin_log');
      await db.query('DELETE FROM order_vehicles');
      await db.query('DELETE FROM orders');
      rmSync(ordersDir, { recursive: true, force: true });
    };
    const args = ['cao', dealer, '--yes', '--json'];
    const full = await timed(args, t.env);
    expect(full.r.code, full.r.stderr).toBe(0);
    expect(JSON.parse(full.r.stdout).results[0].vehicleCount).toBe(n);
    await withDb(t.env, reset);
    const outcomes: string[] = [];
    for (let k = 0; k < kills; k++) {
      const delay = Math.round((0.1 + 0.9 * random()) * full.ms);
      const where = `kill ${k + 1} at ${delay} ms (seed ${seed + 1})`;
      const r = await killAfter(args, t.env, delay);
      const staged = stagedFolders(ordersDir).length;
      const state = await withDb(t.env, async (db) => ({
        problems: await orderProblems(db, ordersDir, { allowStaged: true }),
        orders: await count(db, 'SELECT count(*)::int AS n FROM orders'),
        log: await count(db, 'SELECT count(*)::int AS n FROM vin_log'),
      }));
      expectNone(state.problems, `after ${where}`);
      // All or nothing: n VIN-log rows with one order, or none without.
      expect(state.log, where).toBe(state.orders * n);
      if (r.signal !== 'SIGKILL') expect(r.code, `${where}: ${r.stderr}`).toBe(0);
      outcomes.push(
        r.signal !== 'SIGKILL'
          ? 'finished first'
          : state.orders === 0
            ? staged > 0
              ? 'killed while staging (nothing committed)'
              : 'killed before writing'
            : orderFolders(ordersDir).length === 0
              ? 'killed between commit and publish'
              : 'killed after publish',
      );
      // The next run recovers what the killed one left and orders whatever is not ordered yet.
      const next = await runCli(args, { env: t.env, timeoutMs: 120_000 });
      expect(next.code, `${where}, next run: ${next.stderr}`).toBe(0);
      await withDb(t.env, async (db) => {
        expectNone(await orderProblems(db, ordersDir), `after the run that followed ${where}`);
        expect(await count(db, 'SELECT count(DISTINCT vin)::int AS n FROM vin_log'), where).toBe(n);
        expect(await count(db, 'SELECT count(*)::int AS n FROM vin_log'), where).toBe(n);
        await reset(db);
      });
    }
    console.log(`[crash ${kind}] order kills: ${tally(outcomes)}`);
    expect(
      outcomes.some((o) => o.startsWith('killed')),
      'no kill landed inside a run',
    ).toBe(true);
  });
});
