/**
 * The run lock: commands that write (import, scrape, cao, list, orders void/archive, db prune/restore)
 * take turns, so two overlapping cron runs never interleave. A second run waits up to
 * `waitLockSeconds` (`--wait-lock`) and otherwise exits 1 saying who holds the lock.
 *
 * - Server: a session advisory lock on a connection of its own (released by the server if the
 *   holder dies).
 * - Embedded: `<dataDir>/silverfox-run.lock` holding the holder's pid, command and start time (a
 *   lock of a dead pid is taken over, atomically: see src/lockfile.ts). PGlite admits one process
 *   anyway; the run lock adds the waiting and a message that names the run in the way, and the
 *   database lockfile is waited for too (a reader such as `status` may hold it for a moment).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { lockContent, lockHeldByOther, lockPid, tryLockFile } from '../lockfile.js';
import { SilverfoxError } from '../errors.js';

export const RUN_LOCK_FILE = 'silverfox-run.lock';
/** The embedded database's own lockfile (src/db/lockfile.ts). */
const DB_LOCK_FILE = 'silverfox.lock';

/** Who holds the run lock, as far as can be seen. */
export interface RunLockHolder {
  pid?: number;
  command?: string;
  since?: string;
  /** Server: the holder's client address; embedded: the lock file. */
  where?: string;
}

export interface RunLock {
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
  /** How long we waited for it, in ms. */
  waitedMs: number;
}

export interface AcquireOptions {
  /** The command path, shown to whoever waits behind us. */
  command: string;
  waitSeconds: number;
  /** Told once when we start waiting (the CLI prints it on stderr). */
  onWait?: (message: string) => void;
  pollMs?: number;
}

/** The holder recorded in an embedded lock file (run lock or database lockfile), when its process is alive and not us. */
export function readFileHolder(file: string): RunLockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return holderOf(text, file);
}

