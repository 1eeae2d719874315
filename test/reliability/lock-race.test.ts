/**
 * Issue 15.3: many processes racing for an embedded lock that a killed process left behind. The
 * stale-lock takeover used to be "see a dead pid, unlink, create": a racer that had seen the dead
 * pid could unlink the lock another racer had just created, and both held it (2 of 11 rounds of
 * five `cao` and one `import` in the fault-injection run). Here ten processes start in the same
 * millisecond over a fresh stale lock, round after round; in no round may two of them hold the lock
 * at overlapping times. Both locks are raced: the run lock and the database lockfile.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const RACERS = 10;
const ROUNDS = 30;
const PERIOD_MS = 450;
const HOLD_MS = 150;
const RACER = path.join(import.meta.dirname, 'helpers/lock-racer.mjs');

interface Line {
  round: number;
  index: number;
  got: number | null;
  released: number | null;
}

function racer(args: string[]): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RACER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`racer ${args.at(-1)} exited ${code}: ${err}`));
      else
        resolve(
          out
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Line),
        );
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(['run', 'db'] as const)('a stale %s lock raced by %i processes', (mode) => {
  it(`never has two holders at once (${ROUNDS} rounds)`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `silverfox-lock-race-${mode}-`));
    dirs.push(dir);
    // Node start-up of ten processes on a loaded machine: give them time to be ready.
    const first = Date.now() + 4000;
    const lines = (
      await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          racer([mode, dir, String(first), String(ROUNDS), String(PERIOD_MS), String(HOLD_MS), String(i)]),
        ),
      )
    ).flat();
    let doubled = 0;
    let taken = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const held = lines.filter((l) => l.round === round && l.got !== null).sort((a, b) => a.got! - b.got!);
      if (held.length > 0) taken++;
      // Holders one after another are fine (a late racer after the release); overlap is not.
      for (let k = 1; k < held.length; k++)
        if (held[k]!.got! < held[k - 1]!.released!) {
          doubled++;
          console.log(`[lock-race] ${mode} round ${round}: ${JSON.stringify(held)}`);
        }
    }
    console.log(`[lock-race] ${mode}: ${taken} of ${ROUNDS} rounds taken over, ${doubled} with two holders`);
    // Liveness, loosely (a racer late by a loaded machine may hold a round's lock from the last one):
    // stale locks are taken over. Safety, strictly: never two holders.
    expect(taken).toBeGreaterThan(ROUNDS / 2);
    expect(doubled).toBe(0);
  });
});
