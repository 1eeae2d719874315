/**
 * stdout closed early (`silverfox ... | head`, a script that stops reading): the command stops
 * quietly instead of dying on an unhandled EPIPE with a stack trace.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { BIN } from '../helpers/env.js';
import { expectCleanError } from './helpers.js';

/** Runs the binary with a stdout pipe whose reader is gone before the first byte. */
function withClosedStdout(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout.destroy();
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('stdout closed by the reader', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('server');
  });
  afterAll(async () => t?.cleanup());

  it.each([[['--help']], [['dealers', 'list']], [['status', '--json']], [['logs']]])(
    'silverfox %j',
    async (args) => {
      const r = await withClosedStdout(args, t.env);
      expectCleanError(r.stderr, args.join(' '));
      expect(r.stderr).not.toMatch(/EPIPE/);
      expect(r.code).toBe(0);
    },
  );
});

describe.each(DATABASE_KINDS)('stdout closed by the reader, on %s', (kind) => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv(kind);
  });
  afterAll(async () => t?.cleanup());

  it('`vinlog show X | head -1`: the run still writes its run-log line', async () => {
    const vin = '1HGCM82633A004352';
    const r = await withClosedStdout(['vinlog', 'show', vin], t.env);
    expectCleanError(r.stderr, 'vinlog show');
    expect(r.stderr).not.toMatch(/EPIPE/);
    const dir = t.env.SILVERFOX_LOG_DIR!;
    const lines = readdirSync(dir).flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { command: string; args: string[]; exitCode: number }),
    );
    expect(lines.filter((l) => l.command === 'vinlog show' && l.args[0] === vin)).toHaveLength(1);
    expect(r.code).toBe(lines.find((l) => l.command === 'vinlog show')!.exitCode);
  });
});
