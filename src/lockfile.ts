/**
 * Pid lock files, the one home of the mechanism for every lock held by a process: the embedded
 * database's lockfile (db/lockfile.ts: PGlite lets two processes open one folder with no error and
 * then corrupts it) and the run lock's file. It sits at the top of src/, beside errors.ts, because
 * locks are taken in db/ and output/ alike and neither may import the other.
 *
 * A lock records its holder's identity (process-identity.ts: pid, process start time and boot id),
 * not only its pid, so a lock whose dead holder's pid now belongs to another process (a container
 * restarted: every run is pid 1 or 2) is seen as stale. A lock holding a bare pid (older files, or
 * written by hand) is judged by the pid alone.
 *
 * Creating a lock file is atomic (written aside, then linked into place). Taking over a stale one (its process died) is made
 * atomic too: "see a dead pid, unlink, create" let a racer that had seen the dead pid unlink the
 * lock another racer had just created, and both held it. Now a stale lock is removed only under a
 * claim file named after its exact content (created O_EXCL, so one remover per stale lock), and
 * only if the lock still holds that content; a live holder's lock is never removed, since its
 * content (its own pid) is not stale.
 */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { currentProcessIdentity, processState, type ProcessIdentity } from './process-identity.js';

/**
 * What a lock file records of this process, merged into `extra` (the run lock adds its command).
 * The host is left out on purpose: a data folder outlives a container, whose host name changes on
 * every start, and a lock of another host could never be judged stale; the boot id and start time
 * tell a dead holder from a live one on the same kernel.
 */
export function lockContent(extra: Record<string, unknown> = {}): string {
  const { pid, start_time, boot_id } = currentProcessIdentity();
  return JSON.stringify({ pid, start_time, boot_id, ...extra });
}

/** The identity a lock file records: a JSON object, or a bare pid. Null for garbage. */
function lockIdentity(text: string): Partial<ProcessIdentity> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const { pid, start_time, boot_id } = parsed as Partial<ProcessIdentity>;
      return { pid: Number(pid), start_time, boot_id };
    }
  } catch {
    // a bare pid
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) ? { pid } : null;
}

/**
 * The pid a lock file names: the database lockfile holds a bare pid, the run lock a JSON object
 * with `pid`. NaN for garbage.
 */
export function lockPid(text: string): number {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return Number((parsed as { pid?: unknown }).pid);
  } catch {
    // a bare pid
  }
  return Number.parseInt(text.trim(), 10);
}

/** A lock file's content names a live process other than us (our own leftover is stale). */
export function lockHeldByOther(text: string): boolean {
  const id = lockIdentity(text);
  return !!id && id.pid !== process.pid && processState(id) === 'alive';
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Creates `file` holding `content` unless it exists; false when it does. The content is written to
 * a file of our own first and then linked into place, so nobody ever reads a lock half written
 * (an empty file created by O_EXCL looks like garbage, a stale lock, to a racer).
 */
function createExclusive(file: string, content: string): boolean {
  const own = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(own, content, { flag: 'wx' });
  try {
    linkSync(own, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkQuietly(own);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // someone else removed it first
  }
}

/**
 * Removes `file` if it still holds `stale` (content judged stale), with at most one process doing
 * so per stale content. A claim left by a remover that died in that instant is itself stale and
 * removed the same way (`depth` bounds that).
 */
function removeStale(file: string, stale: string, depth = 0): void {
  const claim = `${file}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  if (!createExclusive(claim, lockContent())) {
    // Another process is removing it right now; or died doing so.
    const other = readOrUndefined(claim);
    if (other !== undefined && depth < 3 && !lockHeldByOther(other)) removeStale(claim, other, depth + 1);
    return;
  }
  try {
    // Nobody else removes this content while we hold the claim, and its dead owner never will:
    // if the file still holds it, it is the stale lock we judged, not a new holder's.
    const now = readOrUndefined(file);
    if (now === stale && !lockHeldByOther(now)) unlinkQuietly(file);
  } finally {
    unlinkQuietly(claim);
  }
}

/** Outcome of one attempt at a lock file. */
export type LockAttempt =
  | { release: () => void; holder?: undefined }
  /** Not taken: `holder` is the live holder's content, undefined while a takeover is under way. */
  | { release?: undefined; holder: string | undefined };

/**
 * Tries to create `file` with `content` (never waits). A stale lock (dead pid, garbage, our own
 * leftover) is taken over atomically. The release function removes the file if it is still ours
 * and runs at exit too.
 */
export function tryLockFile(file: string, content: string): LockAttempt {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!createExclusive(file, content)) {
      const text = readOrUndefined(file);
      if (text === undefined) continue; // released meanwhile
      if (lockHeldByOther(text)) return { holder: text };
      removeStale(file, text);
      continue;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      // A long-lived process (the wizard) opens and releases many times: do not pile up listeners.
      process.removeListener('exit', release);
      try {
        // Only we remove a lock that holds our content while we live.
        if (readFileSync(file, 'utf8') === content) unlinkSync(file);
      } catch {
        // gone, or replaced by a restore
      }
    };
    process.once('exit', release);
    return { release };
  }
  // Still contended (another process was taking a stale lock over): whoever holds it now.
  const text = readOrUndefined(file);
  return { holder: text !== undefined && lockHeldByOther(text) ? text : undefined };
}
