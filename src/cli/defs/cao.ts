import { defineCommand, flag, positiveInt, text, type OptionsOf } from '../define.js';

export const caoOptions = {
  all: flag('--all', 'every enabled dealership, several at once'),
  due: flag(
    '--due',
    "the day's pending scheduled orders (see `silverfox queue`), each with its template and vehicle types",
  ),
  date: text('--date <day>', 'with --due: the queue of this day (YYYY-MM-DD; default today)'),
  dryRun: flag(
    '--dry-run',
    'compute and show everything, write nothing (no folder, no order, no VIN-log rows)',
  ),
  explain: flag('--explain', 'also list every skipped and filtered-out vehicle with the reason or filter'),
  template: text(
    '--template <name>',
    'template for this run (standard, shortcut, shortcut_pack, flyout or a custom one)',
  ),
  concurrency: positiveInt(
    '--concurrency <n>',
    'dealerships worked on at once with --all (default SILVERFOX_CONCURRENCY)',
  ),
  pdf: flag('--pdf', 'also print the sticker sheets of the orders written (as `silverfox pdf ID` does)'),
};

export const cao = defineCommand({
  name: 'cao',
  args: [['[dealers...]', 'dealership names, slugs or aliases (any case)']],
  description:
    'order graphics for what is new in the active inventory: filters, then the VIN log decides (new, cross_dealership, condition_changed; recent and already_ordered are skipped)',
  options: caoOptions,
  writes: true,
  examples: [
    'silverfox cao "Columbia Honda"                 # shows the vehicles, asks, writes the order folder',
    'silverfox cao "Columbia Honda" --dry-run --explain',
    'silverfox cao --all --yes --json               # cron',
    "silverfox cao --due --yes                      # today's scheduled orders still pending",
    'silverfox cao spirit_lexus --template flyout --yes',
  ],
  help: '\nExit codes: 0 ok (also when there is nothing new), 1 error, 2 usage (or --yes needed), 3 some dealerships failed.\n',
  load: async () => (await import('../commands/cao.js')).cao,
});

export type CaoOptions = OptionsOf<typeof caoOptions>;
