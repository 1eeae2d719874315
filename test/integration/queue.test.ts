import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { getQueue, getWeek, resetQueued, runDueOrders, skipQueued } from '../../src/app/queue.js';
import { finishEntry } from '../../src/db/queue.js';
import { InputError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';

// Tuesday 24 November 2026, mid-morning local time.
const TUESDAY = new Date(2026, 10, 24, 10, 0);

describe.each(DATABASE_KINDS)('order queue on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open({ now: () => TUESDAY });
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it("shows Tuesday's nine scheduled orders from shared/schedule.csv, pending, by priority", async () => {
    const q = await getQueue(ctx);
    expect(q.date).toBe('2026-11-24');
    expect(q.entries.map((e) => e.dealershipName)).toEqual([
      'Spirit Lexus',
      'Suntrup Ford Kirkwood',
      'Suntrup Ford West',
      'Weber Chevrolet',
      'HW Kia',
      'Volvo Cars West County',
      'Bommarito West County',
      'Glendale CDJR',
      'Honda of Frontenac',
    ]);
    const spirit = q.entries[0]!;
    expect([spirit.template, spirit.vehicleTypes, spirit.status]).toEqual([
      'flyout',
      ['new', 'used'],
      'pending',
    ]);
    expect(q.entries.find((e) => e.dealershipName === 'Honda of Frontenac')!.vehicleTypes).toEqual(['used']);
    // Looking again creates nothing new.
    expect((await getQueue(ctx)).entries).toHaveLength(9);
  });

  it('skip needs a reason and records it; reset puts it back', async () => {
    await expect(skipQueued(ctx, { dealer: 'Spirit Lexus', reason: '  ' })).rejects.toThrow(/--reason/);
    expect(await skipQueued(ctx, { dealer: 'spirit lexus', reason: 'lot closed' })).toBe(1);
    let spirit = (await getQueue(ctx)).entries.find((e) => e.dealershipName === 'Spirit Lexus')!;
    expect([spirit.status, spirit.reason]).toEqual(['skipped', 'lot closed']);
    expect(spirit.ranBy).toMatch(/@/);
    await expect(skipQueued(ctx, { dealer: 'Columbia Honda', reason: 'x' })).rejects.toThrow(InputError);
    expect(await resetQueued(ctx, { dealer: 'Spirit Lexus' })).toBe(1);
    spirit = (await getQueue(ctx)).entries.find((e) => e.dealershipName === 'Spirit Lexus')!;
    expect(spirit.status).toBe('pending');
  });

  it('a done entry with a live order cannot be reset (void the order first)', async () => {
    const d = await resolveDealership(ctx, 'HW Kia');
    const { rows } = await ctx.db.query<{ id: number }>(
      `INSERT INTO orders (dealership_id, order_type, template, folder, vehicle_count) VALUES ($1, 'cao', 'flyout', '/x', 3) RETURNING id`,
      [d.id],
    );
    const orderId = Number(rows[0]!.id);
    const entry = (await getQueue(ctx)).entries.find((e) => e.dealershipId === d.id)!;
    await finishEntry(ctx.db, entry.id, { status: 'done', orderId, vehicleCount: 3 });
    await expect(resetQueued(ctx, { dealer: 'HW Kia' })).rejects.toThrow(/already has an order/);
    await ctx.db.query(`UPDATE orders SET status = 'voided' WHERE id = $1`, [orderId]);
    expect(await resetQueued(ctx, { dealer: 'HW Kia' })).toBe(1);
  });

  it('a run that died mid-way is recovered: pending again without an order, done with one', async () => {
    const d = await resolveDealership(ctx, 'Glendale CDJR');
    const entry = (await getQueue(ctx)).entries.find((e) => e.dealershipId === d.id)!;
    await ctx.db.query(
      `UPDATE queue_entries SET status = 'running', updated_at = now() - interval '2 hours' WHERE id = $1`,
      [entry.id],
    );
    expect((await getQueue(ctx)).entries.find((e) => e.id === entry.id)!.status).toBe('pending');
    await ctx.db.query(
      `UPDATE queue_entries SET status = 'running', updated_at = now() - interval '2 hours' WHERE id = $1`,
      [entry.id],
    );
    const { rows } = await ctx.db.query<{ id: number }>(
      `INSERT INTO orders (dealership_id, order_type, template, folder, vehicle_count, idempotency_key)
       VALUES ($1, 'cao', 'shortcut_pack', '/y', 7, $2) RETURNING id`,
      [d.id, `queue:${entry.id}:1`],
    );
    const after = (await getQueue(ctx)).entries.find((e) => e.id === entry.id)!;
    expect([after.status, after.orderId, after.vehicleCount]).toEqual(['done', Number(rows[0]!.id), 7]);
  });

  it('the week view shows each day and marks past days that never ran as missed', async () => {
    const week = await getWeek(ctx);
    expect(week.days).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ]);
    const frank = week.rows.find((r) => r.dealershipName === 'Frank Leta Honda')!;
    expect(frank.cells[0]!.missed).toBe(true); // Monday, pending, now Tuesday
    expect(frank.cells[1]).toBeUndefined();
    expect(frank.cells[2]!.status).toBe('pending'); // Wednesday, still to come
    expect(frank.cells[2]!.missed).toBe(false);
    const kia = week.rows.find((r) => r.dealershipName === 'HW Kia')!;
    expect(kia.cells[1]!.status).toBe('pending');
  });
});

