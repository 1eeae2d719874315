/**
 * Runs once before the suite: checks the PostgreSQL server is there (required, never skipped)
 * and builds a migrated PGlite template folder that each test copies (initdb costs ~5 s; a copy
 * costs milliseconds).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { openEmbeddedDatabase } from '../../src/db/pglite-adapter.js';
import { migrate } from '../../src/db/migrate.js';
import { PG_ADMIN_URL, PGLITE_TEMPLATE_DIR, migrationsFingerprint } from './env.js';

export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `The PostgreSQL server at ${PG_ADMIN_URL} is required by the integration suite and is not reachable: ` +
        `${(err as Error).message}. Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set SILVERFOX_TEST_PG_URL.`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => {});
  }
  const dir = `${PGLITE_TEMPLATE_DIR}-${migrationsFingerprint()}`;
  if (!existsSync(`${dir}/.ready`)) {
    // Built aside and renamed into place, so concurrent test runs never see half a template.
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const db = await openEmbeddedDatabase(tmp);
    await migrate(db);
    await db.close();
    writeFileSync(`${tmp}/.ready`, 'ok');
    try {
      renameSync(tmp, dir);
    } catch {
      // Another run finished first (or a stale incomplete folder is there): use or replace it.
      if (!existsSync(`${dir}/.ready`)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      } else rmSync(tmp, { recursive: true, force: true });
    }
  }
}
