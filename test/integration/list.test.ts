import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { runList, runListBatch } from '../../src/app/list.js';
import { UsageError } from '../../src/errors.js';
import { resetBeforeEachTest, saveBaseline } from '../helpers/clean-state.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('LIST on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let lexus: number;
  let kia: number;
  let serial = 0;
  const vin = () => makeVin(++serial, '2T1BURHE');

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await ctx.db.query<{ n: number }>(sql, params)).rows[0]!.n);
  const setSettings = (id: number, settings: object) =>
    ctx.db.query('UPDATE dealerships SET settings = $2::jsonb WHERE id = $1', [id, JSON.stringify(settings)]);

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    lexus = (await resolveDealership(ctx, 'Spirit Lexus')).id;
    kia = (await resolveDealership(ctx, 'HW Kia')).id;
    for (const id of [honda, lexus, kia]) await setSettings(id, {});
    await saveBaseline(ctx.db);
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });
  resetBeforeEachTest(() => ctx.db);

  it('orders VINs and stock numbers from the active snapshot, placeholders for the rest, reports invalid entries', async () => {
    const [a, b, c, missing] = [vin(), vin(), vin(), vin()];
    await seedInventory(ctx.db, honda, [
      { vin: a, stock: 'H100' },
      { vin: b, stock: 'H200', condition: 'po', model: 'Civic' },
      { vin: c, stock: 'DUP' },
      { vin: vin(), stock: 'DUP' },
    ]);
    const r = await runList(ctx, {
      dealer: 'columbia honda',
      entries: [
        a.toLowerCase(),
        'h200',
        missing,
        'NOPE1',
        'UPONREQUEST123456',
        'N/A',
        a,
        'dup',
        b,
        '7.77778E+16',
      ],
    });
    expect(r.status).toBe('ordered');
    expect(r.vehicles.map((v) => [v.entry, v.vin, v.reason, v.notOnWebsite])).toEqual([
      [a.toLowerCase(), a, 'listed', false],
      ['h200', b, 'listed', false],
      [missing, missing, 'not_on_website', true],
    ]);
    expect(r.vehicles[1]).toMatchObject({ model: 'Civic', condition: 'po', stock: 'H200' });
    expect(r.invalid.map((i) => i.entry)).toEqual([
      'UPONREQUEST123456',
      'N/A',
      '7.77778E+16',
      'NOPE1',
      'dup',
    ]);
    expect(r.invalid.find((i) => i.entry === 'NOPE1')!.reason).toMatch(/not in the active inventory/);
    expect(r.invalid.find((i) => i.entry === 'dup')!.reason).toMatch(/matches 2 vehicles/);
    expect(r.duplicates).toEqual([a, b]);
    expect(r.counts).toMatchObject({ entries: 10, ordered: 3, notOnWebsite: 1, invalid: 5, duplicates: 2 });

    const rows = await ctx.db.query<{ vin: string; reason: string; not_on_website: boolean }>(
      'SELECT vin, reason, not_on_website FROM order_vehicles WHERE order_id = $1 ORDER BY position',
      [r.orderId],
    );
    expect(rows.rows.map((x) => [x.vin, x.reason, x.not_on_website])).toEqual([
      [a, 'listed', false],
      [b, 'listed', false],
      [missing, 'not_on_website', true],
    ]);
    const type = await ctx.db.query<{ order_type: string }>('SELECT order_type FROM orders WHERE id = $1', [
      r.orderId,
    ]);
    expect(type.rows[0]!.order_type).toBe('list');
    // list_updates_vin_log defaults to true: the VIN log knows all three now.
    expect(
      await count(`SELECT count(*)::int AS n FROM vin_log WHERE order_id = $1 AND order_type = 'list'`, [
        r.orderId,
      ]),
    ).toBe(3);
    const summary = JSON.parse(readFileSync(path.join(r.folder!, 'order_summary.json'), 'utf8'));
    expect(summary.counts.not_on_website).toBe(1);
    expect(summary.type).toBe('list');
    // A later CAO sees the listed vehicle as ordered (recent).
    const cao = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true });
    expect(cao.results[0]!.skipped.find((s) => s.vin === a)!.reason).toBe('recent');
  });

  it('the VIN-log setting, and its override either way', async () => {
    const [a, b, c] = [vin(), vin(), vin()];
    await seedInventory(ctx.db, lexus, [{ vin: a }, { vin: b }, { vin: c }]);
    await setSettings(lexus, { list_updates_vin_log: false });
    const off = await runList(ctx, { dealer: 'Spirit Lexus', entries: [a] });
    expect(off.updateVinLog).toBe(false);
    expect(await count('SELECT count(*)::int AS n FROM vin_log')).toBe(0);
    const forced = await runList(ctx, { dealer: 'Spirit Lexus', entries: [b], updateVinLog: true });
    expect(forced.updateVinLog).toBe(true);
    expect(await count('SELECT count(*)::int AS n FROM vin_log WHERE vin = $1', [b])).toBe(1);
    await setSettings(lexus, {});
    const suppressed = await runList(ctx, { dealer: 'Spirit Lexus', entries: [c], updateVinLog: false });
    expect(suppressed.updateVinLog).toBe(false);
    expect(await count('SELECT count(*)::int AS n FROM vin_log WHERE vin = $1', [c])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(3);
  });

  it('--filters applies the dealership filters to snapshot vehicles; without it they do not apply', async () => {
    const [cheap, ok, transit] = [vin(), vin(), vin()];
    await seedInventory(ctx.db, honda, [
      { vin: cheap, price: 900 },
      { vin: ok },
      { vin: transit, lotStatus: 'off_lot', status: 'In Transit' },
    ]);
    await setSettings(honda, { min_price: 5000 });
    const dry = await runList(ctx, { dealer: 'Columbia Honda', entries: [cheap, ok, transit], dryRun: true });
    expect(dry.vehicles.map((v) => v.vin)).toEqual([cheap, ok, transit]);
    const filtered = await runList(ctx, {
      dealer: 'Columbia Honda',
      entries: [cheap, ok, transit],
      filters: true,
      dryRun: true,
    });
    expect(filtered.vehicles.map((v) => v.vin)).toEqual([ok]);
    expect(filtered.filteredOut.map((f) => [f.vin, f.filter])).toEqual([
      [cheap, 'min_price'],
      [transit, 'off_lot'],
    ]);
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM vin_log')).toBe(0);
  });

  it('only invalid entries: nothing to order, nothing written; no entries at all is a usage error', async () => {
    const r = await runList(ctx, { dealer: 'Columbia Honda', entries: ['N/A', 'ZZZ-NOT-HERE'] });
    expect(r.status).toBe('nothing_to_order');
    expect(r.invalid).toHaveLength(2);
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    await expect(runList(ctx, { dealer: 'Columbia Honda', entries: ['', '  '] })).rejects.toThrow(UsageError);
  });

  it('a batch makes one order per dealership; re-running it orders nothing twice', async () => {
    const hv = [vin(), vin(), vin()];
    const lv = [vin(), vin()];
    await seedInventory(
      ctx.db,
      honda,
      hv.map((v) => ({ vin: v })),
    );
    await seedInventory(
      ctx.db,
      lexus,
      lv.map((v) => ({ vin: v, make: 'Lexus' })),
    );
    const file = path.join(t.dir, 'batch.csv');
    writeFileSync(
      file,
      [
        'Dealership,VIN',
        ...hv.map((v) => `Columbia Honda,${v}`),
        `spirit lexus,${lv[0]}`,
        `Spirit Lexus,${lv[1]}`,
        `H&W Kia,${vin()}`,
        `Nowhere Motors,${vin()}`,
        `,${vin()}`,
        'Columbia Honda,',
        `Columbia Honda,${hv[0]}`,
        '',
      ].join('\r\n'),
    );
    const r = await runListBatch(ctx, { file, concurrency: 3 });
    expect(r.rows).toBe(10);
    expect(r.rowProblems.map((p) => [p.line, p.reason])).toEqual([
      [8, 'unknown dealership'],
      [9, 'no dealership'],
      [10, 'no VIN or stock number'],
    ]);
    const byName = Object.fromEntries(r.dealerships.map((d) => [d.dealership.name, d]));
    expect(Object.keys(byName).sort()).toEqual(['Columbia Honda', 'HW Kia', 'Spirit Lexus']);
    expect(byName['Columbia Honda']!.status).toBe('ordered');
    const hondaResult = byName['Columbia Honda'] as Extract<
      (typeof r.dealerships)[number],
      { counts: unknown }
    >;
    expect(hondaResult.counts.ordered).toBe(3);
    expect(hondaResult.duplicates).toEqual([hv[0]]);
    expect(r.counts).toMatchObject({ orders: 3, vehicles: 6, alreadyDone: 0, failed: 0, rowProblems: 3 });
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(3);

    const again = await runListBatch(ctx, { file, concurrency: 3 });
    expect(again.dealerships.map((d) => d.status)).toEqual(['already_done', 'already_done', 'already_done']);
    expect(again.counts).toMatchObject({ orders: 0, alreadyDone: 3 });
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(3);
    expect(await count('SELECT count(*)::int AS n FROM vin_log')).toBe(6);

    // A new key is a new batch.
    const keyed = await runListBatch(ctx, { file, key: 'rerun-2026-11-20', concurrency: 2 });
    expect(keyed.counts.orders).toBe(3);
    const keyedAgain = await runListBatch(ctx, { file, key: 'rerun-2026-11-20' });
    expect(keyedAgain.counts).toMatchObject({ orders: 0, alreadyDone: 3 });
  });

  it('a batch interrupted by a crash resumes with the dealerships it had not finished', async () => {
    const hv = [vin(), vin()];
    const lv = [vin()];
    const kv = [vin(), vin()];
    await seedInventory(
      ctx.db,
      honda,
      hv.map((v) => ({ vin: v })),
    );
    await seedInventory(
      ctx.db,
      lexus,
      lv.map((v) => ({ vin: v })),
    );
    await seedInventory(
      ctx.db,
      kia,
      kv.map((v) => ({ vin: v, make: 'Kia' })),
    );
    const text = [
      'dealer,vin',
      ...hv.map((v) => `Columbia Honda,${v}`),
      ...lv.map((v) => `Spirit Lexus,${v}`),
      ...kv.map((v) => `HW Kia,${v}`),
    ].join('\n');
    const crashed = await runListBatch(ctx, {
      text,
      concurrency: 1,
      faults: {
        afterStage: (staged) => {
          if (staged.summary.dealership.slug === 'spirit_lexus')
            throw new Error('injected: killed mid-batch');
        },
      },
    });
    expect(crashed.dealerships.map((d) => [d.dealership.name, d.status])).toEqual([
      ['Columbia Honda', 'ordered'],
      ['Spirit Lexus', 'failed'],
      ['HW Kia', 'ordered'],
    ]);
    expect(crashed.counts.failed).toBe(1);
    const resumed = await runListBatch(ctx, { text });
    expect(resumed.dealerships.map((d) => [d.dealership.name, d.status])).toEqual([
      ['Columbia Honda', 'already_done'],
      ['Spirit Lexus', 'ordered'],
      ['HW Kia', 'already_done'],
    ]);
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(3);
    expect(await count('SELECT count(*)::int AS n FROM order_vehicles')).toBe(5);
    expect(existsSync(path.join(t.config.ordersDir, '.staging'))).toBe(false);
  });

  it('a batch without the needed columns is an input error naming what it found', async () => {
    await expect(runListBatch(ctx, { text: 'name,number\nx,1\n' })).rejects.toThrow(/dealership column/);
  });
});
