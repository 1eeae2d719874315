/**
 * vin_state (sql/009_vin_state.sql), what the CAO decision reads of each logged VIN, is derived
 * from vin_log by triggers. Here it is compared, after every kind of change to vin_log, with the
 * state computed in this file from the vin_log rows by decideVin's own definition (core/cao.ts):
 * the latest silverfox order (RECENT_ORDER_TYPES), and the condition of the latest row with a known
 * condition, latest millisecond first and the first written among rows of one millisecond.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { RECENT_ORDER_TYPES } from '../../src/core/cao.js';
import type { Queryable } from '../../src/db/database.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import { makeVin } from '../helpers/inventory.js';

type LogRow = {
  id: number;
  dealership_id: number;
  vin: string;
  condition: string | null;
  order_type: string;
  processed_at: Date;
};

/** The expected vin_state rows, from the vin_log rows, by decideVin's rules. */
function expectedState(rows: LogRow[]): string[] {
  const byKey = new Map<string, LogRow[]>();
  for (const r of rows) {
    const key = `${r.dealership_id}|${r.vin}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const out: string[] = [];
  for (const [key, list] of byKey) {
    // As decideVin: sorted by time (milliseconds), latest first; stable, so in id order within one.
    const byTime = [...list]
      .sort((a, b) => a.id - b.id)
      .sort((a, b) => b.processed_at.getTime() - a.processed_at.getTime());
    const lastOrder = byTime.find((r) => (RECENT_ORDER_TYPES as readonly string[]).includes(r.order_type));
    const known = byTime.find((r) => r.condition !== null && r.condition !== 'unknown');
    out.push(`${key}|${lastOrder?.processed_at.toISOString() ?? '-'}|${known?.condition ?? '-'}`);
  }
  return out.sort();
}

async function compare(db: Queryable, label: string): Promise<number> {
  const log = await db.query<LogRow>(
    'SELECT id, dealership_id, vin, condition, order_type, processed_at FROM vin_log',
  );
  const rows = log.rows.map((r) => ({ ...r, id: Number(r.id), processed_at: new Date(r.processed_at) }));
  const state = await db.query<{
    dealership_id: number;
    vin: string;
    last_order: Date | string | null;
    known_condition: string | null;
  }>('SELECT dealership_id, vin, last_order, known_condition FROM vin_state');
  const actual = state.rows
    .map(
      (s) =>
        `${s.dealership_id}|${s.vin}|${s.last_order === null ? '-' : new Date(s.last_order).toISOString()}|${s.known_condition ?? '-'}`,
    )
    .sort();
  expect(actual, label).toEqual(expectedState(rows));
  return actual.length;
}

describe.each(DATABASE_KINDS)('vin_state follows vin_log on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let kia: number;

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
    kia = (await resolveDealership(ctx, 'Kia of Columbia')).id;
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  const insert = (rows: [number, string, string | null, string, string][]) =>
    ctx.db.query(
      `INSERT INTO vin_log (dealership_id, vin, condition, order_type, processed_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])`,
      [0, 1, 2, 3, 4].map((k) => rows.map((r) => r[k])),
    );

  it('the migration names the order types core calls recent', () => {
    const sql = readFileSync(path.join(ROOT, 'sql/009_vin_state.sql'), 'utf8');
    const lists = [...sql.matchAll(/order_type IN \(([^)]*)\)/g)].map((m) => m[1]);
    expect(lists.length).toBeGreaterThan(0);
    for (const l of lists) expect(l).toBe(RECENT_ORDER_TYPES.map((x) => `'${x}'`).join(', '));
  });

  it('after inserts, deletes, updates, a truncate and a removed dealership', async () => {
    const v = Array.from({ length: 6 }, (_, i) => makeVin(7700 + i));
    const at = (iso: string) => new Date(iso).toISOString();
    // One statement with several rows of one VIN, out of time order; unknown and missing conditions.
    await insert([
      [honda, v[0]!, 'po', 'cao', at('2026-05-02T10:00:00.000Z')],
      [honda, v[0]!, 'new', 'legacy', at('2026-05-03T10:00:00.000Z')],
      [honda, v[0]!, 'unknown', 'list', at('2026-05-04T10:00:00.000Z')],
      [honda, v[1]!, null, 'baseline', at('2026-05-01T00:00:00.000Z')],
      [kia, v[0]!, 'cpo', 'cao', at('2026-05-05T00:00:00.000Z')],
      // Two rows in one millisecond (microseconds apart): the first written counts.
      [honda, v[2]!, 'new', 'cao', '2026-05-06T00:00:00.000100Z'],
      [honda, v[2]!, 'po', 'cao', '2026-05-06T00:00:00.000900Z'],
    ]);
    expect(await compare(ctx.db, 'first insert')).toBe(4);
    // Later statements merge: an older row changes nothing, a newer one wins, one ms ties keep the first.
    await insert([[honda, v[0]!, 'cpo', 'legacy', at('2026-04-01T00:00:00.000Z')]]);
    await insert([[honda, v[0]!, 'cpo', 'baseline', at('2026-05-03T12:00:00.000Z')]]);
    await insert([[honda, v[2]!, 'cpo', 'list', '2026-05-06T00:00:00.000500Z']]);
    await insert([[honda, v[3]!, 'unknown', 'cao', at('2026-05-07T00:00:00.000Z')]]);
    await compare(ctx.db, 'merged inserts');
    // An order voided: its rows go, the state falls back to what remains (or goes).
    const { rows } = await ctx.db.query<{ id: number }>(
      `SELECT id FROM vin_log WHERE dealership_id = $1 AND vin = ANY($2::text[]) AND processed_at >= $3`,
      [honda, [v[0], v[3]], at('2026-05-03T12:00:00.000Z')],
    );
    await ctx.db.query('DELETE FROM vin_log WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    expect(await compare(ctx.db, 'deleted')).toBe(4);
    // A row moved in time (report tests backdate orders).
    await ctx.db.query(
      `UPDATE vin_log SET processed_at = $3 WHERE dealership_id = $1 AND vin = $2 AND condition = 'po'`,
      [honda, v[0], at('2026-06-01T00:00:00.000Z')],
    );
    await compare(ctx.db, 'updated');
    await ctx.db.query('UPDATE vin_log SET vin = $2 WHERE vin = $1 AND dealership_id = $3', [
      v[1],
      v[4],
      honda,
    ]);
    await compare(ctx.db, 'VIN corrected');
    // Many rows in one statement, as `vinlog import` and LIST write them.
    await insert(
      Array.from({ length: 2000 }, (_, i) => [
        i % 2 ? honda : kia,
        makeVin(8000 + (i % 700)),
        (['new', 'po', 'cpo', 'unknown', null] as const)[i % 5] ?? null,
        (['cao', 'list', 'legacy', 'baseline'] as const)[i % 4]!,
        new Date(Date.UTC(2026, 0, 1) + ((i * 7919) % 1000) * 60_000).toISOString(),
      ]),
    );
    expect(await compare(ctx.db, 'bulk')).toBeGreaterThan(700);
    await ctx.db.query('DELETE FROM vin_log WHERE dealership_id = $1', [kia]);
    await compare(ctx.db, 'a dealership emptied');
    await ctx.db.query('TRUNCATE vin_log');
    expect(await compare(ctx.db, 'truncated')).toBe(0);
    await insert([[kia, v[5]!, 'new', 'cao', at('2026-05-08T00:00:00.000Z')]]);
    await ctx.db.query('DELETE FROM dealerships WHERE id = $1', [kia]);
    expect(await compare(ctx.db, 'dealership removed')).toBe(0);
  });

  // Two connections at once: the server only (PGlite admits one).
  if (kind === 'server')
    it('two writers of one VIN at once both count', async () => {
      const other = await t.open();
      try {
        const vin = makeVin(9900);
        const write = (db: AppContext['db'], condition: string, iso: string) =>
          db.transaction(async (tx) => {
            await tx.query(
              `INSERT INTO vin_log (dealership_id, vin, condition, order_type, processed_at) VALUES ($1, $2, $3, 'cao', $4)`,
              [honda, vin, condition, iso],
            );
            await new Promise((r) => setTimeout(r, 200));
          });
        // The later row commits first; the earlier one waits on the key and must not undo it.
        await Promise.all([
          write(ctx.db, 'po', '2026-07-01T00:00:00.000Z'),
          write(other.db, 'new', '2026-07-02T00:00:00.000Z'),
        ]);
        await compare(ctx.db, 'concurrent writers');
        const s = await ctx.db.query<{ known_condition: string }>(
          'SELECT known_condition FROM vin_state WHERE vin = $1',
          [vin],
        );
        expect(s.rows).toEqual([{ known_condition: 'new' }]);
      } finally {
        await other.db.close();
      }
    });
});
