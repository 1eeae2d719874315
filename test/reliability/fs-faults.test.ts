/**
 * File-system faults under the built binary: the orders folder read-only or full (a real tmpfs
 * mount: tests run as root, so chmod would not stop a write), and the log folder full during an
 * import. Each run exits 1 with a clear error and leaves no order row, no VIN-log row and no
 * folder; once the disk is fixed, the next run orders everything. (A missing orders folder for
 * `cao` and `list` is in test/e2e/orders.test.ts; here it is the batch.)
 *
 * Where tmpfs cannot be mounted (no privilege), the same cases run with ENOSPC/EROFS injected
 * through the order writer's `beforeWrite` seam instead, in a child process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import {
  count,
  expectCleanError,
  expectNone,
  importProblems,
  orderFolders,
  orderProblems,
  stagedFolders,
  withDb,
} from './helpers/checks.js';
import { vins, writeFeed } from './helpers/fleet.js';

const HONDA = 'Columbia Honda';

/** Mounts a tmpfs of `size` at `dir` (ro or rw); false when this machine does not allow it. */
function mountTmpfs(dir: string, size: string, mode: 'ro' | 'rw'): boolean {
  mkdirSync(dir, { recursive: true });
  return (
    spawnSync('mount', ['-t', 'tmpfs', '-o', `${mode},size=${size},mode=0755`, 'tmpfs', dir]).status === 0
  );
}
function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}
const canMount = (() => {
  const probe = mkdtempSync(path.join(os.tmpdir(), 'silverfox-mount-probe-'));
  const ok = mountTmpfs(probe, '64k', 'rw');
  if (ok) unmount(probe);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

describe(`orders and log folders that refuse writes (${canMount ? 'tmpfs mounts' : 'injected errors'})`, () => {
  let t: TestEnv;
  let mnt: string;
  const fleet = vins(300, 400_000, '2T1BURHE');
  const mounted: string[] = [];
  const mount = (dir: string, size: string, mode: 'ro' | 'rw') => {
    rmSync(dir, { recursive: true, force: true });
    expect(mountTmpfs(dir, size, mode)).toBe(true);
    mounted.push(dir);
  };

  /**
   * Runs `args` with the orders folder at `ordersDir`; without tmpfs, the fault is injected into
   * the order writer instead (same use case, same checks).
   */
  const runWithFault = async (
    args: string[],
    ordersDir: string,
    inject: 'ENOSPC' | 'EROFS',
  ): Promise<CliResult> => {
    const env = { ...t.env, SILVERFOX_ORDERS_DIR: ordersDir };
    if (canMount) return runCli(args, { env });
    const dist = (p: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', p)).href);
    const script = path.join(t.dir, 'inject.mjs');
    writeFileSync(
      script,
      `const { resolveConfig } = await import(${dist('config.js')});
       const { openContext } = await import(${dist('app/context.js')});
       const { runCao } = await import(${dist('app/cao.js')});
       const ctx = await openContext(resolveConfig());
       const err = Object.assign(new Error('${inject}: injected'), { code: '${inject}' });
       const r = await runCao(ctx, { dealers: [${JSON.stringify(HONDA)}], faults: { beforeWrite: () => Promise.reject(err) } });
       await ctx.db.close();
       const d = r.results[0];
       if (d.status === 'failed') { process.stderr.write('error: ' + d.error.message + '\\n'); process.exit(1); }`,
    );
    const r = spawnSync(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    t = await createTestEnv('server');
    mnt = path.join(t.dir, 'mnt');
    const feed = writeFeed(
      path.join(t.dir, 'inventory.csv'),
      fleet.map((vin) => ({ dealer: HONDA, vin })),
    );
    expect((await runCli(['import', feed], { env: t.env })).code).toBe(0);
  });
  afterAll(async () => {
    for (const dir of mounted) unmount(dir);
    await t?.cleanup();
  });

  const nothingWritten = async (ordersDir: string, what: string) => {
    await withDb(t.env, async (db) => {
      expect(await count(db, 'SELECT count(*)::int AS n FROM orders'), what).toBe(0);
      expect(await count(db, 'SELECT count(*)::int AS n FROM vin_log'), what).toBe(0);
    });
    expect(orderFolders(ordersDir), what).toEqual([]);
    expect(stagedFolders(ordersDir), what).toEqual([]);
  };

  it('read-only orders folder: cao and list exit 1 with a clear error and write nothing', async () => {
    const dir = path.join(mnt, 'readonly');
    if (canMount) mount(dir, '1m', 'ro');
    const cao = await runWithFault(['cao', HONDA, '--yes'], dir, 'EROFS');
    expect(cao.code, cao.stderr).toBe(1);
    expectCleanError(cao.stderr, 'cao on a read-only orders folder');
    expect(cao.stderr).toMatch(/not writable|read-only/);
    expect(cao.stderr).toContain(dir);
    if (canMount) {
      const list = await runCli(['list', HONDA, fleet[0]!, fleet[1]!, '--update-vin-log', '--yes'], {
        env: { ...t.env, SILVERFOX_ORDERS_DIR: dir },
      });
      expect(list.code, list.stderr).toBe(1);
      expectCleanError(list.stderr, 'list on a read-only orders folder');
      expect(list.stderr).toMatch(/not writable|read-only/);
    }
    await nothingWritten(dir, 'read-only');
  });

  it('orders folder fills up halfway through the QR codes: exit 1, the half-written order is gone; with room, the next run orders all', async () => {
    const dir = path.join(mnt, 'full');
    // Room for the CSV and a few dozen of the 300 QR files (tmpfs counts whole pages).
    if (canMount) mount(dir, '160k', 'rw');
    const r = await runWithFault(['cao', HONDA, '--yes'], dir, 'ENOSPC');
    expect(r.code, r.stderr).toBe(1);
    expectCleanError(r.stderr, 'cao on a full disk');
    expect(r.stderr).toMatch(/no space left/i);
    await nothingWritten(dir, 'full');
    if (canMount) {
      // The operator makes room: the same folder, bigger.
      execFileSync('mount', ['-o', 'remount,size=8m', dir]);
      const next = await runCli(['cao', HONDA, '--yes', '--json'], {
        env: { ...t.env, SILVERFOX_ORDERS_DIR: dir },
      });
      expect(next.code, next.stderr).toBe(0);
      expect(JSON.parse(next.stdout).results[0].vehicleCount).toBe(fleet.length);
      await withDb(t.env, async (db) => {
        expectNone(await orderProblems(db, dir), 'after the disk was fixed');
        await db.query('DELETE FROM vin_log');
        await db.query('DELETE FROM order_vehicles');
        await db.query('DELETE FROM orders');
      });
    }
  });

  it('a LIST batch whose orders folder is missing: exit 1, nothing ordered, and the batch runs once it exists', async () => {
    const dir = path.join(t.dir, 'no', 'such', 'orders');
    const batch = writeFeed(
      path.join(t.dir, 'batch.csv'),
      fleet.slice(0, 20).map((vin) => ({ dealer: HONDA, vin })),
    );
    const r = await runCli(['list', '--batch', batch, '--yes'], {
      env: { ...t.env, SILVERFOX_ORDERS_DIR: dir },
    });
    expect(r.code, r.stderr).toBe(1);
    expectCleanError(r.stderr, 'list --batch without an orders folder');
    // A batch reports each dealership's failure in its results table (stdout).
    expect(r.stdout).toContain(`the orders folder ${dir} does not exist`);
    await nothingWritten(dir, 'missing');
    mkdirSync(dir, { recursive: true });
    const next = await runCli(['list', '--batch', batch, '--json', '--yes'], {
      env: { ...t.env, SILVERFOX_ORDERS_DIR: dir },
    });
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout).counts).toMatchObject({ orders: 1, vehicles: 20 });
  });

  it.runIf(canMount)(
    'log folder full during an import: the rejects cannot be kept, so nothing is imported',
    async () => {
      const logs = path.join(mnt, 'logs');
      mount(logs, '16k', 'rw');
      // Every row rejected into rejects.csv (bigger than the log disk) but one.
      const rows = ['Dealership,VIN,Year,Make,Model', `${HONDA},${fleet[0]},2024,Honda,Accord`];
      for (let i = 0; i < 3000; i++) rows.push(`${HONDA},NOT-A-VIN-${'x'.repeat(40)}-${i},2024,Honda,Accord`);
      const file = path.join(t.dir, 'rejects.csv');
      writeFileSync(file, `${rows.join('\n')}\n`);
      const before = await withDb(t.env, (db) => count(db, 'SELECT count(*)::int AS n FROM imports'));
      const r = await runCli(['import', file], { env: { ...t.env, SILVERFOX_LOG_DIR: logs } });
      expectCleanError(r.stderr, 'import with a full log folder');
      await withDb(t.env, async (db) => {
        expectNone(await importProblems(db), 'after the import');
        const after = await count(db, 'SELECT count(*)::int AS n FROM imports');
        // The 3000 rejected rows live only in rejects.csv, which cannot fit: an import that went on
        // without it (exit 0) would lose them. It must fail, name the disk, and import nothing.
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/cannot write the rejects file .*no space left/i);
        expect(r.stderr).toContain('Nothing was imported.');
        expect(after, 'a failed import changes nothing').toBe(before);
      });
      expect(existsSync(logs)).toBe(true);
    },
  );
});
