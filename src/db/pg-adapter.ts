/** The PostgreSQL server adapter: a pg pool, COPY through pg-copy-streams. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DatabaseError, maskUrl } from '../errors.js';
import { copyStatement, type Database, type Queryable, type QueryResult, type Row } from './database.js';
import { connectWithBackoff } from './connect.js';
import { commitError, toDatabaseError } from './errors.js';

// Keep int8 and numeric as JS numbers/strings the same way PGlite does: counts come back as numbers.
pg.types.setTypeParser(20, (v) => Number(v));

// pg-pool drops its idle 'error' listener while a client is checked out, and a client whose server
// goes away emits 'error' even when a query is waiting: unheard, that crashes the process with a
// stack trace. The waiting query rejects with the cause, which is what we report.
const ignoreClientError = () => {};

function clientQueryable(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    async query<R extends Row>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
      try {
        const res = await client.query(sql, params);
        return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
      } catch (err) {
        throw toDatabaseError(err, sql);
      }
    },
    async exec(sql: string) {
      try {
        await client.query(sql);
      } catch (err) {
        throw toDatabaseError(err, sql);
      }
    },
    async copyIn(table, columns, chunks) {
      const run = async (c: pg.PoolClient) => {
        const stream = c.query(copyFrom(copyStatement(table, columns, 'STDIN')));
        await pipeline(Readable.from(chunks), stream);
        return Number(stream.rowCount ?? 0);
      };
      try {
        if (client instanceof pg.Pool) {
          const c = await client.connect();
          c.on('error', ignoreClientError);
          try {
            return await run(c);
          } finally {
            c.removeListener('error', ignoreClientError);
            c.release();
          }
        }
        return await run(client);
      } catch (err) {
        throw toDatabaseError(err, 'COPY');
      }
    },
  };
}

/** Opens a pool and proves it can connect, retrying refused connections with backoff. */
export async function openServerDatabase(url: string, connectTimeoutMs: number): Promise<Database> {
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error(`unsupported scheme ${parsed.protocol}`);
  } catch (err) {
    throw new DatabaseError(`DATABASE_URL is not a valid PostgreSQL URL: ${maskUrl(url)}`, {
      code: 'bad_database_url',
      hints: [
        'Expected postgres://user:password@host:5432/database (or unset DATABASE_URL for the embedded database).',
        (err as Error).message,
      ],
    });
  }
  const description = `${parsed.hostname}:${parsed.port || '5432'}/${decodeURIComponent(parsed.pathname.slice(1)) || parsed.username}`;
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    await connectWithBackoff(url, connectTimeoutMs, async () => (await pool.connect()).release(), [
      'Check that the server is running and reachable, and that the user, password and database in DATABASE_URL are right.',
      'Unset DATABASE_URL to use the embedded database instead.',
    ]);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const base = clientQueryable(pool);
  return {
    kind: 'server',
    description,
    query: base.query,
    exec: base.exec,
    copyIn: base.copyIn,
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toDatabaseError(err, 'connect');
      }
      client.on('error', ignoreClientError);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(clientQueryable(client));
        try {
          await client.query('COMMIT');
        } catch (err) {
          // The reply may be lost with the connection: the outcome is unknown, not "rolled back".
          broken = err as Error;
          throw commitError(err);
        }
        return result;
      } catch (err) {
        if (!broken) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        client.removeListener('error', ignoreClientError);
        // A client whose COMMIT or ROLLBACK failed is not given back to the pool.
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
