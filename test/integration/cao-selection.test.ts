/**
 * runCao's `only` and `overrides` (what the wizard's deselect checkbox and manual data editor
 * pass): only the chosen vehicles are ordered and logged, the others come back in the next CAO,
 * and edited fields reach this order's files but never the snapshot.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { resetBeforeEachTest, saveBaseline } from '../helpers/clean-state.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('CAO with a chosen subset and edited fields on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let serial = 500;
  const vin = () => makeVin(++serial);
  const rows = async <T>(sql: string, params: unknown[] = []) =>
    (await ctx.db.query<T & Record<string, unknown>>(sql, params)).rows;

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    await saveBaseline(ctx.db);
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });
  resetBeforeEachTest(() => ctx.db);

  it('orders only the chosen VINs with the edited fields; the others come back next time', async () => {
    const [a, b, c] = [vin(), vin(), vin()];
    await seedInventory(ctx.db, honda, [{ vin: a }, { vin: b, model: 'Civic' }, { vin: c }]);

    // The preview (dry run) already shows only the chosen ones.
    const dry = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true, only: [a, c.toLowerCase()] });
    expect(dry.results[0]!.vehicles.map((v) => v.vin)).toEqual([a, c]);

    const r = await runCao(ctx, {
      dealers: ['Columbia Honda'],
      only: [a, c],
      overrides: {
        [c]: { model: 'Accord Hybrid Touring', price: 41_990, stock: undefined },
        [b]: { model: 'X' },
      },
    });
    const d = r.results[0]!;
    expect(d.status).toBe('ordered');
    expect(d.counts.ordered).toBe(2);

    const csv = readFileSync(path.join(d.folder!, 'columbia_honda_standard.csv'), 'utf8');
    const line = (v: string) => csv.split('\r\n').find((l) => l.startsWith(v))!;
    expect(line(c)).toContain('Accord Hybrid Touring');
    expect(line(c)).toContain('"$41,990",2024 Honda Accord Hybrid Touring');
    expect(line(c)).toContain(`S${c.slice(-6)}`); // an undefined override keeps the snapshot's stock
    expect(line(a)).toContain(',Accord,');
    expect(csv).not.toContain(b);

    const summary = JSON.parse(readFileSync(path.join(d.folder!, 'order_summary.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(summary)).toContain('"deselected":1');
    expect(JSON.stringify(summary)).toContain(`"edited_for_this_order":["${c}"]`);

    const logged = await rows<{ vin: string }>(
      'SELECT vin FROM vin_log WHERE dealership_id = $1 ORDER BY vin',
      [honda],
    );
    expect(logged.map((x) => x.vin)).toEqual([a, c].sort());
    const ordered = await rows<{ vin: string; model: string }>(
      'SELECT vin, model FROM order_vehicles WHERE order_id = $1 ORDER BY vin',
      [d.orderId],
    );
    expect(ordered.find((x) => x.vin === c)!.model).toBe('Accord Hybrid Touring');
    // The snapshot is untouched.
    const snap = await rows<{ model: string }>(
      'SELECT v.model FROM vehicles v JOIN snapshots s ON s.id = v.snapshot_id WHERE s.status = $1 AND v.vin = $2',
      ['active', c],
    );
    expect(snap[0]!.model).toBe('Accord');

    // The deselected vehicle is still new next time.
    const next = await runCao(ctx, { dealers: ['Columbia Honda'], dryRun: true });
    expect(next.results[0]!.vehicles.map((v) => [v.vin, v.reason])).toEqual([[b, 'new']]);
  });

  it('a chosen VIN the selection no longer holds is not ordered; an empty choice orders nothing', async () => {
    const [a, b] = [vin(), vin()];
    await seedInventory(ctx.db, honda, [{ vin: a }, { vin: b }]);
    const none = await runCao(ctx, { dealers: ['Columbia Honda'], only: [] });
    expect(none.results[0]!.status).toBe('nothing_new');
    const stranger = await runCao(ctx, { dealers: ['Columbia Honda'], only: [makeVin(9999)] });
    expect(stranger.results[0]!.status).toBe('nothing_new');
    expect(await rows('SELECT 1 FROM orders')).toHaveLength(0);
    expect(await rows('SELECT 1 FROM vin_log')).toHaveLength(0);

    // Ordered by another run meanwhile: the second run, still holding the old choice, orders only b.
    await runCao(ctx, { dealers: ['Columbia Honda'], only: [a] });
    const late = await runCao(ctx, { dealers: ['Columbia Honda'], only: [a, b] });
    expect(late.results[0]!.vehicles.map((v) => v.vin)).toEqual([b]);
    expect(await rows('SELECT 1 FROM vin_log')).toHaveLength(2);
  });
});
