import type { Command } from 'commander';
import { collect, examples, lazy } from '../define.js';

const changeOptions = (c: Command) =>
  c
    .option('--url <url>', 'site URL (`none` to clear)')
    .option(
      '--api-host <url>',
      "where a hosted search API (Algolia, SEARCH_SERVICE) or the entry's second site is reached instead of its recorded host (`none` to clear)",
    )
    .option('--platform <platform>', 'website platform (dealer.com, algolia, dealeron, ...)')
    .option('--enable', 'include it in --all runs')
    .option('--disable', 'leave it out of --all runs')
    .option('--add-alias <alias>', 'another spelling seen in feeds (repeatable)', collect)
    .option('--remove-alias <alias>', 'forget a spelling (repeatable)', collect)
    .option(
      '--setting <key=value>',
      'a setting, e.g. min_price=5000, vehicle_types=new,used, min_year=none (repeatable)',
      collect,
    )
    .option('--unset <key>', 'take a setting back to its default (repeatable)', collect);

export function register(program: Command): void {
  const dealers = program
    .command('dealers')
    .description(
      'the dealership registry, held in the database: list, show, add, set, remove, history, import, export',
    )
    .addHelpText('after', examples(['silverfox dealers list', 'silverfox dealers show "columbia honda"']));
  dealers
    .command('list')
    .description('every dealership with platform, URL and whether it is enabled')
    .addHelpText('after', examples(['silverfox dealers list', 'silverfox dealers list --json']))
    .action(lazy(async () => (await import('../commands/dealers.js')).list));
  dealers
    .command('show')
    .argument('<name>', 'name, slug or alias (any case)')
    .description(
      'one dealership: aliases, platform, URL, scrape parameters and every setting (set or default)',
    )
    .addHelpText('after', examples(['silverfox dealers show bmw_of_west_st_louis']))
    .action(lazy(async () => (await import('../commands/dealers.js')).show));
  changeOptions(
    dealers
      .command('add')
      .argument('<name>', 'display name, e.g. "Example Motors"')
      .description('add a dealership to the registry')
      .addHelpText(
        'after',
        examples(['silverfox dealers add "Example Motors" --platform dealeron --url https://example.com']),
      ),
  ).action(lazy(async () => (await import('../commands/dealers.js')).add));
  changeOptions(
    dealers
      .command('set')
      .argument('<name>', 'name, slug or alias')
      .description('change a dealership: URL, platform, aliases, settings')
      .addHelpText(
        'after',
        examples([
          'silverfox dealers set "Columbia Honda" --url http://127.0.0.1:8080',
          'silverfox dealers set "Spirit Lexus" --url http://127.0.0.1:8081 --api-host http://127.0.0.1:8082',
          'silverfox dealers set "Spirit Lexus" --setting template=flyout --setting vehicle_types=new',
          'silverfox dealers set "Spirit Lexus" --setting min_price=none',
          'silverfox dealers set "Spirit Lexus" --unset template',
        ]),
      ),
  ).action(lazy(async () => (await import('../commands/dealers.js')).set));
  dealers
    .command('remove')
    .argument('<name>', 'name, slug or alias')
    .description('remove from the registry (its orders and VIN log stay; it is disabled)')
    .addHelpText('after', examples(['silverfox dealers remove "Example Motors" --yes']))
    .action(lazy(async () => (await import('../commands/dealers.js')).remove));
  dealers
    .command('history')
    .argument('[name]', 'name, slug or alias (all dealerships when left out)')
    .option('--limit <n>', 'the last N changes (default 1000)')
    .description(
      'every recorded change of the registry: who (OS user@host), when, command, old and new value',
    )
    .addHelpText(
      'after',
      examples(['silverfox dealers history "Columbia Honda"', 'silverfox dealers history --json --limit 50']),
    )
    .action(lazy(async () => (await import('../commands/dealers.js')).history));
  dealers
    .command('import')
    .argument(
      '[paths...]',
      'registry folders or *.json files (default: the shipped registry, SILVERFOX_REGISTRY_DIR)',
    )
    .description(
      'bring registry files into the database: shows what would be added, changed (field by field) and removed, then asks (or --yes)',
    )
    .addHelpText(
      'after',
      examples([
        'silverfox dealers import',
        'silverfox dealers import ./reviewed-registry --yes',
        'silverfox dealers import scrapers/columbia_honda.json',
      ]),
    )
    .action(lazy(async () => (await import('../commands/dealers.js')).importFiles));
  dealers
    .command('export')
    .argument('<dir>', 'folder to write <slug>.json files into (created when missing)')
    .description('write the registry from the database as files (the format `dealers import` reads)')
    .addHelpText('after', examples(['silverfox dealers export ./registry-backup']))
    .action(lazy(async () => (await import('../commands/dealers.js')).exportFiles));
}
