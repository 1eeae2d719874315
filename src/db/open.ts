/** Opens the configured database (server when DATABASE_URL is set, else embedded) and migrates it. */
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbConnectTimeoutMs'> &
    Partial<Pick<Config, 'waitLockSeconds'>>,
  opts: { migrate?: boolean } = {},
): Promise<Database> {
  let db: Database;
  if (config.databaseUrl) {
    const { openServerDatabase } = await import('./pg-adapter.js');
    db = await openServerDatabase(config.databaseUrl, config.dbConnectTimeoutMs);
  } else {
    const { openEmbeddedDatabase } = await import('./pglite-adapter.js');
    // --wait-lock bounds the wait for another process that has the embedded database open.
    db = await openEmbeddedDatabase(config.dataDir, { waitLockMs: (config.waitLockSeconds ?? 0) * 1000 });
  }
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }
  return db;
}
