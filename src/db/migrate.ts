/**
 * The migrations runner: numbered plain-SQL files in sql/, applied in order, each in its own
 * transaction, recorded in silverfox_migrations. A transaction-scoped advisory lock serializes
 * concurrent migrators, so two processes starting at once never apply a file twice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../config.js';
import { DatabaseError } from '../errors.js';
import type { Database, Queryable } from './database.js';

/** Arbitrary constant: the advisory-lock key of the migrations runner. */
const MIGRATION_LOCK = 7305_0001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads sql/NNN_name.sql in version order. */
export function loadMigrations(dir = path.join(packageRoot, 'sql')): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .map((f) => ({
      version: Number.parseInt(f, 10),
      name: f.replace(/\.sql$/, ''),
      sql: readFileSync(path.join(dir, f), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
}

async function lockAndEnsureTable(tx: Queryable): Promise<Set<number>> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await tx.query(
    `CREATE TABLE IF NOT EXISTS silverfox_migrations (
       version integer PRIMARY KEY,
       name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const { rows } = await tx.query<{ version: number }>('SELECT version FROM silverfox_migrations');
  return new Set(rows.map((r) => Number(r.version)));
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  const applied: string[] = [];
  for (const m of migrations) {
    await db.transaction(async (tx) => {
      const done = await lockAndEnsureTable(tx);
      if (done.has(m.version)) return;
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new DatabaseError(`migration ${m.name} failed: ${(err as Error).message}`, {
          cause: err,
          hints: [
            'Nothing of this migration was applied. Fix the SQL file or the database, then run `silverfox db migrate`.',
          ],
        });
      }
      await tx.query('INSERT INTO silverfox_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.name);
    });
  }
  return applied;
}

/** The schema version (highest applied migration) and what is pending. */
export async function schemaStatus(
  db: Queryable,
  migrations = loadMigrations(),
): Promise<{ version: number; latest: number; pending: string[] }> {
  const { rows } = await db
    .query<{ version: number }>(`SELECT version FROM silverfox_migrations ORDER BY version`)
    .catch(() => ({ rows: [] as { version: number }[] }));
  const done = new Set(rows.map((r) => Number(r.version)));
  return {
    version: Math.max(0, ...done),
    latest: Math.max(0, ...migrations.map((m) => m.version)),
    pending: migrations.filter((m) => !done.has(m.version)).map((m) => m.name),
  };
}
