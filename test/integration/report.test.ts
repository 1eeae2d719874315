import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { runList } from '../../src/app/list.js';
import { voidOrder } from '../../src/app/orders.js';
import { report, resolvePeriod, type ReportData } from '../../src/app/report.js';
import { billingFileName } from '../../src/core/templates.js';
import { createRun, saveCheckpoint } from '../../src/scrape/checkpoint.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';
import { seedSnapshots } from '../helpers/ops-seed.js';

/** The period of the tests: three weeks of October 2026, Monday to Monday (UTC). */
const FROM = new Date('2026-10-05T00:00:00Z');
const TO = new Date('2026-10-26T00:00:00Z');
/** Wednesdays at noon UTC: inside the same Monday-based week in any time zone of the server. */
const WEEK1 = new Date('2026-10-07T12:00:00Z');
const WEEK2 = new Date('2026-10-14T12:00:00Z');
const WEEK3 = new Date('2026-10-21T12:00:00Z');

/** Parses an order's billing sheet: dealership, template and vehicles per condition. */
function readBillingSheet(folder: string, slug: string) {
  const lines = readFileSync(path.join(folder, billingFileName(slug)), 'utf8')
    .split('\r\n')
    .map((l) => l.split(','));
  const value = (label: string) => lines.find((l) => l[0] === label)?.[1];
  const start = lines.findIndex((l) => l[0] === 'Condition' && l[1] === 'Vehicles');
  const byCondition: Record<string, number> = {};
  for (const l of lines.slice(start + 1, start + 5)) byCondition[l[0]!] = Number(l[1]);
  return { dealership: value('Billing')!, template: value('Template')!, byCondition };
}

