import { UsageError } from '../../errors.js';
import { defineCommand, flag, type OptionSpec, type OptionsOf } from '../define.js';

const keepSnapshots: OptionSpec<number> = {
  flags: '--keep-snapshots <n>',
  description: 'archived snapshots kept per dealership besides the active one',
  mandatory: true,
  parse: (raw, flag) => {
    if (!/^\d+$/.test(String(raw))) {
      throw new UsageError(`${flag} ${String(raw)} is not a whole number 0 or more`, [
        'It counts archived snapshots kept per dealership; the active one is always kept.',
      ]);
    }
    return Number(raw);
  },
};

export const dbBackupOptions = { force: flag('--force', 'replace FILE if it exists (also --yes)') };
export const dbRestoreOptions = {
  force: flag('--force', 'replace a database that holds imports, orders or VIN log (also --yes)'),
};
export const dbPruneOptions = {
  keepSnapshots,
  dryRun: flag('--dry-run', 'report what would be freed, change nothing'),
};

const load = () => import('../commands/db.js');

export const db = [
  defineCommand({
    name: 'db',
    description: 'database: migrate, status, backup, restore, prune',
    writes: false,
    examples: ['silverfox db status', 'silverfox db backup backups/silverfox.backup'],
  }),
  defineCommand({
    name: 'db migrate',
    description: 'apply pending migrations (also done automatically on first use)',
    // The migrations guard themselves (one transaction each, an advisory lock).
    writes: false,
    examples: ['silverfox db migrate', 'DATABASE_URL=postgres://localhost/silverfox silverfox db migrate'],
    load: async () => (await load()).migrate,
  }),
  defineCommand({
    name: 'db status',
    description: 'schema version and pending migrations',
    writes: false,
    examples: ['silverfox db status --json'],
    load: async () => (await load()).status,
  }),
  defineCommand({
    name: 'db backup',
    args: [
      [
        '<file>',
        'where to write the backup (a pg_dump file on a server, a tarball for the embedded database)',
      ],
    ],
    description: 'back up the database: pg_dump on a server, PGlite dump for the embedded database',
    options: dbBackupOptions,
    writes: false,
    examples: [
      'silverfox db backup backups/silverfox-$(date +%F).backup',
      'DATABASE_URL=postgres://localhost/silverfox silverfox db backup /var/backups/silverfox.dump --force',
    ],
    load: async () => (await load()).backup,
  }),
  defineCommand({
    name: 'db restore',
    args: [['<file>', 'a file written by `silverfox db backup` (of the same kind of database)']],
    description: 'replace the database by a backup (asks, or needs --yes, when the database holds work)',
    options: dbRestoreOptions,
    writes: true,
    examples: [
      'silverfox db restore backups/silverfox-2026-11-20.backup --yes',
      'silverfox db restore b.backup --json --force',
    ],
    load: async () => (await load()).restore,
  }),
  defineCommand({
    name: 'db prune',
    description: "drop old archived snapshots' raw and normalized rows (never the active snapshot)",
    options: dbPruneOptions,
    writes: true,
    examples: [
      'silverfox db prune --keep-snapshots 3',
      'silverfox db prune --keep-snapshots 0 --dry-run --json',
    ],
    load: async () => (await load()).prune,
  }),
];

export type DbBackupOptions = OptionsOf<typeof dbBackupOptions>;
export type DbRestoreOptions = OptionsOf<typeof dbRestoreOptions>;
export type DbPruneOptions = OptionsOf<typeof dbPruneOptions>;
