// The built binary: the drop guard as an operator meets it, on both databases. A halved feed
// exits 3 with the dealership HELD; `status` (text and --json) and `doctor --json` show the hold,
// why, and the command that accepts it; CAO keeps ordering from the old snapshot;
// `scrape NAME --accept-drop` activates the held snapshot (no network) and refuses when nothing
// is held; `import FILE --force` activates a drop at once.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('drop guard (binary) on %s', (kind) => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv(kind);
  });
  afterAll(async () => t?.cleanup());

  const feed = (name: string, byDealer: Record<string, number[]>) => {
    const lines = ['VIN,Dealer,Year,Make,Model,Type,Price'];
    for (const [dealer, ns] of Object.entries(byDealer)) {
      for (const n of ns) lines.push(`${makeVin(n)},${dealer},2024,Honda,Civic,New,"$24,000"`);
    }
    const file = path.join(t.dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const cli = (...args: string[]) => runCli(args, { env: t.env });
  const statusJson = async () => {
    const r = await cli('status', '--json');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as {
      dealerships: { name: string; activeRows: number; held: null | Record<string, unknown> }[];
      totals: { held: number };
    };
  };
  const honda = async () => (await statusJson()).dealerships.find((d) => d.name === 'Columbia Honda')!;

  it('a halved feed holds that dealership only (exit 3) and status, doctor and CAO show it', async () => {
    const first = await cli(
      'import',
      feed('full.csv', { 'Columbia Honda': range(1, 10), 'Spirit Lexus': range(101, 10) }),
    );
    expect(first.code).toBe(0);

    const r = await cli(
      'import',
      feed('half.csv', { 'Columbia Honda': range(1, 4), 'Spirit Lexus': range(101, 10) }),
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Columbia Honda\s.*HELD \(#\d+\)/);
    expect(r.stdout).toContain(
      "Columbia Honda: new snapshot held, not activated: kept 4 rows, below 50% of the active snapshot's 10 (drop_guard_ratio 0.5)",
    );
    expect(r.stdout).toMatch(/Spirit Lexus\s.*activated \(#\d+ archived\)/);
    expect(r.stdout).toContain('silverfox scrape NAME --accept-drop');

    const text = await cli('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Columbia Honda (HELD)');
    expect(text.stdout).toMatch(
      /Columbia Honda: snapshot #\d+ HELD \(csv import #\d+ at .+, 4 rows\): kept 4 rows/,
    );
    expect(text.stdout).toContain('CAO and LIST use the active snapshot (10 rows) until it is accepted.');
    expect(text.stdout).toContain('Accept it: silverfox scrape "Columbia Honda" --accept-drop');
    expect(text.stdout).toContain('1 with a held snapshot');

    const s = await statusJson();
    expect(s.totals.held).toBe(1);
    const h = s.dealerships.find((d) => d.name === 'Columbia Honda')!;
    expect(h.activeRows).toBe(10);
    expect(h.held).toMatchObject({
      source: 'csv',
      rows: 4,
      kind: 'drop',
      accept: 'silverfox scrape "Columbia Honda" --accept-drop',
    });
    expect(s.dealerships.find((d) => d.name === 'Spirit Lexus')!.held).toBeNull();

    const doctor = await cli('doctor', '--json');
    const held = (
      JSON.parse(doctor.stdout) as { checks: { name: string; status: string; detail: string }[] }
    ).checks.find((c) => c.name === 'held')!;
    expect(held).toMatchObject({ status: 'warn' });
    expect(held.detail).toContain('Columbia Honda');

    const cao = await cli('cao', 'Columbia Honda', '--dry-run', '--json');
    expect(cao.code).toBe(0);
    const caoResult = JSON.parse(cao.stdout) as { results: { vehicles: { vin: string }[] }[] };
    expect(caoResult.results[0]!.vehicles.map((v) => v.vin).sort()).toEqual(
      range(1, 10)
        .map((n) => makeVin(n))
        .sort(),
    );
  });

  it('scrape NAME --accept-drop activates the held snapshot; with nothing held it refuses', async () => {
    const r = await cli('scrape', 'Columbia Honda', '--accept-drop');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Columbia Honda: held snapshot #\d+ \(4 rows\) activated, #\d+ archived \(it was held: kept 4 rows/,
    );
    expect(await honda()).toMatchObject({ activeRows: 4, held: null });

    const again = await cli('scrape', 'Columbia Honda', '--accept-drop');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no held snapshot to accept for Columbia Honda: nothing was changed');
    const usage = await cli('scrape', '--all', '--accept-drop');
    expect(usage.code).toBe(2);
  });

  it('import --force activates a drop at once', async () => {
    const small = feed('one.csv', { 'Columbia Honda': [1] });
    const held = await cli('import', small);
    expect(held.code).toBe(3);
    expect((await honda()).held).toMatchObject({ rows: 1 });
    const forced = await cli('import', small, '--force', '--json');
    expect(forced.code).toBe(0);
    const j = JSON.parse(forced.stdout) as {
      dealerships: { name: string; activated: boolean; held: unknown }[];
    };
    expect(j.dealerships[0]).toMatchObject({ name: 'Columbia Honda', activated: true, held: null });
    expect(await honda()).toMatchObject({ activeRows: 1, held: null });
  });
});
