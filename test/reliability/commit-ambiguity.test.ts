/**
 * The commit-ambiguity window: COMMIT has left the client but its reply has not come back. If
 * the connection fails then, the transaction may be committed or not, and the client cannot
 * tell. silverfox treats it as "outcome unknown" (never as "rolled back"): it keeps the staged
 * order folder (or import report folder) and asks the database, on a fresh connection and after
 * the order's (or the import's) own advisory lock is free, whether the order (import) exists:
 * publish / discard at once when the database answers, else the next run's recovery decides.
 *
 * Server: the built binary talks to PostgreSQL through a fault-injecting TCP proxy on 127.0.0.1
 * (test/helpers/fault-proxy.ts) that forwards COMMIT and then cuts the connection before the
 * reply (or cuts it instead of forwarding COMMIT). Embedded: the same window is injected right
 * after PGlite's COMMIT (embeddedFaults.afterCommit).
 * Reused pids: a staged folder whose owner file names a live pid with another start time is a
 * dead writer's; recovery, `orders show` and `doctor` agree on it.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { runCao } from '../../src/app/cao.js';
import { runDoctor } from '../../src/app/doctor.js';
import { importFiles } from '../../src/app/import.js';
import { recoverOrders } from '../../src/app/order-writer.js';
import { showOrder } from '../../src/app/orders.js';
import { resolveConfig } from '../../src/config.js';
import { embeddedFaults } from '../../src/db/pglite-adapter.js';
import { CommitOutcomeUnknownError } from '../../src/errors.js';
import { stageOrder } from '../../src/output/order-folder.js';
import { currentProcessIdentity } from '../../src/process-identity.js';
import { resolveTemplate } from '../../src/core/templates.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
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
const ORDER_TX = /INSERT INTO orders/;
const IMPORT_TX = /UPDATE imports SET files/;

/** `.tmp` report folders of imports under a log folder. */
const tmpReports = (logDir: string) => {
  try {
    return readdirSync(path.join(logDir, 'imports')).filter((n) => n.endsWith('.tmp'));
  } catch {
    return [];
  }
};

/** A feed of `n` vehicles plus one row that is rejected (so the import has a rejects file). */
function feedWithReject(file: string, n: number, from: number): string {
  writeFeed(
    file,
    vins(n, from).map((vin) => ({ dealer: HONDA, vin })),
  );
  writeFileSync(file, readFileSync(file, 'utf8') + `"${HONDA}",NOT-A-VIN,S1,2024,Honda,Accord,EX,New,,,,\n`);
  return file;
}

