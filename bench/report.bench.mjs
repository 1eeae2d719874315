// Report: `silverfox report` over a year of history on the server (issue 18): 40 dealerships,
// 500 orders a month (about 8 vehicles each, 3% voided, each vehicle in the VIN log), a snapshot
// per dealership per day, and an orders folder of real files (one CSV, one billing sheet and a PNG
// per vehicle in each of the 6,000 order folders). Target: the year's report < 2 s (the use case
// in-process, median of 3); the binary end to end (process start, --json and --html) is shown too.
//   BENCH_REPORT_FILES=0 npm run bench report     (no orders folder on disk)
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { admin, dbUrl } from './lib/pg-admin.mjs';

export const title =
  'Report: a year of history (6,000 orders, 40 dealerships, daily snapshots) on the server < 2 s';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const bin = path.join(root, 'bin/silverfox.js');
const dist = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
const ORDERS = 6000;
const DAYS = 365;
const FILES = process.env.BENCH_REPORT_FILES !== '0';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function fill(db, ordersDir) {
  await db.query(`INSERT INTO imports (source, started_at, finished_at)
    SELECT CASE WHEN d % 3 = 0 THEN 'csv' ELSE 'scrape' END, now() - (d || ' days')::interval, now() - (d || ' days')::interval
    FROM generate_series(0, ${DAYS - 1}) d`);
  await db.query(`INSERT INTO snapshots (import_id, dealership_id, status, row_count, created_at, archived_at)
    SELECT i.id, dl.id, CASE WHEN i.started_at = (SELECT max(started_at) FROM imports) THEN 'active' ELSE 'archived' END,
           200 + ((dl.id * 37 + i.id * 11) % 1300), i.started_at,
           CASE WHEN i.started_at = (SELECT max(started_at) FROM imports) THEN NULL ELSE i.started_at END
    FROM imports i CROSS JOIN (SELECT id FROM dealerships ORDER BY id LIMIT 40) dl`);
  await db.query(`INSERT INTO orders (dealership_id, order_type, status, template, folder, vehicle_count, created_at)
    SELECT (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM dealerships ORDER BY id LIMIT 40) x)[1 + g % 40],
           CASE WHEN g % 10 < 7 THEN 'cao' ELSE 'list' END,
           CASE WHEN g % 33 = 0 THEN 'voided' ELSE 'complete' END,
           CASE WHEN g % 4 = 0 THEN 'shortcut' ELSE 'standard' END,
           '${ordersDir}/order_' || g, 4 + g % 9, now() - ((g * ${DAYS}.0 / ${ORDERS}) || ' days')::interval
    FROM generate_series(1, ${ORDERS}) g`);
  await db.query(`INSERT INTO order_vehicles (order_id, position, vin, condition, reason)
    SELECT o.id, p, 'VIN' || o.id || '_' || p,
           (ARRAY['new','new','po','cpo','unknown'])[1 + (o.id + p) % 5], 'new'
    FROM orders o CROSS JOIN LATERAL generate_series(1, o.vehicle_count) p`);
  await db.query(`INSERT INTO vin_log (dealership_id, vin, condition, order_id, order_type, processed_at)
    SELECT o.dealership_id, v.vin, v.condition, o.id, o.order_type, o.created_at
    FROM orders o JOIN order_vehicles v ON v.order_id = o.id WHERE o.status = 'complete'`);
  await db.query('ANALYZE');
  const { rows } = await db.query('SELECT count(*)::int AS n FROM order_vehicles');
  let files = 0;
  if (FILES) {
    const { rows: os_ } = await db.query('SELECT folder, vehicle_count FROM orders');
    const png = Buffer.alloc(600, 1);
    const csv = Buffer.alloc(2000, 65);
    for (const o of os_) {
      mkdirSync(path.join(o.folder, 'qr_codes'), { recursive: true });
      writeFileSync(path.join(o.folder, 'x_standard.csv'), csv);
      writeFileSync(path.join(o.folder, 'x_billing.csv'), csv);
      files += 2;
      for (let i = 0; i < o.vehicle_count; i++) {
        writeFileSync(path.join(o.folder, 'qr_codes', `${i}.png`), png);
        files++;
      }
    }
  }
  return { vehicles: rows[0].n, files };
}

function runBin(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err, ms: ms(t0) }));
  });
}

export async function run() {
  const name = `sf_bench_report_${process.pid}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-bench-report-'));
  await admin(`CREATE DATABASE ${name}`);
  const env = {
    DATABASE_URL: dbUrl(name),
    SILVERFOX_ORDERS_DIR: path.join(dir, 'orders'),
    SILVERFOX_LOG_DIR: path.join(dir, 'logs'),
    SILVERFOX_REGISTRY_DIR: path.join(root, 'scrapers'),
  };
  const { resolveConfig } = await dist('config.js');
  const { openContext } = await dist('app/context.js');
  const { report } = await dist('app/report.js');
  const config = resolveConfig({ env, cwd: dir });
  try {
    const ctx = await openContext(config);
    let filled;
    const times = [];
    const parts = {};
    let data;
    try {
      const t0 = process.hrtime.bigint();
      filled = await fill(ctx.db, config.ordersDir);
      filled.ms = ms(t0);
      const to = new Date();
      const from = new Date(to.getTime() - 366 * 86_400_000);
      for (let i = 0; i < 4; i++) {
        const t = process.hrtime.bigint();
        data = await report(ctx, { from, to });
        if (i > 0) times.push(ms(t));
      }
      const t1 = process.hrtime.bigint();
      await report(ctx, { from, to, dealers: ['Columbia Honda'] });
      parts.oneDealer = ms(t1);
    } finally {
      await ctx.db.close();
    }
    const json = await runBin(['report', '--since', '366d', '--json'], env);
    const html = await runBin(['report', '--since', '366d', '--html', path.join(dir, 'r.html')], env);
    const inProcess = median(times);
    const n = (x) => x.toLocaleString('en-US');
    const rows = [
      [
        `fill: ${n(ORDERS)} orders / ${n(filled.vehicles)} vehicles, ${n(40 * DAYS)} snapshots, ${n(filled.files)} files`,
        filled.ms,
        '',
      ],
      [
        'report(ctx), the year, every dealership (median of 3)',
        inProcess,
        `${n(data.billing.totals.vehicles)} billed vehicles`,
      ],
      ['report(ctx), the year, one dealership', parts.oneDealer, ''],
      ['silverfox report --since 366d --json (process start to exit)', json.ms, `exit ${json.code}`],
      ['silverfox report --since 366d --html FILE (process start to exit)', html.ms, `exit ${html.code}`],
    ];
    return {
      columns: ['step', 'ms', 'note'],
      rows,
      checks: [
        {
          ok: inProcess < 2000,
          text: `server, a year of history: report ${inProcess.toFixed(0)} ms < 2000 ms`,
        },
        {
          ok: json.code === 0 && html.code === 0,
          text: `the binary reports the year (exit ${json.code} / ${html.code}) in ${json.ms.toFixed(0)} / ${html.ms.toFixed(0)} ms`,
        },
        {
          ok: data.billing.voided.length === Math.floor(ORDERS / 33),
          text: `voided orders listed apart: ${data.billing.voided.length}`,
        },
      ],
      notes: [
        `Orders folder walked for its size: ${n(data.storage.ordersFiles)} files, ${n(data.storage.ordersBytes)} bytes.`,
      ],
    };
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}
