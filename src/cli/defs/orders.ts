import { defineCommand, flag, requiredText, text, type OptionsOf } from '../define.js';

export const ordersListOptions = {
  since: text('--since <when>', 'only orders since a date (2026-11-01) or a duration ago (7d, 12h)'),
};
export const ordersVoidOptions = { reason: text('--reason <text>', 'why, kept with the order') };
export const ordersPathsOptions = {
  base: requiredText(
    '--base <base>',
    'how the designers reach the orders folder: Z:\\SilverFox\\orders, \\\\fileserver\\orders, /Volumes/Orders or relative',
  ),
};
export const ordersArchiveOptions = {
  olderThan: requiredText('--older-than <duration>', 'orders created more than this long ago (30d, 12w)'),
  dryRun: flag('--dry-run', 'list what would be archived, change nothing'),
};

const load = () => import('../commands/orders.js');
const orderId: readonly [string, string] = ['<id>', 'order id (42 or #42)'];

export const orders = [
  defineCommand({
    name: 'orders',
    description:
      'order history: list, show (files verified against their checksums), void, paths, repair (rebuild a missing folder)',
    writes: false,
    examples: ['silverfox orders list', 'silverfox orders show 42'],
  }),
  defineCommand({
    name: 'orders list',
    args: [['[dealer]', 'only this dealership (name, slug or alias)']],
    description: 'orders newest first: id, dealership, type, status, vehicles, template, time, folder',
    options: ordersListOptions,
    writes: false,
    examples: ['silverfox orders list', 'silverfox orders list "Columbia Honda" --since 7d --json'],
    load: async () => (await load()).list,
  }),
  defineCommand({
    name: 'orders show',
    args: [orderId],
    description:
      'one order: its vehicles with reasons, its files, each checksum verified on disk (exit 1 if not)',
    writes: false,
    examples: ['silverfox orders show 42', 'silverfox orders show 42 --json'],
    load: async () => (await load()).show,
  }),
  defineCommand({
    name: 'orders void',
    args: [orderId],
    description:
      'undo a mistaken order: it stays (marked voided) with its folder, its VIN-log rows go, so its vehicles come back in the next CAO',
    options: ordersVoidOptions,
    writes: true,
    examples: ['silverfox orders void 42', 'silverfox orders void 42 --yes --reason "wrong template"'],
    load: async () => (await load()).voidCommand,
  }),
  defineCommand({
    name: 'orders paths',
    args: [orderId],
    description:
      "rewrite the QR paths in an order's @ columns for another base (the folder moved, a new share): CSVs replaced atomically, checksums and history updated, QR files untouched",
    options: ordersPathsOptions,
    writes: true,
    // A signal ends it as the default handler does (exit 130/143): its CSVs are replaced atomically.
    trapSignals: false,
    examples: [
      "silverfox orders paths 42 --base 'Z:\\SilverFox\\orders'",
      "silverfox orders paths 42 --base '\\\\fileserver\\orders'",
      'silverfox orders paths 42 --base /Volumes/Orders',
      'silverfox orders paths 42 --base relative --json',
    ],
    load: async () => (await load()).paths,
  }),
  defineCommand({
    name: 'orders repair',
    args: [orderId],
    description:
      "rebuild the missing folder of a complete order from the database: files regenerated, checksums recorded anew, the repair noted in the order's history",
    writes: true,
    // As `orders paths`: not among the commands that trapped signals before the declarations.
    trapSignals: false,
    examples: ['silverfox orders repair 42', 'silverfox orders repair 42 --json'],
    load: async () => (await load()).repair,
  }),
  defineCommand({
    name: 'orders archive',
    description:
      'zip the folders of old orders into the archive and remove the folders (the order rows stay)',
    options: ordersArchiveOptions,
    writes: true,
    examples: ['silverfox orders archive --older-than 90d --dry-run'],
    load: async () => (await import('../commands/archive.js')).archive,
  }),
];

export type OrdersListOptions = OptionsOf<typeof ordersListOptions>;
export type OrdersVoidOptions = OptionsOf<typeof ordersVoidOptions>;
export type OrdersPathsOptions = OptionsOf<typeof ordersPathsOptions>;
export type OrdersArchiveOptions = OptionsOf<typeof ordersArchiveOptions>;
