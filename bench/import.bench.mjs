// Import throughput on a generated 1,000,000-row inventory CSV (bench/out/, kept between runs),
// measured in the same run against the baseline `psql \copy` of the same file into a bare table
// on the same server. Targets (issue 17): the default import (validated and normalized) on the
// server >= 0.4x psql \copy; on PGlite >= 100k rows/s; peak RSS at 1M within 1.5x of 100k. silverfox numbers come from spawning the built binary (npm run bench builds
// first); peak RSS is the child's VmHWM, at 100k and 1M rows, to show memory stays flat.
//   BENCH_IMPORT_ROWS=200000 npm run bench import    (a quicker run)
import { spawn, spawnSync } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { admin, dbUrl } from './lib/pg-admin.mjs';

export const title =
  'Import with normalization: silverfox vs psql \\copy (server >= 0.4x), PGlite >= 100k rows/s, flat memory';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const out = path.join(here, 'out');
const bin = path.join(root, 'bin/silverfox.js');
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const SMALL = Math.max(1000, Math.round(ROWS / 10));

const W = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const VAL = {};
'ABCDEFGH'.split('').forEach((c, i) => (VAL[c] = i + 1));
'JKLMN'.split('').forEach((c, i) => (VAL[c] = i + 1));
VAL.P = 7;
VAL.R = 9;
'STUVWXYZ'.split('').forEach((c, i) => (VAL[c] = i + 2));
for (let d = 0; d <= 9; d++) VAL[String(d)] = d;

function vin(n) {
  const draft = `1HGCM826${'0'}${'ABCDEFGHJKLMNPRSTUVWXYZ'[n % 23]}${String(n).padStart(7, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += VAL[draft[i]] * W[i];
  const r = sum % 11;
  return draft.slice(0, 8) + (r === 10 ? 'X' : String(r)) + draft.slice(9);
}

const MAKES = [
  ['Honda', 'Accord', 'EX-L'],
  ['Toyota', 'RAV4', 'XLE Premium'],
  ['Ford', 'F-150', 'Lariat'],
  ['Chevrolet', 'Silverado 1500', 'LT Trail Boss'],
  ['Kia', 'Sorento', 'LX'],
  ['Lexus', 'RX 350', 'F Sport'],
];
const CONDITIONS = ['New', 'Used', 'Certified Pre-Owned', 'Demo', 'CarBravo'];
const STATUSES = ['In Stock', 'In Stock', 'In Stock', 'In Transit', 'Sold', ''];

/** Writes the CSV once (canonical headers, 40 registry dealerships, ~1% dirty rows). */
async function generate(file, rows) {
  if (existsSync(file)) return;
  mkdirSync(out, { recursive: true });
  const dealers = listDealers();
  const ws = createWriteStream(`${file}.tmp`);
  ws.write('vin,stock,dealership,year,make,model,trim,condition,status,price,msrp,date_in_stock,url\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const [make, model, trim] = MAKES[i % MAKES.length];
    let v = vin(i);
    if (i % 211 === 0)
      v = ''; // blank VIN: rejected
    else if (i % 997 === 0)
      v = '7.77778E+16'; // scientific notation: rejected
    else if (i % 499 === 0) v = vin(i - 40); // reposted by the same dealership: duplicate
    const price = i % 53 === 0 ? 'Call for price' : `"$${(15000 + (i % 40000)).toLocaleString('en-US')}"`;
    buf +=
      `${v},S${i},${dealers[i % dealers.length]},${2015 + (i % 11)},${make},${model},${trim},` +
      `${CONDITIONS[i % CONDITIONS.length]},${STATUSES[i % STATUSES.length]},${price},,` +
      `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')},` +
      `https://dealer.example/inventory/${v || i}\n`;
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, 'drain');
      buf = '';
    }
  }
  ws.write(buf);
  ws.end();
  await once(ws, 'finish');
  spawnSync('mv', [`${file}.tmp`, file]);
}

