import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { recoverOrders } from '../../src/app/order-writer.js';
import { showOrder, voidOrder, listOrders } from '../../src/app/orders.js';
import { InputError } from '../../src/errors.js';
import { resetBeforeEachTest, saveBaseline } from '../helpers/clean-state.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory, seedVinLog } from '../helpers/inventory.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(DATABASE_KINDS)('CAO on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let lexus: number;
  let serial = 0;
  const vin = () => makeVin(++serial);

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await ctx.db.query<{ n: number }>(sql, params)).rows[0]!.n);
  const orderFolders = () =>
    existsSync(t.config.ordersDir) ? readdirSync(t.config.ordersDir).filter((f) => !f.startsWith('.')) : [];
  const setSettings = (id: number, settings: object) =>
    ctx.db.query('UPDATE dealerships SET settings = $2::jsonb WHERE id = $1', [id, JSON.stringify(settings)]);

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    lexus = (await resolveDealership(ctx, 'Spirit Lexus')).id;
    await setSettings(honda, {});
    await setSettings(lexus, {});
    await saveBaseline(ctx.db);
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });
  resetBeforeEachTest(() => ctx.db);

  it('orders with every VIN-decision reason and writes order, vehicles and VIN log together', async () => {
    const [vNew, vCross, vChanged, vRecent, vAlready, vBaseline] = [vin(), vin(), vin(), vin(), vin(), vin()];
    await seedInventory(ctx.db, honda, [
      { vin: vNew },
      { vin: vCross },
      { vin: vChanged, condition: 'po' },
      { vin: vRecent },
      { vin: vAlready },
      { vin: vBaseline, condition: 'cpo' },
    ]);
    const now = Date.now();
    await seedVinLog(ctx.db, lexus, vCross, { orderType: 'cao', processedAt: new Date(now - 3 * DAY) });
    await seedVinLog(ctx.db, honda, vChanged, {
      condition: 'new',
      orderType: 'cao',
      processedAt: new Date(now - 10 * DAY),
    });
    await seedVinLog(ctx.db, honda, vRecent, {
      condition: 'new',
      orderType: 'cao',
      processedAt: new Date(now - 2 * HOUR),
    });
    await seedVinLog(ctx.db, honda, vAlready, {
      condition: 'new',
      orderType: 'cao',
      processedAt: new Date(now - 30 * DAY),
    });
    await seedVinLog(ctx.db, honda, vBaseline, {
      condition: null,
      orderType: 'baseline',
      orderRef: 'BASELINE',
    });

    const r = await runCao(ctx, { dealers: ['columbia honda'] });
    expect(r.failed).toBe(0);
    const d = r.results[0]!;
    expect(d.status).toBe('ordered');
    expect(d.vehicles.map((v) => [v.vin, v.reason])).toEqual([
      [vNew, 'new'],
      [vCross, 'cross_dealership'],
      [vChanged, 'condition_changed'],
    ]);
    expect(d.skipped.map((v) => [v.vin, v.reason])).toEqual([
      [vRecent, 'recent'],
      [vAlready, 'already_ordered'],
      [vBaseline, 'already_ordered'],
    ]);
    expect(d.skipped[0]!.detail).toMatch(/within recent_days 1/);
    expect(d.vehicles[1]!.detail).toContain('Spirit Lexus');

    // Order row, its vehicles and its VIN-log rows, all with the same order id.
    const orderId = d.orderId!;
    expect(
      await count(`SELECT count(*)::int AS n FROM orders WHERE id = $1 AND vehicle_count = 3`, [orderId]),
    ).toBe(1);
    const ov = await ctx.db.query<{ vin: string; reason: string; qr_file: string }>(
      'SELECT vin, reason, qr_file FROM order_vehicles WHERE order_id = $1 ORDER BY position',
      [orderId],
    );
    expect(ov.rows.map((x) => [x.vin, x.reason])).toEqual(d.vehicles.map((v) => [v.vin, v.reason]));
    expect(ov.rows[0]!.qr_file).toBe(`qr_codes/${vNew}.png`);
    const log = await ctx.db.query<{ vin: string; condition: string }>(
      `SELECT vin, condition FROM vin_log WHERE order_id = $1 AND dealership_id = $2 AND order_type = 'cao' ORDER BY vin`,
      [orderId, honda],
    );
    expect(log.rows.map((x) => x.vin)).toEqual([vNew, vCross, vChanged].sort());
    expect(log.rows.find((x) => x.vin === vChanged)!.condition).toBe('po');

    // The folder is in place with its files, and `orders show` verifies every checksum.
    expect(path.dirname(d.folder!)).toBe(t.config.ordersDir);
    expect(existsSync(path.join(d.folder!, 'qr_codes', `${vNew}.png`))).toBe(true);
    expect(existsSync(path.join(d.folder!, 'order_summary.json'))).toBe(true);
    expect(existsSync(path.join(t.config.ordersDir, '.staging'))).toBe(false);
    const shown = await showOrder(ctx, orderId);
    expect(shown.verification.ok).toBe(true);
    expect(shown.vehicles).toHaveLength(3);
    expect(shown.order.template).toBe('standard');

    // Run again: the VIN log makes every vehicle recent now; nothing is created. Decided in the
    // database: the counts per reason, and no per-vehicle list unless --explain asks for it.
    const again = await runCao(ctx, { dealers: ['Columbia Honda'] });
    expect(again.results[0]!.status).toBe('nothing_new');
    expect(again.results[0]!.counts).toMatchObject({
      skipped: 6,
      ordered: 0,
      byReason: { recent: 4, already_ordered: 2 },
    });
    expect(again.results[0]!.skipped).toEqual([]);
    const explained = await runCao(ctx, { dealers: ['Columbia Honda'], explain: true });
    expect(explained.results[0]!.status).toBe('nothing_new');
    expect(explained.results[0]!.counts).toEqual(again.results[0]!.counts);
    expect(explained.results[0]!.skipped.map((s) => s.reason)).toEqual(
      Array(6).fill('recent').fill('already_ordered', 4),
    );
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(1);
  });

  it('applies every filter on normalized columns, and --dry-run writes nothing', async () => {
    await setSettings(honda, {
      vehicle_types: ['used'],
      min_price: 5000,
      max_price: 80_000,
      min_year: 2015,
      seasoning_days: 5,
      require_stock: true,
      require_price: true,
      brands: ['Honda', 'Toyota'],
      exclude_keywords: ['fleet'],
    });
    const today = new Date().toISOString().slice(0, 10);
    const v = Array.from({ length: 14 }, () => vin());
    await seedInventory(ctx.db, honda, [
      { vin: v[0]!, condition: 'po' }, // ordered
      { vin: v[1]!, condition: 'cpo', make: 'Toyota', model: 'Camry' }, // ordered (used = po + cpo)
      { vin: 'UPONREQUEST123456', vinValid: false, condition: 'po' },
      { vin: v[2]!, condition: 'po', lotStatus: 'off_lot', status: 'In Transit' },
      { vin: v[3]!, condition: 'new' },
      { vin: v[4]!, condition: 'po', price: 4999 },
      { vin: v[5]!, condition: 'po', price: 80_001 },
      { vin: v[6]!, condition: 'po', year: 2014 },
      { vin: v[7]!, condition: 'po', dateInStock: today },
      { vin: v[8]!, condition: 'po', stock: null },
      { vin: v[9]!, condition: 'po', price: null },
      { vin: v[10]!, condition: 'po', make: 'Ford', model: 'F-150' },
      { vin: v[11]!, condition: 'po', trim: 'Fleet Edition' },
      { vin: v[12]!, condition: 'unknown' },
    ]);
    const folders = orderFolders();
    const r = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true, explain: true });
    const d = r.results[0]!;
    expect(d.status).toBe('dry_run');
    expect(d.vehicles.map((x) => [x.vin, x.reason])).toEqual([
      [v[0], 'new'],
      [v[1], 'new'],
    ]);
    expect(Object.fromEntries(d.filteredOut.map((f) => [f.vin, f.filter]))).toEqual({
      UPONREQUEST123456: 'invalid_vin',
      [v[2]!]: 'off_lot',
      [v[3]!]: 'vehicle_types',
      [v[4]!]: 'min_price',
      [v[5]!]: 'max_price',
      [v[6]!]: 'min_year',
      [v[7]!]: 'seasoning_days',
      [v[8]!]: 'require_stock',
      [v[9]!]: 'require_price',
      [v[10]!]: 'brands',
      [v[11]!]: 'exclude_keywords',
      [v[12]!]: 'vehicle_types',
    });
    expect(d.counts).toMatchObject({ active: 14, filteredOut: 12, ordered: 2, skipped: 0 });
    // Nothing written: no order row, no VIN-log row, no folder.
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM vin_log')).toBe(0);
    expect(orderFolders()).toEqual(folders);
    // Without --explain the filtered-out list stays out of the result; the counts stay.
    const quiet = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true });
    expect(quiet.results[0]!.filteredOut).toEqual([]);
    expect(quiet.results[0]!.counts.byFilter).toMatchObject({ vehicle_types: 2, off_lot: 1 });
  });

  it('reads only the active snapshot (failure 5)', async () => {
    const archived = vin();
    await seedInventory(ctx.db, honda, [{ vin: archived }]);
    const current = vin();
    await seedInventory(ctx.db, honda, [{ vin: current }]);
    const r = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true });
    expect(r.results[0]!.vehicles.map((x) => x.vin)).toEqual([current]);
  });

  it('a vehicle ordered as new comes back when it turns used (after recent_days)', async () => {
    const v = vin();
    await seedInventory(ctx.db, honda, [{ vin: v, condition: 'new' }]);
    const first = await runCao(ctx, { dealers: ['Columbia Honda'] });
    expect(first.results[0]!.vehicles.map((x) => x.reason)).toEqual(['new']);
    await seedInventory(ctx.db, honda, [{ vin: v, condition: 'po' }]);
    expect(
      (await runCao(ctx, { dealers: ['Columbia Honda'], explain: true })).results[0]!.skipped[0]!.reason,
    ).toBe('recent');
    const later = { ...ctx, now: () => new Date(Date.now() + 2 * DAY) };
    const second = await runCao(later, { dealers: ['Columbia Honda'] });
    expect(second.results[0]!.vehicles.map((x) => [x.vin, x.reason])).toEqual([[v, 'condition_changed']]);
  });

  it('says so and creates nothing when there is nothing new or no inventory', async () => {
    const folders = orderFolders();
    const empty = await runCao(ctx, { dealers: ['Auffenberg Hyundai'] });
    expect(empty.results[0]!.status).toBe('no_inventory');
    const v = vin();
    await seedInventory(ctx.db, honda, [{ vin: v }]);
    await seedVinLog(ctx.db, honda, v, { condition: 'new', orderType: 'legacy', orderRef: '123' });
    const r = await runCao(ctx, { dealers: ['Columbia Honda'] });
    expect(r.results[0]!.status).toBe('nothing_new');
    expect(r.results[0]!.orderId).toBeNull();
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    expect(orderFolders()).toEqual(folders);
  });

  it('asks before writing; a no writes nothing, a yes orders only what was shown', async () => {
    const [a, b] = [vin(), vin()];
    await seedInventory(ctx.db, honda, [{ vin: a }]);
    const declined = await runCao(ctx, {
      dealers: ['Columbia Honda'],
      confirm: async (p) => p.toOrder.length < 0,
    });
    expect(declined.results[0]!.status).toBe('declined');
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    const r = await runCao(ctx, {
      dealers: ['Columbia Honda'],
      confirm: async (p) => {
        expect(p.toOrder.map((x) => x.vin)).toEqual([a]);
        // A vehicle arriving while the operator reads the preview waits for the next run.
        await seedInventory(ctx.db, honda, [{ vin: a }, { vin: b }]);
        return true;
      },
    });
    expect(r.results[0]!.vehicles.map((x) => x.vin)).toEqual([a]);
  });

  it('--all runs every enabled dealership; one failure does not stop the others', async () => {
    const [a, b] = [vin(), vin()];
    await seedInventory(ctx.db, honda, [{ vin: a }]);
    await seedInventory(ctx.db, lexus, [{ vin: b, make: 'Lexus', model: 'RX' }]);
    await setSettings(lexus, { template: 'no_such_template' });
    const r = await runCao(ctx, { all: true, concurrency: 3 });
    const enabled = await count('SELECT count(*)::int AS n FROM dealerships WHERE enabled');
    expect(r.results).toHaveLength(enabled);
    const byName = Object.fromEntries(r.results.map((x) => [x.dealership.name, x]));
    expect(byName['Columbia Honda']!.status).toBe('ordered');
    expect(byName['Spirit Lexus']!.status).toBe('failed');
    expect(byName['Spirit Lexus']!.error!.message).toMatch(/unknown template "no_such_template"/);
    expect(r.failed).toBe(1);
    expect(r.ordered).toBe(1);
    expect(await count('SELECT count(*)::int AS n FROM vin_log WHERE dealership_id = $1', [lexus])).toBe(0);
  });

  it('a bug in one dealership of --all is an internal failure that keeps its stack', async () => {
    await seedInventory(ctx.db, honda, [{ vin: vin() }]);
    await seedInventory(ctx.db, lexus, [{ vin: vin(), make: 'Lexus', model: 'RX' }]);
    const r = await runCao(ctx, {
      all: true,
      confirm: async function lexusBug(p) {
        if (p.dealership.name === 'Spirit Lexus') return (null as unknown as { ok: () => boolean }).ok();
        return true;
      },
    });
    const byName = Object.fromEntries(r.results.map((x) => [x.dealership.name, x]));
    expect(byName['Columbia Honda']!.status).toBe('ordered');
    const e = byName['Spirit Lexus']!.error!;
    expect(e.code).toBe('internal');
    expect(e.message).toMatch(/^internal error \(this is a bug in silverfox\): .*null/);
    expect(e.stack).toMatch(/TypeError[\s\S]*lexusBug/);
  });

  it('voiding an order removes its VIN-log rows so the vehicles come back', async () => {
    const [a, b] = [vin(), vin()];
    await seedInventory(ctx.db, honda, [{ vin: a }, { vin: b }]);
    const first = (await runCao(ctx, { dealers: ['Columbia Honda'] })).results[0]!;
    const voided = await voidOrder(ctx, `#${first.orderId}`, { reason: 'wrong template' });
    expect(voided.vinLogRemoved).toBe(2);
    expect(voided.order.status).toBe('voided');
    expect(voided.order.voidReason).toBe('wrong template');
    await expect(voidOrder(ctx, first.orderId!)).rejects.toThrow(InputError);
    const again = (await runCao(ctx, { dealers: ['Columbia Honda'] })).results[0]!;
    expect(again.status).toBe('ordered');
    expect(again.vehicles.map((x) => [x.vin, x.reason])).toEqual([
      [a, 'new'],
      [b, 'new'],
    ]);
    const orders = await listOrders(ctx, { dealer: 'columbia_honda' });
    expect(orders.map((o) => [o.id, o.status])).toEqual([
      [again.orderId, 'complete'],
      [first.orderId, 'voided'],
    ]);
    expect(await listOrders(ctx, { since: '1h' })).toHaveLength(2);
    expect(await listOrders(ctx, { dealer: 'Spirit Lexus' })).toEqual([]);
    // A folder gone (archived): `orders show` says where it went instead of failing.
    await ctx.db.query('UPDATE orders SET archive_path = $2 WHERE id = $1', [
      first.orderId,
      '/archive/x.zip',
    ]);
    rmSync(first.folder!, { recursive: true });
    const shown = await showOrder(ctx, first.orderId!);
    expect(shown.verification).toMatchObject({
      ok: false,
      error: expect.stringContaining('archived to /archive/x.zip'),
    });
    expect(shown.vehicles).toHaveLength(2);
  });

  it('a failure between staging and commit leaves no folder and no rows (rule 5)', async () => {
    const a = vin();
    await seedInventory(ctx.db, honda, [{ vin: a }]);
    const folders = orderFolders();
    let stagedAt = '';
    const r = await runCao(ctx, {
      dealers: ['Columbia Honda'],
      faults: {
        afterStage: (staged) => {
          stagedAt = staged.stagingDir;
          expect(existsSync(path.join(staged.stagingDir, 'order_summary.json'))).toBe(true);
          throw new Error('injected: power cut before commit');
        },
      },
    });
    expect(r.results[0]!.status).toBe('failed');
    expect(r.results[0]!.error!.message).toContain('injected');
    expect(stagedAt).not.toBe('');
    expect(existsSync(stagedAt)).toBe(false);
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM order_vehicles')).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM vin_log')).toBe(0);
    expect(orderFolders()).toEqual(folders);
    // The vehicle is still there for the next run.
    expect(
      (await runCao(ctx, { dealers: ['Columbia Honda'] })).results[0]!.vehicles.map((x) => x.vin),
    ).toEqual([a]);
  });

  it('a failure between commit and publish keeps the order; recovery publishes the folder', async () => {
    const a = vin();
    await seedInventory(ctx.db, honda, [{ vin: a }]);
    let staged = '';
    const r = await runCao(ctx, {
      dealers: ['Columbia Honda'],
      faults: {
        afterCommit: (s) => {
          staged = s.stagingDir;
          // What a crashed process leaves: its owner file names a pid that no longer runs.
          const owner = `${s.stagingDir}.owner.json`;
          writeFileSync(
            owner,
            JSON.stringify({ ...JSON.parse(readFileSync(owner, 'utf8')), pid: 2 ** 22 + 1 }),
          );
          throw new Error('injected: crash after commit');
        },
      },
    });
    const d = r.results[0]!;
    expect(d.status).toBe('failed');
    expect(d.error!.message).toMatch(/committed but its folder could not be moved/);
    expect(existsSync(staged)).toBe(true);
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(1);
    expect(await count('SELECT count(*)::int AS n FROM vin_log')).toBe(1);
    const rec = await recoverOrders(ctx);
    expect(rec.published).toHaveLength(1);
    expect(existsSync(staged)).toBe(false);
    const [order] = await listOrders(ctx);
    expect(rec.published[0]).toBe(order!.folder);
    expect((await showOrder(ctx, order!.id)).verification.ok).toBe(true);
  });

  it('orders folder missing, read-only or full: an OutputError, no order row, no VIN-log row', async () => {
    const a = vin();
    await seedInventory(ctx.db, honda, [{ vin: a }]);
    const folders = orderFolders();
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const erofs = Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' });
    const file = path.join(t.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const cases: [string, AppContext, object | undefined, RegExp][] = [
      [
        'missing',
        { ...ctx, config: { ...ctx.config, ordersDir: path.join(t.dir, 'no', 'such', 'orders') } },
        undefined,
        /does not exist/,
      ],
      [
        'a file',
        { ...ctx, config: { ...ctx.config, ordersDir: file } },
        undefined,
        /is a file, not a folder/,
      ],
      ['read-only', ctx, { beforeWrite: () => Promise.reject(erofs) }, /not writable/],
      ['full', ctx, { beforeWrite: () => Promise.reject(enospc) }, /no space left/],
    ];
    for (const [what, c, faults, message] of cases) {
      const r = await runCao(c, { dealers: ['Columbia Honda'], faults: faults as never });
      expect(r.results[0]!.status, what).toBe('failed');
      expect(r.results[0]!.error!.code, what).toBe('output');
      expect(r.results[0]!.error!.message, what).toMatch(message);
      expect(await count('SELECT count(*)::int AS n FROM orders'), what).toBe(0);
      expect(await count('SELECT count(*)::int AS n FROM vin_log'), what).toBe(0);
    }
    expect(orderFolders()).toEqual(folders);
  });
});

describe('CAO concurrency on server', () => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let serial = 0;
  const vin = () => makeVin(++serial, '5YJSA1E2');
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await ctx.db.query<{ n: number }>(sql, params)).rows[0]!.n);
  beforeAll(async () => {
    t = await createTestEnv('server');
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('concurrent runs for one dealership never order a VIN twice (rule 6)', async () => {
    const vins = Array.from({ length: 40 }, () => vin());
    await seedInventory(
      ctx.db,
      honda,
      vins.map((v) => ({ vin: v })),
    );
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => runCao(ctx, { dealers: ['Columbia Honda'] })),
    );
    const statuses = runs.map((r) => r.results[0]!.status).sort();
    expect(statuses).toEqual(['nothing_new', 'nothing_new', 'nothing_new', 'nothing_new', 'ordered']);
    expect(await count('SELECT count(*)::int AS n FROM order_vehicles')).toBe(40);
    expect(
      await count('SELECT count(DISTINCT vin)::int AS n FROM vin_log WHERE dealership_id = $1', [honda]),
    ).toBe(40);
    expect(await count('SELECT count(*)::int AS n FROM vin_log WHERE dealership_id = $1', [honda])).toBe(40);
  });
});
