/** Shared by the adversarial suite: what "intact" and "inside its folder" mean, checked from outside. */
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';

export { expectCleanError, withDb, count } from '../reliability/helpers/checks.js';

/** Every table of the public schema with its row count: injected SQL would change one of them. */
export async function tableCounts(db: Database): Promise<Record<string, number>> {
  const tables = (
    await db.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    )
  ).rows.map((r) => r.t);
  const out: Record<string, number> = {};
  // Names come from the catalog (plain identifiers), never from input.
  for (const t of tables)
    out[t] = Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}"`)).rows[0]!.n);
  return out;
}

/** Every file under `dir` (recursive), with symlinks reported as such. */
export function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

/**
 * Order folders are direct children of the orders folder, named `<slug>_<cao|list>_<stamp>`, and
 * nothing inside them is a symlink or resolves outside.
 */
export function expectOrdersInside(ordersDir: string): void {
  const root = realpathSync(ordersDir);
  for (const name of readdirSync(ordersDir).filter((f) => !f.startsWith('.'))) {
    expect(name).toMatch(/^[a-z0-9_]+_(cao|list)_\d{8}-\d{6}(_\d+)?$/);
  }
  for (const file of walk(ordersDir)) {
    expect(lstatSync(file).isSymbolicLink(), file).toBe(false);
    expect(realpathSync(file).startsWith(`${root}${path.sep}`), file).toBe(true);
  }
}
