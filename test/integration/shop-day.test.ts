/**
 * Issue 15.5 through the use cases, on both databases: the shop's time zone (config.timeZone,
 * SILVERFOX_TIMEZONE) decides "today" for seasoning_days in a CAO and for the queue's day, at
 * instants around midnight where the UTC date, the process's date and the shop's date differ.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { resolveDay } from '../../src/app/queue.js';
import { addDays } from '../../src/core/calendar.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';

const CASES = [
  { zone: 'America/Chicago', at: '2026-11-20T02:06:00Z', today: '2026-11-19' },
  { zone: 'Pacific/Auckland', at: '2026-11-20T11:30:00Z', today: '2026-11-21' },
  { zone: 'UTC', at: '2026-11-20T23:59:00Z', today: '2026-11-20' },
] as const;

describe.each(DATABASE_KINDS)('the shop day on %s', (kind) => {
  let t: TestEnv;
  let base: AppContext;
  let honda: number;
  let serial = 700;

  beforeAll(async () => {
    t = await createTestEnv(kind);
    base = await t.open();
    honda = (await resolveDealership(base, 'Columbia Honda')).id;
    await base.db.query('UPDATE dealerships SET settings = $2::jsonb WHERE id = $1', [
      honda,
      JSON.stringify({ seasoning_days: 1 }),
    ]);
  });
  afterAll(async () => {
    await base?.db.close();
    await t?.cleanup();
  });
  beforeEach(async () => {
    await base.db.query('DELETE FROM vin_log');
    await base.db.query('DELETE FROM order_vehicles');
    await base.db.query('DELETE FROM orders');
  });

  it.each(CASES)(
    '$zone at $at: today is $today for seasoning_days and the queue',
    async ({ zone, at, today }) => {
      const ctx: AppContext = {
        ...base,
        config: { ...base.config, timeZone: zone },
        now: () => new Date(at),
      };
      const sinceToday = makeVin(++serial);
      const sinceYesterday = makeVin(++serial);
      await seedInventory(ctx.db, honda, [
        { vin: sinceToday, dateInStock: today },
        { vin: sinceYesterday, dateInStock: addDays(today, -1) },
      ]);
      const r = (await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true, explain: true })).results[0]!;
      expect(r.vehicles.map((v) => v.vin)).toEqual([sinceYesterday]);
      expect(r.filteredOut.map((v) => [v.vin, v.filter])).toEqual([[sinceToday, 'seasoning_days']]);
      expect(resolveDay(ctx)).toBe(today);
      expect(resolveDay(ctx, 'yesterday')).toBe(addDays(today, -1));
    },
  );
});
