/**
 * The drop guard at import level, on both databases: a dealership whose new snapshot keeps fewer
 * rows than drop_guard_ratio (default one half) of its active snapshot gets a `held` snapshot
 * (stored, not active) while the other dealerships of the same import are activated; CAO and
 * LIST keep reading the old active snapshot; `status` and `doctor` show the hold; accepting it
 * (`scrape --accept-drop`) or importing with --force activates; a first import is never held;
 * held snapshots survive `db prune` and superseded ones are pruned like archived ones.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { setDealer } from '../../src/app/dealers.js';
import { runDoctor } from '../../src/app/doctor.js';
import { acceptHeldSnapshots } from '../../src/app/hold.js';
import { importFiles, type ImportOptions, type ImportResult } from '../../src/app/import.js';
import { runList } from '../../src/app/list.js';
import { pruneSnapshots } from '../../src/app/maintenance.js';
import { getStatus } from '../../src/app/status.js';
import { SilverfoxError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('drop guard on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let fileNo = 0;

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  const vins = (from: number, n: number) => Array.from({ length: n }, (_, i) => makeVin(from + i));

  /** Imports one CSV holding these VINs per dealership (a feed with a dealership column). */
  const importRows = async (
    byDealer: Record<string, string[]>,
    opts: Partial<ImportOptions> = {},
  ): Promise<ImportResult> => {
    const lines = ['VIN,Dealership,Year,Make,Model,Condition,Price,Status'];
    for (const [dealer, list] of Object.entries(byDealer)) {
      for (const v of list) lines.push(`${v},${dealer},2024,Honda,Accord,New,25000,In Stock`);
    }
    const file = path.join(t.dir, `feed-${++fileNo}.csv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return importFiles(ctx, { files: [file], strictDealers: true, ...opts });
  };
  const row = (r: ImportResult, name: string) => r.dealerships.find((d) => d.name === name)!;
  const status = async (name: string) => (await getStatus(ctx)).dealerships.find((d) => d.name === name)!;
  const caoVins = async (name: string) => {
    const r = await runCao(ctx, { dealers: [name], dryRun: true });
    return r.results[0]!.vehicles.map((v) => v.vin).sort();
  };
  const snapshotStatus = async (id: number) =>
    (await ctx.db.query<{ status: string }>('SELECT status FROM snapshots WHERE id = $1', [id])).rows[0]!
      .status;

  it('a first import is never held, even one cut short', async () => {
    const r = await importRows(
      { 'Columbia Honda': vins(1, 10), 'Spirit Lexus': vins(101, 10) },
      // A scrape cut short on a dealership's very first import: nothing to protect, so activated.
      { cutShort: { columbia_honda: 'no progress for 9000 ms' } },
    );
    expect(row(r, 'Columbia Honda')).toMatchObject({ activated: true, held: null });
    expect(row(r, 'Spirit Lexus')).toMatchObject({ activated: true, held: null });
    expect((await status('Columbia Honda')).held).toBeNull();
  });

  it('a halved inventory is held, the old snapshot stays active for CAO and LIST, the other dealership is activated', async () => {
    const before = await status('Columbia Honda');
    const oldVins = vins(1, 10);
    const onlyInHeld = makeVin(500);
    const r = await importRows({
      'Columbia Honda': [...vins(1, 3), onlyInHeld],
      'Spirit Lexus': vins(101, 9),
    });
    const honda = row(r, 'Columbia Honda');
    expect(honda.activated).toBe(false);
    expect(honda.held).toMatchObject({ kind: 'drop', kept: 4, activeRows: 10, ratio: 0.5 });
    expect(honda.held!.reason).toBe(
      "kept 4 rows, below 50% of the active snapshot's 10 (drop_guard_ratio 0.5)",
    );
    expect(honda.previousSnapshotId).toBeNull();
    expect(await snapshotStatus(honda.snapshotId!)).toBe('held');
    // One dealership's hold never touches another: 9 of 10 is above the line, activated.
    expect(row(r, 'Spirit Lexus')).toMatchObject({ activated: true, held: null, rows: 9 });
    expect((await status('Spirit Lexus')).activeRows).toBe(9);

    const s = await status('Columbia Honda');
    expect(s.activeRows).toBe(10);
    expect(s.importedAt).toBe(before.importedAt);
    expect(s.held).toMatchObject({
      snapshotId: honda.snapshotId,
      importId: r.importId,
      source: 'csv',
      rows: 4,
      kind: 'drop',
      reason: honda.held!.reason,
      accept: 'silverfox scrape "Columbia Honda" --accept-drop',
    });
    expect((await getStatus(ctx)).totals.held).toBe(1);

    // CAO still orders from the old active snapshot, not from the held one.
    expect(await caoVins('Columbia Honda')).toEqual([...oldVins].sort());
    // LIST looks vehicles up in the old active snapshot too.
    const inOld = await runList(ctx, { dealer: 'Columbia Honda', entries: [oldVins[7]!], dryRun: true });
    expect(inOld.vehicles[0]).toMatchObject({ vin: oldVins[7], notOnWebsite: false });
    const inHeld = await runList(ctx, { dealer: 'Columbia Honda', entries: [onlyInHeld], dryRun: true });
    expect(inHeld.vehicles[0]).toMatchObject({ vin: onlyInHeld, notOnWebsite: true });
  });

  it('doctor names the held snapshot (a warning, not a failure)', async () => {
    await ctx.db.close(); // PGlite: one process-wide opener at a time
    try {
      const r = await runDoctor(t.config);
      const held = r.checks.find((c) => c.name === 'held')!;
      expect(held.status).toBe('warn');
      expect(held.detail).toContain('Columbia Honda');
      expect(held.detail).toContain('kept 4 rows');
      expect(held.fix.join(' ')).toContain('--accept-drop');
    } finally {
      ctx = await t.open();
    }
  });

  it('accepting activates exactly the held snapshot, without a new import; nothing held is an error', async () => {
    const held = (await status('Columbia Honda')).held!;
    const imports = async () =>
      Number((await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM imports')).rows[0]!.n);
    const importsBefore = await imports();
    const r = await acceptHeldSnapshots(ctx, ['columbia honda']);
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]).toMatchObject({ name: 'Columbia Honda', snapshotId: held.snapshotId, rows: 4 });
    expect(r.accepted[0]!.previousSnapshotId).not.toBeNull();
    expect(await snapshotStatus(r.accepted[0]!.previousSnapshotId!)).toBe('archived');
    expect(await imports()).toBe(importsBefore);
    const s = await status('Columbia Honda');
    expect(s).toMatchObject({ activeRows: 4, held: null });
    expect(await caoVins('Columbia Honda')).toEqual([...vins(1, 3), makeVin(500)].sort());

    // Nothing held any more: refused, and (all or nothing) the other name is not accepted either.
    await importRows({ 'Spirit Lexus': vins(101, 2) });
    expect((await status('Spirit Lexus')).held).not.toBeNull();
    const err = await acceptHeldSnapshots(ctx, ['Spirit Lexus', 'Columbia Honda']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SilverfoxError);
    expect((err as SilverfoxError).code).toBe('nothing_held');
    expect((err as SilverfoxError).message).toContain('Columbia Honda');
    expect((await status('Spirit Lexus')).held).not.toBeNull();
    expect((await status('Spirit Lexus')).activeRows).toBe(9);
  });

  it('import --force activates a drop; a newer hold supersedes an older one', async () => {
    // Spirit Lexus has a held snapshot of 2 rows (previous test) over an active one of 9.
    const older = (await status('Spirit Lexus')).held!;
    const again = await importRows({ 'Spirit Lexus': vins(101, 3) });
    const lexus = row(again, 'Spirit Lexus');
    expect(lexus.held?.kind).toBe('drop');
    expect(lexus.previousHeldSnapshotId).toBe(older.snapshotId);
    expect(await snapshotStatus(older.snapshotId)).toBe('archived');
    const heldCount = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM snapshots s JOIN dealerships d ON d.id = s.dealership_id
       WHERE d.name = 'Spirit Lexus' AND s.status = 'held'`,
    );
    expect(heldCount.rows[0]!.n).toBe(1);

    const forced = await importRows({ 'Spirit Lexus': vins(101, 2) }, { force: true, acceptDrop: true });
    const f = row(forced, 'Spirit Lexus');
    expect(f).toMatchObject({ activated: true, held: null, previousHeldSnapshotId: lexus.snapshotId });
    expect(await snapshotStatus(lexus.snapshotId!)).toBe('archived');
    expect(await status('Spirit Lexus')).toMatchObject({ activeRows: 2, held: null });
  });

  it('a normal-size import activates; the ratio is a per-dealership setting (exactly at the line is kept, 0 turns it off)', async () => {
    await importRows({ 'HW Kia': vins(201, 20) });
    // 10 of 20 is not below one half: activated.
    const half = row(await importRows({ 'HW Kia': vins(201, 10) }), 'HW Kia');
    expect(half).toMatchObject({ activated: true, held: null });
    await setDealer(ctx, 'HW Kia', { settings: { drop_guard_ratio: '0.9' } });
    const ninety = row(await importRows({ 'HW Kia': vins(201, 8) }), 'HW Kia');
    expect(ninety.held).toMatchObject({ kind: 'drop', kept: 8, activeRows: 10, ratio: 0.9 });
    await setDealer(ctx, 'HW Kia', { settings: { drop_guard_ratio: '0' } });
    const off = row(await importRows({ 'HW Kia': vins(201, 1) }), 'HW Kia');
    expect(off).toMatchObject({ activated: true, held: null, previousHeldSnapshotId: ninety.snapshotId });
    const bad = await setDealer(ctx, 'HW Kia', { settings: { drop_guard_ratio: '2' } }).catch(
      (e: unknown) => e,
    );
    expect((bad as SilverfoxError).hints.join(' ')).toMatch(
      /drop_guard_ratio: "2" is not allowed \(a number from 0 to 1 \(0: off\)\)/,
    );
    // A stored invalid ratio (a hand edit) stops the import naming it, never the default.
    await ctx.db.query(
      `UPDATE dealerships SET settings = settings || '{"drop_guard_ratio": 7}' WHERE slug = 'hw_kia'`,
    );
    await expect(importRows({ 'HW Kia': vins(301, 5) })).rejects.toThrow(
      'dealership "HW Kia" has invalid settings: drop_guard_ratio: 7 is not allowed',
    );
    await setDealer(ctx, 'HW Kia', { unset: ['drop_guard_ratio'] });
  });

  it('a dry run reports the hold and changes nothing', async () => {
    const r = await importRows({ 'Columbia Honda': vins(1, 1) }, { dryRun: true });
    expect(row(r, 'Columbia Honda')).toMatchObject({ activated: false, held: { kind: 'drop', kept: 1 } });
    expect((await status('Columbia Honda')).held).toBeNull();
  });

  it('db prune keeps the held snapshot and prunes superseded holds like archived snapshots', async () => {
    const first = row(await importRows({ 'Columbia Honda': vins(1, 1) }), 'Columbia Honda');
    const second = row(await importRows({ 'Columbia Honda': [makeVin(2)] }), 'Columbia Honda');
    expect(second.held).not.toBeNull();
    expect(second.previousHeldSnapshotId).toBe(first.snapshotId);
    const rowsOf = async (id: number) =>
      Number(
        (
          await ctx.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM vehicles WHERE snapshot_id = $1',
            [id],
          )
        ).rows[0]!.n,
      );
    expect(await rowsOf(first.snapshotId!)).toBe(1);
    await pruneSnapshots(ctx, { keepSnapshots: 0 });
    expect(await rowsOf(first.snapshotId!)).toBe(0);
    expect(await rowsOf(second.snapshotId!)).toBe(1);
    expect(await snapshotStatus(second.snapshotId!)).toBe('held');
    // And it can still be accepted with its rows.
    await acceptHeldSnapshots(ctx, ['Columbia Honda']);
    expect(await caoVins('Columbia Honda')).toEqual([makeVin(2)]);
  });
});
