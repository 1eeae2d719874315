/**
 * A poisoned `.env` in the working folder: shell syntax, NODE_OPTIONS and PATH, garbage, a huge
 * value, a folder in its place, a byte-order mark. Nothing in it is executed or exported to the
 * process or to the tools silverfox starts; a bad value is a clear error naming the variable.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import { expectCleanError } from './helpers.js';

describe('a poisoned .env', () => {
  let t: TestEnv;
  let cwd: string;
  const dotenv = (content: string | Buffer) => {
    rmSync(path.join(cwd, '.env'), { recursive: true, force: true });
    writeFileSync(path.join(cwd, '.env'), content);
  };
  const run = (args: string[]) => runCli(args, { env: t.env, cwd });
  beforeAll(async () => {
    t = await createTestEnv('server');
    cwd = mkdtempSync(path.join(os.tmpdir(), 'silverfox-dotenv-'));
    // What NODE_OPTIONS=--require ./evil.cjs would run if the .env reached a node process.
    writeFileSync(
      path.join(cwd, 'evil.cjs'),
      `require('fs').writeFileSync(__dirname + '/pwned-by-node-options', 'x');\n`,
    );
  });
  afterAll(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await t?.cleanup();
  });
  const pwned = () => readdirSync(cwd).filter((f) => f.startsWith('pwned'));

  it('shell syntax is never run: a clear error names each bad variable', async () => {
    copyFileSync(path.join(ROOT, 'test/fixtures/hostile/poisoned.env'), path.join(cwd, '.env'));
    const r = await run(['status']);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr);
    expect(r.stderr).toContain('SILVERFOX_CONCURRENCY');
    expect(r.stderr).toContain('SILVERFOX_WAIT_LOCK');
    expect(r.stderr).toContain('.env');
    expect(pwned()).toEqual([]);
  });

  it('NODE_OPTIONS and PATH in .env reach neither silverfox nor the tools it starts (pg_dump)', async () => {
    dotenv(
      'NODE_OPTIONS=--require ./evil.cjs\nPATH=/nonexistent\nPGPASSWORD=from-dotenv\nSILVERFOX_STALE_HOURS=48\n',
    );
    const status = await run(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const backup = path.join(cwd, 'backup.dump');
    const r = await run(['db', 'backup', backup, '--json']);
    expectCleanError(r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(backup)).toBe(true);
    expect(pwned()).toEqual([]);
  });

  it('a byte-order mark (Notepad) does not hide the first setting', async () => {
    dotenv('\uFEFFSILVERFOX_STALE_HOURS=abc\r\nSILVERFOX_CONCURRENCY=2\r\n');
    const r = await run(['status']);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr);
    expect(r.stderr).toMatch(/SILVERFOX_STALE_HOURS: .*"abc"/);
  });

  it('garbage, a 5 MB value, an unclosed quote or a folder named .env: a clear error or a normal run, never a crash', async () => {
    const cases: [string, () => void][] = [
      ['random bytes', () => dotenv(randomBytes(4000))],
      ['a 5 MB value', () => dotenv(`SILVERFOX_STALE_HOURS=36\nNOISE=${'y'.repeat(5 * 1024 * 1024)}\n`)],
      ['an unclosed quote', () => dotenv('SILVERFOX_STALE_HOURS="36\nSILVERFOX_CONCURRENCY=2\n')],
      [
        'a folder',
        () => {
          rmSync(path.join(cwd, '.env'), { force: true });
          mkdirSync(path.join(cwd, '.env'));
        },
      ],
    ];
    for (const [what, make] of cases) {
      make();
      const r = await run(['status', '--json']);
      expectCleanError(r.stderr, what);
      if (r.code === 0) expect(() => JSON.parse(r.stdout), what).not.toThrow();
      else {
        expect(r.code, what).toBe(1);
        expect(r.stderr, what).toMatch(/\.env|SILVERFOX_/);
        expect(r.stderr.length, what).toBeLessThan(2000);
      }
    }
    expect(pwned()).toEqual([]);
  });
});
