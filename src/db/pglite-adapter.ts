/** The embedded adapter: PGlite persisted in a folder, guarded by a lockfile. */
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { copyStatement, type Database, type Queryable, type QueryResult, type Row } from './database.js';
import { commitError, toDatabaseError } from './errors.js';
import { acquireLockWaiting } from './lockfile.js';

/** PGlite's COPY takes one blob per statement; we send bounded pieces so memory stays flat. */
const COPY_BLOB_BYTES = 16 * 1024 * 1024;

function wrap(target: PGlite | Transaction): Queryable {
  return {
    async query<R extends Row>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
      try {
        const res = await target.query<R>(sql, params);
        return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
      } catch (err) {
        throw toDatabaseError(err, sql);
      }
    },
    async exec(sql: string) {
      try {
        await target.exec(sql);
      } catch (err) {
        throw toDatabaseError(err, sql);
      }
    },
    async copyIn(table, columns, chunks) {
      const sql = copyStatement(table, columns, "'/dev/blob'");
      let parts: string[] = [];
      let size = 0;
      let total = 0;
      const flush = async () => {
        if (size === 0) return;
        try {
          const res = await target.query(sql, [], { blob: new Blob(parts) });
          total += res.affectedRows ?? 0;
        } catch (err) {
          throw toDatabaseError(err, 'COPY');
        }
        parts = [];
        size = 0;
      };
      for await (const chunk of chunks) {
        parts.push(chunk);
        size += chunk.length;
        if (size >= COPY_BLOB_BYTES) await flush();
      }
      await flush();
      return total;
    },
  };
}

/**
 * Test hooks (crash points of the embedded database): `afterCommit` runs right after a
 * transaction committed, and what it throws is reported as the COMMIT's failure (the embedded
 * twin of a server reply lost after COMMIT); `beforeTransaction` runs before BEGIN, and what it
 * throws fails the transaction (a database that cannot be asked).
 */
export const embeddedFaults: {
  afterCommit?: () => void | Promise<void>;
  beforeTransaction?: () => void | Promise<void>;
} = {};

/**
 * Opens (creating on first use) the embedded database in `dir`, waiting up to `waitLockMs` for
 * another process that has it open.
 */
export async function openEmbeddedDatabase(
  dir: string,
  opts: { waitLockMs?: number } = {},
): Promise<Database> {
  const release = await acquireLockWaiting(dir, opts.waitLockMs ?? 0);
  let pg: PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    pg = await PGlite.create(dir, { parsers: { 20: (v: string) => Number(v) } });
  } catch (err) {
    release();
    throw toDatabaseError(err, `open ${dir}`);
  }
  const base = wrap(pg);
  return {
    kind: 'embedded',
    description: dir,
    query: base.query,
    exec: base.exec,
    copyIn: base.copyIn,
    async transaction(fn) {
      // PGlite commits inside pg.transaction once `fn` resolves: a failure after that is the COMMIT's.
      let bodyDone = false;
      try {
        await embeddedFaults.beforeTransaction?.();
        const result = await pg.transaction(async (tx) => {
          const r = await fn(wrap(tx));
          bodyDone = true;
          return r;
        });
        await embeddedFaults.afterCommit?.();
        return result;
      } catch (err) {
        throw bodyDone ? commitError(err) : toDatabaseError(err, 'transaction');
      }
    },
    async close() {
      try {
        await pg.close();
      } finally {
        release();
      }
    },
  };
}
