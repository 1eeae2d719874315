/**
 * The context every use case takes: the resolved config and an open, migrated database that
 * holds the dealership registry (seeded from the shipped files when the database was created).
 */
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { seedRegistry } from './registry.js';

export interface AppContext {
  readonly config: Readonly<Config>;
  readonly db: Database;
  /** The clock use cases read; tests fix it. */
  now(): Date;
}

/** Opens the database, applies pending migrations and, on a new database, loads the shipped registry. */
export async function openContext(
  config: Readonly<Config>,
  opts: { now?: () => Date } = {},
): Promise<AppContext> {
  const db = await openDatabase(config);
  try {
    await seedRegistry(db, config.registryDir);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return { config, db, now: opts.now ?? (() => new Date()) };
}

/** Runs `fn` with a context and always closes the database. */
export async function withContext<T>(
  config: Readonly<Config>,
  fn: (ctx: AppContext) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(config);
  try {
    return await fn(ctx);
  } finally {
    await ctx.db.close();
  }
}
