// Start-up of `silverfox --help` and `silverfox status --help` against a bare `node -e 0` in the
// same run: paired runs (node, then silverfox, alternately), so a load spike on the shared machine
// hits both sides of a pair; the ratio is the median of the per-pair ratios. Target <= 1.5x.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const title =
  'Start-up: silverfox --help and status --help <= 1.5x a bare node start (median of paired runs)';
const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../bin/silverfox.js');
const PAIRS = 21;

function once(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function paired(args) {
  once(args); // warm the file cache
  const base = [];
  const own = [];
  const ratio = [];
  for (let i = 0; i < PAIRS; i++) {
    const b = once(['-e', '0']);
    const s = once(args);
    base.push(b);
    own.push(s);
    ratio.push(s / b);
  }
  return { base: median(base), ms: median(own), ratio: median(ratio) };
}

export async function run() {
  const help = paired([bin, '--help']);
  const statusHelp = paired([bin, 'status', '--help']);
  const version = paired([bin, '--version']);
  const base = median([help.base, statusHelp.base, version.base]);
  return {
    columns: ['command', 'median ms', 'x node -e 0 (median of pair ratios)'],
    rows: [
      ['node -e 0 (baseline)', base, 1],
      ['silverfox --help', help.ms, help.ratio],
      ['silverfox status --help', statusHelp.ms, statusHelp.ratio],
      ['silverfox --version', version.ms, version.ratio],
    ],
    checks: [
      {
        ok: help.ratio <= 1.5,
        text: `silverfox --help ${help.ratio.toFixed(2)}x node -e 0 <= 1.5x (${PAIRS} pairs)`,
      },
      {
        ok: statusHelp.ratio <= 1.5,
        text: `silverfox status --help ${statusHelp.ratio.toFixed(2)}x node -e 0 <= 1.5x (${PAIRS} pairs)`,
      },
    ],
    notes: [
      'The binary runs the bundle of `npm run build` (scripts/bundle.mjs): `--help` reads 6 of its files, commander and ' +
        'the command declarations (src/cli/defs) among them, and nothing else: chalk, cli-table3, the ' +
        'database drivers and every command body are imported when a command runs ' +
        '(test/e2e/cli.test.ts traces the loaded modules).',
    ],
  };
}