describe('commit reply lost: the built binary through a fault proxy (server)', () => {
  let t: TestEnv;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  let n = 0;
  beforeAll(async () => {
    t = await createTestEnv('server');
    proxy = await startFaultProxy(t.env.DATABASE_URL!);
    env = { ...t.env, DATABASE_URL: proxy.url };
  });
  afterAll(async () => {
    await proxy?.close();
    await t?.cleanup();
  });
  afterEach(() => proxy.heal());

  /**
   * Forgets orders and imports a fresh inventory of `k` vehicles. The imports here shrink the
   * inventory on purpose, so they pass --force: the drop guard (exit 3, held) is not under test.
   */
  const freshInventory = async (k: number) => {
    await withDb(t.env, async (db) => {
      await db.query('DELETE FROM vin_log');
      await db.query('DELETE FROM order_vehicles');
      await db.query('DELETE FROM orders');
    });
    rmSync(t.env.SILVERFOX_ORDERS_DIR!, { recursive: true, force: true });
    const feed = writeFeed(
      path.join(t.dir, `inv-${++n}.csv`),
      vins(k, n * 10_000).map((vin) => ({ dealer: HONDA, vin })),
    );
    const r = await runCli(['import', feed, '--json', '--force'], { env: t.env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
  };

  it('COMMIT forwarded, reply dropped, the server answers again: the order stands and its folder is published (exit 0)', async () => {
    await freshInventory(114);
    proxy.arm({ mode: 'after-commit', statement: ORDER_TX });
    const r = await runCli(['cao', HONDA, '--yes', '--json'], { env, timeoutMs: 120_000 });
    expect(proxy.cuts).toBe(1);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout).results[0];
    expect(res.status).toBe('ordered');
    expect(res.vehicleCount).toBe(114);
    await withDb(t.env, async (db) => {
      expectNone(await orderProblems(db, t.env.SILVERFOX_ORDERS_DIR!), 'after the lost reply');
      expect(await count(db, 'SELECT count(*)::int AS n FROM vin_log')).toBe(114);
    });
    expect(stagedFolders(t.env.SILVERFOX_ORDERS_DIR!)).toEqual([]);
  });

  it('reply dropped and the server unreachable: exit 1 "outcome unknown", the folder stays staged; the next run publishes it; show and doctor agree', async () => {
    await freshInventory(114);
    const ordersDir = t.env.SILVERFOX_ORDERS_DIR!;
    const before = orderFolders(ordersDir);
    const cuts = proxy.cuts;
    proxy.arm({ mode: 'after-commit', statement: ORDER_TX, refuseAfter: true });
    const r = await runCli(['cao', HONDA, '--yes', '--json'], { env, timeoutMs: 120_000 });
    expect(proxy.cuts).toBe(cuts + 1);
    expect(r.code, r.stderr).toBe(1);
    expectCleanError(r.stderr, 'cao with the commit reply lost');
    const res = JSON.parse(r.stdout).results[0];
    expect(res.status).toBe('failed');
    expect(res.error.code).toBe('commit_unknown');
    expect(res.error.message).toMatch(/whether the order was committed is unknown/);
    expect(res.error.hints.join(' ')).toMatch(/kept, staged in .*\.staging/);
    // The order did commit; its folder is kept, staged (not deleted as if rolled back).
    const staged = stagedFolders(ordersDir);
    expect(staged).toHaveLength(1);
    const orderId = await withDb(t.env, async (db) => {
      expectNone(await orderProblems(db, ordersDir, { allowStaged: true }), 'after the lost reply');
      return count(db, `SELECT max(id)::int AS n FROM orders WHERE status = 'complete'`);
    });
    expect(orderFolders(ordersDir)).toEqual(before);

    proxy.heal();
    // Doctor (looks only) reports the staged folder of the dead run and the order it belongs to.
    const doc = await runCli(['doctor', '--json'], { env });
    const checks = JSON.parse(doc.stdout).checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'staging')).toMatchObject({ status: 'fail' });
    expect(checks.find((c) => c.name === 'orders_on_disk')?.detail).toContain(`#${orderId}`);
    // `orders show` recovers it: published, checksums verified.
    const show = await runCli(['orders', 'show', String(orderId), '--json'], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).verification.ok).toBe(true);
    const next = await runCli(['cao', HONDA, '--yes', '--json'], { env });
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout).results[0].status).toBe('nothing_new');
    await withDb(t.env, async (db) =>
      expectNone(await orderProblems(db, ordersDir), 'after the next run recovered'),
    );
    const after = await runCli(['doctor', '--json'], { env });
    const again = JSON.parse(after.stdout).checks as { name: string; status: string }[];
    expect(again.find((c) => c.name === 'staging')?.status).toBe('ok');
    expect(again.find((c) => c.name === 'orders_on_disk')?.status).toBe('ok');
  });

  it('connection cut instead of COMMIT: the database says "not committed", the folder is discarded (exit 1), the next run orders', async () => {
    await freshInventory(20);
    const ordersDir = t.env.SILVERFOX_ORDERS_DIR!;
    const before = orderFolders(ordersDir);
    proxy.arm({ mode: 'before-commit', statement: ORDER_TX });
    const r = await runCli(['cao', HONDA, '--yes', '--json'], { env });
    expect(r.code, r.stderr).toBe(1);
    expectCleanError(r.stderr, 'cao with the connection cut before COMMIT');
    expect(JSON.parse(r.stdout).results[0].error.message).toMatch(/was not committed/);
    expect(stagedFolders(ordersDir)).toEqual([]);
    expect(orderFolders(ordersDir)).toEqual(before);
    await withDb(t.env, async (db) =>
      expect(await count(db, 'SELECT count(*)::int AS n FROM orders')).toBe(0),
    );
    const next = await runCli(['cao', HONDA, '--yes', '--json'], { env });
    expect(JSON.parse(next.stdout).results[0].vehicleCount).toBe(20);
  });

  it('import: reply dropped, server answers -> exit 0 with its report; server unreachable -> exit 1 "unknown", the report kept and finished by the next import', async () => {
    const logDir = t.env.SILVERFOX_LOG_DIR!;
    proxy.arm({ mode: 'after-commit', statement: IMPORT_TX });
    const first = feedWithReject(path.join(t.dir, 'imp-a.csv'), 30, 500_000);
    const a = await runCli(['import', first, '--json', '--force'], { env, timeoutMs: 120_000 });
    expect(a.code, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout);
    expect(ra.rowsRejected).toBe(1);
    expect(readFileSync(ra.rejectsFile, 'utf8')).toContain('NOT-A-VIN');
    expect(tmpReports(logDir)).toEqual([]);

    proxy.arm({ mode: 'after-commit', statement: IMPORT_TX, refuseAfter: true });
    const second = feedWithReject(path.join(t.dir, 'imp-b.csv'), 30, 600_000);
    const b = await runCli(['import', second, '--json', '--force'], { env, timeoutMs: 120_000 });
    expect(b.code, b.stderr).toBe(1);
    expectCleanError(b.stderr, 'import with the commit reply lost');
    expect(b.stderr).toMatch(/whether the import was committed is unknown/);
    expect(tmpReports(logDir)).toHaveLength(1);
    const id = await withDb(t.env, async (db) => {
      expectNone(await importProblems(db), 'after the lost import reply');
      return count(db, 'SELECT max(id)::int AS n FROM imports WHERE finished_at IS NOT NULL');
    });
    proxy.heal();
    const doc = JSON.parse((await runCli(['doctor', '--json'], { env })).stdout).checks as {
      name: string;
      status: string;
      detail: string;
    }[];
    expect(doc.find((c) => c.name === 'import_reports')).toMatchObject({ status: 'fail' });
    expect(doc.find((c) => c.name === 'import_reports')?.detail).toContain(`import #${id}`);
    // The next import finishes it: the report folder moves into place, rejects_file exists again.
    const third = feedWithReject(path.join(t.dir, 'imp-c.csv'), 10, 700_000);
    const c = await runCli(['import', third, '--json', '--force'], { env, timeoutMs: 120_000 });
    expect(c.code, c.stderr).toBe(0);
    expect(tmpReports(logDir)).toEqual([]);
    await withDb(t.env, async (db) => {
      const { rows } = await db.query<{ rejects_file: string }>(
        'SELECT rejects_file FROM imports WHERE id = $1',
        [id],
      );
      expect(readFileSync(rows[0]!.rejects_file, 'utf8')).toContain('NOT-A-VIN');
    });
    const ok = JSON.parse((await runCli(['doctor', '--json'], { env })).stdout).checks as {
      name: string;
      status: string;
    }[];
    expect(ok.find((x) => x.name === 'import_reports')?.status).toBe('ok');
  });
});

