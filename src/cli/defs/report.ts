import { defineCommand, nonEmptyText, repeatable, type OptionsOf } from '../define.js';

export const reportOptions = {
  month: nonEmptyText('--month <YYYY-MM>', 'a calendar month (local time)'),
  since: nonEmptyText(
    '--since <when>',
    'from a duration back (30d, 2w) or a date (2026-11-01) until now (default 30d)',
  ),
  dealer: repeatable('--dealer <name>', 'only this dealership (repeatable; name, slug or alias)'),
  billingCsv: nonEmptyText(
    '--billing-csv <file>',
    'also write the invoice-ready billing CSV (one row per dealership and template)',
  ),
  html: nonEmptyText(
    '--html <file>',
    'also write the report as one self-contained HTML file with SVG charts',
  ),
  pdf: nonEmptyText(
    '--pdf <file>',
    'also print the HTML report to a PDF (letter, landscape) through Chromium',
  ),
};

export const report = defineCommand({
  name: 'report',
  description:
    'what the shop did in a period and how its data is doing: vehicles ordered per week, per dealership, billing, inventory, scrape health, freshness, VIN log, storage',
  options: reportOptions,
  writes: false,
  examples: [
    'silverfox report                                   # the last 30 days',
    'silverfox report --month 2026-10 --billing-csv billing-2026-10.csv',
    'silverfox report --since 2w --dealer "Columbia Honda" --dealer spirit_lexus',
    'silverfox report --month 2026-10 --html report.html --pdf report.pdf',
    'silverfox report --json > report.json',
  ],
  help:
    '\nReads only (no run lock). Files given are replaced when they exist.\n' +
    'Exit codes: 0 ok, 1 error (database, unknown dealership, a file that cannot be written, no Chromium for --pdf),\n' +
    '2 usage (bad --month or --since, or both given).\n',
  load: async () => (await import('../commands/report.js')).report,
});

export type ReportOptions = OptionsOf<typeof reportOptions>;
