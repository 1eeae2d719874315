import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { archiveOrders, pruneSnapshots } from '../../src/app/maintenance.js';
import { UsageError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { count, seedOrder, seedSnapshots } from '../helpers/ops-seed.js';

const DAY = 86_400_000;

describe.each(DATABASE_KINDS)('maintenance on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  describe('db prune', () => {
    let honda: number[];
    let kia: number[];
    let lexus: number[];
    beforeAll(async () => {
      honda = await seedSnapshots(ctx.db, (await resolveDealership(ctx, 'Columbia Honda')).id, {
        count: 5,
        rows: 40,
      });
      kia = await seedSnapshots(ctx.db, (await resolveDealership(ctx, 'HW Kia')).id, { count: 2, rows: 30 });
      lexus = await seedSnapshots(ctx.db, (await resolveDealership(ctx, 'Spirit Lexus')).id, {
        count: 1,
        rows: 10,
      });
    });

    const rowsOf = async (snapshotId: number) => ({
      vehicles: await count(ctx.db, 'SELECT count(*)::int AS n FROM vehicles WHERE snapshot_id = $1', [
        snapshotId,
      ]),
      raw: await count(
        ctx.db,
        `SELECT count(*)::int AS n FROM raw_vehicles r JOIN snapshots s
           ON s.import_id = r.import_id AND s.dealership_id = r.dealership_id WHERE s.id = $1`,
        [snapshotId],
      ),
    });

    it('a dry run reports what would go and changes nothing', async () => {
      const r = await pruneSnapshots(ctx, { keepSnapshots: 1, dryRun: true });
      expect(r.dryRun).toBe(true);
      expect(r.counts).toMatchObject({ snapshots: 3, vehicleRows: 120, rawRows: 120 });
      expect(r.counts.bytes).toBeGreaterThan(0);
      for (const id of honda) expect(await rowsOf(id)).toEqual({ vehicles: 40, raw: 40 });
    });

    it('keeps the active snapshot and the newest N archived ones per dealership, drops the rest', async () => {
      const r = await pruneSnapshots(ctx, { keepSnapshots: 1 });
      expect(r.dealerships).toEqual([
        {
          dealership: 'Columbia Honda',
          snapshots: 3,
          vehicleRows: 120,
          rawRows: 120,
          bytes: expect.any(Number),
        },
      ]);
      expect(r.counts.bytes).toBeGreaterThan(120 * 50);
      // honda: 3 oldest archived pruned; newest archived and the active kept
      for (const id of honda.slice(0, 3)) expect(await rowsOf(id)).toEqual({ vehicles: 0, raw: 0 });
      for (const id of honda.slice(3)) expect(await rowsOf(id)).toEqual({ vehicles: 40, raw: 40 });
      for (const id of kia) expect(await rowsOf(id)).toEqual({ vehicles: 30, raw: 30 });
      expect(await rowsOf(lexus[0]!)).toEqual({ vehicles: 10, raw: 10 });
      // snapshot rows (history) stay
      expect(
        await count(ctx.db, 'SELECT count(*)::int AS n FROM snapshots WHERE id = ANY($1::bigint[])', [honda]),
      ).toBe(5);
    });

    it('is idempotent: a second run frees nothing', async () => {
      const r = await pruneSnapshots(ctx, { keepSnapshots: 1 });
      expect(r.counts).toEqual({ snapshots: 0, vehicleRows: 0, rawRows: 0, bytes: 0 });
    });

    it('--keep-snapshots 0 never touches an active snapshot, even an older one', async () => {
      // Make the active Kia snapshot look older than its archived one: activeness, not date, decides.
      await ctx.db.query(`UPDATE snapshots SET created_at = created_at - interval '30 days' WHERE id = $1`, [
        kia[1],
      ]);
      const r = await pruneSnapshots(ctx, { keepSnapshots: 0 });
      expect(r.counts.snapshots).toBe(2); // honda's newest archived + kia's archived
      expect(await rowsOf(honda[4]!)).toEqual({ vehicles: 40, raw: 40 });
      expect(await rowsOf(kia[1]!)).toEqual({ vehicles: 30, raw: 30 });
      expect(await rowsOf(kia[0]!)).toEqual({ vehicles: 0, raw: 0 });
      expect(await rowsOf(lexus[0]!)).toEqual({ vehicles: 10, raw: 10 });
    });

    it('rejects a negative or fractional count', async () => {
      await expect(pruneSnapshots(ctx, { keepSnapshots: -1 })).rejects.toThrow(UsageError);
      await expect(pruneSnapshots(ctx, { keepSnapshots: 1.5 })).rejects.toThrow(UsageError);
    });
  });

  describe('orders archive', () => {
    let d: { id: number; slug: string };
    beforeAll(async () => {
      d = await resolveDealership(ctx, 'Columbia Honda');
    });

    it('zips folders older than the cutoff, keeps their rows, records archive_path, removes the folder', async () => {
      const old = await seedOrder(ctx.db, {
        dealershipId: d.id,
        slug: d.slug,
        ordersDir: t.config.ordersDir,
        ageDays: 40,
        vins: ['1HGCM82633A000001', '1HGCM82633A000002'],
      });
      const recent = await seedOrder(ctx.db, {
        dealershipId: d.id,
        slug: d.slug,
        ordersDir: t.config.ordersDir,
        ageDays: 5,
        vins: ['1HGCM82633A000003'],
      });
      const dry = await archiveOrders(ctx, { olderThanMs: 30 * DAY, dryRun: true });
      expect(dry.orders.map((o) => [o.orderId, o.outcome])).toEqual([[old.id, 'would_archive']]);
      expect(existsSync(old.folder)).toBe(true);

      const r = await archiveOrders(ctx, { olderThanMs: 30 * DAY });
      expect(r.orders).toHaveLength(1);
      const a = r.orders[0]!;
      expect(a).toMatchObject({ orderId: old.id, outcome: 'archived', files: 4 });
      expect(a.archivePath).toBe(
        path.join(t.config.ordersDir, 'archive', `${path.basename(old.folder)}.zip`),
      );
      expect(existsSync(old.folder)).toBe(false);
      expect(existsSync(recent.folder)).toBe(true);

      // The zip holds every file byte for byte, under the folder's own name.
      const entries = unzipSync(new Uint8Array(readFileSync(a.archivePath!)));
      const root = path.basename(old.folder);
      expect(Object.keys(entries).sort()).toEqual(
        Object.keys(old.files)
          .map((f) => `${root}/${f}`)
          .sort(),
      );
      for (const [name, data] of Object.entries(old.files)) {
        expect(Buffer.from(entries[`${root}/${name}`]!).equals(data), name).toBe(true);
      }

      const row = await ctx.db.query<{ archive_path: string; status: string }>(
        'SELECT archive_path, status FROM orders WHERE id = $1',
        [old.id],
      );
      expect(row.rows[0]).toEqual({ archive_path: a.archivePath, status: 'complete' });
      expect(
        await count(ctx.db, 'SELECT count(*)::int AS n FROM order_vehicles WHERE order_id = $1', [old.id]),
      ).toBe(2);
      expect(
        await count(ctx.db, 'SELECT count(*)::int AS n FROM vin_log WHERE order_id = $1', [old.id]),
      ).toBe(2);

      // Again: nothing left to do.
      const again = await archiveOrders(ctx, { olderThanMs: 30 * DAY });
      expect(again.orders).toEqual([]);
    });

    it('finishes a run interrupted after the row was marked, and reports folders already gone', async () => {
      const o = await seedOrder(ctx.db, {
        dealershipId: d.id,
        slug: d.slug,
        ordersDir: t.config.ordersDir,
        ageDays: 60,
        vins: ['1HGCM82633A000009'],
      });
      // Interrupted: zip written and row marked, folder still there.
      const zip = path.join(t.config.ordersDir, 'archive', 'interrupted.zip');
      mkdirSync(path.dirname(zip), { recursive: true });
      writeFileSync(zip, 'zip');
      await ctx.db.query('UPDATE orders SET archive_path = $2 WHERE id = $1', [o.id, zip]);
      const gone = await seedOrder(ctx.db, {
        dealershipId: d.id,
        slug: d.slug,
        ordersDir: t.config.ordersDir,
        ageDays: 61,
        vins: ['1HGCM82633A000010'],
      });
      const { rmSync } = await import('node:fs');
      rmSync(gone.folder, { recursive: true });

      const r = await archiveOrders(ctx, { olderThanMs: 30 * DAY });
      const byId = new Map(r.orders.map((x) => [x.orderId, x.outcome]));
      expect(byId.get(o.id)).toBe('finished');
      expect(byId.get(gone.id)).toBe('missing');
      expect(existsSync(o.folder)).toBe(false);
      expect(r.counts).toMatchObject({ archived: 0, finished: 1, missing: 1 });
      const row = await ctx.db.query<{ archive_path: string | null }>(
        'SELECT archive_path FROM orders WHERE id = $1',
        [gone.id],
      );
      expect(row.rows[0]!.archive_path).toBeNull();
    });

    it('rejects a cutoff that is not positive', async () => {
      await expect(archiveOrders(ctx, { olderThanMs: 0 })).rejects.toThrow(UsageError);
    });
  });
});
