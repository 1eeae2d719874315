// One racer of test/reliability/lock-race.test.ts: a separate process that, at each agreed instant,
// tries to take a lock (the run lock or the embedded database's lockfile, from the built dist/)
// while a stale lock of a dead process sits in the folder, holds it for a while if it got it,
// and prints one JSON line per round. Racer 0 lays the stale lock before each round.
// argv: mode (run|db) dataDir firstRoundAtMs rounds periodMs holdMs index
import { writeFileSync } from 'node:fs';
import { setTimeout } from 'node:timers';
import path from 'node:path';

const [mode, dataDir, first, rounds, period, hold, index] = process.argv.slice(2);
const root = path.resolve(import.meta.dirname, '../../..');
const { acquireRunLock } = await import(path.join(root, 'dist/db/run-lock.js'));
const { acquireLock } = await import(path.join(root, 'dist/db/lockfile.js'));
const file = path.join(dataDir, mode === 'run' ? 'silverfox-run.lock' : 'silverfox.lock');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (let round = 0; round < Number(rounds); round++) {
  const at = Number(first) + round * Number(period);
  if (index === '0') {
    while (Date.now() < at - 120) await sleep(5);
    // A dead process's lock (pid far above pid_max), different in every round; never over a
    // lock a late racer of the last round may still hold.
    try {
      writeFileSync(
        file,
        mode === 'run'
          ? JSON.stringify({ pid: 999_999_999, command: 'cao', since: new Date(at).toISOString() })
          : '999999999',
        { flag: 'wx' },
      );
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
  while (Date.now() < at - 20) await sleep(5);
  while (Date.now() < at); // spin: every racer starts within the same millisecond
  let release;
  try {
    if (mode === 'run') {
      const lock = await acquireRunLock(
        { databaseUrl: '', dataDir, dbConnectTimeoutMs: 1000 },
        { command: `race ${index}`, waitSeconds: 0 },
      );
      release = () => lock.release();
    } else {
      release = acquireLock(dataDir);
    }
  } catch (err) {
    if (!['run_locked', 'database_in_use'].includes(err.code)) throw err;
  }
  // `got` is taken after the lock was, `released` before it is given back: two holders whose
  // spans overlap really held it at the same time.
  const got = Date.now();
  let released = null;
  if (release) {
    await sleep(Number(hold));
    released = Date.now();
    await release();
  }
  const line = { round, index: Number(index), got: release ? got : null, released };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
