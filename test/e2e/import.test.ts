// The built binary: `silverfox import` and `silverfox normalize` on both databases, including a
// kill -9 and a Ctrl-C in the middle of a COPY (the previous snapshot must stay active).
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCheckDigit } from '../../src/core/vin.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { BIN, SHARED } from '../helpers/env.js';

const CRAIGSLIST = path.join(SHARED, 'data/craigslist_vehicles_sample.csv');
const CAR_PRICES = path.join(SHARED, 'data/car_prices_head.csv');

function vin(n: number): string {
  const draft = `3GCUY9ED0${String(n).padStart(8, '0')}`;
  return draft.slice(0, 8) + expectedCheckDigit(draft)! + draft.slice(9);
}

async function writeBigFile(file: string, rows: number, dealer: string): Promise<void> {
  const ws = createWriteStream(file);
  ws.write('VIN,Dealer,Year,Make,Model,Price\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    buf += `${vin(i)},${dealer},2024,Chevrolet,Silverado,"$${40000 + (i % 1000)}"\n`;
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, 'drain');
      buf = '';
    }
  }
  ws.end(buf);
  await once(ws, 'finish');
}

describe.each(DATABASE_KINDS)('silverfox import (binary) on %s', (kind) => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv(kind);
  });
  afterAll(async () => t?.cleanup());

  /** Reads the database after the binary exited (PGlite: one process at a time). */
  async function query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const ctx = await t.open();
    try {
      return (await ctx.db.query<R>(sql, params)).rows;
    } finally {
      await ctx.db.close();
    }
  }
  const snapshotOf = async (name: string) =>
    query<{ id: number; row_count: number }>(
      `SELECT s.id, s.row_count FROM snapshots s JOIN dealerships d ON d.id = s.dealership_id
       WHERE d.name = $1 AND s.status = 'active'`,
      [name],
    );

  it('imports the Craigslist sample with --dealer and prints a --json summary; again is a no-op', async () => {
    const r = await runCli(['import', CRAIGSLIST, '--dealer', 'Columbia Honda', '--json'], { env: t.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ rowsRead: 5540, rowsImported: 3272, rowsRejected: 2268, dryRun: false });
    expect(s.dealerships[0]).toMatchObject({ name: 'Columbia Honda', rows: 3272, activated: true });
    expect(s.totals).toMatchObject({ normalized: 3139, duplicates: 133 });
    expect(readFileSync(s.rejectsFile, 'utf8').split('\n')[0]).toBe('file,line,reason,detail,original');

    const again = await runCli(['import', CRAIGSLIST, '--dealer', 'Columbia Honda'], { env: t.env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to do: the same content was imported as import #\d+/);
  });

  it('prints a readable table, and --dry-run of car_prices with --map changes nothing', async () => {
    const before = await snapshotOf('Columbia Honda');
    const r = await runCli(['import', CAR_PRICES, '--map', 'dealership=seller', '--dry-run'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dry run: nothing was changed');
    expect(r.stdout).toContain('12,602 rows read, 12,602 imported, 0 rejected');
    expect(r.stdout).toContain(
      '2,002 dealership name(s) matched no dealership and would be created disabled',
    );
    expect(r.stdout).toMatch(/dealership\s+\|\s+rows\s+\|\s+rejected/);
    expect(await snapshotOf('Columbia Honda')).toEqual(before);
    expect(await query(`SELECT 1 FROM dealerships WHERE NOT in_registry`)).toEqual([]);
  });

  it('reads stdin, and normalize reports per dealership', async () => {
    const csv = `Location,VIN,Year,Make,Model,Type,Internet Price,Vechile URL\nSpirit Lexus,${vin(1)},2024,Lexus,RX,New,"$50,000",https://x/1\nSpirit Lexus,${vin(2)},2023,Lexus,ES,Used,,https://x/2\n`;
    const r = await runCli(['import', '-', '--json'], { env: t.env, input: csv });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rowsImported: 2, files: [{ file: 'stdin' }] });
    const n = await runCli(['normalize', 'spirit lexus', '--json'], { env: t.env });
    expect(n.code).toBe(0);
    expect(JSON.parse(n.stdout).dealerships[0]).toMatchObject({
      name: 'Spirit Lexus',
      counts: { raw: 2, normalized: 2, noPrice: 1 },
    });
    const table = await runCli(['normalize'], { env: t.env });
    expect(table.stdout).toMatch(/Spirit Lexus\s+\|\s+2\s+\|\s+2/);
  });

  it('a missing column is exit 1 listing the headers; an unknown --map field is exit 2', async () => {
    const r = await runCli(['import', '-'], { env: t.env, input: 'Dealer,Stock\nSpirit Lexus,1\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no VIN column');
    expect(r.stderr).toContain('Headers found: "Dealer", "Stock"');
    const u = await runCli(['import', CRAIGSLIST, '--map', 'colour=paint_color'], { env: t.env });
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown field "colour"');
    const none = await runCli(['import', '-', '--dealer', 'HW Kia'], { env: t.env, input: 'VIN\n\n123\n' });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no row could be imported');
  });

  for (const how of ['SIGKILL', 'SIGINT'] as const) {
    it(`${how} in the middle of a long import leaves the previous snapshot active`, async () => {
      const before = await snapshotOf('Columbia Honda');
      expect(before).toHaveLength(1);
      const big = path.join(t.dir, `big-${how}.csv`);
      await writeBigFile(big, 400_000, 'Columbia Honda');
      const child = spawn(process.execPath, [BIN, 'import', big], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...t.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
      // The first progress line comes 2 s into the file, while batches are being COPYed.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no progress line; stderr: ${stderr}`)), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/importing .*: [\d,]+ rows/.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill(how);
      const end = await closed;
      if (how === 'SIGKILL') expect(end.signal).toBe('SIGKILL');
      else {
        expect(end.code).toBe(130); // stopped by a signal (issue 15.6), after rolling back
        expect(stderr).toContain('import cancelled: nothing was changed');
      }
      if (kind === 'server') {
        // The killed session's transaction is rolled back as soon as the server sees it gone.
        const c = new pg.Client({ connectionString: t.env.DATABASE_URL });
        await c.connect();
        for (let i = 0; i < 100; i++) {
          const { rows } = await c.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
          );
          if (rows[0].n === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await c.end();
      }
      expect(await snapshotOf('Columbia Honda')).toEqual(before);
      expect(await query(`SELECT 1 FROM snapshots WHERE status = 'loading'`)).toEqual([]);
      const raw = await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM raw_vehicles r JOIN snapshots s ON s.import_id = r.import_id AND s.dealership_id = r.dealership_id`,
      );
      const all = await query<{ n: number }>(`SELECT count(*)::int AS n FROM raw_vehicles`);
      expect(all[0]!.n).toBe(raw[0]!.n);
      // And the database still works: the same file imports fine afterwards.
      if (how === 'SIGINT') {
        const ok = await runCli(['import', big, '--json', '--no-normalize'], {
          env: t.env,
          timeoutMs: 120_000,
        });
        expect(ok.code).toBe(0);
        expect(JSON.parse(ok.stdout).rowsImported).toBe(400_000);
      }
    });
  }
});
