/**
 * Every query of the order and lookup paths over vehicles and the VIN log can use an index, on
 * both databases: the product's own functions run through a Queryable that EXPLAINs each
 * statement instead, with sequential scans disabled (so a plan that still scans a table has no
 * index to use, whatever the size of the test data). Migration 007 dropped two vehicles indexes;
 * this is what says the remaining (snapshot_id, vin) one serves every read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { caoDecisionParameters } from '../../src/core/cao.js';
import { settingsSchema } from '../../src/core/dealership.js';
import {
  selectActiveSnapshotId,
  selectActiveVehicles,
  selectActiveVehiclesByStocks,
  selectActiveVehiclesByVins,
  selectActiveVehiclesWithVin,
} from '../../src/db/active-vehicles.js';
import { decideCaoInDatabase } from '../../src/db/cao-decision.js';
import type { Queryable } from '../../src/db/database.js';
import { selectVinLogByVin, selectVinLogFacts } from '../../src/db/vinlog.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory, seedVinLog } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('query plans on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  const vins = Array.from({ length: 50 }, (_, i) => makeVin(7000 + i));

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    const other = (await resolveDealership(ctx, 'Spirit Lexus')).id;
    await seedInventory(
      ctx.db,
      honda,
      vins.map((vin) => ({ vin })),
    );
    await seedInventory(
      ctx.db,
      other,
      vins.slice(0, 10).map((vin) => ({ vin })),
    );
    for (const vin of vins.slice(0, 20)) await seedVinLog(ctx.db, honda, vin);
    // Enough rows elsewhere that walking a whole table or index is never the cheap plan.
    await ctx.db.query(
      `INSERT INTO vin_log (dealership_id, vin, condition, order_type, processed_at)
       SELECT d.id, 'X' || lpad(d.id::text, 3, '0') || lpad(g::text, 13, '0'), 'new', 'legacy', now()
       FROM dealerships d, generate_series(1, 500) g`,
    );
    await ctx.db.query(
      `INSERT INTO vehicles (snapshot_id, dealership_id, line, vin, vin_valid, condition, lot_status)
       SELECT s.id, s.dealership_id, 100 + g, 'Y' || lpad(g::text, 16, '0'), true, 'new', 'on_lot'
       FROM snapshots s, generate_series(1, 5000) g WHERE s.dealership_id = $1 AND s.status = 'active'`,
      [other],
    );
    await ctx.db.query('ANALYZE');
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  /** The plans of the statements `run` sends, with sequential scans off. */
  async function plans(run: (q: Queryable) => Promise<unknown>): Promise<string[]> {
    const out: string[] = [];
    await ctx.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const explain: Queryable = {
        query: async (sql, params) => {
          const r = await tx.query(`EXPLAIN ${sql}`, params);
          out.push(r.rows.map((row) => String(Object.values(row)[0])).join('\n'));
          return { rows: [], rowCount: 0 } as never;
        },
        exec: () => Promise.reject(new Error('not explained')),
        copyIn: () => Promise.reject(new Error('not explained')),
      };
      await run(explain);
    });
    return out;
  }

  /**
   * What in a plan reads vehicles, vin_log, vin_state or snapshots without an index: a sequential
   * scan, or (vehicles, vin_log, vin_state) an index scanned whole (a plan can walk an index end to end to avoid a Seq Scan).
   */
  function unindexed(plan: string): string[] {
    const lines = plan.split('\n');
    const out: string[] = [];
    lines.forEach((line, i) => {
      if (/Seq Scan on (vehicles|vin_log|vin_state|snapshots)\b/.test(line)) out.push(line.trim());
      // snapshots (a row per dealership and import) may be walked through its partial index of the
      // active ones; vehicles and vin_log never whole.
      const whole =
        /Index (Only )?Scan using \S+ on (vehicles|vin_log|vin_state)\b|Bitmap Index Scan on (vehicles|vin_log|vin_state)_/;
      const index = whole.exec(line);
      if (!index) return;
      const rest = lines.slice(i + 1);
      const next = rest.findIndex((l) => l.includes('->'));
      const own = next === -1 ? rest : rest.slice(0, next);
      if (!own.some((l) => l.includes('Index Cond:'))) out.push(`${line.trim()} (no Index Cond)`);
    });
    return out;
  }

  it('vehicles and VIN-log reads use indexes', async () => {
    const snapshotId = (await selectActiveSnapshotId(ctx.db, honda))!;
    const settings = settingsSchema.parse({});
    const checked: [string, string[]][] = [
      ['active snapshot id', await plans((q) => selectActiveSnapshotId(q, honda))],
      ['active vehicles', await plans((q) => selectActiveVehicles(q, honda))],
      ['active vehicles by VIN', await plans((q) => selectActiveVehiclesByVins(q, honda, vins.slice(0, 5)))],
      ['active vehicles by stock', await plans((q) => selectActiveVehiclesByStocks(q, honda, ['S007001']))],
      [
        'active vehicles with a VIN, every dealership',
        await plans((q) => selectActiveVehiclesWithVin(q, vins[0]!)),
      ],
      ['VIN-log facts', await plans((q) => selectVinLogFacts(q, honda, vins))],
      ['VIN-log lookup', await plans((q) => selectVinLogByVin(q, vins[0]!))],
      [
        'CAO decision',
        await plans((q) =>
          decideCaoInDatabase(q, honda, snapshotId, caoDecisionParameters(settings, new Date(), 'UTC')),
        ),
      ],
    ];
    for (const [what, ps] of checked) {
      expect(ps.length, what).toBeGreaterThan(0);
      for (const p of ps) expect(unindexed(p), `${what}:\n${p}`).toEqual([]);
    }
    // The dropped indexes are gone, the one that serves is there.
    const idx = await ctx.db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'vehicles' ORDER BY indexname`,
    );
    expect(idx.rows.map((r) => r.indexname)).toEqual(['vehicles_pkey', 'vehicles_snapshot_id_vin_key']);
  });
});