function holderOf(text: string, file: string): RunLockHolder | undefined {
  if (!lockHeldByOther(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // The database lockfile holds a bare pid; the run-lock file a JSON object.
  if (!parsed || typeof parsed !== 'object') return { pid: lockPid(text), where: file };
  const { pid, command, since } = parsed as RunLockHolder;
  return { pid, command, since, where: file };
}

/** Takes the embedded run-lock file once (a stale one atomically); the holder when a live process has it. */
function tryFileLock(
  file: string,
  command: string,
): { release: () => void; holder?: undefined } | { release?: undefined; holder: RunLockHolder | undefined } {
  const got = tryLockFile(file, lockContent({ command, since: new Date().toISOString() }));
  if (got.release) return { release: got.release };
  return { holder: got.holder === undefined ? undefined : holderOf(got.holder, file) };
}

/**
 * The lock connection's application_name: the pid first, because the server cuts the name at 63
 * bytes and a command with a long file path would otherwise lose the pid and with it the whole
 * holder description ("another silverfox run").
 */
export function lockConnectionName(pid: number, command: string): string {
  return `silverfox pid ${pid}: ${command}`;
}

/** The holder as a lock connection named it; also reads the older `silverfox CMD pid N` form. */
export function parseLockConnectionName(name: string): { command?: string; pid?: number } {
  const now = /^silverfox pid (\d+): (.*)$/.exec(name);
  if (now) {
    // 63 bytes: the server cut the name, so the command is not whole.
    const command = Buffer.byteLength(name) >= 63 ? `${now[2]!}...` : now[2]!;
    return { pid: Number(now[1]), command };
  }
  const old = /^silverfox (.+) pid (\d+)$/.exec(name);
  return old ? { command: old[1], pid: Number(old[2]) } : {};
}

function serverHolder(s: {
  applicationName: string;
  since: Date | null;
  clientAddr: string | null;
}): RunLockHolder {
  return {
    ...parseLockConnectionName(s.applicationName),
    since: s.since?.toISOString(),
    where: s.clientAddr ?? 'local socket',
  };
}

function describeHolder(h: RunLockHolder | undefined): string {
  if (!h) return 'another silverfox run';
  const what = h.command ? `\`silverfox ${h.command}\`` : 'another silverfox run';
  const who = [h.pid ? `pid ${h.pid}` : '', h.since ? `since ${h.since}` : ''].filter(Boolean).join(', ');
  return who ? `${what} (${who})` : what;
}

function lockedError(h: RunLockHolder | undefined, waitSeconds: number, dbOnly = false): SilverfoxError {
  return new SilverfoxError(
    'run_locked',
    dbOnly
      ? `the embedded database is in use by process ${h?.pid ?? '?'}`
      : `another run holds the run lock: ${describeHolder(h)}`,
    {
      hints: [
        'Commands that write take turns so overlapping runs (cron) never interleave; nothing was done.',
        waitSeconds > 0
          ? `Waited ${waitSeconds}s. Wait longer with --wait-lock <seconds> (or SILVERFOX_WAIT_LOCK).`
          : 'Run it again when that run has finished, or wait for it with --wait-lock <seconds> (or SILVERFOX_WAIT_LOCK).',
        'See what ran: `silverfox logs --since 1d`.',
      ],
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the run lock of the configured database, waiting up to `waitSeconds`. */
export async function acquireRunLock(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbConnectTimeoutMs'>,
  opts: AcquireOptions,
): Promise<RunLock> {
  const started = Date.now();
  const deadline = started + opts.waitSeconds * 1000;
  const poll = opts.pollMs ?? 500;
  let told = false;
  const tell = (h: RunLockHolder | undefined) => {
    if (told || opts.waitSeconds <= 0) return;
    told = true;
    opts.onWait?.(`waiting up to ${opts.waitSeconds}s for ${describeHolder(h)} to finish...`);
  };

  if (config.databaseUrl) {
    const { openRunLockSession } = await import('./run-lock-server.js');
    const session = await openRunLockSession(config.databaseUrl, {
      connectTimeoutMs: config.dbConnectTimeoutMs,
      applicationName: lockConnectionName(process.pid, opts.command),
    });
    try {
      for (;;) {
        if (await session.tryLock()) {
          return { release: () => session.close(), waitedMs: Date.now() - started };
        }
        const s = await session.holder().catch(() => undefined);
        const h = s && serverHolder(s);
        if (Date.now() >= deadline) throw lockedError(h, opts.waitSeconds);
        tell(h);
        await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
      }
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  mkdirSync(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, RUN_LOCK_FILE);
  let release: () => void;
  for (;;) {
    const got = tryFileLock(file, opts.command);
    if (got.release) {
      release = got.release;
      break;
    }
    const h = got.holder;
    if (Date.now() >= deadline) throw lockedError(h, opts.waitSeconds);
    tell(h);
    await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
  }
  // A command that does not take the run lock (status, doctor, backup) may hold the database for
  // a moment: wait for it too, so the writing command does not fail on "database in use".
  const dbLock = path.join(config.dataDir, DB_LOCK_FILE);
  for (;;) {
    const h = readFileHolder(dbLock);
    if (!h) break;
    if (Date.now() >= deadline) {
      release();
      throw lockedError(h, opts.waitSeconds, true);
    }
    tell(h);
    await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
  }
  const r = release;
  return { release: async () => r(), waitedMs: Date.now() - started };
}

/** Who holds the run lock now (doctor, staging checks); never waits, never takes it. */
export async function inspectRunLock(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  db?: import('./database.js').Queryable,
): Promise<RunLockHolder | undefined> {
  if (config.databaseUrl) {
    if (!db) return undefined;
    const { selectRunLockHolder } = await import('./run-lock-server.js');
    const s = await selectRunLockHolder(db);
    if (!s) return undefined;
    return serverHolder(s);
  }
  return readFileHolder(path.join(config.dataDir, RUN_LOCK_FILE));
}
