import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { getQueue, getWeek, resetQueued, skipQueued } from '../../src/app/queue.js';
import { finishEntry } from '../../src/db/queue.js';
import { InputError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

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
