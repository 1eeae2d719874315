/**
 * The run lock on a PostgreSQL server: a session advisory lock held on a connection of its own
 * for the whole run. The server releases it when that connection ends, so a killed run never
 * leaves it behind. The connection's application_name says who holds it.
 */
import pg from 'pg';
import { connectWithBackoff } from './connect.js';
import type { Queryable } from './database.js';

/** Arbitrary constant, apart from the other keys (migrations 7305_0001, registry _0002, imports _0003, orders _0010). */
export const RUN_LOCK_KEY = 7305_0900;

export interface ServerLockHolder {
  /** `silverfox cao pid 1234` as the holder set it. */
  applicationName: string;
  backendPid: number;
  clientAddr: string | null;
  since: Date | null;
}

export interface RunLockSession {
  /** Tries once; true when this session now holds the lock. */
  tryLock(): Promise<boolean>;
  /** Who holds the lock (undefined when nobody, or when it cannot be seen). */
  holder(): Promise<ServerLockHolder | undefined>;
  /** Unlocks and closes the connection. */
  close(): Promise<void>;
}

/** Who holds the run lock of this database, seen from any connection (doctor uses it too). */
export async function selectRunLockHolder(db: Queryable): Promise<ServerLockHolder | undefined> {
  // A bigint advisory key shows in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid 1.
  const { rows } = await db.query<{
    application_name: string;
    pid: number;
    client_addr: string | null;
    backend_start: Date | string | null;
  }>(
    `SELECT a.application_name, a.pid, a.client_addr::text AS client_addr, a.backend_start
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
       AND l.classid = 0 AND l.objid = $1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     LIMIT 1`,
    [RUN_LOCK_KEY],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    applicationName: r.application_name,
    backendPid: Number(r.pid),
    clientAddr: r.client_addr,
    since: r.backend_start === null ? null : new Date(r.backend_start),
  };
}

/** Opens the dedicated lock connection, retrying a refusing server for `connectTimeoutMs`. */
export async function openRunLockSession(
  url: string,
  opts: { connectTimeoutMs: number; applicationName: string },
): Promise<RunLockSession> {
  const client = await connectWithBackoff(
    url,
    opts.connectTimeoutMs,
    async () => {
      const client = new pg.Client({
        connectionString: url,
        // NAMEDATALEN: longer names are cut by the server anyway.
        application_name: opts.applicationName.replace(/[^\x20-\x7e]/g, '?').slice(0, 63),
        connectionTimeoutMillis: 5000,
      });
      // A lost lock connection must not crash the run; the lock is gone with it, which is safe.
      client.on('error', () => {});
      try {
        await client.connect();
        return client;
      } catch (err) {
        await client.end().catch(() => {});
        throw err;
      }
    },
    ['Check that the server is running and that DATABASE_URL is right.'],
  );
  const q: Queryable = {
    async query(sql, params = []) {
      const res = await client.query(sql, params);
      return { rows: res.rows, rowCount: res.rowCount ?? 0 };
    },
    async exec(sql) {
      await client.query(sql);
    },
    copyIn() {
      throw new Error('not supported on the lock connection');
    },
  };
  let held = false;
  return {
    async tryLock() {
      const { rows } = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        RUN_LOCK_KEY,
      ]);
      held = rows[0]?.ok === true;
      return held;
    },
    holder: () => selectRunLockHolder(q),
    async close() {
      if (held) await q.query('SELECT pg_advisory_unlock($1)', [RUN_LOCK_KEY]).catch(() => {});
      held = false;
      await client.end().catch(() => {});
    },
  };
}
