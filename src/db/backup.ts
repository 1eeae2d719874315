/**
 * Backups of both databases in their own native form:
 * - server: `pg_dump --format=custom` (a file starting with `PGDMP`), restored by `pg_restore` into
 *   a script that psql runs in ONE transaction after replacing the public schema, so a failed
 *   restore changes nothing;
 * - embedded: PGlite's own `dumpDataDir()` (a gzipped tarball of the data folder), restored with
 *   `loadDataDir` into a fresh folder that is swapped in only after it opened and was counted.
 * The password of DATABASE_URL goes to the tools through PGPASSWORD, never on their command line.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { childEnvironment } from '../config.js';
import { DatabaseError, InputError, maskUrl } from '../errors.js';
import { ident, type Queryable } from './database.js';
import { lockContent } from '../lockfile.js';
import { acquireLock } from './lockfile.js';
import { fsyncPathSync, replaceFileDurableSync } from '../durable-fs.js';

/** Tables counted in backup and restore reports, parents first. */
export const COUNTED_TABLES = [
  'silverfox_migrations',
  'dealerships',
  'dealership_aliases',
  'imports',
  'snapshots',
  'raw_vehicles',
  'vehicles',
  'orders',
  'order_vehicles',
  'vin_log',
  'queue_entries',
] as const;

/** Tables whose rows mean "this database holds work that a restore would overwrite". */
export const DATA_TABLES = ['imports', 'orders', 'vin_log'] as const;

export type BackupFormat = 'server' | 'embedded';

/** Row count per table (tables missing in an older schema are left out). */
export async function countTableRows(
  db: Queryable,
  tables: readonly string[] = COUNTED_TABLES,
): Promise<Record<string, number>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1::text[])`,
    [tables],
  );
  const present = new Set(rows.map((r) => r.name));
  const out: Record<string, number> = {};
  for (const t of tables) {
    if (!present.has(t)) continue;
    const r = await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${ident(t)}`);
    out[t] = Number(r.rows[0]?.n ?? 0);
  }
  return out;
}

/** What kind of backup a file holds, from its first bytes. */
export function detectBackupFormat(file: string): BackupFormat | undefined {
  const head = Buffer.alloc(5);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 5, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'PGDMP') return 'server';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'embedded';
  return undefined;
}

/**
 * Reads a gzip file through to its end, checking its CRC: PGlite's own loader reports a truncated
 * tarball as an unhandled stream error instead of a failed load.
 */
async function verifyGzip(file: string): Promise<void> {
  await pipeline(
    createReadStream(file),
    createGunzip(),
    new Writable({
      write(_chunk, _enc, cb) {
        cb();
      },
    }),
  );
}

/** A PGlite query surface for counting. */
function pgliteQueryable(pg: PGlite): Queryable {
  return {
    async query(sql, params = []) {
      const r = await pg.query<Record<string, unknown>>(sql, params);
      return { rows: r.rows as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql) {
      await pg.exec(sql);
    },
    copyIn() {
      throw new Error('not supported');
    },
  };
}

async function openPglite(dir: string, loadDataDir?: Blob): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create(dir, {
    parsers: { 20: (v: string) => Number(v) },
    ...(loadDataDir ? { loadDataDir } : {}),
  });
}

/** Dumps the embedded database in `dataDir` to `file`; returns the table counts it holds. */
export async function dumpEmbedded(dataDir: string, file: string): Promise<Record<string, number>> {
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    throw new DatabaseError(`there is no embedded database in ${dataDir} to back up`, {
      code: 'no_database',
      hints: ['Check SILVERFOX_DATA_DIR (or --db <folder>).'],
    });
  }
  const release = acquireLock(dataDir);
  try {
    const pg = await openPglite(dataDir);
    try {
      const counts = await countTableRows(pgliteQueryable(pg));
      const blob = await pg.dumpDataDir('gzip');
      replaceFileDurableSync(file, new Uint8Array(await blob.arrayBuffer()));
      return counts;
    } finally {
      await pg.close();
    }
  } finally {
    release();
  }
}

/** Row counts of the embedded database in `dataDir` (empty when there is none). */
export async function countEmbedded(dataDir: string): Promise<Record<string, number>> {
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) return {};
  const release = acquireLock(dataDir);
  try {
    const pg = await openPglite(dataDir);
    try {
      return await countTableRows(pgliteQueryable(pg));
    } finally {
      await pg.close();
    }
  } finally {
    release();
  }
}

/**
 * Replaces the embedded database in `dataDir` by the backup in `file`. The backup is loaded into
 * a new folder first; only when it opened and was counted is it swapped in. The previous folder
 * is kept beside it (`<dataDir>.before-restore-<time>`) and returned, or undefined when there was none.
 */
export async function restoreEmbedded(
  dataDir: string,
  file: string,
  stamp: string,
): Promise<{ counts: Record<string, number>; previous?: string }> {
  const dir = path.resolve(dataDir);
  const release = acquireLock(dir);
  const staged = `${dir}.restore-${process.pid}`;
  try {
    rmSync(staged, { recursive: true, force: true });
    let counts: Record<string, number>;
    try {
      await verifyGzip(file);
      const pg = await openPglite(staged, new Blob([readFileSync(file)]));
      try {
        counts = await countTableRows(pgliteQueryable(pg));
      } finally {
        await pg.close();
      }
    } catch (err) {
      rmSync(staged, { recursive: true, force: true });
      throw new InputError(`${file} could not be loaded as an embedded database: ${(err as Error).message}`, {
        file,
        cause: err,
        hints: [
          'Nothing was changed. Check that the file is a `silverfox db backup` of an embedded database.',
        ],
      });
    }
    // The tarball carries the lockfiles of the process that made it: ours now, so nobody opens the
    // folder between the swap and our release.
    for (const lock of ['silverfox.lock', 'silverfox-run.lock'])
      rmSync(path.join(staged, lock), { force: true });
    writeFileSync(path.join(staged, 'silverfox.lock'), lockContent());
    let previous: string | undefined;
    if (existsSync(dir)) {
      previous = `${dir}.before-restore-${stamp}`;
      renameSync(dir, previous);
      // Our locks moved with the old folder: drop them there so it is not "in use" forever.
      for (const lock of ['silverfox.lock', 'silverfox-run.lock'])
        rmSync(path.join(previous, lock), { force: true });
    }
    renameSync(staged, dir);
    return { counts, previous };
  } finally {
    rmSync(staged, { recursive: true, force: true });
    release();
  }
}

