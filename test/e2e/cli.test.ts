import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import pLimit from 'p-limit';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';

describe('the binary', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('embedded');
  });
  afterAll(async () => t?.cleanup());

  it('--help lists the commands and exit codes', async () => {
    const r = await runCli(['--help'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('status');
    expect(r.stdout).toContain('dealers');
    expect(r.stdout).toMatch(/Exit codes: 0 ok, 1 error, 2 usage, 3 partial failure/);
  });

  it('every command and subcommand of the program has help with examples', async () => {
    // Enumerated from the program itself, so a command added later is checked too.
    const paths: string[][] = [];
    const walk = (c: Command, prefix: string[]) => {
      for (const s of c.commands) {
        paths.push([...prefix, s.name()]);
        walk(s, [...prefix, s.name()]);
      }
    };
    walk(buildProgram(), []);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths).toContainEqual(['orders', 'repair']);
    const limit = pLimit(4);
    const results = await Promise.all(
      paths.map((args) =>
        limit(async () => ({ args, r: await runCli([...args, '--help'], { env: t.env }) })),
      ),
    );
    const missing = results
      .filter(
        ({ r }) => r.code !== 0 || !r.stdout.includes('Examples:') || !r.stdout.includes(`Usage: silverfox`),
      )
      .map(({ args }) => args.join(' '));
    expect(missing).toEqual([]);
  });

  // Start-up cost (bench/startup.bench.mjs): command code is imported only when it runs.
  it('--help and status load no browser, QR or PDF code; --help not even chalk or cli-table3', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-load-'));
    const loaded = async (args: string[]) => {
      const trace = path.join(dir, `${args.join('-')}.txt`);
      writeFileSync(trace, '');
      const r = await runCli(args, {
        env: {
          ...t.env,
          NODE_OPTIONS: `--import ${path.join(ROOT, 'test/helpers/load-trace.mjs')}`,
          SILVERFOX_TEST_LOAD_TRACE: trace,
        },
      });
      expect(r.code, r.stderr).toBe(0);
      const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      const packages = new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]));
      packages.delete(undefined);
      return { urls, packages };
    };
    try {
      const heavy = ['playwright-core', 'qrcode', 'pdf-lib', '@electric-sql/pglite', 'pg'];
      for (const args of [['--help'], ['status', '--help'], ['import', '--help']]) {
        const { urls, packages } = await loaded(args);
        // The trace works: the bundle entry (scripts/bundle.mjs; commander is inside it) was seen,
        // and none of the unbundled tsc output.
        expect(urls.some((u) => u.endsWith('/dist/bundle/main.js'))).toBe(true);
        expect(urls.filter((u) => /\/dist\/(?!bundle\/)/.test(u))).toEqual([]);
        for (const p of [...heavy, 'chalk', 'cli-table3', 'ora', '@inquirer/prompts']) {
          expect(packages, `${args.join(' ')} loaded ${p}`).not.toContain(p);
        }
      }
      const status = await loaded(['status', '--json']);
      expect(status.packages).toContain('@electric-sql/pglite');
      for (const p of ['playwright-core', 'qrcode', 'pdf-lib']) {
        expect(status.packages, `status loaded ${p}`).not.toContain(p);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['bogus'], { env: t.env })).code).toBe(2);
    const r = await runCli(['status', '--bogus'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('no arguments without a terminal prints help and exits 2 instead of waiting', async () => {
    const r = await runCli([], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: silverfox');
  });

  it('status --json on the embedded database', async () => {
    const r = await runCli(['status', '--json'], { env: t.env });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.database.kind).toBe('embedded');
    expect(s.dealerships).toHaveLength(40);
    expect(r.stderr).toBe('');
  });

  it('status --check exits 1 when enabled dealerships are stale', async () => {
    const r = await runCli(['status', '--check'], { env: t.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stale');
  });

  it('a second process on the embedded database gets a clear error', async () => {
    const lock = path.join(t.env.SILVERFOX_DATA_DIR!, 'silverfox.lock');
    writeFileSync(lock, String(process.pid));
    try {
      const r = await runCli(['status'], { env: t.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: database in use by process ${process.pid}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      writeFileSync(lock, '999999999');
    }
    // A stale lock (dead pid) is taken over.
    const r = await runCli(['status', '--json'], { env: t.env });
    expect(r.code).toBe(0);
  });

  // Option values are read by the command's declaration (defs/), inside the run: a bad one is the
  // command's usage error, exit 2, before any lock or database, and the run log keeps its line.
  it('a bad option value is a usage error naming the flag, and the run is logged', async () => {
    const cao = await runCli(['cao', 'Columbia Honda', '--concurrency', '0', '--dry-run'], { env: t.env });
    expect(cao.code).toBe(2);
    expect(cao.stderr).toContain('--concurrency expects a positive whole number, got "0"');
    const prune = await runCli(['db', 'prune', '--keep-snapshots', 'x'], { env: t.env });
    expect(prune.code).toBe(2);
    expect(prune.stderr).toContain('--keep-snapshots x is not a whole number 0 or more');
    const limit = await runCli(['logs', '--limit', '-1'], { env: t.env });
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit -1 is not a positive whole number');
    const logged = await runCli(['logs', '--errors', '--since', '1h', '--json'], { env: t.env });
    expect(logged.code, logged.stderr).toBe(0);
    const runs = JSON.parse(logged.stdout) as {
      command: string;
      exitCode: number;
      error?: { code: string };
    }[];
    expect(runs.filter((r) => r.command === 'cao' && r.exitCode === 2)).toHaveLength(1);
    expect(runs.filter((r) => r.command === 'db prune' && r.exitCode === 2)).toHaveLength(1);
    // `logs` itself appends no line, not even for its own usage error.
    expect(runs.filter((r) => r.command === 'logs')).toHaveLength(0);
  });

  it('a bad DATABASE_URL is a clear error, not a stack trace', async () => {
    const r = await runCli(['status'], { env: { ...t.env, DATABASE_URL: 'mysql://nope' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL is not a valid PostgreSQL URL');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a refused server is retried for a bounded time, then named with the password masked', async () => {
    const started = Date.now();
    const r = await runCli(['status'], {
      env: {
        ...t.env,
        DATABASE_URL: 'postgres://bob:s3cret@127.0.0.1:1/x',
        SILVERFOX_DB_CONNECT_TIMEOUT_MS: '1000',
      },
    });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThan(900);
    expect(r.stderr).toContain('cannot connect to PostgreSQL at postgres://bob:****@127.0.0.1:1/x');
    expect(r.stderr).not.toContain('s3cret');
  });

  it('an invalid setting names the variable', async () => {
    const r = await runCli(['status'], { env: { ...t.env, SILVERFOX_CONCURRENCY: 'many' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SILVERFOX_CONCURRENCY');
  });

  it('dealers set from the command line, and --db with a server URL', async () => {
    const r = await runCli(['dealers', 'set', 'Columbia Honda', '--url', 'http://127.0.0.1:8080', '--json'], {
      env: t.env,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).siteUrl).toBe('http://127.0.0.1:8080');
    const bad = await runCli(['dealers', 'set', 'Columbia Honda', '--setting', 'min_price'], { env: t.env });
    expect(bad.code).toBe(2);
  });
});
