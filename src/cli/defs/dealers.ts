import { defineCommand, flag, positiveInt, repeatable, text, type OptionsOf } from '../define.js';

/** What `dealers add` and `dealers set` change. */
export const dealerChangeOptions = {
  url: text('--url <url>', 'site URL (`none` to clear)'),
  apiHost: text(
    '--api-host <url>',
    "where a hosted search API (Algolia, SEARCH_SERVICE) or the entry's second site is reached instead of its recorded host (`none` to clear)",
  ),
  platform: text('--platform <platform>', 'website platform (dealer.com, algolia, dealeron, ...)'),
  enable: flag('--enable', 'include it in --all runs'),
  disable: flag('--disable', 'leave it out of --all runs'),
  addAlias: repeatable('--add-alias <alias>', 'another spelling seen in feeds (repeatable)'),
  removeAlias: repeatable('--remove-alias <alias>', 'forget a spelling (repeatable)'),
  setting: repeatable(
    '--setting <key=value>',
    'a setting, e.g. min_price=5000, vehicle_types=new,used, min_year=none (repeatable)',
  ),
  unset: repeatable('--unset <key>', 'take a setting back to its default (repeatable)'),
};

export const dealersHistoryOptions = {
  limit: positiveInt('--limit <n>', 'the last N changes (default 1000)'),
};

const load = () => import('../commands/dealers.js');

export const dealers = [
  defineCommand({
    name: 'dealers',
    description:
      'the dealership registry, held in the database: list, show, add, set, remove, history, import, export',
    writes: false,
    examples: ['silverfox dealers list', 'silverfox dealers show "columbia honda"'],
  }),
  defineCommand({
    name: 'dealers list',
    description: 'every dealership with platform, URL and whether it is enabled',
    writes: false,
    examples: ['silverfox dealers list', 'silverfox dealers list --json'],
    load: async () => (await load()).list,
  }),
  defineCommand({
    name: 'dealers show',
    args: [['<name>', 'name, slug or alias (any case)']],
    description:
      'one dealership: aliases, platform, URL, scrape parameters and every setting (set or default)',
    writes: false,
    examples: ['silverfox dealers show bmw_of_west_st_louis'],
    load: async () => (await load()).show,
  }),
  // The registry's own changes are recorded in its history; they take no run lock (as before).
  defineCommand({
    name: 'dealers add',
    args: [['<name>', 'display name, e.g. "Example Motors"']],
    description: 'add a dealership to the registry',
    options: dealerChangeOptions,
    writes: false,
    examples: ['silverfox dealers add "Example Motors" --platform dealeron --url https://example.com'],
    load: async () => (await load()).add,
  }),
  defineCommand({
    name: 'dealers set',
    args: [['<name>', 'name, slug or alias']],
    description: 'change a dealership: URL, platform, aliases, settings',
    options: dealerChangeOptions,
    writes: false,
    examples: [
      'silverfox dealers set "Columbia Honda" --url http://127.0.0.1:8080',
      'silverfox dealers set "Spirit Lexus" --url http://127.0.0.1:8081 --api-host http://127.0.0.1:8082',
      'silverfox dealers set "Spirit Lexus" --setting template=flyout --setting vehicle_types=new',
      'silverfox dealers set "Spirit Lexus" --setting min_price=none',
      'silverfox dealers set "Spirit Lexus" --unset template',
    ],
    load: async () => (await load()).set,
  }),
  defineCommand({
    name: 'dealers remove',
    args: [['<name>', 'name, slug or alias']],
    description: 'remove from the registry (its orders and VIN log stay; it is disabled)',
    writes: false,
    examples: ['silverfox dealers remove "Example Motors" --yes'],
    load: async () => (await load()).remove,
  }),
  defineCommand({
    name: 'dealers history',
    args: [['[name]', 'name, slug or alias (all dealerships when left out)']],
    description:
      'every recorded change of the registry: who (OS user@host), when, command, old and new value',
    options: dealersHistoryOptions,
    writes: false,
    examples: ['silverfox dealers history "Columbia Honda"', 'silverfox dealers history --json --limit 50'],
    load: async () => (await load()).history,
  }),
  defineCommand({
    name: 'dealers import',
    args: [
      [
        '[paths...]',
        'registry folders or *.json files (default: the shipped registry, SILVERFOX_REGISTRY_DIR)',
      ],
    ],
    description:
      'bring registry files into the database: shows what would be added, changed (field by field) and removed, then asks (or --yes)',
    writes: false,
    examples: [
      'silverfox dealers import',
      'silverfox dealers import ./reviewed-registry --yes',
      'silverfox dealers import scrapers/columbia_honda.json',
    ],
    load: async () => (await load()).importFiles,
  }),
  defineCommand({
    name: 'dealers export',
    args: [['<dir>', 'folder to write <slug>.json files into (created when missing)']],
    description: 'write the registry from the database as files (the format `dealers import` reads)',
    writes: false,
    examples: ['silverfox dealers export ./registry-backup'],
    load: async () => (await load()).exportFiles,
  }),
];

export type DealerChangeOptions = OptionsOf<typeof dealerChangeOptions>;
export type DealersHistoryOptions = OptionsOf<typeof dealersHistoryOptions>;
