// Start-up of `silverfox --help` (target < 150 ms) against bare `node -e ""` in the same run.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const title = 'Start-up: silverfox --help (target < 150 ms)';
const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../bin/silverfox.js');

function median(cmd, args, n = 15) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

export async function run() {
  const base = median(process.execPath, ['-e', '']);
  const help = median(process.execPath, [bin, '--help']);
  const statusHelp = median(process.execPath, [bin, 'status', '--help']);
  return {
    columns: ['command', 'median ms', 'x node -e ""'],
    rows: [
      ['node -e "" (baseline)', base, 1],
      ['silverfox --help', help, help / base],
      ['silverfox status --help', statusHelp, statusHelp / base],
    ],
    checks: [{ ok: help < 150, text: `silverfox --help median ${help.toFixed(0)} ms < 150 ms` }],
  };
}
