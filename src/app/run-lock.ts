/**
 * The run lock: commands that write (import, scrape, cao, list, orders void/archive, db prune/restore)
 * take turns, so two overlapping cron runs never interleave. A second run waits up to
 * `waitLockSeconds` (`--wait-lock`) and otherwise exits 1 saying who holds the lock.
 *
 * - Server: a session advisory lock on a connection of its own (released by the server if the
 *   holder dies).
 * - Embedded: `<dataDir>/silverfox-run.lock` holding the holder's pid, command and start time (a
 *   lock of a dead pid is taken over). PGlite admits one process anyway; the run lock adds the
 *   waiting and a message that names the run in the way.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder recorded in an embedded run-lock file, when its process is alive and not us. */
export function readFileHolder(file: string): RunLockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // The database lockfile holds a bare pid; the run-lock file a JSON object.
  const h: RunLockHolder =
    parsed && typeof parsed === 'object'
      ? (parsed as RunLockHolder)
      : { pid: Number.parseInt(text.trim(), 10) };
  if (!Number.isInteger(h.pid) || h.pid! <= 0 || h.pid === process.pid || !alive(h.pid!)) return undefined;
  return { ...h, where: file };
}

/** Takes the embedded run-lock file once; undefined when a live process holds it. */
function tryFileLock(file: string, command: string): (() => void) | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }), {
        flag: 'wx',
      });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // A long-lived process (the wizard) opens and releases many times: do not pile up listeners.
        process.removeListener('exit', release);
        try {
          if ((JSON.parse(readFileSync(file, 'utf8')) as RunLockHolder).pid === process.pid) unlinkSync(file);
        } catch {
          // gone, or replaced by a restore
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (readFileHolder(file)) return undefined;
      try {
        unlinkSync(file); // stale: dead pid, garbage, or our own leftover
      } catch {
        // someone else removed it first
      }
    }
  }
  return undefined;
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
    const { openRunLockSession } = await import('../db/run-lock.js');
    const session = await openRunLockSession(config.databaseUrl, {
      connectTimeoutMs: config.dbConnectTimeoutMs,
      applicationName: `silverfox ${opts.command} pid ${process.pid}`,
    });
    try {
      for (;;) {
        if (await session.tryLock()) {
          return { release: () => session.close(), waitedMs: Date.now() - started };
        }
        const s = await session.holder().catch(() => undefined);
        const m = s ? /^silverfox (.+) pid (\d+)$/.exec(s.applicationName) : null;
        const h: RunLockHolder | undefined = s && {
          command: m?.[1],
          pid: m ? Number(m[2]) : undefined,
          since: s.since?.toISOString(),
          where: s.clientAddr ?? 'local socket',
        };
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
  let release: (() => void) | undefined;
  for (;;) {
    release = tryFileLock(file, opts.command);
    if (release) break;
    const h = readFileHolder(file);
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
  db?: import('../db/database.js').Queryable,
): Promise<RunLockHolder | undefined> {
  if (config.databaseUrl) {
    if (!db) return undefined;
    const { selectRunLockHolder } = await import('../db/run-lock.js');
    const s = await selectRunLockHolder(db);
    if (!s) return undefined;
    const m = /^silverfox (.+) pid (\d+)$/.exec(s.applicationName);
    return {
      command: m?.[1],
      pid: m ? Number(m[2]) : undefined,
      since: s.since?.toISOString(),
      where: s.clientAddr ?? 'local socket',
    };
  }
  return readFileHolder(path.join(config.dataDir, RUN_LOCK_FILE));
}
