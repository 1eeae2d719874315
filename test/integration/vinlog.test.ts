import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { importLegacyVinLog, showVin } from '../../src/app/vinlog.js';
import { UsageError } from '../../src/errors.js';
import { resetBeforeEachTest, saveBaseline } from '../helpers/clean-state.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory, seedVinLog } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('VIN log on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let lexus: number;
  const v = Array.from({ length: 12 }, (_, i) => makeVin(i + 1, '3FA6P0LU'));

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await ctx.db.query<{ n: number }>(sql, params)).rows[0]!.n);

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    lexus = (await resolveDealership(ctx, 'Spirit Lexus')).id;
    await saveBaseline(ctx.db);
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });
  resetBeforeEachTest(() => ctx.db);

  it('imports a grouped legacy log keeping BASELINE groups; CAO then skips those VINs (failure 9)', async () => {
    const file = path.join(t.dir, 'legacy-grouped.csv');
    writeFileSync(
      file,
      [
        'BASELINE,' + v[0],
        ',' + v[1],
        ',' + v[2],
        '',
        '10045,' + v[3],
        '10045,' + v[4],
        '',
        'INITIAL',
        ',' + v[5],
        ',UPONREQUEST123456',
        ',' + v[5],
        '',
        'MAINTENANCE,' + v[6],
        '',
      ].join('\r\n'),
    );
    const r = await importLegacyVinLog(ctx, { file, dealer: 'columbia honda' });
    expect(r.format).toBe('grouped');
    expect(r.imported).toBe(7);
    expect(r.byType).toEqual({ legacy: 2, baseline: 5 });
    expect(r.rejected).toEqual([
      { line: 10, value: 'UPONREQUEST123456', reason: expect.stringMatching(/I, O or Q/) },
    ]);
    expect(r.duplicates).toHaveLength(1);
    expect(r.groupLabels).toBe(1);
    expect(r.rows).toBe(
      r.imported + r.alreadyInLog + r.duplicates.length + r.rejected.length + r.headers + r.groupLabels,
    );
    expect(
      await count(
        `SELECT count(*)::int AS n FROM vin_log WHERE dealership_id = $1 AND order_type = 'baseline'`,
        [honda],
      ),
    ).toBe(5);
    const refs = await ctx.db.query<{ order_ref: string }>(
      'SELECT DISTINCT order_ref FROM vin_log WHERE dealership_id = $1 ORDER BY order_ref',
      [honda],
    );
    expect(refs.rows.map((x) => x.order_ref)).toEqual(['10045', 'BASELINE', 'INITIAL', 'MAINTENANCE']);

    // Importing the same file again adds nothing.
    const again = await importLegacyVinLog(ctx, { file, dealer: 'Columbia Honda' });
    expect(again.imported).toBe(0);
    expect(again.alreadyInLog).toBe(7);

    // Every imported VIN is already ordered for CAO, baseline ones included.
    await seedInventory(
      ctx.db,
      honda,
      [...v.slice(0, 7), v[7]!].map((vin) => ({ vin, condition: 'po' as const })),
    );
    const cao = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true });
    expect(cao.results[0]!.vehicles.map((x) => x.vin)).toEqual([v[7]]);
    expect(cao.results[0]!.skipped.map((x) => x.reason)).toEqual(Array(7).fill('already_ordered'));
  });

  it('imports a columnar legacy log with dates; a dry run writes nothing', async () => {
    const text = [
      'VIN,ORDER_NUMBER,ORDER_DATE',
      `${v[8]},5001,2024-03-04`,
      `${v[9]!.toLowerCase()},5001,3/5/2024`,
      `${v[10]},BASELINE,`,
      `7.77778E+16,5002,2024-03-06`,
      `${v[11]},5003,someday`,
    ].join('\n');
    const dry = await importLegacyVinLog(ctx, { text, dealer: 'Spirit Lexus', dryRun: true });
    expect(dry.imported).toBe(4);
    expect(await count('SELECT count(*)::int AS n FROM vin_log WHERE dealership_id = $1', [lexus])).toBe(0);
    const r = await importLegacyVinLog(ctx, { text, dealer: 'Spirit Lexus' });
    expect(r.format).toBe('columnar');
    expect(r).toMatchObject({ imported: 4, byType: { legacy: 3, baseline: 1 }, headers: 1 });
    expect(r.rejected.map((x) => x.value)).toEqual(['7.77778E+16']);
    expect(r.warnings.map((x) => x.value)).toEqual(['someday']);
    const dated = await ctx.db.query<{ processed_at: Date | string }>(
      'SELECT processed_at FROM vin_log WHERE vin = $1',
      [v[9]],
    );
    expect(new Date(dated.rows[0]!.processed_at).toISOString()).toBe('2024-03-05T12:00:00.000Z');
  });

  it("vinlog show lists every dealership with order ids and reasons, and today's decision", async () => {
    // v[0] is baseline at Columbia Honda (and on its lot); order it at Spirit Lexus through a real CAO.
    await seedVinLog(ctx.db, honda, v[0]!, { condition: null, orderType: 'baseline', orderRef: 'BASELINE' });
    await seedInventory(ctx.db, honda, [{ vin: v[0]!, condition: 'po' }]);
    await seedInventory(ctx.db, lexus, [{ vin: v[0]!, make: 'Lexus' }]);
    const cao = await runCao(ctx, { dealers: ['Spirit Lexus'] });
    const lexusOrder = cao.results[0]!;
    expect(lexusOrder.vehicles.map((x) => [x.vin, x.reason])).toEqual([[v[0], 'cross_dealership']]);
    const report = await showVin(ctx, ` ${v[0]!.toLowerCase()} `);
    expect(report.vin).toBe(v[0]);
    expect(
      report.entries.map((e) => [e.dealershipName, e.orderType, e.orderRef, e.orderId, e.reason]),
    ).toEqual([
      ['Columbia Honda', 'baseline', 'BASELINE', null, null],
      ['Spirit Lexus', 'cao', null, lexusOrder.orderId, 'cross_dealership'],
    ]);
    const where = Object.fromEntries(report.inventory.map((i) => [i.dealership.name, i.decision?.reason]));
    expect(where).toEqual({ 'Columbia Honda': 'already_ordered', 'Spirit Lexus': 'recent' });
    await expect(showVin(ctx, '7.77778E+16')).rejects.toThrow(UsageError);
    const unknown = await showVin(ctx, makeVin(999_999, '3FA6P0LU'));
    expect(unknown.entries).toEqual([]);
  });
});
