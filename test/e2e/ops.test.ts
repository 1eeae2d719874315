import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLogEntry } from '../../src/app/logs.js';
import { acquireRunLock } from '../../src/db/run-lock.js';
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

  it('the nightly recipe run twice at once: runs take turns, nothing is ordered twice, stdout holds only results', async () => {
    // `scrape --all && cao --all --yes --json`, with an import standing in for the scrape (no live sites).
    const sf = `"${process.execPath}" "${BIN}"`;
    const recipe = `${sf} import "${csv}" --force --json && ${sf} cao --all --yes --json`;
    const before = readLog(t).length;
    const env = { ...t.env, SILVERFOX_WAIT_LOCK: '120' };
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        // through a shell, as cron runs it
        const child = spawn('sh', ['-c', recipe], {
          env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    let ordered = 0;
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      const docs = jsonDocuments(r.stdout) as [{ rowsImported: number }, { ordered: number; failed: number }];
      expect(docs).toHaveLength(2);
      expect(docs[0]).toMatchObject({ rowsImported: 3 });
      expect(docs[1]).toMatchObject({ failed: 0 });
      ordered += docs[1].ordered;
    }
    // One order per dealership with inventory, made by whichever run came first; the other found nothing new.
    expect(ordered).toBe(2);

    // The four writing runs held the run lock in windows that never overlap.
    const runs = readLog(t)
      .slice(before)
      .filter((l) => l.command === 'import' || l.command === 'cao');
    expect(runs.map((l) => l.exitCode)).toEqual([0, 0, 0, 0]);
    const held = runs
      .map((l) => {
        expect(l.lock, l.command).toBeDefined();
        const start = new Date(l.time).getTime() + l.lock!.waitMs;
        return { start, end: start + l.lock!.heldMs };
      })
      .sort((x, y) => x.start - y.start);
    for (let i = 1; i < held.length; i++) expect(held[i]!.start).toBeGreaterThanOrEqual(held[i - 1]!.end);
    expect(runs.some((l) => l.lock!.waitMs > 200)).toBe(true);

    const ctx = await t.open();
    try {
      const q = async (sql: string) => Number((await ctx.db.query<{ n: number }>(sql)).rows[0]!.n);
      expect(
        await q(`SELECT count(*)::int AS n FROM snapshots s JOIN dealerships d ON d.id = s.dealership_id
                 WHERE d.slug = 'columbia_honda' AND s.status = 'active'`),
      ).toBe(1);
      expect(await q(`SELECT count(*)::int AS n FROM orders`)).toBe(2);
      expect(await q(`SELECT count(*)::int AS n FROM vin_log`)).toBe(3);
      expect(await q(`SELECT count(DISTINCT (dealership_id, vin))::int AS n FROM vin_log`)).toBe(3);
    } finally {
      await ctx.db.close();
    }
    const folders = readdirSync(t.env.SILVERFOX_ORDERS_DIR!).filter((f) => !f.startsWith('.'));
    expect(folders.sort()).toEqual([
      expect.stringMatching(/^columbia_honda_cao_/),
      expect.stringMatching(/^hw_kia_cao_/),
    ]);
  });

  it('maintenance and backup through the binary: archive, prune, backup, restore', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const arch = await runCli(['orders', 'archive', '--older-than', '1s', '--json'], { env: t.env });
    expect(arch.code, arch.stderr).toBe(0);
    const a = JSON.parse(arch.stdout) as { counts: { archived: number }; orders: { archivePath: string }[] };
    expect(a.counts.archived).toBe(2);
    expect(readdirSync(path.join(t.env.SILVERFOX_ORDERS_DIR!, 'archive')).sort()).toEqual(
      a.orders.map((o) => path.basename(o.archivePath)).sort(),
    );
    const table = await runCli(['orders', 'archive', '--older-than', '1s'], { env: t.env });
    expect(table.stdout).toContain('nothing to archive');

    const prune = await runCli(['db', 'prune', '--keep-snapshots', '0'], { env: t.env });
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout).toMatch(/freed \d+ vehicle rows and \d+ raw rows/);

    const file = path.join(t.dir, 'nightly.backup');
    const b = await runCli(['db', 'backup', file, '--json'], { env: t.env });
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ format: kind, counts: { orders: 2, vin_log: 3 } });
    const refused = await runCli(['db', 'restore', file], { env: t.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const restored = await runCli(['db', 'restore', file, '--yes', '--json'], { env: t.env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ after: { orders: 2, vin_log: 3 } });
    const s = await runCli(['status', '--json'], { env: t.env });
    expect(s.code, s.stderr).toBe(0);
    const logged = readLog(t).map((l) => l.command);
    expect(logged).toEqual(expect.arrayContaining(['orders archive', 'db prune', 'db backup', 'db restore']));
  });
});
