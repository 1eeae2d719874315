import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedDealerVins } from '../helpers/inventory.js';

/** The @QR cells (last column of the standard template) of a CSV, by raw line. */
const qrCells = (file: string) =>
  readFileSync(file, 'latin1')
    .split('\r\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.slice(l.lastIndexOf(',') + 1));

describe.each(DATABASE_KINDS)('silverfox orders paths on %s (the built binary)', (kind) => {
  let t: TestEnv;
  const vins = Array.from({ length: 4 }, (_, i) => makeVin(i + 1, '5FNYF6H5'));

  beforeAll(async () => {
    t = await createTestEnv(kind);
    await seedDealerVins(t, 'Columbia Honda', vins);
  });
  afterAll(async () => t?.cleanup());

  it('orders with SILVERFOX_QR_PATH_BASE get Windows paths; orders paths rewrites them; show prints base and history', async () => {
    const env = { ...t.env, SILVERFOX_QR_PATH_BASE: 'Z:\\SilverFox\\orders' };
    const cao = await runCli(['cao', 'Columbia Honda', '--yes', '--json'], { env });
    expect(cao.code, cao.stderr).toBe(0);
    const result = JSON.parse(cao.stdout).results[0];
    const id = String(result.orderId);
    const dir: string = result.folder;
    const csv = path.join(dir, 'columbia_honda_standard.csv');
    const folder = path.basename(dir);
    expect(qrCells(csv).sort()).toEqual(
      vins.map((v) => `Z:\\SilverFox\\orders\\${folder}\\qr_codes\\${v}.png`).sort(),
    );

    const show = await runCli(['orders', 'show', id], { env: t.env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('qr base:   Z:\\SilverFox\\orders (from SILVERFOX_QR_PATH_BASE)');
    expect(show.stdout).toContain(`qr cells:  Z:\\SilverFox\\orders\\${folder}\\qr_codes\\<VIN>.png`);

    const before = readFileSync(csv, 'latin1');
    const bad = await runCli(['orders', 'paths', id, '--base', 'orders'], { env: t.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--base "orders" cannot be used: "orders" is not absolute');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const badChar = await runCli(['orders', 'paths', id, '--base', '/Volumes/Ord:ers'], { env: t.env });
    expect(badChar.code).toBe(2);
    expect(badChar.stderr).toContain('which Windows and macOS paths cannot hold');
    expect(readFileSync(csv, 'latin1')).toBe(before);

    const paths = await runCli(['orders', 'paths', id, '--base', '\\\\fileserver\\orders'], { env: t.env });
    expect(paths.code, paths.stderr).toBe(0);
    expect(paths.stdout).toContain(`order #${id} (Columbia Honda): 4 QR path(s) in 1 CSV(s) rewritten`);
    expect(paths.stdout).toContain(`now: \\\\fileserver\\orders\\${folder}\\qr_codes\\<VIN>.png`);
    expect(qrCells(csv).sort()).toEqual(
      vins.map((v) => `\\\\fileserver\\orders\\${folder}\\qr_codes\\${v}.png`).sort(),
    );

    const after = await runCli(['orders', 'show', id], { env: t.env });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('qr base:   \\\\fileserver\\orders (set by silverfox orders paths)');
    expect(after.stdout).toMatch(
      /changed: {3}\d{4}-\d\d-\d\d \d\d:\d\d {2}QR paths Z:\\SilverFox\\orders -> \\\\fileserver\\orders/,
    );
    expect(after.stdout).toContain('checksums: all 6 files match order_summary.json');

    const json = await runCli(['orders', 'paths', id, '--base', '/Volumes/Orders', '--json'], { env: t.env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      orderId: Number(id),
      changed: true,
      from: { style: 'windows', base: '\\\\fileserver\\orders' },
      to: { style: 'posix', base: '/Volumes/Orders', source: 'rewrite' },
      csvFiles: [{ file: 'columbia_honda_standard.csv', cells: 4 }],
    });

    const missing = await runCli(['orders', 'paths', '999', '--base', 'relative'], { env: t.env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no order #999');
  });

  it('a bad SILVERFOX_QR_PATH_BASE is a configuration error naming the variable', async () => {
    const r = await runCli(['cao', 'Columbia Honda', '--yes'], {
      env: { ...t.env, SILVERFOX_QR_PATH_BASE: 'Z:\\Silver|Fox' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SILVERFOX_QR_PATH_BASE: "Silver|Fox" holds "|"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
