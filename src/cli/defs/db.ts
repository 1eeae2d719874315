import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  const db = program.command('db').description('database: migrate, status');
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
}
