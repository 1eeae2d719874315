/**
 * Runs once before the suite: checks the PostgreSQL server is there (required, never skipped),
 * builds a migrated PGlite template folder that each test copies (initdb costs ~5 s; a copy
 * costs milliseconds), and gives the run a temporary folder of its own that the teardown removes.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openEmbeddedDatabase } from '../../src/db/pglite-adapter.js';
import { migrate } from '../../src/db/migrate.js';
import { PG_ADMIN_URL, PGLITE_TEMPLATE_DIR, migrationsFingerprint } from './env.js';

export default async function setup(): Promise<() => void> {
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
  return runTemporaryFolder();
}

/**
 * Points TMPDIR (so os.tmpdir(), in the workers and in the binaries the tests spawn, which inherit
 * it) at a folder of this run, and returns the teardown that removes it: `npm test` leaves nothing
 * in /tmp even when a test forgets its cleanup or fails half-way, and runs side by side never
 * remove each other's folders. The PGlite template stays in the real temporary folder, shared
 * between runs (env.ts reads SILVERFOX_TEST_TEMPLATE_ROOT). Every project runs this setup; only
 * the first makes the folder.
 */
function runTemporaryFolder(): () => void {
  if (process.env.SILVERFOX_TEST_RUN_TMP) return () => {};
  process.env.SILVERFOX_TEST_TEMPLATE_ROOT ??= os.tmpdir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-test-run-'));
  // Open to every user like /tmp itself: the reliability tests run initdb and the server as the
  // postgres user in folders made here.
  chmodSync(dir, 0o1777);
  const before = process.env.TMPDIR;
  process.env.SILVERFOX_TEST_RUN_TMP = dir;
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    delete process.env.SILVERFOX_TEST_RUN_TMP;
    rmSync(dir, { recursive: true, force: true });
  };
}
