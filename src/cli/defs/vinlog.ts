import { defineCommand, flag, requiredText, type OptionsOf } from '../define.js';

export const vinlogImportOptions = {
  dealer: requiredText('--dealer <name>', 'the dealership the log belongs to'),
  dryRun: flag('--dry-run', 'parse and count, write nothing'),
};

export const vinlog = [
  defineCommand({
    name: 'vinlog',
    description: 'the VIN log: what was ordered where (show), and legacy logs of the earlier system (import)',
    writes: false,
    examples: ['silverfox vinlog show 1HGCM82633A004352'],
  }),
  defineCommand({
    name: 'vinlog show',
    args: [['<vin>', 'a VIN (any case)']],
    description:
      "every dealership's VIN-log entries for a VIN with order ids and reasons, and what the next CAO would decide",
    writes: false,
    examples: ['silverfox vinlog show 1HGCM82633A004352', 'silverfox vinlog show 1hgcm82633a004352 --json'],
    load: async () => (await import('../commands/vinlog.js')).show,
  }),
  defineCommand({
    name: 'vinlog import',
    args: [['<file>', 'the legacy log (CSV; - for stdin)']],
    description:
      'import a legacy VIN log: columnar (VIN, ORDER_NUMBER, ORDER_DATE) or grouped (order number, then VINs; a blank row ends a group). ' +
      'Non-numeric groups (BASELINE, INITIAL, SETUP, TEST, MAINTENANCE) are kept as baseline entries',
    options: vinlogImportOptions,
    writes: true,
    examples: [
      'silverfox vinlog import old_columbia_honda_log.csv --dealer "Columbia Honda"',
      'silverfox vinlog import grouped.csv --dealer spirit_lexus --dry-run',
    ],
    help: '\nImporting the same file twice adds nothing. Exit 3 when some rows were rejected (each is listed).\n',
    load: async () => (await import('../commands/vinlog.js')).importLog,
  }),
];

export type VinlogImportOptions = OptionsOf<typeof vinlogImportOptions>;