describe.each(DATABASE_KINDS)('report on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let lexus: number;
  let serial = 0;
  const vin = () => makeVin(++serial);
  let data: ReportData;
  const orderIds: { id: number; at: Date }[] = [];
  let voidedId = 0;

  /** Moves an order (and the VIN-log rows it wrote) to `at`, as if it had been made then. */
  const backdate = async (id: number, at: Date) => {
    await ctx.db.query('UPDATE orders SET created_at = $2 WHERE id = $1', [id, at]);
    await ctx.db.query('UPDATE vin_log SET processed_at = $2 WHERE order_id = $1', [id, at]);
  };

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    lexus = (await resolveDealership(ctx, 'Spirit Lexus')).id;

    // Week 1: a CAO for Columbia Honda with 2 new, 1 used (po) and 1 cpo vehicle.
    const hv = [vin(), vin(), vin(), vin()];
    await seedInventory(ctx.db, honda, [
      { vin: hv[0]! },
      { vin: hv[1]! },
      { vin: hv[2]!, condition: 'po' },
      { vin: hv[3]!, condition: 'cpo' },
    ]);
    const cao = await runCao(ctx, { dealers: ['Columbia Honda'], vehicleTypes: ['new', 'used', 'cpo'] });
    expect(cao.results[0]!.status).toBe('ordered');
    const caoId = cao.results[0]!.orderId!;
    await backdate(caoId, WEEK1);
    orderIds.push({ id: caoId, at: WEEK1 });

    // Week 2: a LIST for Spirit Lexus (1 new, 1 po) and a LIST for Columbia Honda that is voided.
    const lv = [vin(), vin()];
    await seedInventory(ctx.db, lexus, [{ vin: lv[0]! }, { vin: lv[1]!, condition: 'po' }]);
    const list = await runList(ctx, { dealer: 'Spirit Lexus', entries: lv, updateVinLog: true });
    expect(list.status).toBe('ordered');
    await backdate(list.orderId!, WEEK2);
    orderIds.push({ id: list.orderId!, at: WEEK2 });
    const extra = vin();
    await seedInventory(ctx.db, honda, [{ vin: extra }]);
    const toVoid = await runList(ctx, { dealer: 'Columbia Honda', entries: [extra], updateVinLog: true });
    await backdate(toVoid.orderId!, WEEK2);
    voidedId = toVoid.orderId!;
    await voidOrder(ctx, voidedId, { reason: 'printed twice' });

    // Week 3: a LIST for Columbia Honda with the shortcut template (1 cpo).
    const sv = vin();
    await seedInventory(ctx.db, honda, [{ vin: sv, condition: 'cpo' }]);
    const sc = await runList(ctx, {
      dealer: 'Columbia Honda',
      entries: [sv],
      template: 'shortcut',
      updateVinLog: true,
    });
    await backdate(sc.orderId!, WEEK3);
    orderIds.push({ id: sc.orderId!, at: WEEK3 });

    // Outside the period: an order a month earlier is not counted.
    const old = vin();
    await seedInventory(ctx.db, lexus, [{ vin: old }]);
    const early = await runList(ctx, { dealer: 'Spirit Lexus', entries: [old], updateVinLog: true });
    await backdate(early.orderId!, new Date('2026-09-09T12:00:00Z'));

    // Inventory history: Spirit Lexus got 5 daily snapshots of 40 rows ending 2026-10-20.
    await seedSnapshots(ctx.db, lexus, { count: 5, rows: 40, now: new Date('2026-10-20T12:00:00Z') });

    // Scrape runs: Columbia Honda done then failed; Spirit Lexus done twice; one run before the period.
    const run = (at: string, entries: Record<string, 'done' | 'failed'>) => {
      const dealers = [
        { name: 'Columbia Honda', slug: 'columbia_honda' },
        { name: 'Spirit Lexus', slug: 'spirit_lexus' },
      ];
      const { runDir, checkpoint } = createRun(t.config.logDir, new Date(at), dealers, true);
      checkpoint.startedAt = at;
      for (const [slug, status] of Object.entries(entries)) {
        checkpoint.entries[slug] = {
          status,
          vehicles: status === 'done' ? 10 : 0,
          pages: 1,
          requests: 1,
          retries: 0,
          durationMs: 100,
          attempts: 1,
          finishedAt: at,
          ...(status === 'failed'
            ? { error: { code: 'http_403', message: 'the site answered 403 Forbidden', hints: [] } }
            : {}),
        };
      }
      checkpoint.finishedAt = at;
      saveCheckpoint(runDir, checkpoint);
    };
    run('2026-09-01T02:00:00.000Z', { columbia_honda: 'failed', spirit_lexus: 'failed' });
    run('2026-10-10T02:00:00.000Z', { columbia_honda: 'done', spirit_lexus: 'done' });
    run('2026-10-12T02:00:00.000Z', { columbia_honda: 'failed', spirit_lexus: 'done' });

    data = await report(ctx, { from: FROM, to: TO });
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('counts vehicles per week and condition from complete orders of the period only', async () => {
    const week = (w: string) => data.weeks.find((x) => x.week === w);
    expect(week('2026-10-05')).toMatchObject({
      vehicles: 4,
      byCondition: { new: 2, po: 1, cpo: 1, unknown: 0 },
    });
    expect(week('2026-10-12')).toMatchObject({ vehicles: 2, byCondition: { new: 1, po: 1, cpo: 0 } });
    expect(week('2026-10-19')).toMatchObject({ vehicles: 1, byCondition: { cpo: 1 } });
    expect(data.weeks.reduce((s, w) => s + w.vehicles, 0)).toBe(7);
    // The same numbers straight from the tables.
    const { rows } = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM order_vehicles v JOIN orders o ON o.id = v.order_id
       WHERE o.status = 'complete' AND o.created_at >= $1 AND o.created_at < $2`,
      [FROM, TO],
    );
    expect(rows[0]!.n).toBe(7);
  });

  it('splits orders per dealership into CAO and LIST', () => {
    expect(data.perDealership).toEqual([
      {
        name: 'Columbia Honda',
        cao: { orders: 1, vehicles: 4 },
        list: { orders: 1, vehicles: 1 },
        vehicles: 5,
      },
      {
        name: 'Spirit Lexus',
        cao: { orders: 0, vehicles: 0 },
        list: { orders: 1, vehicles: 2 },
        vehicles: 2,
      },
    ]);
  });

  it('bills per dealership and template, voided orders apart, and adds up to the billing sheets', async () => {
    expect(data.billing.voided).toEqual([
      expect.objectContaining({
        id: voidedId,
        dealership: 'Columbia Honda',
        type: 'LIST',
        vehicles: 1,
        reason: 'printed twice',
      }),
    ]);
    expect(data.billing.totals).toEqual({
      orders: 3,
      vehicles: 7,
      byCondition: { new: 3, po: 2, cpo: 2, unknown: 0 },
    });
    // Sum the orders' own billing sheets (in their folders) per dealership and template.
    const sums = new Map<string, Record<string, number>>();
    for (const { id } of orderIds) {
      const { rows } = await ctx.db.query<{ folder: string; slug: string }>(
        'SELECT o.folder, d.slug FROM orders o JOIN dealerships d ON d.id = o.dealership_id WHERE o.id = $1',
        [id],
      );
      const sheet = readBillingSheet(rows[0]!.folder, rows[0]!.slug);
      const key = `${sheet.dealership}/${sheet.template}`;
      const s = sums.get(key) ?? { new: 0, po: 0, cpo: 0, unknown: 0 };
      for (const [c, v] of Object.entries(sheet.byCondition)) s[c] = (s[c] ?? 0) + v;
      sums.set(key, s);
    }
    expect(new Map(data.billing.lines.map((l) => [`${l.dealership}/${l.template}`, l.byCondition]))).toEqual(
      sums,
    );
    expect(data.billing.lines.map((l) => [l.dealership, l.template, l.orders, l.vehicles])).toEqual([
      ['Columbia Honda', expect.any(String), 1, expect.any(Number)],
      ['Columbia Honda', expect.any(String), 1, expect.any(Number)],
      ['Spirit Lexus', expect.any(String), 1, 2],
    ]);
    expect(data.billing.lines.find((l) => l.template === 'shortcut')).toMatchObject({
      dealership: 'Columbia Honda',
      vehicles: 1,
      byCondition: { cpo: 1 },
    });
  });

  it('shows inventory per day, imports and scrape outcomes per dealership, and freshness', () => {
    const lexusInv = data.inventory.find((i) => i.name === 'Spirit Lexus')!;
    expect(lexusInv.points.filter((p) => p.rows === 40).map((p) => p.day)).toEqual([
      '2026-10-16',
      '2026-10-17',
      '2026-10-18',
      '2026-10-19',
      '2026-10-20',
    ]);
    const h = (name: string) => data.health.find((x) => x.name === name)!;
    expect(h('Columbia Honda')).toMatchObject({
      scrapeRuns: 2,
      scrapeDone: 1,
      scrapeSuccessPct: 50,
      lastFailure: {
        at: '2026-10-12T02:00:00.000Z',
        code: 'http_403',
        message: 'the site answered 403 Forbidden',
      },
    });
    expect(h('Spirit Lexus')).toMatchObject({
      scrapeRuns: 2,
      scrapeDone: 2,
      scrapeSuccessPct: 100,
      lastFailure: null,
    });
    expect(h('Spirit Lexus').csvImports).toBe(5);
    // Freshness: the active snapshot of Spirit Lexus is the one seeded last (2026-10-20 12:00 UTC).
    expect(h('Spirit Lexus').activeAt).toBe('2026-10-20T12:00:00.000Z');
    expect(h('Spirit Lexus').ageHours).toBeGreaterThan(0);
    const never = data.health.find((x) => x.activeAt === null && x.enabled)!;
    expect(never).toMatchObject({ ageHours: null, stale: true });
  });

  it('counts VIN-log growth and storage', async () => {
    expect(data.vinLog.before).toBe(1);
    expect(data.vinLog.weeks.map((w) => [w.week, w.added, w.total])).toEqual([
      ['2026-10-05', 4, 5],
      ['2026-10-12', 2, 7],
      ['2026-10-19', 1, 8],
    ]);
    expect(data.storage.databaseBytes).toBeGreaterThan(1_000_000);
    expect(data.storage.ordersFiles).toBeGreaterThan(10);
    expect(data.storage.ordersBytes).toBeGreaterThan(0);
  });

  it('narrows to the dealerships asked for', async () => {
    const only = await report(ctx, { from: FROM, to: TO, dealers: ['spirit lexus'] });
    expect(only.dealerships).toEqual(['Spirit Lexus']);
    expect(only.perDealership.map((d) => d.name)).toEqual(['Spirit Lexus']);
    expect(only.billing.totals.vehicles).toBe(2);
    expect(only.billing.voided).toEqual([]);
    expect(only.health.map((x) => x.name)).toEqual(['Spirit Lexus']);
    await expect(report(ctx, { from: FROM, to: TO, dealers: ['Nowhere Motors'] })).rejects.toThrow(
      /unknown dealership/,
    );
  });

  it('reads --month and --since, and refuses bad ones', () => {
    const now = new Date(2026, 10, 15, 9, 0);
    expect(resolvePeriod({ month: '2026-10' }, now)).toEqual({
      from: new Date(2026, 9, 1),
      to: new Date(2026, 10, 1),
      label: '2026-10',
    });
    expect(resolvePeriod({}, now).from).toEqual(new Date(now.getTime() - 30 * 86_400_000));
    expect(() => resolvePeriod({ month: '2026-13' }, now)).toThrow(/YYYY-MM/);
    expect(() => resolvePeriod({ since: 'yesterday' }, now)).toThrow(/--since/);
    expect(() => resolvePeriod({ month: '2026-10', since: '30d' }, now)).toThrow(/not both/);
  });
});
