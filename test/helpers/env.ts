/** Settings of the test suite itself. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** An admin connection to the PostgreSQL server the integration suite creates its databases on. */
export const PG_ADMIN_URL =
  process.env.SILVERFOX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Outside the run's own temporary folder (global-setup.ts): the template is built once and kept
 * for the next runs.
 */
export const PGLITE_TEMPLATE_DIR = path.join(
  process.env.SILVERFOX_TEST_TEMPLATE_ROOT ?? os.tmpdir(),
  'silverfox-test-pglite-template',
);

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SHARED = path.resolve(ROOT, '../shared');
export const BIN = path.join(ROOT, 'bin/silverfox.js');

/** Changes when a migration changes, so the PGlite template is rebuilt. */
export function migrationsFingerprint(): string {
  const dir = path.join(ROOT, 'sql');
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(path.join(dir, f)));
  return h.digest('hex').slice(0, 12);
}
