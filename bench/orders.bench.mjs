// Orders on the PostgreSQL server, measured from process start to finished order folder by
// spawning the built binary (npm run bench builds first):
// - CAO of a 500-vehicle dealership (target < 1.5 s), median of 5 runs;
// - LIST batch of 20,000 VINs over 36 dealerships, one order per dealership (target < 20 s).
// Baselines in the same run: `silverfox status` (process start + connect + a query) and a bare
// `node -e ""`; the ratios say how much of a CAO is the order itself.
//   BENCH_ORDERS_BATCH=5000 npm run bench orders    (a quicker run)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { admin, dbUrl } from './lib/pg-admin.mjs';

export const title =
  'Orders on the server: CAO of 500 vehicles (< 1.5 s), LIST batch of 20,000 VINs / 36 dealerships (< 20 s)';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const bin = path.join(root, 'bin/silverfox.js');
const CAO_VEHICLES = 500;
const BATCH_VINS = Number(process.env.BENCH_ORDERS_BATCH ?? 20_000);
const BATCH_DEALERS = 36;
const CAO_DEALER = 'Columbia Honda';

const W = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const VAL = {};
'ABCDEFGH'.split('').forEach((c, i) => (VAL[c] = i + 1));
'JKLMN'.split('').forEach((c, i) => (VAL[c] = i + 1));
VAL.P = 7;
VAL.R = 9;
'STUVWXYZ'.split('').forEach((c, i) => (VAL[c] = i + 2));
for (let d = 0; d <= 9; d++) VAL[String(d)] = d;

/** A valid VIN with its check digit, distinct per n. */
function vin(n) {
  const draft = `5YJ3E1EA0${'ABCDEFGHJKLMNPRSTUVWXYZ'[n % 23]}${String(n).padStart(7, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += VAL[draft[i]] * W[i];
  const r = sum % 11;
  return draft.slice(0, 8) + (r === 10 ? 'X' : String(r)) + draft.slice(9);
}

const MODELS = [
  ['Honda', 'Accord', 'EX-L', 'New'],
  ['Toyota', 'RAV4', 'XLE Premium', 'Used'],
  ['Ford', 'F-150', 'Lariat', 'Certified Pre-Owned'],
  ['Chevrolet', 'Silverado 1500', 'LT Trail Boss', 'New'],
  ['Kia', 'Sorento', 'LX', 'Used'],
];

function inventoryCsv(rows) {
  const lines = [
    'Dealership,VIN,Stock,Year,Make,Model,Trim,Condition,Status,Price,Date In Stock,Vehicle URL',
  ];
  for (const { dealer, n } of rows) {
    const [make, model, trim, cond] = MODELS[n % MODELS.length];
    const v = vin(n);
    lines.push(
      `"${dealer}",${v},S${n},${2018 + (n % 8)},${make},${model},${trim},${cond},In Stock,${18000 + (n % 400) * 97},2026-01-0${1 + (n % 9)},https://dealer.example/vdp/${v}`,
    );
  }
  return lines.join('\n') + '\n';
}

function registryNames() {
  const dir = path.join(root, 'scrapers');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')))
    .filter((e) => e.enabled !== false)
    .map((e) => e.name)
    .sort();
}

/** Spawns the binary; resolves with wall time (ms) from spawn to exit. */
function timed(args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && code !== 3)
        reject(new Error(`silverfox ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, stdout, code });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const name = `sf_bench_orders_${process.pid}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-bench-orders-'));
  await admin(`CREATE DATABASE ${name}`);
  const url = dbUrl(name);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: url,
    SILVERFOX_ORDERS_DIR: path.join(dir, 'orders'),
    SILVERFOX_LOG_DIR: path.join(dir, 'logs'),
  };
  const db = new pg.Client({ connectionString: url });
  try {
    // Inventory: 500 vehicles for the CAO dealership, BATCH_VINS over 36 others, imported by silverfox.
    const dealers = registryNames()
      .filter((n) => n !== CAO_DEALER)
      .slice(0, BATCH_DEALERS);
    const rows = [];
    for (let i = 0; i < CAO_VEHICLES; i++) rows.push({ dealer: CAO_DEALER, n: i });
    for (let i = 0; i < BATCH_VINS; i++) rows.push({ dealer: dealers[i % dealers.length], n: 100_000 + i });
    const inventory = path.join(dir, 'inventory.csv');
    writeFileSync(inventory, inventoryCsv(rows));
    await timed(['import', inventory], env);
    const batch = path.join(dir, 'batch.csv');
    writeFileSync(
      batch,
      ['dealership,vin', ...rows.slice(CAO_VEHICLES).map((r) => `"${r.dealer}",${vin(r.n)}`)].join('\n') +
        '\n',
    );
    await db.connect();

    const base = [];
    const status = [];
    for (let i = 0; i < 5; i++) {
      base.push((await timed(['--version'], env)).ms);
      status.push((await timed(['status', '--json'], env)).ms);
    }
    const cao = [];
    let ordered = 0;
    for (let i = 0; i < 5; i++) {
      // Fresh VIN log each time, so every run orders all 500 (not measured).
      await db.query('DELETE FROM vin_log');
      await db.query('DELETE FROM order_vehicles');
      await db.query('DELETE FROM orders');
      const r = await timed(['cao', CAO_DEALER, '--yes', '--json'], env);
      ordered = JSON.parse(r.stdout).results[0].vehicleCount;
      cao.push(r.ms);
    }
    const list = await timed(
      ['list', '--batch', batch, '--yes', '--json', '--key', `bench-${process.pid}`],
      env,
    );
    const lr = JSON.parse(list.stdout);
    const caoMs = median(cao);
    const statusMs = median(status);
    const baseMs = median(base);
    return {
      columns: ['run', 'vehicles', 'ms', 'x silverfox status', 'x silverfox --version'],
      rows: [
        ['silverfox --version (baseline)', 0, baseMs, baseMs / statusMs, 1],
        ['silverfox status --json (baseline)', 0, statusMs, 1, statusMs / baseMs],
        [`cao, ${CAO_VEHICLES} vehicles (median of 5)`, ordered, caoMs, caoMs / statusMs, caoMs / baseMs],
        [
          `list --batch, ${BATCH_VINS} VINs / ${lr.dealerships.length} dealerships`,
          lr.counts.vehicles,
          list.ms,
          list.ms / statusMs,
          list.ms / baseMs,
        ],
      ],
      checks: [
        { ok: ordered === CAO_VEHICLES, text: `cao ordered all ${CAO_VEHICLES} vehicles (${ordered})` },
        {
          ok: caoMs < 1500,
          text: `cao of ${CAO_VEHICLES} vehicles, process start to folder: ${caoMs.toFixed(0)} ms < 1500 ms`,
        },
        {
          ok: lr.counts.vehicles === BATCH_VINS && lr.counts.orders === BATCH_DEALERS,
          text: `list --batch ordered ${lr.counts.vehicles} vehicles in ${lr.counts.orders} orders`,
        },
        {
          ok: list.ms < 20_000,
          text: `list --batch of ${BATCH_VINS} VINs: ${(list.ms / 1000).toFixed(1)} s < 20 s`,
        },
      ],
    };
  } finally {
    await db.end().catch(() => {});
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}
