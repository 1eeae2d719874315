/**
 * The embedded database (PGlite) admits one process: PGlite itself would let two open one folder
 * and corrupt it. Real processes here, not a hand-written lockfile (that case is in
 * test/e2e/cli.test.ts): a second process gets a clear error naming the first, the first finishes,
 * and nothing is corrupted, also when several start at the same instant or take over a lock
 * left by a killed process.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { count, expectCleanError, expectNone, importProblems, withDb } from './helpers/checks.js';
import { sleep, vins, waitFor, writeFeed } from './helpers/fleet.js';

/** A refusal must be one of the two clear messages, naming a live process, exit 1. */
function expectRefused(r: CliResult, what: string): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(1);
  expectCleanError(r.stderr, what);
  expect(r.stderr, what).toMatch(
    /database in use by process \d+|another run holds the run lock: .*\(pid \d+/,
  );
}

describe('the embedded database opened by two processes', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('embedded');
  });
  afterAll(async () => t?.cleanup());

  it('a second process during an import is refused with the holder named; the import completes intact', async () => {
    const rows = vins(30_000, 0).map((vin, i) => ({ dealer: i % 2 ? 'Columbia Honda' : 'HW Kia', vin }));
    const file = writeFeed(path.join(t.dir, 'big.csv'), rows);
    const lock = path.join(t.env.SILVERFOX_DATA_DIR!, 'silverfox.lock');
    const importing = startCli(['import', file, '--json'], { env: t.env, timeoutMs: 120_000 });
    expect(await waitFor(() => existsSync(lock), 30_000, 5)).toBe(true);
    await sleep(300);
    const pid = String(importing.child.pid);
    const status = await runCli(['status'], { env: t.env });
    expectRefused(status, 'status during an import');
    expect(status.stderr).toContain(`database in use by process ${pid}`);
    const cao = await runCli(['cao', 'Columbia Honda', '--yes'], { env: t.env });
    expectRefused(cao, 'cao during an import');
    expect(cao.stderr).toContain(pid);
    const imported = await importing.done;
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).rowsImported).toBe(rows.length);
    await withDb(t.env, async (db) => {
      expectNone(await importProblems(db), 'after the refused processes');
      expect(await count(db, 'SELECT count(*)::int AS n FROM vehicles')).toBe(rows.length);
    });
  });

  it('processes starting at the same instant, also over a lock left by a killed process: one at a time, nothing lost', async () => {
    for (const round of [0, 1]) {
      if (round === 1) {
        // A lock left by a process that was killed (its pid no longer runs).
        writeFileSync(path.join(t.env.SILVERFOX_DATA_DIR!, 'silverfox.lock'), '999999999');
        writeFileSync(
          path.join(t.env.SILVERFOX_DATA_DIR!, 'silverfox-run.lock'),
          JSON.stringify({ pid: 999999999, command: 'import', since: new Date().toISOString() }),
        );
      }
      const before = await withDb(t.env, (db) => count(db, 'SELECT count(*)::int AS n FROM imports'));
      const files = Array.from({ length: 4 }, (_, k) =>
        writeFeed(
          path.join(t.dir, `small-${round}-${k}.csv`),
          vins(50, 100_000 + round * 10_000 + k * 1000).map((vin) => ({ dealer: 'Spirit Lexus', vin })),
        ),
      );
      const runs = await Promise.all(files.map((f) => runCli(['import', f, '--json'], { env: t.env })));
      const ok = runs.filter((r) => r.code === 0);
      console.log(
        `[embedded-lock] round ${round}: ${ok.length} of ${runs.length} ran, the others were refused`,
      );
      for (const r of runs)
        if (r.code !== 0) expectRefused(r, `round ${round}: a process that lost the race`);
      expect(ok.length, `round ${round}`).toBeGreaterThanOrEqual(1);
      await withDb(t.env, async (db) => {
        expectNone(await importProblems(db), `round ${round}`);
        // Every import that said it succeeded is there, and no other.
        expect(await count(db, 'SELECT count(*)::int AS n FROM imports')).toBe(before + ok.length);
        const ids = ok.map((r) => JSON.parse(r.stdout).importId as number).sort();
        const stored = (
          await db.query<{ id: number }>('SELECT id FROM imports ORDER BY id DESC LIMIT $1', [ok.length])
        ).rows
          .map((r) => Number(r.id))
          .sort();
        expect(stored).toEqual(ids);
      });
    }
  });

  it('five cao and one import with --wait-lock over a stale lock, a reader holding the database now and then: all run, one at a time', async () => {
    // Issue 15.3: two of them used to hold the run lock at once (the stale-lock takeover raced), and
    // the second then exited "database in use" instead of waiting; a reader (`status`) holding the
    // database when a writer opens it must be waited for too.
    const data = t.env.SILVERFOX_DATA_DIR!;
    const feed = writeFeed(
      path.join(t.dir, 'writers.csv'),
      vins(40, 300_000).map((vin, i) => ({
        dealer: ['Columbia Honda', 'HW Kia', 'Spirit Lexus'][i % 3]!,
        vin,
      })),
    );
    for (let round = 0; round < 2; round++) {
      const started = Date.now();
      writeFileSync(
        path.join(data, 'silverfox-run.lock'),
        JSON.stringify({ pid: 999999999, command: 'cao', since: new Date().toISOString() }),
      );
      writeFileSync(path.join(data, 'silverfox.lock'), '999999999');
      let reading = true;
      const reader = (async () => {
        while (reading) {
          await runCli(['status', '--json'], { env: t.env });
          await sleep(50);
        }
      })();
      const writers = [
        ...['Columbia Honda', 'HW Kia', 'Spirit Lexus', 'Columbia Honda', 'HW Kia'].map((d) =>
          runCli(['cao', d, '--yes', '--json', '--wait-lock', '300'], { env: t.env, timeoutMs: 400_000 }),
        ),
        runCli(['import', feed, '--force', '--json', '--wait-lock', '300'], {
          env: t.env,
          timeoutMs: 400_000,
        }),
      ];
      const runs = await Promise.all(writers);
      reading = false;
      await reader;
      console.log(
        `[embedded-lock] writers round ${round}: ${runs.map((r) => r.code).join(' ')} in ${Date.now() - started} ms`,
      );
      for (const [k, r] of runs.entries()) {
        expect(r.stderr, `round ${round}, writer ${k}`).not.toMatch(/database in use|another run holds/);
        expect([0, 3], `round ${round}, writer ${k}: ${r.stderr}`).toContain(r.code);
      }
      await withDb(t.env, async (db) => expectNone(await importProblems(db), `round ${round}`));
    }
  }, 900_000);
});
