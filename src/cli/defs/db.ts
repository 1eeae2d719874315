import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  const db = program
    .command('db')
    .description('database: migrate, status, backup, restore, prune')
    .addHelpText('after', examples(['silverfox db status', 'silverfox db backup backups/silverfox.backup']));
  db.command('migrate')
    .description('apply pending migrations (also done automatically on first use)')
    .addHelpText(
      'after',
      examples(['silverfox db migrate', 'DATABASE_URL=postgres://localhost/silverfox silverfox db migrate']),
    )
    .action(lazy(async () => (await import('../commands/db.js')).migrate));
  db.command('status')
    .description('schema version and pending migrations')
    .addHelpText('after', examples(['silverfox db status --json']))
    .action(lazy(async () => (await import('../commands/db.js')).status));
  db.command('backup')
    .argument(
      '<file>',
      'where to write the backup (a pg_dump file on a server, a tarball for the embedded database)',
    )
    .option('--force', 'replace FILE if it exists (also --yes)')
    .description('back up the database: pg_dump on a server, PGlite dump for the embedded database')
    .addHelpText(
      'after',
      examples([
        'silverfox db backup backups/silverfox-$(date +%F).backup',
        'DATABASE_URL=postgres://localhost/silverfox silverfox db backup /var/backups/silverfox.dump --force',
      ]),
    )
    .action(lazy(async () => (await import('../commands/db.js')).backup));
  db.command('restore')
    .argument('<file>', 'a file written by `silverfox db backup` (of the same kind of database)')
    .option('--force', 'replace a database that holds imports, orders or VIN log (also --yes)')
    .description('replace the database by a backup (asks, or needs --yes, when the database holds work)')
    .addHelpText(
      'after',
      examples([
        'silverfox db restore backups/silverfox-2026-11-20.backup --yes',
        'silverfox db restore b.backup --json --force',
      ]),
    )
    .action(lazy(async () => (await import('../commands/db.js')).restore));
  db.command('prune')
    .requiredOption('--keep-snapshots <n>', 'archived snapshots kept per dealership besides the active one')
    .option('--dry-run', 'report what would be freed, change nothing')
    .description("drop old archived snapshots' raw and normalized rows (never the active snapshot)")
    .addHelpText(
      'after',
      examples([
        'silverfox db prune --keep-snapshots 3',
        'silverfox db prune --keep-snapshots 0 --dry-run --json',
      ]),
    )
    .action(lazy(async () => (await import('../commands/db.js')).prune));
}