function listDealers() {
  const dir = path.join(root, 'scrapers');
  return spawnSync('ls', [dir])
    .stdout.toString()
    .trim()
    .split('\n')
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).name)
    .map((n) => (n.includes(',') ? `"${n}"` : n));
}

/** Runs the binary; returns wall seconds, peak RSS (MB, from /proc VmHWM) and parsed JSON stdout. */
function runSilverfox(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`silverfox ${args.join(' ')} exited ${code}: ${stderr}`));
      let json = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* not JSON */
      }
      resolve({ seconds, rssMb: hwm / 1024, json });
    });
  });
}

/** A silverfox import on a fresh database; the database is created and migrated before timing. */
async function silverfoxImport(kind, file, extra = [], after = null) {
  const stamp = `${process.pid}_${Date.now()}`;
  const env = {
    SILVERFOX_LOG_DIR: path.join(out, 'logs'),
    SILVERFOX_REGISTRY_DIR: path.join(root, 'scrapers'),
    DATABASE_URL: '',
  };
  let drop;
  if (kind === 'server') {
    const name = `sf_bench_${stamp}`;
    await admin(`CREATE DATABASE ${name}`);
    env.DATABASE_URL = dbUrl(name);
    drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } else {
    env.SILVERFOX_DATA_DIR = path.join(out, `pglite_${stamp}`);
    drop = async () => rmSync(env.SILVERFOX_DATA_DIR, { recursive: true, force: true });
  }
  try {
    await runSilverfox(['db', 'migrate'], env);
    await runSilverfox(['status', '--json'], env); // registry synced before timing
    const r = await runSilverfox(['import', file, '--json', ...extra], env);
    if (!r.json || r.json.rowsRead === undefined) throw new Error('import printed no JSON summary');
    if (after) await after(env.DATABASE_URL);
    return r;
  } finally {
    await drop();
  }
}

const RAW_COLS =
  'import_id, dealership_id, file_index, line, vin, stock, year, make, model, trim, condition, status, price, msrp, date_in_stock, url';
const VEHICLE_COLS =
  'snapshot_id, vin, dealership_id, file_index, line, vin_valid, check_digit_ok, stock, year, make, model, trim, full_name, condition, lot_status, status, price, msrp, date_in_stock, url';

/** Saves the rows silverfox wrote (as COPY text) to measure what the server alone spends on them. */
async function dumpTables(url) {
  for (const [table, cols] of [
    ['raw_vehicles', RAW_COLS],
    ['vehicles', VEHICLE_COLS],
  ]) {
    const r = spawnSync('psql', [
      url,
      '-qc',
      `\\copy (SELECT ${cols} FROM ${table}) TO '${path.join(out, `${table}.csv`)}' WITH (FORMAT csv)`,
    ]);
    if (r.status !== 0) throw new Error(`dump ${table}: ${r.stderr}`);
  }
}

/**
 * Server-side cost of the rows silverfox writes, with psql \copy from files (no silverfox at all):
 * into tables shaped like raw_vehicles and vehicles with and without their indexes.
 */
