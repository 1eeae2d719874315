import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  program
    .command('pdf')
    .argument('<order>', 'order id (42 or #42)')
    .description(
      "print-ready sticker sheet of an order (one page per vehicle, with its QR code) and a proof sheet, into the order's folder",
    )
    .option(
      '--template <name>',
      "sticker template (templates/<name>/) instead of the dealership's sticker_template",
    )
    .option('--concurrency <n>', 'pages printing at once (default SILVERFOX_CONCURRENCY)')
    .addHelpText(
      'after',
      examples([
        'silverfox pdf 42',
        'silverfox pdf 42 --template default --concurrency 4 --json',
        'silverfox cao "Columbia Honda" --yes --pdf        # order and print in one go',
      ]) +
        '\nWrites <slug>_stickers.pdf and <slug>_proof.pdf into the order folder and records them in its\n' +
        'order_summary.json. Templates are HTML/CSS in templates/ (SILVERFOX_TEMPLATES_DIR); see templates/README.md.\n' +
        'Exit codes: 0 ok, 1 error (nothing written), 2 usage.\n',
    )
    .action(lazy(async () => (await import('../commands/pdf.js')).pdf));

  program
    .command('stickers')
    .argument('[order]', 'order id (42 or #42); not with --probe')
    .description(
      "download every vehicle's window-sticker PDF of an order from a portal into <order>/stickers/",
    )
    .requiredOption('--portal <name>', 'portal config (portals/<name>.json)')
    .option('--workers <n>', 'browser pages downloading at once', '5')
    .option('--timeout <duration>', 'per vehicle and attempt, e.g. 90s or 3m', '3m')
    .option(
      '--retries <n>',
      'extra attempts of a vehicle that failed (not for a VIN the portal has no sticker for)',
      '2',
    )
    .option('--resume', 'continue an earlier run: keep what was downloaded, download the rest')
    .option('--force', "delete the order's window stickers and download all again")
    .option(
      '--probe <vin>',
      "sign in and show what one VIN's sticker link answers (status, type, disposition, PDF?, login page?); saves nothing",
    )
    .addHelpText(
      'after',
      examples([
        'silverfox stickers 42 --portal example-portal',
        'silverfox stickers 42 --portal example-portal --resume --workers 8 --timeout 90s',
        'silverfox stickers 42 --portal example-portal --resume --json   # cron',
        'silverfox stickers --portal example-portal --probe 1FTFW1E50NFA00001   # a new portal: inline or attachment?',
      ]) +
        '\nCredentials come from the environment variables the portal config names (or .env), never from flags.\n' +
        'stickers/tracking.json is saved after every vehicle: after a crash or Ctrl-C, --resume downloads\n' +
        'nothing twice. stickers/metrics.json holds the timings. A portal that signs the run out gets one\n' +
        're-login for all workers and the vehicle is retried without counting; PDFs shown inline are fetched\n' +
        'with the session. Portals are JSON files in portals/\n' +
        '(SILVERFOX_PORTALS_DIR); see portals/README.md.\n' +
        'Exit codes: 0 ok, 1 error or cancelled, 2 usage, 3 some vehicles failed (the report says why);\n' +
        '--probe: 0 the link answers a PDF, 1 it does not (the verdict says why), 2 usage.\n',
    )
    .action(lazy(async () => (await import('../commands/stickers.js')).stickers));
}
