import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRunLog, readRunLogs, redact, runLogFile, type RunLogEntry } from '../../src/app/logs.js';
import { acquireRunLock, inspectRunLock, RUN_LOCK_FILE } from '../../src/db/run-lock.js';
import { SilverfoxError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { BIN } from '../helpers/env.js';

const entry = (over: Partial<RunLogEntry> = {}): RunLogEntry => ({
  time: '2026-11-20T02:00:00.000Z',
  pid: 1,
  command: 'cao',
  args: ['--all'],
  options: { all: true, yes: true },
  database: 'embedded',
  durationMs: 1200,
  exitCode: 0,
  ...over,
});

describe('run log files', () => {
  let dir: string;
  const cfg = () => ({ logDir: dir, logMaxBytes: 10 * 1024 * 1024, logKeepDays: 90 });
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-runlog-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per run to the file of its local day', () => {
    const e = entry({ counts: { ordered: 3 }, dealerships: ['Columbia Honda'] });
    const file = appendRunLog(cfg(), e);
    expect(file).toBe(runLogFile(dir, new Date(e.time)));
    expect(path.basename(file)).toMatch(/^silverfox-\d{4}-\d{2}-\d{2}\.jsonl$/);
    appendRunLog(cfg(), entry({ time: '2026-11-20T02:05:00.000Z', exitCode: 1 }));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual(e);
  });

  it('never writes a secret: URL passwords, credential-like options, passwords in messages', () => {
    const file = appendRunLog(
      cfg(),
      entry({
        time: '2026-11-20T03:00:00.000Z',
        args: ['postgres://sf:hunter2@db.example:5432/sf'],
        options: {
          db: 'postgresql://sf:hunter2@db/sf',
          portalPassword: 'hunter2',
          apiKey: 'k-hunter2',
          user: 'sf',
        },
        error: {
          code: 'database',
          message: 'cannot connect to postgres://sf:hunter2@db/sf (password=hunter2)',
        },
      }),
    );
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    const last = JSON.parse(text.trim().split('\n').at(-1)!) as RunLogEntry;
    expect(last.options).toEqual({
      db: 'postgresql://sf:****@db/sf',
      portalPassword: '****',
      apiKey: '****',
      user: 'sf',
    });
    expect(redact({ token: undefined, password: false })).toEqual({ password: false });
  });

  it('rotates a day file that would pass the size limit to .1, .2 ... and reads them all back', () => {
    const small = { ...cfg(), logMaxBytes: 400 };
    const at = (m: number) => `2026-11-21T1${m}:00:00.000Z`;
    for (let i = 0; i < 6; i++) appendRunLog(small, entry({ time: at(i), args: ['x'.repeat(150)] }));
    const day = path.basename(runLogFile(dir, new Date(at(0))), '.jsonl');
    const files = readdirSync(dir).filter((f) => f.startsWith(day));
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(files).toContain(`${day}.1.jsonl`);
    for (const f of files) expect(readFileSync(path.join(dir, f)).length).toBeLessThanOrEqual(400);
    const back = readRunLogs(dir, { since: new Date('2026-11-21T00:00:00Z') });
    expect(back.entries.map((e) => e.time)).toEqual([0, 1, 2, 3, 4, 5].map(at));
  });

  it('filters by time, failure and command; counts unreadable lines instead of failing', () => {
    appendRunLog(cfg(), entry({ time: '2026-11-22T01:00:00.000Z', command: 'db prune', args: [] }));
    appendRunLog(cfg(), entry({ time: '2026-11-22T02:00:00.000Z', command: 'db restore', exitCode: 2 }));
    writeFileSync(path.join(dir, 'silverfox-2026-11-22.jsonl'), '{not json\n', { flag: 'a' });
    const since = new Date('2026-11-22T00:00:00Z');
    const all = readRunLogs(dir, { since });
    expect(all.entries.map((e) => e.command)).toEqual(['db prune', 'db restore']);
    expect(all.unreadableLines).toBe(1);
    expect(readRunLogs(dir, { since, errorsOnly: true }).entries.map((e) => e.command)).toEqual([
      'db restore',
    ]);
    expect(readRunLogs(dir, { since, command: 'db' }).entries).toHaveLength(2);
    expect(readRunLogs(dir, { since, command: 'db prune' }).entries).toHaveLength(1);
    expect(readRunLogs(dir, { since, command: 'd' }).entries).toHaveLength(0);
    expect(
      readRunLogs(dir, { since: new Date('2026-11-20T00:00:00Z'), limit: 2 }).entries.map((e) => e.command),
    ).toEqual(['db prune', 'db restore']);
    expect(readRunLogs(path.join(dir, 'missing')).entries).toEqual([]);
  });

  it('deletes day files older than logKeepDays when a new day starts', () => {
    writeFileSync(path.join(dir, 'silverfox-2020-01-01.jsonl'), '{}\n');
    writeFileSync(path.join(dir, 'silverfox-2020-01-01.1.jsonl'), '{}\n');
    writeFileSync(path.join(dir, 'import-report-2020-01-01.json'), '{}'); // not ours: kept
    appendRunLog({ ...cfg(), logKeepDays: 30 }, entry({ time: '2026-11-25T12:00:00.000Z' }));
    const files = readdirSync(dir);
    expect(files).not.toContain('silverfox-2020-01-01.jsonl');
    expect(files).not.toContain('silverfox-2020-01-01.1.jsonl');
    expect(files).toContain('import-report-2020-01-01.json');
    expect(files).toContain('silverfox-2026-11-20.jsonl');
  });
});

