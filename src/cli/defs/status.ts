import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('database, and per dealership: active snapshot, age, VIN log, last order, held snapshot')
    .option(
      '--check',
      'exit 1 when the database is unreachable or an enabled dealership is stale (monitoring)',
    )
    .addHelpText(
      'after',
      examples(['silverfox status', 'silverfox status --json', 'silverfox status --check || alert-me']),
    )
    .action(lazy(async () => (await import('../commands/status.js')).status));
}
