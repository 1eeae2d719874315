import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  const orders = program
    .command('orders')
    .description(
      'order history: list, show (files verified against their checksums), void, paths, repair (rebuild a missing folder)',
    )
    .addHelpText('after', examples(['silverfox orders list', 'silverfox orders show 42']));
  orders
    .command('list')
    .argument('[dealer]', 'only this dealership (name, slug or alias)')
    .option('--since <when>', 'only orders since a date (2026-11-01) or a duration ago (7d, 12h)')
    .description('orders newest first: id, dealership, type, status, vehicles, template, time, folder')
    .addHelpText(
      'after',
      examples(['silverfox orders list', 'silverfox orders list "Columbia Honda" --since 7d --json']),
    )
    .action(lazy(async () => (await import('../commands/orders.js')).list));
  orders
    .command('show')
    .argument('<id>', 'order id (42 or #42)')
    .description(
      'one order: its vehicles with reasons, its files, each checksum verified on disk (exit 1 if not)',
    )
    .addHelpText('after', examples(['silverfox orders show 42', 'silverfox orders show 42 --json']))
    .action(lazy(async () => (await import('../commands/orders.js')).show));
  orders
    .command('void')
    .argument('<id>', 'order id (42 or #42)')
    .option('--reason <text>', 'why, kept with the order')
    .description(
      'undo a mistaken order: it stays (marked voided) with its folder, its VIN-log rows go, so its vehicles come back in the next CAO',
    )
    .addHelpText(
      'after',
      examples(['silverfox orders void 42', 'silverfox orders void 42 --yes --reason "wrong template"']),
    )
    .action(lazy(async () => (await import('../commands/orders.js')).voidCommand));
  orders
    .command('paths')
    .argument('<id>', 'order id (42 or #42)')
    .requiredOption(
      '--base <base>',
      'how the designers reach the orders folder: Z:\\SilverFox\\orders, \\\\fileserver\\orders, /Volumes/Orders or relative',
    )
    .description(
      "rewrite the QR paths in an order's @ columns for another base (the folder moved, a new share): CSVs replaced atomically, checksums and history updated, QR files untouched",
    )
    .addHelpText(
      'after',
      examples([
        "silverfox orders paths 42 --base 'Z:\\SilverFox\\orders'",
        "silverfox orders paths 42 --base '\\\\fileserver\\orders'",
        'silverfox orders paths 42 --base /Volumes/Orders',
        'silverfox orders paths 42 --base relative --json',
      ]),
    )
    .action(lazy(async () => (await import('../commands/orders.js')).paths));
  orders
    .command('repair')
    .argument('<id>', 'order id (42 or #42)')
    .description(
      "rebuild the missing folder of a complete order from the database: files regenerated, checksums recorded anew, the repair noted in the order's history",
    )
    .addHelpText('after', examples(['silverfox orders repair 42', 'silverfox orders repair 42 --json']))
    .action(lazy(async () => (await import('../commands/orders.js')).repair));
  orders
    .command('archive')
    .requiredOption('--older-than <duration>', 'orders created more than this long ago (30d, 12w)')
    .option('--dry-run', 'list what would be archived, change nothing')
    .description(
      'zip the folders of old orders into the archive and remove the folders (the order rows stay)',
    )
    .addHelpText('after', examples(['silverfox orders archive --older-than 90d --dry-run']))
    .action(lazy(async () => (await import('../commands/archive.js')).archive));
}
