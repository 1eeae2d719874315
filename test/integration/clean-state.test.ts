/**
 * The per-test reset of test/helpers/clean-state.ts: whatever a test writes, in any table, is gone
 * before the next one, and the fixture the file saved is back as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { resetToBaseline, saveBaseline } from '../helpers/clean-state.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory, seedVinLog } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('clean state per test on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;

  /** Every table's rows, as text, so two states compare whole. */
  const dump = async () => {
    const tables = (
      await ctx.db.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
      )
    ).rows.map((r) => r.name);
    const out: Record<string, string[]> = {};
    for (const name of tables)
      out[name] = (await ctx.db.query<{ r: string }>(`SELECT x::text AS r FROM "${name}" x`)).rows
        .map((r) => r.r)
        .sort();
    return out;
  };

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('removes rows a test added and restores rows it changed or deleted; ids keep counting up', async () => {
    const honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    await ctx.db.query(`UPDATE dealerships SET settings = '{"min_year": 2020}'::jsonb WHERE id = $1`, [
      honda,
    ]);
    await saveBaseline(ctx.db);
    const baseline = await dump();
    expect(baseline.dealerships!.length).toBeGreaterThan(1);

    await seedInventory(ctx.db, honda, [{ vin: makeVin(1) }, { vin: makeVin(2) }]);
    await seedVinLog(ctx.db, honda, makeVin(1));
    await ctx.db.query(`UPDATE dealerships SET settings = '{}'::jsonb`);
    await ctx.db.query('DELETE FROM dealership_aliases');
    const lastSnapshot = Number(
      (await ctx.db.query<{ id: number }>('SELECT max(id) AS id FROM snapshots')).rows[0]!.id,
    );
    expect(await dump()).not.toEqual(baseline);

    await resetToBaseline(ctx.db);
    expect(await dump()).toEqual(baseline);
    // Not restarted: a later test's ids (and order folder names) never repeat an earlier test's.
    await seedInventory(ctx.db, honda, [{ vin: makeVin(3) }]);
    const next = Number(
      (await ctx.db.query<{ id: number }>('SELECT max(id) AS id FROM snapshots')).rows[0]!.id,
    );
    expect(next).toBeGreaterThan(lastSnapshot);

    await resetToBaseline(ctx.db);
    expect(await dump()).toEqual(baseline);
  });
});
