/**
 * Per-test clean database state for integration test files that share one database: a file sets
 * up its fixture once (the registry, settings it wants), saves it as the baseline, and before each
 * test every table of the schema is emptied and refilled from that baseline, so no test sees rows
 * another test wrote and no test depends on running after another. The reset truncates every
 * table (found in the catalog, so a new table is covered without touching this file) the way
 * graphile-worker's and pg-boss's test helpers reset their schema; the same SQL runs on PGlite and
 * on the server. Sequences are not restarted: ids (and so order folder names) never repeat within
 * a file.
 */
import { beforeEach } from 'vitest';
import type { Database, Queryable } from '../../src/db/database.js';

/** Where the baseline copies live; never a schema silverfox uses. */
const BASELINE_SCHEMA = 'sf_test_baseline';
/** Written once by the migration runner and never by a test. */
const KEPT = new Set(['silverfox_migrations']);

/** The application's tables, parents before the tables that reference them. */
async function tablesInOrder(db: Queryable): Promise<string[]> {
  const tables = (
    await db.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
    )
  ).rows
    .map((r) => r.name)
    .filter((n) => !KEPT.has(n));
  const refs = (
    await db.query<{ child: string; parent: string }>(
      `SELECT c.relname AS child, p.relname AS parent
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_class p ON p.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname <> p.relname`,
    )
  ).rows;
  const ordered: string[] = [];
  const visit = (t: string, path: string[]) => {
    if (ordered.includes(t)) return;
    if (path.includes(t)) throw new Error(`foreign keys form a cycle: ${[...path, t].join(' -> ')}`);
    for (const r of refs) if (r.child === t && tables.includes(r.parent)) visit(r.parent, [...path, t]);
    ordered.push(t);
  };
  for (const t of tables) visit(t, []);
  return ordered;
}

/** Tables the database fills itself from others. */
const DERIVED_TABLES = ['vin_state'];

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Saves every table's rows as the state each test starts from (replacing an earlier baseline). */
export async function saveBaseline(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`DROP SCHEMA IF EXISTS ${BASELINE_SCHEMA} CASCADE`);
    await tx.query(`CREATE SCHEMA ${BASELINE_SCHEMA}`);
    for (const t of await tablesInOrder(tx))
      await tx.query(`CREATE TABLE ${BASELINE_SCHEMA}.${quote(t)} AS SELECT * FROM ${quote(t)}`);
  });
}

/** Empties every table and refills it from the baseline, in one transaction. */
export async function resetToBaseline(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    const tables = await tablesInOrder(tx);
    await tx.query(`TRUNCATE ${tables.map(quote).join(', ')}`);
    // vin_state is kept by triggers on vin_log (sql/009_vin_state.sql): refilling vin_log refills it.
    for (const t of tables.filter((name) => !DERIVED_TABLES.includes(name)))
      await tx.query(`INSERT INTO ${quote(t)} SELECT * FROM ${BASELINE_SCHEMA}.${quote(t)}`);
  });
}

/**
 * Registers, in the enclosing describe block, a reset to the baseline before each of its tests.
 * The file saves the baseline at the end of the beforeAll that opens the database and builds its
 * fixture.
 */
export function resetBeforeEachTest(db: () => Database): void {
  beforeEach(() => resetToBaseline(db()));
}
