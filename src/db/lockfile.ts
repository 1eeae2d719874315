/**
 * The embedded database's lockfile: PGlite lets two processes open one folder with no error and
 * then corrupts it, so the first process takes `<dir>/silverfox.lock` and the second is refused.
 * The mechanism (atomic creation, atomic takeover of a stale lock) is src/lockfile.ts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseInUseError } from '../errors.js';
import { lockContent, lockPid, tryLockFile } from '../lockfile.js';

/** Takes `<dir>/silverfox.lock` (a stale lock of a dead pid is taken over); returns the release function. */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const got = tryLockFile(path.join(dir, 'silverfox.lock'), lockContent());
  if (got.release) return got.release;
  const pid = got.holder === undefined ? 0 : lockPid(got.holder);
  throw new DatabaseInUseError(Number.isInteger(pid) ? pid : 0, dir);
}

/**
 * `acquireLock`, waiting up to `waitMs` for another process (a reader such as `status`, or one
 * that opened it a moment before us) to close the embedded database.
 */
export async function acquireLockWaiting(dir: string, waitMs: number, pollMs = 200): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return acquireLock(dir);
    } catch (err) {
      if (!(err instanceof DatabaseInUseError) || Date.now() >= deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
