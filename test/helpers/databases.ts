/**
 * Fresh databases for integration tests: every test file gets its own PGlite folder (copied
 * from a migrated template) or its own database on the PostgreSQL server.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { resolveConfig, type Config } from '../../src/config.js';
import type { AppContext } from '../../src/app/context.js';
import { openContext } from '../../src/app/context.js';
import { PG_ADMIN_URL, PGLITE_TEMPLATE_DIR, ROOT, migrationsFingerprint } from './env.js';

export const DATABASE_KINDS = ['embedded', 'server'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

export interface TestEnv {
  kind: DatabaseKind;
  /** A temp folder holding data/, orders/, logs/ and registry/ of this test. */
  dir: string;
  /** Environment for spawning the built binary against the same database. */
  env: Record<string, string>;
  config: Readonly<Config>;
  /** Opens a context (remember: PGlite allows one open context at a time). */
  open(opts?: { now?: () => Date }): Promise<AppContext>;
  cleanup(): Promise<void>;
}

/** Creates a fresh database of `kind` with a copy of the real registry (scrapers/). */
export async function createTestEnv(
  kind: DatabaseKind,
  opts: { registryDir?: string } = {},
): Promise<TestEnv> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `silverfox-${kind}-`));
  const registryDir = path.join(dir, 'registry');
  cpSync(opts.registryDir ?? path.join(ROOT, 'scrapers'), registryDir, { recursive: true });
  const env: Record<string, string> = {
    SILVERFOX_DATA_DIR: path.join(dir, 'data'),
    SILVERFOX_ORDERS_DIR: path.join(dir, 'orders'),
    SILVERFOX_LOG_DIR: path.join(dir, 'logs'),
    SILVERFOX_REGISTRY_DIR: registryDir,
    DATABASE_URL: '',
  };
  let dropDatabase: (() => Promise<void>) | undefined;
  if (kind === 'embedded') {
    cpSync(`${PGLITE_TEMPLATE_DIR}-${migrationsFingerprint()}`, env.SILVERFOX_DATA_DIR!, { recursive: true });
    rmSync(path.join(env.SILVERFOX_DATA_DIR!, '.ready'), { force: true });
  } else {
    const name = `sf_test_${path
      .basename(dir)
      .replace(/[^a-z0-9]/gi, '_')
      .toLowerCase()}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const config = resolveConfig({ env, cwd: dir });
  return {
    kind,
    dir,
    env,
    config,
    open: (o) => openContext(config, o),
    async cleanup() {
      await dropDatabase?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