describe.each(DATABASE_KINDS)('cao --due on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  // Thursday 26 November 2026.
  const THURSDAY = new Date(2026, 10, 26, 9, 0);
  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open({ now: () => THURSDAY });
    const spirit = await resolveDealership(ctx, 'Spirit Lexus');
    await seedInventory(ctx.db, spirit.id, [
      { vin: makeVin(1, 'JTHBA1D2'), condition: 'new' },
      { vin: makeVin(2, 'JTHBA1D2'), condition: 'po' },
      { vin: makeVin(3, 'JTHBA1D2'), condition: 'cpo' },
    ]);
    const kia = await resolveDealership(ctx, 'HW Kia');
    await seedInventory(ctx.db, kia.id, [
      { vin: makeVin(10, '5XYP3DHC'), condition: 'new' },
      { vin: makeVin(11, '5XYP3DHC'), condition: 'po' },
    ]);
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('a dry run claims and writes nothing', async () => {
    const r = await runDueOrders(ctx, { dryRun: true });
    expect(r.ran.length).toBe(11); // the Thursday rows of shared/schedule.csv
    expect(r.ran.every((x) => x.status === 'dry_run')).toBe(true);
    // Only Spirit Lexus and HW Kia have inventory: the others would fail (most with no_inventory),
    // and the dry run counts them.
    const wouldFail = r.ran.filter((x) => !['Spirit Lexus', 'HW Kia'].includes(x.entry.dealershipName));
    expect(wouldFail.length).toBeGreaterThan(0);
    expect(wouldFail.every((x) => x.failed && ['no_inventory', 'failed'].includes(x.result.status))).toBe(
      true,
    );
    expect(r.failed).toBe(wouldFail.length);
    expect((await getQueue(ctx)).entries.every((e) => e.status === 'pending')).toBe(true);
    const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    expect(rows[0]!.n).toBe(0);
  });

  it('runs each pending scheduled order with its own template and vehicle types, once', async () => {
    const r = await runDueOrders(ctx, { holdsRunLock: true });
    const by = (name: string) => r.ran.find((x) => x.entry.dealershipName === name)!;
    const spirit = by('Spirit Lexus');
    expect(spirit.status).toBe('done');
    expect(spirit.result.template).toBe('flyout');
    expect(spirit.result.vehicles).toHaveLength(3);
    const kia = by('HW Kia');
    expect(kia.status).toBe('done');
    // HW Kia's Thursday order is for used vehicles only.
    expect(kia.result.vehicles.map((v) => v.condition)).toEqual(['po']);
    expect(kia.result.template).toBe('flyout');
    // Weber's schedule names a custom template it does not define: that entry fails alone.
    expect(by('Weber Chevrolet').status).toBe('failed');
    expect(by('Weber Chevrolet').result.error!.message).toMatch(/custom/);
    // Never imported: failed with the reason.
    expect(by('Thoroughbred Ford').status).toBe('failed');
    expect(r.failed).toBe(r.ran.filter((x) => x.status === 'failed').length);

    const q = await getQueue(ctx);
    const spiritEntry = q.entries.find((e) => e.dealershipName === 'Spirit Lexus')!;
    expect([spiritEntry.status, spiritEntry.orderId, spiritEntry.vehicleCount]).toEqual([
      'done',
      spirit.result.orderId,
      3,
    ]);
    expect(q.entries.find((e) => e.dealershipName === 'Thoroughbred Ford')!.reason).toMatch(
      /no active inventory/,
    );

    // Re-running does only what is still pending: nothing; no second order.
    const again = await runDueOrders(ctx, { holdsRunLock: true });
    expect(again.ran).toEqual([]);
    const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    expect(rows[0]!.n).toBe(2);
  });

  it('a failed entry reset by hand runs again; a done one cannot be reset while its order stands', async () => {
    await expect(resetQueued(ctx, { dealer: 'Spirit Lexus' })).rejects.toThrow(/already has an order/);
    expect(await resetQueued(ctx, { dealer: 'Thoroughbred Ford' })).toBe(1);
    const tf = await resolveDealership(ctx, 'Thoroughbred Ford');
    await seedInventory(ctx.db, tf.id, [{ vin: makeVin(20, '1FTFW1E5'), condition: 'po', make: 'Ford' }]);
    const r = await runDueOrders(ctx, { holdsRunLock: true, dealers: ['thoroughbred ford'] });
    expect(r.ran.map((x) => [x.entry.dealershipName, x.status, x.result.vehicles.length])).toEqual([
      ['Thoroughbred Ford', 'done', 1],
    ]);
  });

  it('a run that died after committing its order is recovered as done, not ordered again', async () => {
    const q = await getQueue(ctx);
    const spirit = q.entries.find((e) => e.dealershipName === 'Spirit Lexus')!;
    // Simulate: claimed (running) and order committed, but the process died before marking done.
    await ctx.db.query(`UPDATE queue_entries SET status = 'running', order_id = NULL WHERE id = $1`, [
      spirit.id,
    ]);
    const r = await runDueOrders(ctx, { holdsRunLock: true, dealers: ['Spirit Lexus'] });
    expect(r.ran).toEqual([]);
    const after = (await getQueue(ctx)).entries.find((e) => e.id === spirit.id)!;
    expect([after.status, after.orderId]).toEqual(['done', spirit.orderId]);
  });
});