describe.each(DATABASE_KINDS)('run lock on %s', (kind) => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    await (await t.open()).db.close(); // create/migrate the database
  });
  afterAll(async () => t?.cleanup());

  /** Holds the lock from another process (embedded) or another session (server). */
  async function holdElsewhere(): Promise<() => Promise<void>> {
    if (kind === 'server') {
      const a = await acquireRunLock(t.config, { command: 'cao --all', waitSeconds: 0 });
      return () => a.release();
    }
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    writeFileSync(
      path.join(t.config.dataDir, RUN_LOCK_FILE),
      JSON.stringify({ pid: sleeper.pid, command: 'cao --all', since: new Date().toISOString() }),
    );
    return async () => {
      sleeper.kill();
      rmSync(path.join(t.config.dataDir, RUN_LOCK_FILE), { force: true });
    };
  }

  it('a second writer is refused at once, with who holds the lock and what to do', async () => {
    const release = await holdElsewhere();
    try {
      const err = await acquireRunLock(t.config, { command: 'db prune', waitSeconds: 0 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SilverfoxError);
      expect((err as SilverfoxError).code).toBe('run_locked');
      expect((err as SilverfoxError).exitCode).toBe(1);
      expect((err as Error).message).toContain('`silverfox cao --all`');
      expect((err as SilverfoxError).hints.join(' ')).toContain('--wait-lock');
      const ctx = kind === 'server' ? await t.open() : undefined;
      try {
        expect((await inspectRunLock(t.config, ctx?.db))?.command).toBe('cao --all');
      } finally {
        await ctx?.db.close();
      }
    } finally {
      await release();
    }
  });

  it('waits up to the bound, and gets the lock when the holder finishes', async () => {
    const release = await holdElsewhere();
    const told: string[] = [];
    setTimeout(() => void release(), 700);
    const lock = await acquireRunLock(t.config, {
      command: 'db prune',
      waitSeconds: 10,
      pollMs: 100,
      onWait: (m) => told.push(m),
    });
    try {
      expect(lock.waitedMs).toBeGreaterThanOrEqual(500);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/^waiting up to 10s for `silverfox cao --all`/);
    } finally {
      await lock.release();
    }
  });

  it('gives up after the bound', async () => {
    const release = await holdElsewhere();
    try {
      const started = Date.now();
      await expect(acquireRunLock(t.config, { command: 'x', waitSeconds: 1, pollMs: 100 })).rejects.toThrow(
        /another run holds the run lock/,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await release();
    }
  });

  if (kind === 'embedded') {
    it('a lock left by a dead process, or garbage, is taken over', async () => {
      const file = path.join(t.config.dataDir, RUN_LOCK_FILE);
      for (const text of [JSON.stringify({ pid: 999_999_999, command: 'cao' }), 'garbage']) {
        writeFileSync(file, text);
        const lock = await acquireRunLock(t.config, { command: 'db prune', waitSeconds: 0 });
        expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
        await lock.release();
        expect(readdirSync(t.config.dataDir)).not.toContain(RUN_LOCK_FILE);
      }
    });

    it('also waits for a reader holding the embedded database', async () => {
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      const dbLock = path.join(t.config.dataDir, 'silverfox.lock');
      writeFileSync(dbLock, String(sleeper.pid));
      try {
        await expect(acquireRunLock(t.config, { command: 'db prune', waitSeconds: 0 })).rejects.toThrow(
          `the embedded database is in use by process ${sleeper.pid}`,
        );
        // the run lock it took while checking was given back
        expect(readdirSync(t.config.dataDir)).not.toContain(RUN_LOCK_FILE);
      } finally {
        sleeper.kill();
        rmSync(dbLock, { force: true });
      }
    });
  }

  it('a crashed holder never blocks the next run: a writer killed with -9 while holding the lock', async () => {
    // `import -` takes the run lock, then waits for its stdin: a writer caught holding the lock.
    const holder = spawn(process.execPath, [BIN, 'import', '-'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...t.env },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = once(holder, 'exit');
    try {
      const ctx = kind === 'server' ? await t.open() : undefined;
      try {
        const deadline = Date.now() + 60_000;
        while ((await inspectRunLock(t.config, ctx?.db))?.command !== 'import -') {
          expect(holder.exitCode, 'the holder stopped before it took the lock').toBeNull();
          expect(Date.now()).toBeLessThan(deadline);
          await sleep(100);
        }
      } finally {
        await ctx?.db.close();
      }
      await expect(acquireRunLock(t.config, { command: 'cao', waitSeconds: 0 })).rejects.toThrow(
        /another run holds the run lock/,
      );
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    expect(holder.signalCode).toBe('SIGKILL');
    // The server drops the dead session's advisory lock; the embedded lock file names a dead pid.
    const lock = await acquireRunLock(t.config, { command: 'cao', waitSeconds: 10, pollMs: 100 });
    try {
      expect(lock.waitedMs).toBeLessThan(10_000);
    } finally {
      await lock.release();
    }
  });
});
