import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDealership } from '../../src/app/dealers.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';

const folders = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : []);

describe('silverfox demo on the embedded database', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('embedded');
  });
  afterAll(async () => t?.cleanup());

  it('imports the sample, orders it, says where the folder is; the second run orders nothing new', async () => {
    // Traced (test/helpers/load-trace.mjs, which sees worker threads too): 57 codes go to the QR
    // worker threads, so the binary must find the bundled worker beside its chunks.
    const trace = path.join(t.dir, 'demo-trace.txt');
    writeFileSync(trace, '');
    const first = await runCli(['demo'], {
      env: {
        ...t.env,
        NODE_OPTIONS: `--import ${path.join(ROOT, 'test/helpers/load-trace.mjs')}`,
        SILVERFOX_TEST_LOAD_TRACE: trace,
      },
      cwd: t.dir,
    });
    expect(first.stderr).not.toMatch(/error|\n\s+at /);
    expect(readFileSync(trace, 'utf8')).toContain('/dist/bundle/qr-worker.js');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('60 rows read for Indigo Auto Group: 58 imported, 2 rejected');
    expect(first.stdout).toMatch(/order #1, 57 vehicles \(standard\)/);
    const [folder] = folders(t.env.SILVERFOX_ORDERS_DIR!);
    expect(folder).toMatch(/^indigo_auto_group_cao_\d{8}-\d{6}$/);
    const dir = path.join(t.env.SILVERFOX_ORDERS_DIR!, folder!);
    expect(first.stdout).toContain(`the order folder for the design team: ${dir}`);
    expect(first.stdout).toContain('qr_codes/  (57 PNG');
    expect(readdirSync(path.join(dir, 'qr_codes'))).toHaveLength(57);
    const csv = readFileSync(path.join(dir, 'indigo_auto_group_standard.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe('VIN,Make,Model,Year,Price,Full_Name,URL,Dealership,Stock,Condition,@QR');
    expect(csv.filter((l) => l !== '')).toHaveLength(58);

    const second = await runCli(['demo'], { env: t.env, cwd: t.dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already imported earlier');
    expect(second.stdout).toMatch(/nothing new to order \(58 active: 57 ordered recently, 1 filtered out\)/);
    expect(folders(t.env.SILVERFOX_ORDERS_DIR!)).toEqual([folder]);

    const orders = await runCli(['orders', 'list', '--json'], { env: t.env });
    expect(JSON.parse(orders.stdout)).toHaveLength(1);
    const show = await runCli(['orders', 'show', '1'], { env: t.env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('checksums: all 59 files match order_summary.json');
  });

  it('list reads entries from arguments, --file and stdin', async () => {
    const entries = readFileSync(path.join(ROOT, 'samples/demo-inventory.csv'), 'utf8')
      .split('\n')
      .slice(1, 4)
      .map((l) => l.split(',')[0]!);
    const file = path.join(t.dir, 'entries.txt');
    writeFileSync(file, `${entries[1]}\r\nN/A\r\n`);
    const r = await runCli(
      ['list', 'Indigo Auto Group', entries[0]!, '-', '--file', file, '--dry-run', '--json'],
      {
        env: t.env,
        input: `${entries[2]!.toLowerCase()}, 1HGCM82633A004352\n`,
      },
    );
    expect(r.code).toBe(3); // one invalid entry
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('dry_run');
    expect(j.vehicles.map((v: { vin: string; reason: string }) => [v.vin, v.reason])).toEqual([
      [entries[0], 'listed'],
      [entries[2], 'listed'],
      ['1HGCM82633A004352', 'not_on_website'],
      [entries[1], 'listed'],
    ]);
    expect(j.invalid).toEqual([{ entry: 'N/A', reason: 'a placeholder, not a stock number' }]);
    const none = await runCli(['list', 'Indigo Auto Group'], { env: t.env });
    expect(none.code).toBe(2);
  });

  it('cao asks for --yes when not at a terminal, and --dry-run needs nothing', async () => {
    const r = await runCli(['cao', 'Indigo Auto Group'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --yes');
    const dry = await runCli(['cao', 'indigo_auto_group', '--dry-run', '--explain', '--json'], {
      env: t.env,
    });
    expect(dry.code).toBe(0);
    const j = JSON.parse(dry.stdout);
    expect(j.results[0].status).toBe('nothing_new');
    expect(j.results[0].filteredOut).toEqual([
      { vin: expect.any(String), filter: 'off_lot', detail: expect.stringContaining('In Transit') },
    ]);
  });
});

describe('orders against the PostgreSQL server', () => {
  let t: TestEnv;
  let honda: number;
  const vins = Array.from({ length: 30 }, (_, i) => makeVin(i + 1, '1N4AL3AP'));
  const query = async (sql: string, params: unknown[] = []) => {
    const ctx = await t.open();
    try {
      return (await ctx.db.query(sql, params)).rows;
    } finally {
      await ctx.db.close();
    }
  };
  const seed = async (list: string[]) => {
    const ctx = await t.open();
    try {
      honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
      await ctx.db.query('DELETE FROM vin_log');
      await ctx.db.query('DELETE FROM order_vehicles');
      await ctx.db.query('DELETE FROM orders');
      await seedInventory(
        ctx.db,
        honda,
        list.map((vin) => ({ vin })),
      );
    } finally {
      await ctx.db.close();
    }
  };
  /** Runs the built use case in a child process that kills itself (SIGKILL) at a fault point. */
  const crashAt = (point: 'afterStage' | 'afterCommit') =>
    new Promise<number | null>((resolve, reject) => {
      const dist = (p: string) => pathToFileURL(path.join(ROOT, 'dist', p)).href;
      const script = `
        const { resolveConfig } = await import(${JSON.stringify(dist('config.js'))});
        const { openContext } = await import(${JSON.stringify(dist('app/context.js'))});
        const { runCao } = await import(${JSON.stringify(dist('app/cao.js'))});
        const ctx = await openContext(resolveConfig());
        await runCao(ctx, { dealers: ['Columbia Honda'], faults: { ${point}: () => process.kill(process.pid, 'SIGKILL') } });
        process.exit(0);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', ...t.env },
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(signal === 'SIGKILL' ? -9 : code));
    });

  beforeAll(async () => {
    t = await createTestEnv('server');
  });
  afterAll(async () => t?.cleanup());

  it('five `silverfox cao X` at once order every VIN exactly once', async () => {
    await seed(vins);
    const runs = await Promise.all(
      Array.from({ length: 5 }, () =>
        runCli(['cao', 'Columbia Honda', '--yes', '--json', '--wait-lock', '120'], { env: t.env }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const statuses = runs.map((r) => JSON.parse(r.stdout).results[0].status).sort();
    expect(statuses).toEqual(['nothing_new', 'nothing_new', 'nothing_new', 'nothing_new', 'ordered']);
    const ordered = runs.flatMap((r) =>
      JSON.parse(r.stdout).results[0].vehicles.map((v: { vin: string }) => v.vin),
    );
    expect(ordered.sort()).toEqual([...vins].sort());
    const twice = await query(
      `SELECT vin FROM order_vehicles ov JOIN orders o ON o.id = ov.order_id WHERE o.dealership_id = $1
       GROUP BY vin HAVING count(*) > 1`,
      [honda],
    );
    expect(twice).toEqual([]);
    expect(await query('SELECT count(*)::int AS n FROM vin_log')).toEqual([{ n: 30 }]);
  });

  it('orders folder read-only or missing: exit 1, a clear message, no order row, no VIN-log row', async () => {
    await seed(vins.slice(0, 3));
    // /sys refuses new entries even to root: a read-only orders folder.
    const ro = await runCli(['cao', 'Columbia Honda', '--yes'], {
      env: { ...t.env, SILVERFOX_ORDERS_DIR: '/sys' },
    });
    expect(ro.code).toBe(1);
    expect(ro.stderr).toContain('the orders folder /sys is not writable');
    expect(ro.stderr).not.toMatch(/\n\s+at /);
    const missing = path.join(t.dir, 'gone', 'orders');
    const r = await runCli(['cao', 'Columbia Honda', '--yes'], {
      env: { ...t.env, SILVERFOX_ORDERS_DIR: missing },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the orders folder ${missing} does not exist`);
    const list = await runCli(['list', 'Columbia Honda', vins[0]!, '--yes'], {
      env: { ...t.env, SILVERFOX_ORDERS_DIR: '/sys' },
    });
    expect(list.code).toBe(1);
    expect(await query('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }]);
    expect(await query('SELECT count(*)::int AS n FROM vin_log')).toEqual([{ n: 0 }]);
  });

  it('killed between staging and commit: nothing committed; the next run discards the folder and orders', async () => {
    await seed(vins.slice(0, 4));
    expect(await crashAt('afterStage')).toBe(-9);
    const staging = path.join(t.env.SILVERFOX_ORDERS_DIR!, '.staging');
    expect(readdirSync(staging).filter((f) => !f.endsWith('.json'))).toHaveLength(1);
    expect(await query('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }]);
    expect(await query('SELECT count(*)::int AS n FROM vin_log')).toEqual([{ n: 0 }]);
    const before = folders(t.env.SILVERFOX_ORDERS_DIR!);
    const r = await runCli(['cao', 'Columbia Honda', '--yes', '--json'], { env: t.env });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.recovered.discarded).toHaveLength(1);
    expect(j.results[0].vehicleCount).toBe(4);
    expect(existsSync(staging)).toBe(false);
    expect(folders(t.env.SILVERFOX_ORDERS_DIR!)).toHaveLength(before.length + 1);
  });

  it('killed between commit and publish: the order stands; recovery publishes its complete folder', async () => {
    await seed(vins.slice(10, 15));
    const before = folders(t.env.SILVERFOX_ORDERS_DIR!);
    expect(await crashAt('afterCommit')).toBe(-9);
    const [order] = (await query('SELECT id, folder FROM orders')) as { id: number; folder: string }[];
    expect(order).toBeDefined();
    expect(existsSync(order!.folder)).toBe(false);
    expect(await query('SELECT count(*)::int AS n FROM vin_log')).toEqual([{ n: 5 }]);
    const show = await runCli(['orders', 'show', String(order!.id)], { env: t.env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/checksums: all \d+ files match/);
    expect(folders(t.env.SILVERFOX_ORDERS_DIR!).sort()).toEqual(
      [...before, path.basename(order!.folder)].sort(),
    );
    // Nothing is ordered twice afterwards.
    const again = await runCli(['cao', 'Columbia Honda', '--yes', '--json'], { env: t.env });
    expect(JSON.parse(again.stdout).results[0].status).toBe('nothing_new');
  });

  it('list --batch from the binary is idempotent; vinlog import and show; orders void', async () => {
    await seed(vins.slice(20, 24));
    const file = path.join(t.dir, 'batch.csv');
    writeFileSync(
      file,
      ['dealership,vin', ...vins.slice(20, 24).map((v) => `Columbia Honda,${v}`), `Nowhere,${vins[25]}`].join(
        '\n',
      ),
    );
    const first = await runCli(['list', '--batch', file, '--json', '--yes'], { env: t.env });
    expect(first.code).toBe(3); // one row had an unknown dealership
    expect(JSON.parse(first.stdout).counts).toMatchObject({ orders: 1, vehicles: 4, rowProblems: 1 });
    const again = await runCli(['list', '--batch', file, '--json', '--yes'], { env: t.env });
    expect(JSON.parse(again.stdout).counts).toMatchObject({ orders: 0, alreadyDone: 1 });

    const legacy = path.join(t.dir, 'legacy.csv');
    writeFileSync(legacy, `BASELINE,${vins[26]}\n,${vins[27]}\n\n5001,${vins[28]}\n,7.77778E+16\n`);
    const imp = await runCli(['vinlog', 'import', legacy, '--dealer', 'columbia honda'], { env: t.env });
    expect(imp.code).toBe(3);
    expect(imp.stdout).toContain('3 imported (1 legacy orders, 2 baseline)');
    expect(imp.stdout).toContain('rejected line 5: 7.77778E+16');
    const show = await runCli(['vinlog', 'show', vins[26]!.toLowerCase(), '--json'], { env: t.env });
    expect(JSON.parse(show.stdout).entries).toMatchObject([
      { dealershipName: 'Columbia Honda', orderType: 'baseline', orderRef: 'BASELINE' },
    ]);

    const [order] = JSON.parse(
      (await runCli(['orders', 'list', 'Columbia Honda', '--json'], { env: t.env })).stdout,
    );
    const noYes = await runCli(['orders', 'void', String(order.id)], { env: t.env });
    expect(noYes.code).toBe(2);
    const voided = await runCli(['orders', 'void', String(order.id), '--yes'], { env: t.env });
    expect(voided.code).toBe(0);
    expect(voided.stdout).toContain('4 VIN-log entries removed');
  });
});
