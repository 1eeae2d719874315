import {
  atLeast,
  defineCommand,
  flag,
  positiveInt,
  requiredText,
  text,
  withDefault,
  type OptionsOf,
} from '../define.js';

export const pdfOptions = {
  template: text(
    '--template <name>',
    "sticker template (templates/<name>/) instead of the dealership's sticker_template",
  ),
  concurrency: positiveInt('--concurrency <n>', 'pages printing at once (default SILVERFOX_CONCURRENCY)'),
};

export const stickersOptions = {
  portal: requiredText('--portal <name>', 'portal config (portals/<name>.json)'),
  workers: withDefault(atLeast('--workers <n>', 'browser pages downloading at once', 1), '5'),
  timeout: withDefault(text('--timeout <duration>', 'per vehicle and attempt, e.g. 90s or 3m'), '3m'),
  retries: withDefault(
    atLeast(
      '--retries <n>',
      'extra attempts of a vehicle that failed (not for a VIN the portal has no sticker for)',
      0,
    ),
    '2',
  ),
  resume: flag('--resume', 'continue an earlier run: keep what was downloaded, download the rest'),
  force: flag('--force', "delete the order's window stickers and download all again"),
  probe: text(
    '--probe <vin>',
    "sign in and show what one VIN's sticker link answers (status, type, disposition, PDF?, login page?); saves nothing",
  ),
};

export const pdfCommands = [
  defineCommand({
    name: 'pdf',
    args: [['<order>', 'order id (42 or #42)']],
    description:
      "print-ready sticker sheet of an order (one page per vehicle, with its QR code) and a proof sheet, into the order's folder",
    options: pdfOptions,
    // It adds files to an order folder and records them; it never took the run lock.
    writes: false,
    examples: [
      'silverfox pdf 42',
      'silverfox pdf 42 --template default --concurrency 4 --json',
      'silverfox cao "Columbia Honda" --yes --pdf        # order and print in one go',
    ],
    help:
      '\nWrites <slug>_stickers.pdf and <slug>_proof.pdf into the order folder and records them in its\n' +
      'order_summary.json. Templates are HTML/CSS in templates/ (SILVERFOX_TEMPLATES_DIR); see templates/README.md.\n' +
      'Exit codes: 0 ok, 1 error (nothing written), 2 usage.\n',
    load: async () => (await import('../commands/pdf.js')).pdf,
  }),
  defineCommand({
    name: 'stickers',
    args: [['[order]', 'order id (42 or #42); not with --probe']],
    description:
      "download every vehicle's window-sticker PDF of an order from a portal into <order>/stickers/",
    options: stickersOptions,
    // Downloads into <order>/stickers/ with its own tracking file; it never took the run lock.
    writes: false,
    examples: [
      'silverfox stickers 42 --portal example-portal',
      'silverfox stickers 42 --portal example-portal --resume --workers 8 --timeout 90s',
      'silverfox stickers 42 --portal example-portal --resume --json   # cron',
      'silverfox stickers --portal example-portal --probe 1FTFW1E50NFA00001   # a new portal: inline or attachment?',
    ],
    help:
      '\nCredentials come from the environment variables the portal config names (or .env), never from flags.\n' +
      'stickers/tracking.json is saved after every vehicle: after a crash or Ctrl-C, --resume downloads\n' +
      'nothing twice. stickers/metrics.json holds the timings. A portal that signs the run out gets one\n' +
      're-login for all workers and the vehicle is retried without counting; PDFs shown inline are fetched\n' +
      'with the session. Portals are JSON files in portals/\n' +
      '(SILVERFOX_PORTALS_DIR); see portals/README.md.\n' +
      'Exit codes: 0 ok, 1 error or cancelled, 2 usage, 3 some vehicles failed (the report says why);\n' +
      '--probe: 0 the link answers a PDF, 1 it does not (the verdict says why), 2 usage.\n',
    load: async () => (await import('../commands/stickers.js')).stickers,
  }),
];

export type PdfOptions = OptionsOf<typeof pdfOptions>;
export type StickersOptions = OptionsOf<typeof stickersOptions>;
