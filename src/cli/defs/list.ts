import { defineCommand, flag, positiveInt, text, toggle, type OptionsOf } from '../define.js';

export const listOptions = {
  file: text('--file <file>', 'read entries from a file (one per line, or separated by commas)'),
  updateVinLog: toggle(
    '--update-vin-log',
    'write the VIN log for these vehicles (overrides list_updates_vin_log)',
    {
      flags: '--no-update-vin-log',
      description: 'do not write the VIN log (overrides list_updates_vin_log)',
    },
  ),
  filters: flag(
    '--filters',
    "apply the dealership's filters (vehicle types, price, year, ...) to found vehicles",
  ),
  template: text('--template <name>', 'template for this order instead of the dealership setting'),
  dryRun: flag('--dry-run', 'show what would be ordered, write nothing'),
  batch: text(
    '--batch <file>',
    'a CSV of dealership + VIN/stock rows: one order per dealership (- for stdin)',
  ),
  key: text('--key <key>', "idempotency key of a --batch run (default: a hash of each dealership's entries)"),
  concurrency: positiveInt(
    '--concurrency <n>',
    'dealerships worked on at once with --batch (default SILVERFOX_CONCURRENCY)',
  ),
  pdf: flag('--pdf', 'also print the sticker sheets of the orders written (as `silverfox pdf ID` does)'),
};

export const list = defineCommand({
  name: 'list',
  args: [
    ['[dealer]', 'dealership name, slug or alias'],
    ['[entries...]', 'VINs (17 characters) or stock numbers; - reads them from stdin'],
  ],
  description:
    'order the vehicles you name: data from the active inventory, else a placeholder marked not_on_website',
  options: listOptions,
  writes: true,
  examples: [
    'silverfox list "Columbia Honda" 1HGCM82633A004352 H1234 H1240',
    'silverfox list "Columbia Honda" --file vins.txt --no-update-vin-log',
    'cat vins.txt | silverfox list spirit_lexus - --filters --yes',
    'silverfox list --batch vins.csv --yes --json     # columns: dealership,vin (or stock)',
    'silverfox list --batch vins.csv --key 2026-11-20 --yes  # the same key never orders twice',
  ],
  help:
    '\nA --batch run is idempotent: running the same file again orders nothing twice, and a run that\n' +
    'crashed resumes with the dealerships it had not finished. To order the same list again, pass a new --key.\n' +
    'Exit codes: 0 ok, 1 error (nothing ordered), 2 usage, 3 some entries, rows or dealerships failed.\n',
  load: async () => (await import('../commands/list.js')).list,
});

export type ListOptions = OptionsOf<typeof listOptions>;
