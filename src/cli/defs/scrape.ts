import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  program
    .command('scrape')
    .argument('[dealers...]', 'dealership names, slugs or aliases')
    .description('scrape dealership websites and import their inventory (one import for the run)')
    .option('--all', 'every enabled dealership of the registry that has a platform')
    .option('--concurrency <n>', 'dealerships scraped at once (default SILVERFOX_CONCURRENCY)')
    .option('--no-import', 'only write the CSVs of the run folder; import nothing')
    .option('--resume [run-id]', 'continue an interrupted run (default: the newest unfinished one)')
    .option(
      '--probe',
      'one dealership: fetch its first pages and show what would be kept (counts, rows, store and status values, price fields); writes and imports nothing',
    )
    .option('--pages <n>', 'pages a --probe reads (default 2)')
    .addHelpText(
      'after',
      examples([
        'silverfox scrape --all --yes --json        # nightly cron',
        'silverfox scrape "Columbia Honda" "HW Kia"',
        'silverfox scrape --all --concurrency 8 --no-import',
        'silverfox scrape --resume',
        'silverfox scrape "Suntrup Ford West" --probe --pages 3',
      ]) +
        '\nEach run writes one CSV per dealership and checkpoint.json under SILVERFOX_LOG_DIR/scrapes/<run id>/.\n' +
        'A dealership that fails keeps its active snapshot; the run exits 3 when some failed, 1 when all did.\n',
    )
    .action(lazy(async () => (await import('../commands/scrape.js')).scrape));
}
