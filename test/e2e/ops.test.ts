import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLogEntry } from '../../src/app/logs.js';
import { acquireRunLock } from '../../src/app/run-lock.js';
import { BIN } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

const INVENTORY = [
  'Dealer,VIN,Stock,Year,Make,Model,Type,Price,URL',
  'Columbia Honda,1HGCM82633A004352,S1,2024,Honda,Civic,New,"$24,995",https://example.com/1',
  'Columbia Honda,1HGCM82633A004353,S2,2023,Honda,Accord,Used,"$21,995",https://example.com/2',
  'HW Kia,5XYP3DHC9NG000001,K1,2022,Kia,Telluride,Certified,"$41,000",https://example.com/3',
].join('\n');

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';

function readLog(t: TestEnv): RunLogEntry[] {
  const dir = t.env.SILVERFOX_LOG_DIR!;
  return readdirSync(dir)
    .filter((f) => /^silverfox-.*\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n'))
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunLogEntry)
    .sort((a, b) => a.time.localeCompare(b.time));
}

/** Splits stdout holding several pretty-printed JSON documents (one per command of a recipe). */
function jsonDocuments(stdout: string): unknown[] {
  return stdout
    .split(/\n(?=[[{])/)
    .filter((s) => s.trim())
    .map((s) => JSON.parse(s));
}

describe.each(DATABASE_KINDS)('operations through the binary on %s', (kind) => {
  let t: TestEnv;
  let csv: string;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    csv = path.join(t.dir, 'inventory.csv');
    writeFileSync(csv, `${INVENTORY}\n`);
  });
  afterAll(async () => t?.cleanup());

  it('every run leaves one line in the run log; a failure ends stderr with the log file', async () => {
    const ok = await runCli(['status', '--json'], { env: t.env });
    expect(ok.code).toBe(0);
    const bad = await runCli(['import', path.join(t.dir, 'missing.csv')], { env: t.env });
    expect(bad.code).toBe(1);
    expect(lastLine(bad.stderr)).toMatch(/^log: .*silverfox-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const logFile = lastLine(bad.stderr).slice('log: '.length);
    expect(logFile.startsWith(t.env.SILVERFOX_LOG_DIR!)).toBe(true);
    const imp = await runCli(['import', csv, '--json'], { env: t.env });
    expect(imp.code).toBe(0);
    expect(imp.stderr).not.toContain('log:');

    const lines = readLog(t);
    expect(lines.map((l) => [l.command, l.exitCode])).toEqual([
      ['status', 0],
      ['import', 1],
      ['import', 0],
    ]);
    for (const l of lines) {
      expect(l.database).toBe(kind);
      expect(l.durationMs).toBeGreaterThan(0);
      expect(new Date(l.time).getTime()).toBeGreaterThan(Date.now() - 600_000);
    }
    expect(lines[1]!.error).toMatchObject({
      code: expect.any(String),
      message: expect.stringContaining('missing.csv'),
    });
    expect(lines[2]!.dealerships?.sort()).toEqual(['Columbia Honda', 'HW Kia']);
    expect(lines[2]!.counts).toMatchObject({ imported: 3 });

    // Read back as a table and as JSON; reading does not add lines.
    const table = await runCli(['logs', '--since', '1h'], { env: t.env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/import .*missing\.csv/);
    expect(table.stdout).toContain('Columbia Honda');
    const errors = await runCli(['logs', '--errors', '--json'], { env: t.env });
    expect((JSON.parse(errors.stdout) as RunLogEntry[]).map((e) => e.command)).toEqual(['import']);
    expect(readLog(t)).toHaveLength(3);
    const usage = await runCli(['logs', '--since', 'last tuesday'], { env: t.env });
    expect(usage.code).toBe(2);
  });

  it('no secret reaches the log: the DATABASE_URL password is masked', async () => {
    const env = { ...t.env };
    if (kind === 'server') {
      const u = new URL(t.env.DATABASE_URL!);
      u.password = 'hunter2'; // trust auth: any password connects
      env.DATABASE_URL = u.toString();
    }
    const r = await runCli(['--db', env.DATABASE_URL || t.env.SILVERFOX_DATA_DIR!, 'status', '--check'], {
      env,
    });
    expect(r.stderr).not.toContain('hunter2');
    const text = readdirSync(t.env.SILVERFOX_LOG_DIR!)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => readFileSync(path.join(t.env.SILVERFOX_LOG_DIR!, f), 'utf8'))
      .join('');
    expect(text).toContain('"command":"status"');
    expect(text).not.toContain('hunter2');
    if (kind === 'server') expect(text).toContain(':****@');
  });

  it('a second writing run exits 1 at once with who is in the way, or waits for it with --wait-lock', async () => {
    const held = await acquireRunLock(t.config, { command: 'scrape --all', waitSeconds: 0 });
    let released = false;
    try {
      const r = await runCli(['db', 'prune', '--keep-snapshots', '1', '--json'], { env: t.env });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('error: another run holds the run lock: `silverfox scrape --all`');
      expect(r.stderr).toContain('--wait-lock');
      expect(lastLine(r.stderr)).toMatch(/^log: /);
      expect(readLog(t).at(-1)!.error!.code).toBe('run_locked');

      const waiting = runCli(['--wait-lock', '30', 'db', 'prune', '--keep-snapshots', '1', '--json'], {
        env: t.env,
      });
      await new Promise((res) => setTimeout(res, 2500));
      await held.release();
      released = true;
      const w = await waiting;
      expect(w.code).toBe(0);
      expect(w.stderr).toContain('waiting up to 30s for `silverfox scrape --all`');
      expect(JSON.parse(w.stdout)).toMatchObject({ keepSnapshots: 1 });
    } finally {
      if (!released) await held.release();
    }
  });

  it('the nightly recipe run twice at once: the runs take turns, both succeed, stdout holds only results', async () => {
    const recipe = `"${process.execPath}" "${BIN}" import "${csv}" --force --json && "${process.execPath}" "${BIN}" db prune --keep-snapshots 1 --json`;
    const before = readLog(t).length;
    const env = { ...t.env, SILVERFOX_WAIT_LOCK: '120' };
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        // through a shell, as cron runs it
        import('node:child_process').then(({ spawn }) => {
          const child = spawn('sh', ['-c', recipe], {
            env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env },
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        }, reject);
      });
    const [a, b] = await Promise.all([run(), run()]);
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      const docs = jsonDocuments(r.stdout);
      expect(docs).toHaveLength(2);
      expect(docs[0]).toMatchObject({ rowsImported: expect.any(Number) });
      expect(docs[1]).toMatchObject({ keepSnapshots: 1 });
    }
    // The four writing runs never overlapped.
    const runs = readLog(t)
      .slice(before)
      .filter((l) => l.command === 'import' || l.command === 'db prune');
    expect(runs).toHaveLength(4);
    // The windows in which each held the run lock never overlap.
    const held = runs
      .map((l) => {
        expect(l.lock, l.command).toBeDefined();
        const start = new Date(l.time).getTime() + l.lock!.waitMs;
        return { start, end: start + l.lock!.heldMs };
      })
      .sort((x, y) => x.start - y.start);
    for (let i = 1; i < held.length; i++) expect(held[i]!.start).toBeGreaterThanOrEqual(held[i - 1]!.end);
    // At least one run had to wait for the other.
    expect(runs.some((l) => l.lock!.waitMs > 500)).toBe(true);
    // One active snapshot per dealership, whatever the interleaving.
    const ctx = await t.open();
    try {
      const active = await ctx.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM snapshots s JOIN dealerships d ON d.id = s.dealership_id
         WHERE d.slug = 'columbia_honda' AND s.status = 'active'`,
      );
      expect(active.rows[0]!.n).toBe(1);
    } finally {
      await ctx.db.close();
    }
  });
});
