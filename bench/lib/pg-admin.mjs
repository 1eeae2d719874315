// The PostgreSQL server the benches create (and drop) their databases on; shared by every bench.
import pg from 'pg';

export const ADMIN = process.env.SILVERFOX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs one statement on the admin connection (CREATE/DROP DATABASE). */
export async function admin(sql) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The URL of database `name` on the same server. */
export function dbUrl(name) {
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}
