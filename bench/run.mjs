// `npm run bench`: runs every bench/*.bench.mjs (or the ones named on the command line) and
// prints one table per bench, each with ratios against a baseline measured in the same run.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = path.dirname(new URL(import.meta.url).pathname);
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const f of files) {
  const mod = await import(pathToFileURL(path.join(dir, f)).href);
  console.log(`\n## ${mod.title ?? f}`);
  try {
    const result = await mod.run();
    printTable(result.columns, result.rows);
    for (const check of result.checks ?? []) {
      console.log(`${check.ok ? 'PASS' : 'FAIL'} ${check.text}`);
      if (!check.ok) failed++;
    }
  } catch (err) {
    failed++;
    console.log(`FAIL ${f}: ${err?.stack ?? err}`);
  }
}
console.log(failed ? `\n${failed} target(s) missed` : '\nall targets met');
process.exitCode = failed ? 1 : 0;

function printTable(columns, rows) {
  const cells = [
    columns,
    ...rows.map((r) => r.map((v) => (typeof v === 'number' ? fmt(v) : String(v ?? '')))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('-+-'));
  for (const r of cells.slice(1)) console.log(line(r));
}

function fmt(v) {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}
