// `npm run bench`: runs every bench/*.bench.mjs (or the ones named on the command line) and
// prints one table per bench, each with ratios against a baseline measured in the same run.
// The tables, checks and notes also go to bench/RESULTS.md with a description of the machine;
// a partial run (names given) replaces only its own sections there.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = path.dirname(new URL(import.meta.url).pathname);
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
const sections = new Map();
for (const f of files) {
  const mod = await import(pathToFileURL(path.join(dir, f)).href);
  console.log(`\n## ${mod.title ?? f}`);
  const started = Date.now();
  const md = [`## ${mod.title ?? f}`, ''];
  try {
    const result = await mod.run();
    printTable(result.columns, result.rows);
    md.push(...markdownTable(result.columns, result.rows), '');
    for (const check of result.checks ?? []) {
      console.log(`${check.ok ? 'PASS' : 'FAIL'} ${check.text}`);
      md.push(`- ${check.ok ? 'PASS' : '**FAIL**'} ${check.text}`);
      if (!check.ok) failed++;
    }
    for (const note of result.notes ?? []) md.push('', note);
  } catch (err) {
    failed++;
    console.log(`FAIL ${f}: ${err?.stack ?? err}`);
    md.push(`- **FAIL** ${f} did not finish: ${String(err?.message ?? err).split('\n')[0]}`);
  }
  md.push(
    '',
    `_${f}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round((Date.now() - started) / 1000)} s_`,
  );
  sections.set(f, md.join('\n'));
}
console.log(failed ? `\n${failed} target(s) missed` : '\nall targets met');
await writeResults(sections);
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

function markdownTable(columns, rows) {
  const cell = (v) => (typeof v === 'number' ? fmt(v) : String(v ?? '')).replace(/\|/g, '\\|');
  return [
    `| ${columns.map(cell).join(' | ')} |`,
    `|${columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function fmt(v) {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** The machine, so a number in review can be told from a slower or faster box. */
async function machine() {
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(path.join(dir, '..', 'node_modules', name, 'package.json'), 'utf8'))
        .version;
    } catch {
      return 'unknown';
    }
  };
  const url = process.env.SILVERFOX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  let inside = 'unknown';
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const lite = await PGlite.create();
    inside = (await lite.query('SHOW server_version')).rows[0].server_version;
    await lite.close();
  } catch {
    // reported as unknown
  }
  return [
    `- CPU: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores (nproc ${run('nproc', [])})`,
    `- memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB`,
    `- OS: ${os.type()} ${os.release()}`,
    `- Node.js ${process.version}`,
    `- PostgreSQL server: ${run('psql', [url, '-Atc', 'SHOW server_version'])}`,
    `- PGlite ${pkg('@electric-sql/pglite')} (PostgreSQL ${inside}), pg ${pkg('pg')}`,
    `- commit ${run('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'])}`,
  ].join('\n');
}

/** Writes bench/RESULTS.md: this run's sections replace theirs, the others are kept. */
async function writeResults(fresh) {
  const file = path.join(dir, 'RESULTS.md');
  const kept = new Map();
  if (existsSync(file)) {
    const parts = readFileSync(file, 'utf8').split(/^<!-- bench: (\S+) -->$/m);
    for (let i = 1; i < parts.length; i += 2) kept.set(parts[i], parts[i + 1].trim());
  }
  for (const [f, text] of fresh) kept.set(f, text);
  const body = [...kept.keys()]
    .sort()
    .map((f) => `<!-- bench: ${f} -->\n${kept.get(f)}\n`)
    .join('\n');
  writeFileSync(
    file,
    `# Benchmark results\n\nWritten by \`npm run bench\` (bench/run.mjs); every ratio is against a baseline measured in the same run.\n` +
      `Each section says when it was measured; the machine below is the one of the latest run.\n\n${await machine()}\n\n${body}`,
  );
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
}