async function serverFloor() {
  const name = `sf_bench_floor_${process.pid}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = dbUrl(name);
  const time = (sql) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('psql', [url, '-qc', sql]);
    if (r.status !== 0) throw new Error(`${sql}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  try {
    // The schema as migrated, so the indexes are the real ones.
    const env = { DATABASE_URL: url, SILVERFOX_REGISTRY_DIR: path.join(root, 'scrapers') };
    await runSilverfox(['db', 'migrate'], env);
    spawnSync('psql', [
      url,
      '-qc',
      'CREATE TABLE raw_bare (LIKE raw_vehicles); CREATE TABLE vehicles_bare (LIKE vehicles INCLUDING DEFAULTS); ' +
        // vehicles as it was before migration 007: its two (dealership_id, ...) indexes too.
        'CREATE TABLE vehicles_before (LIKE vehicles INCLUDING ALL); ' +
        'CREATE INDEX ON vehicles_before (dealership_id, vin); CREATE INDEX ON vehicles_before (dealership_id, upper(stock))',
    ]);
    const rawFile = path.join(out, 'raw_vehicles.csv');
    const vehFile = path.join(out, 'vehicles.csv');
    const indexes = spawnSync('psql', [
      url,
      '-Atc',
      "SELECT count(*) FROM pg_indexes WHERE tablename = 'vehicles'",
    ])
      .stdout.toString()
      .trim();
    return {
      vehicleIndexes: Number(indexes),
      rawBare: time(`\\copy raw_bare (${RAW_COLS}) FROM '${rawFile}' WITH (FORMAT csv)`),
      raw: time(`\\copy raw_vehicles (${RAW_COLS}) FROM '${rawFile}' WITH (FORMAT csv)`),
      vehiclesBare: time(`\\copy vehicles_bare (${VEHICLE_COLS}) FROM '${vehFile}' WITH (FORMAT csv)`),
      vehicles: time(`\\copy vehicles (${VEHICLE_COLS}) FROM '${vehFile}' WITH (FORMAT csv)`),
      vehiclesBefore: time(`\\copy vehicles_before (${VEHICLE_COLS}) FROM '${vehFile}' WITH (FORMAT csv)`),
    };
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function psqlCopy(file) {
  const name = `sf_bench_copy_${process.pid}`;
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = dbUrl(name);
    const cols = 'vin,stock,dealership,year,make,model,trim,condition,status,price,msrp,date_in_stock,url';
    spawnSync('psql', [
      url,
      '-qc',
      `CREATE TABLE bare (${cols
        .split(',')
        .map((c) => `${c} text`)
        .join(', ')})`,
    ]);
    const t0 = process.hrtime.bigint();
    const r = spawnSync('psql', [
      url,
      '-qc',
      `\\copy bare (${cols}) FROM '${file}' WITH (FORMAT csv, HEADER)`,
    ]);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`psql \\copy failed: ${r.stderr}`);
    return { seconds };
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

export async function run() {
  const big = path.join(out, `inventory-${ROWS}.csv`);
  const small = path.join(out, `inventory-${SMALL}.csv`);
  await generate(big, ROWS);
  await generate(small, SMALL);
  const mb = (statSync(big).size / 1e6).toFixed(0);

  const copy = await psqlCopy(big);
  const serverRaw = await silverfoxImport('server', big, ['--no-normalize']);
  const server = await silverfoxImport('server', big, [], dumpTables);
  const floor = await serverFloor();
  const serverSmall = await silverfoxImport('server', small);
  const liteRaw = await silverfoxImport('embedded', big, ['--no-normalize']);
  const lite = await silverfoxImport('embedded', big);

  const base = ROWS / copy.seconds;
  const j = server.json;
  const accounted = j.rowsRead === ROWS && j.rowsImported + j.rowsRejected === ROWS;
  const row = (label, r, n = ROWS) => [
    label,
    n,
    r.seconds,
    r.json ? r.json.durationMs / 1000 : '',
    n / r.seconds,
    n / r.seconds / base,
    r.rssMb ?? '',
  ];
  const psqlRow = (label, seconds, n = j.rowsImported) => [
    label,
    n,
    seconds,
    '',
    n / seconds,
    n / seconds / base,
    '',
  ];
  const vehicles = j.totals.normalized;
  return {
    columns: ['run', 'rows', 'wall s', 'import s', 'rows/s (wall)', 'x psql \\copy', 'peak RSS MB'],
    rows: [
      [`psql \\copy into a bare table (baseline, ${mb} MB file)`, ROWS, copy.seconds, '', base, 1, ''],
      row('silverfox import --no-normalize, server (validate + raw rows + activate)', serverRaw),
      row('silverfox import, server (+ normalized vehicles)', server),
      row(`silverfox import, server, ${SMALL.toLocaleString('en-US')} rows (memory)`, serverSmall, SMALL),
      row('silverfox import --no-normalize, PGlite', liteRaw),
      row('silverfox import, PGlite (+ normalized vehicles)', lite),
      ['where the server time goes (psql \\copy of the rows silverfox wrote):', '', '', '', '', '', ''],
      psqlRow('  raw_vehicles rows into a table without indexes', floor.rawBare),
      psqlRow('  raw_vehicles rows into raw_vehicles (BRIN index)', floor.raw),
      psqlRow('  vehicles rows into a table without indexes', floor.vehiclesBare, vehicles),
      psqlRow(
        `  vehicles rows into vehicles (its ${floor.vehicleIndexes} b-tree indexes)`,
        floor.vehicles,
        vehicles,
      ),
      psqlRow('  vehicles rows as before migration 007 (4 b-tree indexes)', floor.vehiclesBefore, vehicles),
    ],
    notes: [
      `**Where the default import's time goes (server).** The gap between \`--no-normalize\` ` +
        `(${serverRaw.seconds.toFixed(1)} s) and the default import (${server.seconds.toFixed(1)} s) is normalizing ` +
        `every row in the parsing thread and COPYing the normalized vehicles. Migration 007 dropped the two ` +
        `vehicles indexes no query needed (every read resolves the active snapshot and uses (snapshot_id, vin); ` +
        `test/integration/query-plans.test.ts checks it on both databases): the psql rows above show what the ` +
        `index maintenance costs now and before. Not done (issue 17): loading a snapshot into an index-less ` +
        `table or partition and attaching it, and normalizing in a worker thread.`,
      `**Why 0.4x is out of reach as the import is designed.** 0.4x of psql \\copy allows ` +
        `${(copy.seconds / 0.4).toFixed(2)} s for these ${ROWS.toLocaleString('en-US')} rows. The server's own ` +
        `COPY work for what silverfox writes (the psql rows above: raw rows into raw_vehicles, then vehicles ` +
        `with their indexes) is already ${(floor.raw + floor.vehicles).toFixed(2)} s, before any ` +
        `parsing or normalizing, and ${(floor.rawBare + floor.vehiclesBare).toFixed(2)} s into ` +
        `tables without indexes. So the target needs the vehicles loaded without per-row index maintenance (a ` +
        `partition per snapshot, its indexes built once, then attached) and fewer raw-row writes; the second ` +
        `changes rule 1 (every raw row kept) and needs a decision. On PGlite everything shares one thread and ` +
        `its COPY alone runs at about 190k rows/s (TOOLCHAIN.md): two COPYs per row cannot reach 100k rows/s.`,
    ],
    checks: [
      {
        ok: accounted,
        text: `every row accounted for: read ${j.rowsRead} = imported ${j.rowsImported} + rejected ${j.rowsRejected}`,
      },
      {
        ok: ROWS / server.seconds >= 0.4 * base,
        text: `server import, validated and normalized, ${(ROWS / server.seconds / base).toFixed(3)}x psql \\copy (target >= 0.4x; --no-normalize ${(ROWS / serverRaw.seconds / base).toFixed(2)}x)`,
      },
      {
        ok: ROWS / lite.seconds >= 100_000,
        text: `PGlite import, validated and normalized, ${Math.round(ROWS / lite.seconds).toLocaleString('en-US')} rows/s (target >= 100,000; --no-normalize ${Math.round(ROWS / liteRaw.seconds).toLocaleString('en-US')})`,
      },
      {
        ok: server.rssMb <= serverSmall.rssMb * 1.5,
        text: `memory flat: peak RSS ${server.rssMb.toFixed(0)} MB at ${ROWS.toLocaleString('en-US')} rows vs ${serverSmall.rssMb.toFixed(0)} MB at ${SMALL.toLocaleString('en-US')}`,
      },
    ],
  };
}