/** The URL without its password, and the password for PGPASSWORD. */
function splitPassword(url: string): { url: string; password?: string } {
  try {
    const u = new URL(url);
    const password = u.password ? decodeURIComponent(u.password) : undefined;
    u.password = '';
    return { url: u.toString(), password };
  } catch {
    return { url };
  }
}

interface ToolRun {
  code: number | null;
  stderr: string;
}

function toolEnv(password: string | undefined): NodeJS.ProcessEnv {
  // The tools get the environment of this process (PATH, PGSSL*...) plus the password.
  return childEnvironment(password ? { PGPASSWORD: password } : {});
}

function missingTool(tool: string, err: NodeJS.ErrnoException): DatabaseError {
  return new DatabaseError(`cannot run ${tool}: ${err.message}`, {
    code: 'tool_missing',
    cause: err,
    hints: [
      `Install the PostgreSQL client tools of the server's major version (Debian: apt-get install -y postgresql-client-15) so ${tool} is on PATH.`,
    ],
  });
}

/** Dumps the server database to `file` with pg_dump (custom format). */
export async function dumpServer(databaseUrl: string, file: string): Promise<void> {
  const { url, password } = splitPassword(databaseUrl);
  const tmp = `${file}.${process.pid}.tmp`;
  const run = await new Promise<ToolRun>((resolve, reject) => {
    const child = spawn(
      'pg_dump',
      ['--format=custom', '--no-owner', '--no-acl', `--file=${tmp}`, `--dbname=${url}`],
      {
        env: toolEnv(password),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(missingTool('pg_dump', err)));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  if (run.code !== 0) {
    rmSync(tmp, { force: true });
    throw new DatabaseError(
      `pg_dump of ${maskUrl(databaseUrl)} failed: ${run.stderr.trim() || `exit ${run.code}`}`,
      {
        code: 'backup_failed',
        hints: [
          /version mismatch/i.test(run.stderr)
            ? 'pg_dump must be at least the server version: install the matching postgresql-client package.'
            : 'Nothing was written. Check that the server is reachable and DATABASE_URL is right.',
        ],
      },
    );
  }
  fsyncPathSync(tmp);
  renameSync(tmp, file);
}

/**
 * Restores a pg_dump file into the server database, replacing its public schema, in one
 * transaction: pg_restore writes the script, psql runs it with ON_ERROR_STOP.
 */
export async function restoreServer(databaseUrl: string, file: string): Promise<void> {
  const { url, password } = splitPassword(databaseUrl);
  const env = toolEnv(password);
  const run = await new Promise<{ restore: ToolRun; psql: ToolRun }>((resolve, reject) => {
    const restore = spawn('pg_restore', ['--no-owner', '--no-acl', '--file=-', file], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // One explicit transaction, committed only when pg_restore produced the whole script: a
    // truncated or corrupt dump makes pg_restore fail, and then psql is stopped before COMMIT, so
    // the server rolls everything back (including the DROP SCHEMA).
    const psql = spawn(
      'psql',
      ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--file=-', `--dbname=${url}`],
      {
        env,
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    const out = {
      restore: { code: null, stderr: '' } as ToolRun,
      psql: { code: null, stderr: '' } as ToolRun,
    };
    let closed = 0;
    const done = () => {
      if (++closed === 2) resolve(out);
    };
    restore.stderr.on('data', (d: Buffer) => (out.restore.stderr += d.toString()));
    psql.stderr.on('data', (d: Buffer) => (out.psql.stderr += d.toString()));
    restore.on('error', (err) => {
      psql.kill('SIGKILL');
      reject(missingTool('pg_restore', err));
    });
    psql.on('error', (err) => {
      restore.kill('SIGKILL');
      reject(missingTool('psql', err));
    });
    restore.on('close', (code) => {
      out.restore.code = code;
      if (code === 0) psql.stdin.end('COMMIT;\n');
      else psql.kill('SIGKILL');
      done();
    });
    psql.on('close', (code) => {
      out.psql.code = code;
      // psql stopped on an error: the rest of the script has nowhere to go.
      if (code !== 0) restore.kill('SIGKILL');
      done();
    });
    // psql stops reading on the first error; its closed stdin must not crash us.
    psql.stdin.on('error', () => {});
    psql.stdin.write('BEGIN;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n');
    restore.stdout.pipe(psql.stdin, { end: false });
  });
  if (run.restore.code !== 0 || run.psql.code !== 0) {
    const why = (run.psql.code !== 0 && run.psql.stderr.trim() ? run.psql.stderr : run.restore.stderr).trim();
    throw new DatabaseError(
      `restore of ${file} into ${maskUrl(databaseUrl)} failed: ${why || 'unknown error'}`,
      {
        code: 'restore_failed',
        hints: ['The restore ran in one transaction: the database is unchanged.'],
      },
    );
  }
}