describe.each(DATABASE_KINDS)('commit failure injected in-process, and reused pids (%s)', (kind) => {
  let t: TestEnv;
  let proxy: FaultProxy | undefined;
  let config: TestEnv['config'];
  let ctx: AppContext | undefined;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    config = t.config;
    if (kind === 'server') {
      proxy = await startFaultProxy(t.env.DATABASE_URL!);
      config = resolveConfig({ env: { ...t.env, DATABASE_URL: proxy.url }, cwd: t.dir });
    }
  });
  afterAll(async () => {
    await ctx?.db.close().catch(() => {});
    await proxy?.close();
    await t?.cleanup();
  });
  afterEach(() => {
    delete embeddedFaults.afterCommit;
    delete embeddedFaults.beforeTransaction;
    proxy?.heal();
  });

  /** Injects the lost reply into the next order transaction; `unreachable` also blocks asking. */
  const injectLostReply = (unreachable: boolean) => {
    if (proxy) {
      proxy.arm({ mode: 'after-commit', statement: ORDER_TX, refuseAfter: unreachable });
      return;
    }
    embeddedFaults.afterCommit = () => {
      delete embeddedFaults.afterCommit;
      if (unreachable)
        embeddedFaults.beforeTransaction = () => {
          throw new Error('injected: the database cannot be reached');
        };
      throw new Error('injected: I/O error right after COMMIT');
    };
  };
  const heal = () => {
    delete embeddedFaults.beforeTransaction;
    proxy?.heal();
  };
  const open = async () => {
    ctx = await (await import('../../src/app/context.js')).openContext(config);
    return ctx;
  };
  const close = async () => {
    await ctx?.db.close();
    ctx = undefined;
  };
  const inventory = async (c: AppContext, k: number, from: number) => {
    const feed = writeFeed(
      path.join(t.dir, `inv-${from}.csv`),
      vins(k, from).map((vin) => ({ dealer: HONDA, vin })),
    );
    await importFiles(c, { files: [feed] });
  };
  const ownerFile = (ordersDir: string) => {
    const dir = path.join(ordersDir, '.staging');
    return path.join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.owner.json'))!,
    );
  };
  const checks = async () => {
    await close();
    const r = await runDoctor(t.config);
    await open();
    return r.checks;
  };

  it('the database answers at once: the order stands and is published', async () => {
    const c = await open();
    await inventory(c, 12, 100_000);
    injectLostReply(false);
    const r = await runCao(c, { dealers: [HONDA] });
    expect(r.results[0]!.status, JSON.stringify(r.results[0]!.error)).toBe('ordered');
    expectNone(await orderProblems(c.db, config.ordersDir), 'after the injected commit failure');
    if (proxy) expect(proxy.cuts).toBe(1);
  });

  it('cannot ask: "outcome unknown", the folder stays staged; a live owner is left alone, the same pid with another start time is recovered; show and doctor agree', async () => {
    const c = ctx ?? (await open());
    await inventory(c, 7, 200_000);
    injectLostReply(true);
    const r = await runCao(c, { dealers: [HONDA] });
    const res = r.results[0]!;
    expect(res.status).toBe('failed');
    expect(res.error?.code).toBe(new CommitOutcomeUnknownError('x').code);
    heal();
    const ordersDir = config.ordersDir;
    expect(stagedFolders(ordersDir)).toHaveLength(1);
    const orderId = await count(c.db, `SELECT max(id)::int AS n FROM orders`);
    // The owner file names this very process (pid, start time, boot id): a live writer.
    const file = ownerFile(ordersDir);
    const owner = JSON.parse(readFileSync(file, 'utf8'));
    expect(owner).toMatchObject(currentProcessIdentity());
    expect((await recoverOrders(c)).skipped[0]?.reason).toBe(`being written by process ${process.pid}`);
    let doc = await checks();
    expect(doc.find((x) => x.name === 'staging')?.status).toBe('ok');

    // A reused pid: the same (live) pid, another start time. A dead writer's folder.
    writeFileSync(file, JSON.stringify({ ...owner, start_time: String(Number(owner.start_time) + 1) }));
    doc = await checks();
    expect(doc.find((x) => x.name === 'staging')).toMatchObject({ status: 'fail' });
    const shown = await showOrder(ctx!, orderId);
    expect(shown.verification.ok).toBe(true);
    expect(stagedFolders(ordersDir)).toEqual([]);
    expectNone(await orderProblems(ctx!.db, ordersDir), 'after recovery');
    doc = await checks();
    expect(doc.find((x) => x.name === 'staging')?.status).toBe('ok');
  });

  it('a reused pid on a staged folder whose order never committed: recovery discards it', async () => {
    const c = ctx ?? (await open());
    const id = await count(c.db, `SELECT nextval('orders_id_seq')::int AS n`);
    const staged = await stageOrder({
      ordersDir: config.ordersDir,
      orderId: id,
      dealership: { name: HONDA, slug: 'columbia_honda' },
      orderType: 'cao',
      createdAt: new Date(),
      template: resolveTemplate('standard', []),
      splitNewUsed: false,
      vehicles: vins(2, 400_000).map((vin) => ({
        vin,
        stock: null,
        year: 2024,
        make: 'Honda',
        model: 'Accord',
        trim: null,
        condition: 'new' as const,
        price: null,
        url: null,
        reason: 'new' as const,
        notOnWebsite: false,
      })),
    });
    const file = `${staged.stagingDir}.owner.json`;
    const owner = JSON.parse(readFileSync(file, 'utf8'));
    expect((await recoverOrders(c)).skipped).toHaveLength(1);
    writeFileSync(file, JSON.stringify({ ...owner, start_time: '1' }));
    expect(await recoverOrders(c)).toMatchObject({ discarded: [staged.stagingDir], skipped: [] });
    expect(stagedFolders(config.ordersDir)).toEqual([]);
  });
});
