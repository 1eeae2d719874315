/**
 * `db backup` and `db restore` for both databases (see src/db/backup.ts for the formats). A
 * restore refuses to replace a database that holds work (imports, orders, VIN log) unless forced
 * or confirmed, refuses a backup of the other kind of database, and migrates what it restored up
 * to this version of silverfox.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import {
  countEmbedded,
  countTableRows,
  DATA_TABLES,
  detectBackupFormat,
  dumpEmbedded,
  dumpServer,
  restoreEmbedded,
  restoreServer,
  type BackupFormat,
} from '../db/backup.js';
import { openDatabase } from '../db/open.js';
import { InputError, maskUrl, UsageError } from '../errors.js';

type DbConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'dbConnectTimeoutMs'>;

export interface BackupResult {
  file: string;
  format: BackupFormat;
  database: string;
  bytes: number;
  /** Rows per table in the database when it was backed up. */
  counts: Record<string, number>;
}

export interface RestoreResult {
  file: string;
  format: BackupFormat;
  database: string;
  /** Rows per table before and after. */
  before: Record<string, number>;
  after: Record<string, number>;
  /** Migrations applied after the restore (a backup of an older silverfox). */
  migrated: string[];
  /** Embedded: where the replaced data folder was kept. */
  previous?: string;
}

function describe(config: DbConfig): string {
  return config.databaseUrl
    ? `server ${maskUrl(config.databaseUrl)}`
    : `embedded database in ${config.dataDir}`;
}

async function countServer(config: DbConfig): Promise<Record<string, number>> {
  const db = await openDatabase(config, { migrate: false });
  try {
    return await countTableRows(db);
  } finally {
    await db.close();
  }
}

/** Writes a backup of the configured database to `file`. */
export async function backupDatabase(
  config: DbConfig,
  opts: { file: string; overwrite?: boolean },
): Promise<BackupResult> {
  const file = path.resolve(opts.file);
  if (existsSync(file) && !opts.overwrite) {
    throw new UsageError(`${file} already exists`, [
      'Pass --force (or --yes) to replace it, or name a new file, e.g. backups/silverfox-$(date +%F).backup.',
    ]);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  let counts: Record<string, number>;
  if (config.databaseUrl) {
    counts = await countServer(config);
    await dumpServer(config.databaseUrl, file);
  } else {
    counts = await dumpEmbedded(config.dataDir, file);
  }
  return {
    file,
    format: config.databaseUrl ? 'server' : 'embedded',
    database: describe(config),
    bytes: statSync(file).size,
    counts,
  };
}

/** True when the counts show work a restore would overwrite. */
export function holdsWork(counts: Record<string, number>): boolean {
  return DATA_TABLES.some((t) => (counts[t] ?? 0) > 0);
}

/** Replaces the configured database by the backup in `file`. */
export async function restoreDatabase(
  config: DbConfig,
  opts: {
    file: string;
    force?: boolean;
    /** Asked when the database holds work and `force` is not set (the CLI prompts on a terminal). */
    confirm?: (current: Record<string, number>) => Promise<boolean>;
    now?: Date;
  },
): Promise<RestoreResult> {
  const file = path.resolve(opts.file);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new InputError(`no backup file ${file}`, {
      file,
      hints: ['Name a file written by `silverfox db backup`.'],
    });
  }
  const format = detectBackupFormat(file);
  if (!format) {
    throw new InputError(`${file} is not a silverfox backup`, {
      file,
      hints: [
        'Expected a file written by `silverfox db backup` (a pg_dump custom file or an embedded-database tarball).',
      ],
    });
  }
  const target: BackupFormat = config.databaseUrl ? 'server' : 'embedded';
  if (format !== target) {
    throw new InputError(
      `${file} is a backup of ${format === 'server' ? 'a PostgreSQL server' : 'an embedded'} database, but the configured database is ${describe(config)}`,
      {
        file,
        hints: [
          format === 'server'
            ? 'Restore it with DATABASE_URL (or --db postgres://...) set to the server database to replace.'
            : 'Restore it into an embedded database: unset DATABASE_URL, or pass --db <folder>.',
        ],
      },
    );
  }
  const before = config.databaseUrl ? await countServer(config) : await countEmbedded(config.dataDir);
  if (holdsWork(before) && !opts.force) {
    const ok = opts.confirm ? await opts.confirm(before) : false;
    if (!ok) {
      throw new UsageError(
        `the ${describe(config)} holds work (${DATA_TABLES.map((t) => `${before[t] ?? 0} ${t}`).join(', ')}); restoring replaces all of it`,
        ['Pass --yes (or --force) to replace it. Back it up first: `silverfox db backup FILE`.'],
      );
    }
  }
  let previous: string | undefined;
  if (config.databaseUrl) {
    await restoreServer(config.databaseUrl, file);
  } else {
    const stamp = (opts.now ?? new Date())
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\..*$/, '')
      .replace('T', '-');
    previous = (await restoreEmbedded(config.dataDir, file, stamp)).previous;
  }
  // A backup of an older silverfox is brought up to this version's schema now, not on first use.
  const db = await openDatabase(config, { migrate: false });
  let migrated: string[];
  let after: Record<string, number>;
  try {
    const { migrate } = await import('../db/migrate.js');
    migrated = await migrate(db);
    after = await countTableRows(db);
  } finally {
    await db.close();
  }
  return { file, format, database: describe(config), before, after, migrated, previous };
}
