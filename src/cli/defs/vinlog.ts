import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  const vinlog = program
    .command('vinlog')
    .description('the VIN log: what was ordered where (show), and legacy logs of the earlier system (import)')
    .addHelpText('after', examples(['silverfox vinlog show 1HGCM82633A004352']));
  vinlog
    .command('show')
    .argument('<vin>', 'a VIN (any case)')
    .description(
      "every dealership's VIN-log entries for a VIN with order ids and reasons, and what the next CAO would decide",
    )
    .addHelpText(
      'after',
      examples(['silverfox vinlog show 1HGCM82633A004352', 'silverfox vinlog show 1hgcm82633a004352 --json']),
    )
    .action(lazy(async () => (await import('../commands/vinlog.js')).show));
  vinlog
    .command('import')
    .argument('<file>', 'the legacy log (CSV; - for stdin)')
    .requiredOption('--dealer <name>', 'the dealership the log belongs to')
    .option('--dry-run', 'parse and count, write nothing')
    .description(
      'import a legacy VIN log: columnar (VIN, ORDER_NUMBER, ORDER_DATE) or grouped (order number, then VINs; a blank row ends a group). ' +
        'Non-numeric groups (BASELINE, INITIAL, SETUP, TEST, MAINTENANCE) are kept as baseline entries',
    )
    .addHelpText(
      'after',
      examples([
        'silverfox vinlog import old_columbia_honda_log.csv --dealer "Columbia Honda"',
        'silverfox vinlog import grouped.csv --dealer spirit_lexus --dry-run',
      ]) +
        '\nImporting the same file twice adds nothing. Exit 3 when some rows were rejected (each is listed).\n',
    )
    .action(lazy(async () => (await import('../commands/vinlog.js')).importLog));
}
