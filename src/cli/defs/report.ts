import type { Command } from 'commander';
import { collect, examples, lazy } from '../define.js';

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'what the shop did in a period and how its data is doing: vehicles ordered per week, per dealership, billing, inventory, scrape health, freshness, VIN log, storage',
    )
    .option('--month <YYYY-MM>', 'a calendar month (local time)')
    .option('--since <when>', 'from a duration back (30d, 2w) or a date (2026-11-01) until now (default 30d)')
    .option('--dealer <name>', 'only this dealership (repeatable; name, slug or alias)', collect)
    .option(
      '--billing-csv <file>',
      'also write the invoice-ready billing CSV (one row per dealership and template)',
    )
    .option('--html <file>', 'also write the report as one self-contained HTML file with SVG charts')
    .option('--pdf <file>', 'also print the HTML report to a PDF (letter, landscape) through Chromium')
    .addHelpText(
      'after',
      examples([
        'silverfox report                                   # the last 30 days',
        'silverfox report --month 2026-10 --billing-csv billing-2026-10.csv',
        'silverfox report --since 2w --dealer "Columbia Honda" --dealer spirit_lexus',
        'silverfox report --month 2026-10 --html report.html --pdf report.pdf',
        'silverfox report --json > report.json',
      ]) +
        '\nReads only (no run lock). Files given are replaced when they exist.\n' +
        'Exit codes: 0 ok, 1 error (database, unknown dealership, a file that cannot be written, no Chromium for --pdf),\n' +
        '2 usage (bad --month or --since, or both given).\n',
    )
    .action(lazy(async () => (await import('../commands/report.js')).report));
}
