import { atLeast, defineCommand, flag, textOrFlag, type OptionsOf } from '../define.js';

export const scrapeOptions = {
  all: flag('--all', 'every enabled dealership of the registry that has a platform'),
  concurrency: atLeast('--concurrency <n>', 'dealerships scraped at once (default SILVERFOX_CONCURRENCY)', 1),
  import: flag('--no-import', 'only write the CSVs of the run folder; import nothing'),
  resume: textOrFlag('--resume [run-id]', 'continue an interrupted run (default: the newest unfinished one)'),
  acceptDrop: flag(
    '--accept-drop',
    'activate the snapshot the drop guard holds for the named dealerships (shown by `status`), without scraping again',
  ),
  probe: flag(
    '--probe',
    'one dealership: fetch its first pages and show what would be kept (counts, rows, store and status values, price fields); writes and imports nothing',
  ),
  pages: atLeast('--pages <n>', 'pages a --probe reads (default 2)', 1),
};

export const scrape = defineCommand({
  name: 'scrape',
  args: [['[dealers...]', 'dealership names, slugs or aliases']],
  description: 'scrape dealership websites and import their inventory (one import for the run)',
  options: scrapeOptions,
  writes: true,
  // It stops gracefully on its own SIGINT handler (the run folder keeps its checkpoint).
  trapSignals: false,
  examples: [
    'silverfox scrape --all --yes --json        # nightly cron',
    'silverfox scrape "Columbia Honda" "HW Kia"',
    'silverfox scrape --all --concurrency 8 --no-import',
    'silverfox scrape --resume',
    'silverfox scrape "HW Kia" --accept-drop    # activate the held snapshot `status` shows',
    'silverfox scrape "Suntrup Ford West" --probe --pages 3',
  ],
  help:
    '\nEach run writes one CSV per dealership and checkpoint.json under SILVERFOX_LOG_DIR/scrapes/<run id>/.\n' +
    'A dealership that fails keeps its active snapshot; the run exits 3 when some failed, 1 when all did.\n' +
    'Drop guard: a dealership keeping fewer rows than drop_guard_ratio (default 0.5) of its active snapshot,\n' +
    'or cut short (timeout, page failure) after part of its inventory, gets a HELD snapshot instead (exit 3).\n',
  load: async () => (await import('../commands/scrape.js')).scrape,
});

export type ScrapeOptions = OptionsOf<typeof scrapeOptions>;
