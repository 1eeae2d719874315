import { defineCommand, flag, repeatable, text, type OptionsOf } from '../define.js';

export const importOptions = {
  map: repeatable(
    '--map <field=Header>',
    'which column holds a field, e.g. vin=VIN_NUM,dealership=seller (repeatable; field= ignores a column)',
  ),
  dealer: text(
    '--dealer <name>',
    'every row belongs to this dealership (for files without a dealership column)',
  ),
  strictDealers: flag(
    '--strict-dealers',
    'a dealership name that matches none is an error (default: created disabled)',
  ),
  force: flag(
    '--force',
    'import even when the same content was imported before, and activate snapshots the drop guard would hold',
  ),
  dryRun: flag('--dry-run', 'read and check everything, report it, change nothing'),
  normalize: flag('--no-normalize', 'load raw rows only; run `silverfox normalize` later'),
};

export const importCommands = [
  defineCommand({
    name: 'import',
    args: [['<files...>', 'inventory CSV files (.csv, .csv.gz; - reads stdin)']],
    description: 'import inventory CSVs: each dealership in them gets a new active snapshot',
    options: importOptions,
    writes: true,
    examples: [
      'silverfox import inventory.csv',
      'silverfox import feed1.csv feed2.csv.gz --strict-dealers',
      'silverfox import craigslist.csv --dealer "Columbia Honda"',
      'silverfox import car_prices.csv --map dealership=seller --dry-run',
      'curl -s https://feeds.example/inv.csv | silverfox import - --json',
    ],
    help:
      '\nColumns are found by header in any case and spacing (VIN, Vin, vin_num; Location, Dealer;\n' +
      'Type, New/Used; Price, Internet Price; URL, Vehicle URL, Vechile URL...). Rows that are not\n' +
      'vehicles (no VIN, not a VIN, header repeated, no dealership, unparseable) are rejected to\n' +
      'SILVERFOX_LOG_DIR/imports/<time>-import-<id>/rejects.csv; the import still succeeds (exit 0).\n' +
      'Exit 1 when no row at all could be imported. Ctrl-C rolls everything back.\n' +
      'Drop guard: a dealership whose rows fall below drop_guard_ratio (default 0.5) of its active\n' +
      'snapshot gets a HELD snapshot (stored, not activated; exit 3); --force activates it anyway.\n',
    load: async () => (await import('../commands/import.js')).importCommand,
  }),
  defineCommand({
    name: 'normalize',
    args: [['[dealers...]', 'dealership names, slugs or aliases (default: every active snapshot)']],
    description: 'derive normalized vehicles again from the raw rows of active snapshots',
    writes: true,
    examples: ['silverfox normalize', 'silverfox normalize "Columbia Honda" --json'],
    help:
      '\nRe-runnable: the same raw rows always give the same vehicles. Reports per dealership the raw\n' +
      'rows, vehicles, duplicates and flags (invalid VIN, bad check digit, no price).\n',
    load: async () => (await import('../commands/import.js')).normalize,
  }),
];

export type ImportOptions = OptionsOf<typeof importOptions>;
