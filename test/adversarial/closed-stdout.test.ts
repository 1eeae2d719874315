/**
 * stdout closed early (`silverfox ... | head`, a script that stops reading): the command stops
 * quietly instead of dying on an unhandled EPIPE with a stack trace.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
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
