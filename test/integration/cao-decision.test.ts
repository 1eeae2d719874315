/**
 * Rule 3 decided in SQL (db/cao-decision.ts) against rule 3 decided in core (selectCao) on the
 * same data: the vehicles to order with their reasons, the count per filter and per reason. The
 * data: the real Craigslist sample (dirty makes, models, prices, years, conditions) imported
 * through the product, with VIN-log rows here and elsewhere, under many settings; and the edge
 * cases of the VIN decision one by one.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { importFiles } from '../../src/app/import.js';
import {
  caoDecisionOf,
  caoDecisionParameters,
  selectCao,
  vinsToDecide,
  type CaoDecision,
} from '../../src/core/cao.js';
import { settingsSchema, type DealershipSettings } from '../../src/core/dealership.js';
import { selectActiveSnapshotId, selectActiveVehicles } from '../../src/db/active-vehicles.js';
import { decideCaoInDatabase } from '../../src/db/cao-decision.js';
import { selectVinLogFacts } from '../../src/db/vinlog.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { SHARED } from '../helpers/env.js';
import { makeVin, seedInventory, seedVinLog } from '../helpers/inventory.js';

const CRAIGSLIST = path.join(SHARED, 'data/craigslist_vehicles_sample.csv');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVERY_CONDITION: DealershipSettings['vehicle_types'] = ['new', 'po', 'cpo', 'unknown'];

describe.each(DATABASE_KINDS)('CAO decided in SQL agrees with core on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let kia: number;
  let lexus: number;

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    kia = (await resolveDealership(ctx, 'Kia of Columbia')).id;
    lexus = (await resolveDealership(ctx, 'Spirit Lexus')).id;
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  async function both(dealershipId: number, settings: DealershipSettings, now: Date) {
    const tz = ctx.config.timeZone;
    const vehicles = await selectActiveVehicles(ctx.db, dealershipId);
    const facts = await selectVinLogFacts(ctx.db, dealershipId, vinsToDecide(vehicles, settings, now, tz));
    const selection = selectCao(vehicles, facts, settings, now, tz);
    const core = caoDecisionOf(selection, vehicles.length);
    const snapshotId = (await selectActiveSnapshotId(ctx.db, dealershipId))!;
    const sql = await decideCaoInDatabase(
      ctx.db,
      dealershipId,
      snapshotId,
      caoDecisionParameters(settings, now, tz),
    );
    return { selection, core, sql };
  }

  const settings = (s: Partial<DealershipSettings> = {}) => settingsSchema.parse(s);

  it('on the real Craigslist sample with VIN-log rows here and elsewhere, under many settings', async () => {
    const r = await importFiles(ctx, { files: [CRAIGSLIST], dealer: 'Columbia Honda' });
    expect(r.rowsImported).toBe(3272);
    const now = new Date();
    const vehicles = await selectActiveVehicles(ctx.db, honda);
    // A spread of VIN-log histories over the real VINs (every 3rd, 5th and 7th vehicle), in one statement.
    const log: [number, string, string, string | null, Date][] = [];
    for (const [i, v] of vehicles.entries()) {
      if (i % 3 === 0)
        log.push([
          honda,
          v.vin,
          i % 2 ? 'cao' : 'legacy',
          (['new', 'po', 'cpo', null, 'unknown'] as const)[i % 5] ?? null,
          new Date(now.getTime() - (i % 4) * 20 * HOUR),
        ]);
      if (i % 5 === 0) log.push([kia, v.vin, 'cao', 'new', now]);
      if (i % 7 === 0) log.push([honda, v.vin, 'list', 'po', new Date(now.getTime() - 3 * DAY)]);
    }
    await ctx.db.query(
      `INSERT INTO vin_log (dealership_id, vin, order_type, condition, processed_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])`,
      [0, 1, 2, 3, 4].map((k) => log.map((row) => (k === 4 ? (row[4] as Date).toISOString() : row[k]))),
    );
    const cases: Partial<DealershipSettings>[] = [
      {},
      { vehicle_types: ['used'] },
      { vehicle_types: ['new', 'unknown'], allow_off_lot: true },
      // Every condition where a later filter must be reached: most of the sample's conditions are
      // 'unknown' (a condition word counts only as the whole value or a known phrase), which
      // vehicle_types would filter out first.
      { min_price: 5_000, max_price: 30_000, min_year: 2012, vehicle_types: EVERY_CONDITION },
      { seasoning_days: 30 },
      { require_stock: true, require_price: true },
      { brands: ['Ford', 'chevrolet', 'Mercedes-Benz', 'RAM'] },
      { exclude_keywords: ['hybrid', 'LIMITED', 'sale'], vehicle_types: EVERY_CONDITION },
      { recent_days: 0 },
      { recent_days: 2.5, vehicle_types: ['new', 'po', 'cpo', 'unknown'] },
    ];
    const all: CaoDecision[] = [];
    const reasons = new Set<string>();
    for (const c of cases) {
      const { selection, core, sql } = await both(honda, settings(c), now);
      expect(sql, JSON.stringify(c)).toEqual(core);
      all.push(core);
      for (const s of [...selection.toOrder, ...selection.skipped]) reasons.add(s.reason);
    }
    // The cases exercise every reason and most filters (so agreement is not agreement on nothing);
    // the decision counts cross_dealership under new (CaoDecision), the selection tells it apart.
    const filters = new Set(all.flatMap((d) => Object.keys(d.byFilter)));
    expect([...reasons].sort()).toEqual([
      'already_ordered',
      'condition_changed',
      'cross_dealership',
      'new',
      'recent',
    ]);
    for (const f of ['vehicle_types', 'min_price', 'max_price', 'min_year', 'brands', 'exclude_keywords'])
      expect(filters).toContain(f);
    expect(all[0]!.toOrder).toBeGreaterThan(0);
  });

  it('on the edge cases of the VIN decision and the filters', async () => {
    const now = new Date('2026-06-15T12:00:00Z');
    const v = Array.from({ length: 14 }, (_, i) => makeVin(9100 + i));
    await seedInventory(ctx.db, lexus, [
      { vin: v[0]! }, // new
      { vin: v[1]! }, // ordered at another dealership only: cross_dealership
      { vin: v[2]! }, // CAO 2 days ago, recent_days 1: after the window, same condition
      { vin: v[3]!, condition: 'po' }, // CAO 2 days ago as new: condition changed
      { vin: v[4]!, condition: 'po' }, // CAO 1 hour ago as new: recent wins over the change
      { vin: v[5]!, condition: 'unknown' }, // ordered as new, now unknown: never "changed"
      { vin: v[6]!, condition: 'cpo' }, // baseline without condition: already ordered
      { vin: v[7]!, condition: 'po' }, // legacy as new an hour ago: not recent, condition changed
      { vin: v[8]! }, // CAO exactly recent_days ago: not recent any more
      { vin: v[9]!, condition: 'po' }, // two entries at the same time, new and po
      { vin: v[10]!, price: null, stock: null }, // no price, no stock
      { vin: v[11]!, make: 'Mercedes-Benz', model: 'GLC 300', dateInStock: '2026-06-10' },
      { vin: v[12]!, vinValid: false },
      { vin: v[13]!, lotStatus: 'off_lot', status: 'Sold' },
    ]);
    await seedVinLog(ctx.db, kia, v[1]!, { orderType: 'cao' });
    await seedVinLog(ctx.db, lexus, v[2]!, {
      orderType: 'cao',
      processedAt: new Date(now.getTime() - 2 * DAY),
    });
    await seedVinLog(ctx.db, lexus, v[3]!, {
      orderType: 'cao',
      processedAt: new Date(now.getTime() - 2 * DAY),
    });
    await seedVinLog(ctx.db, lexus, v[4]!, { orderType: 'cao', processedAt: new Date(now.getTime() - HOUR) });
    await seedVinLog(ctx.db, lexus, v[5]!, {
      orderType: 'cao',
      processedAt: new Date(now.getTime() - 9 * DAY),
    });
    await seedVinLog(ctx.db, lexus, v[6]!, { orderType: 'baseline', condition: null });
    await seedVinLog(ctx.db, lexus, v[7]!, {
      orderType: 'legacy',
      processedAt: new Date(now.getTime() - HOUR),
    });
    await seedVinLog(ctx.db, lexus, v[8]!, { orderType: 'list', processedAt: new Date(now.getTime() - DAY) });
    const same = new Date(now.getTime() - 5 * DAY);
    await seedVinLog(ctx.db, lexus, v[9]!, { orderType: 'cao', condition: 'new', processedAt: same });
    await seedVinLog(ctx.db, lexus, v[9]!, { orderType: 'cao', condition: 'po', processedAt: same });

    const base = settings({ vehicle_types: ['new', 'used', 'unknown'] });
    const { selection, core, sql } = await both(lexus, base, now);
    expect(sql).toEqual(core);
    expect(Object.fromEntries(selection.toOrder.map((o) => [v.indexOf(o.vehicle.vin), o.reason]))).toEqual({
      0: 'new',
      1: 'cross_dealership',
      3: 'condition_changed',
      7: 'condition_changed',
      // Two entries at the same time: the first written (new) is the latest known condition.
      9: 'condition_changed',
      10: 'new',
      11: 'new',
    });
    expect(core.toOrder).toBe(7);
    expect(core.byReason).toEqual({
      new: 4,
      condition_changed: 3,
      recent: 1,
      already_ordered: 4,
    });
    expect(core.byFilter).toEqual({ invalid_vin: 1, off_lot: 1 });

    // The filters on the same vehicles, each on its own and together.
    for (const s of [
      { require_price: true },
      { require_stock: true },
      { seasoning_days: 5 },
      { seasoning_days: 6 },
      { brands: ['mercedes benz'] },
      { brands: ['---'] },
      { exclude_keywords: ['glc', 'xyz'] },
      { exclude_keywords: ['SOLD'], allow_off_lot: true },
      { min_price: 25_000, max_price: 25_000, min_year: 2024 },
      { recent_days: 3 },
    ]) {
      const r = await both(lexus, settings({ ...base, ...s }), now);
      expect(r.sql, JSON.stringify(s)).toEqual(r.core);
    }

    // The night after: every VIN ordered (most nights look like this): nothing to order.
    await ctx.db.query(
      `INSERT INTO vin_log (dealership_id, vin, condition, order_type, processed_at)
       SELECT $1, vin, 'po', 'cao', $3 FROM unnest($2::text[]) AS u(vin)`,
      [lexus, v, new Date(now.getTime() - 2 * HOUR).toISOString()],
    );
    const after = await both(lexus, base, now);
    expect(after.sql).toEqual(after.core);
    expect(after.sql.toOrder).toBe(0);
    expect(after.sql.byReason).toEqual({ recent: 12 });
    // Past the recent window, the condition logged last is what counts: po two hours before, but
    // new for v[4] and v[7] (logged an hour before). Changed: the 7 vehicles not po (v[5] is
    // unknown: never changed) and v[4], v[7]; unchanged: v[3], v[5], v[9].
    const later = await both(lexus, base, new Date(now.getTime() + 2 * DAY));
    expect(later.sql).toEqual(later.core);
    expect(later.sql.byReason).toEqual({ condition_changed: 9, already_ordered: 3 });
  });
});
