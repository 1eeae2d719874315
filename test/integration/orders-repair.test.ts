/**
 * A complete order without its folder (lost to a commit whose reply never came, or deleted by
 * hand): `doctor` and `orders show` flag it, `orders repair ID` rebuilds it from the database
 * (files regenerated, checksums recorded anew, the repair in the order's history). The built
 * binary, both databases.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin } from '../helpers/inventory.js';
import { withDb } from '../reliability/helpers/checks.js';
import { writeFeed } from '../reliability/helpers/fleet.js';

const HONDA = 'Columbia Honda';

interface Check {
  name: string;
  status: string;
  detail: string;
  fix: string[];
}

describe.each(DATABASE_KINDS)('orders repair (%s)', (kind) => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv(kind);
  });
  afterAll(async () => t?.cleanup());
  const cli = (args: string[]) => runCli(args, { env: t.env, timeoutMs: 120_000 });
  const doctor = async () => JSON.parse((await cli(['doctor', '--json'])).stdout).checks as Check[];

  it('flags a complete order without its folder, rebuilds it with the same files, records the repair', async () => {
    const rows = Array.from({ length: 9 }, (_, i) => ({
      dealer: HONDA,
      vin: makeVin(50_000 + i, '5YJSA1E2'),
      condition: i % 3 === 0 ? 'Used' : 'New',
    }));
    expect((await cli(['import', writeFeed(path.join(t.dir, 'inv.csv'), rows)])).code).toBe(0);
    const cao = await cli(['cao', HONDA, '--yes', '--json']);
    expect(cao.code, cao.stderr).toBe(0);
    const ordered = JSON.parse(cao.stdout).results[0];
    const id = ordered.orderId as number;
    const folder = ordered.folder as string;
    const original = JSON.parse(readFileSync(path.join(folder, 'order_summary.json'), 'utf8'));

    // Nothing to repair while the folder is there.
    const noop = await cli(['orders', 'repair', String(id)]);
    expect(noop.code).toBe(1);
    expect(noop.stderr).toMatch(/nothing to repair/);

    rmSync(folder, { recursive: true });
    const flagged = (await doctor()).find((c) => c.name === 'orders_on_disk')!;
    expect(flagged.status).toBe('fail');
    expect(flagged.detail).toContain(`#${id} (missing: ${folder})`);
    expect(flagged.fix.join(' ')).toContain(`silverfox orders repair ${id}`);
    const show = await cli(['orders', 'show', String(id)]);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain(`order #${id} is complete but its folder is missing`);
    expect(show.stderr).toContain(`silverfox orders repair ${id}`);
    const showJson = JSON.parse((await cli(['orders', 'show', String(id), '--json'])).stdout);
    expect(showJson.folderMissing).toBe(true);

    const r = await cli(['orders', 'repair', String(id), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ folder, vehicles: 9 });
    expect(existsSync(folder)).toBe(true);
    const after = JSON.parse((await cli(['orders', 'show', String(id), '--json'])).stdout);
    expect(after.verification.ok).toBe(true);
    expect(after.folderMissing).toBe(false);
    expect(after.history).toEqual([
      expect.objectContaining({
        action: 'folder_repaired',
        detail: expect.objectContaining({ vehicles: 9 }),
      }),
    ]);
    // The regenerated files are the files the order had (same CSV rows, same QR codes)...
    const rebuilt = JSON.parse(readFileSync(path.join(folder, 'order_summary.json'), 'utf8'));
    expect(rebuilt.files).toEqual(original.files);
    expect(rebuilt.vehicles).toEqual(original.vehicles);
    expect(rebuilt.repaired_at).toEqual(expect.any(String));
    // ...and the database records the new summary (its checksums are what `show` verified).
    await withDb(t.env, async (db) => {
      const { rows: o } = await db.query<{ summary: { repaired_at?: string } }>(
        'SELECT summary FROM orders WHERE id = $1',
        [id],
      );
      expect(o[0]!.summary.repaired_at).toBe(rebuilt.repaired_at);
    });
    expect((await doctor()).find((c) => c.name === 'orders_on_disk')!.status).toBe('ok');
    const human = await cli(['orders', 'show', String(id)]);
    expect(human.stdout).toMatch(/changed: .* folder rebuilt from the database/);
  });

  it('a folder still staged by a crashed run is published, not rebuilt', async () => {
    const cao = await cli(['orders', 'list', '--json']);
    const [order] = JSON.parse(cao.stdout) as { id: number; folder: string }[];
    const staging = path.join(path.dirname(order!.folder), '.staging');
    const staged = path.join(staging, path.basename(order!.folder));
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    renameSync(order!.folder, staged);
    const flagged = (await doctor()).find((c) => c.name === 'orders_on_disk')!;
    expect(flagged.detail).toContain('still staged');
    const r = await cli(['orders', 'repair', String(order!.id)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to repair/);
    expect(existsSync(order!.folder)).toBe(true);
    expect(existsSync(staged)).toBe(false);
  });
});
