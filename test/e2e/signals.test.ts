/**
 * Issue 15.6: `cao` or `import` stopped by SIGINT or SIGTERM used to exit 130/143 with no message
 * and no run-log line. Now the built binary, signalled mid-run, says what was rolled back, logs the
 * run like any other failure (error code `interrupted`/`cancelled`, exit code 130/143), and the
 * database holds nothing of the stopped work. Both databases.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_SUFFIX } from '../../src/output/order-folder.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { BIN } from '../helpers/env.js';
import { count, withDb } from '../reliability/helpers/checks.js';
import { vins, writeFeed } from '../reliability/helpers/fleet.js';

/** Starts the binary; resolves once `ready()` holds, then sends `sig`; returns how it ended. */
async function signalMidRun(
  t: TestEnv,
  args: string[],
  ready: (stderr: string, pid: number) => boolean,
  sig: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...t.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 120_000;
  while (!ready(stderr, child.pid!)) {
    if (Date.now() > deadline) throw new Error(`never ready; stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill(sig);
  return { ...(await closed), stderr };
}

/** The run-log lines of the test's log folder. */
function runLog(t: TestEnv): Record<string, unknown>[] {
  const dir = t.env.SILVERFOX_LOG_DIR!;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^silverfox-.*\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.each(DATABASE_KINDS)('signals on %s', (kind) => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    // Enough vehicles that writing the order (QR codes) takes a while.
    const feed = writeFeed(
      path.join(t.dir, 'stock.csv'),
      vins(4000, 500_000).map((vin) => ({ dealer: 'Columbia Honda', vin })),
    );
    const r = await runCli(['import', feed, '--json'], { env: t.env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => t?.cleanup());

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'cao stopped by %s while writing the order: exit %i, says what was rolled back, logs the run',
    async (sig, exit) => {
      const staging = path.join(t.env.SILVERFOX_ORDERS_DIR!, '.staging');
      // Staging by this run: a folder whose owner file names this process. (The last stopped run's
      // folder is removed by this run's recovery, and its name, to the second, can come back.)
      const staged = (_stderr: string, pid: number) =>
        existsSync(staging) &&
        readdirSync(staging)
          .filter((f) => f.endsWith(OWNER_SUFFIX))
          .some((f) => {
            try {
              const owner = JSON.parse(readFileSync(path.join(staging, f), 'utf8')) as { pid?: number };
              return owner.pid === pid && existsSync(path.join(staging, f.slice(0, -OWNER_SUFFIX.length)));
            } catch {
              return false; // being written or already removed
            }
          });
      const end = await signalMidRun(t, ['cao', 'Columbia Honda', '--yes'], staged, sig);
      expect(end.code, end.stderr).toBe(exit);
      expect(end.stderr).toContain(`interrupted by ${sig}: \`silverfox cao\` stopped`);
      expect(end.stderr).toContain('rolled back: the order for Columbia Honda');
      expect(end.stderr).toMatch(/log: .*silverfox-.*\.jsonl/);
      const line = runLog(t).at(-1)!;
      expect(line).toMatchObject({ command: 'cao', exitCode: exit, error: { code: 'interrupted' } });
      // Nothing of the stopped order is in the database (a dropped server session is rolled back
      // once the server notices; the next connection waits for the lock it held).
      await withDb(t.env, async (db) => {
        expect(await count(db, `SELECT count(*)::int AS n FROM orders WHERE status = 'complete'`)).toBe(0);
        expect(await count(db, `SELECT count(*)::int AS n FROM vin_log`)).toBe(0);
      });
    },
  );

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('import stopped by %s mid-file: exit %i, rolled back, logged', async (sig, exit) => {
    const feed = writeFeed(
      path.join(t.dir, `big-${sig}.csv`),
      vins(200_000, 0).map((vin) => ({ dealer: 'HW Kia', vin })),
    );
    const before = await withDb(t.env, (db) => count(db, 'SELECT count(*)::int AS n FROM imports'));
    const end = await signalMidRun(t, ['import', feed], (s) => /importing .*: [\d,]+ rows/.test(s), sig);
    expect(end.code, end.stderr).toBe(exit);
    expect(end.stderr).toContain('import cancelled: nothing was changed');
    const line = runLog(t).at(-1)!;
    expect(line).toMatchObject({ command: 'import', exitCode: exit, error: { code: 'cancelled' } });
    await withDb(t.env, async (db) => {
      expect(await count(db, 'SELECT count(*)::int AS n FROM imports')).toBe(before);
    });
  });
});
