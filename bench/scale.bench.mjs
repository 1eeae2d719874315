// Scale: the order queries of silverfox on a big database, measured with the product's own code
// (dist/, npm run bench builds first) against bare SQL baselines in the same run.
//
// Server: 1,000,000 vehicles over the 40 registry dealerships (Columbia Honda holds 28,000, Spirit
// Lexus 500) and a 1,000,000-row VIN log. PGlite: the same at 100,000 vehicles / 100,000 log rows.
// Targets: the CAO decision of the 28,000-vehicle dealership (rule 3 in one statement, as runCao
// runs it first; the server) < 50 ms; one VIN-log lookup (`vinlog show`'s query) < 1 ms
// p50; a 500-vehicle CAO end to end (process start to published folder) < 1.5 s; a LIST batch of
// 20,000 VINs over 36 dealerships < 20 s. Import throughput is bench/import.bench.mjs.
//   BENCH_SCALE_ROWS=200000 npm run bench scale     (a quicker run; PGlite gets a tenth)
//   BENCH_SCALE_LIST=0 npm run bench scale           (skip the LIST batches)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { admin, dbUrl } from './lib/pg-admin.mjs';

export const title =
  'Scale: CAO decision for a 28,000-vehicle dealership (< 50 ms on the server), VIN-log lookup (< 1 ms p50), CAO of 500 (< 1.5 s), LIST of 20,000 (< 20 s); 1M rows on the server, 100k on PGlite';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const bin = path.join(root, 'bin/silverfox.js');
const dist = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
const SERVER_ROWS = Number(process.env.BENCH_SCALE_ROWS ?? 1_000_000);
const LITE_ROWS = Math.round(SERVER_ROWS / 10);
const LIST = process.env.BENCH_SCALE_LIST !== '0';
const BIG = 'Columbia Honda';
const BIG_VEHICLES = 28_000;
const BIG_LOGGED = 20_000; // of its vehicles already in the VIN log: 8,000 new
const SMALL = 'Spirit Lexus';
const SMALL_VEHICLES = 500;
const LIST_VINS = 20_000;
const LIST_DEALERS = 36;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Times `fn` `n` times after `warm` untimed runs; returns the median in ms. */
async function timeIt(fn, n, warm = 2) {
  for (let i = 0; i < warm; i++) await fn();
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(ms(t0));
  }
  return median(out);
}

function silverfox(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`silverfox ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms: ms(t0), json: JSON.parse(stdout) });
    });
  });
}

/**
 * Fills the database with `total` vehicles in one active snapshot per dealership and a VIN log of
 * `total` rows, in SQL (the same statements on both kinds): BIG gets 28,000 vehicles of which
 * 20,000 are logged, SMALL 500 unlogged, the others share the rest and log theirs.
 */
async function fill(db, total) {
  const dealers = (await db.query('SELECT id, name FROM dealerships ORDER BY id')).rows;
  const big = dealers.find((d) => d.name === BIG);
  const small = dealers.find((d) => d.name === SMALL);
  const others = dealers.filter((d) => d !== big && d !== small);
  const bigCount = Math.min(BIG_VEHICLES, Math.floor(total / 3));
  const bigLogged = Math.round((bigCount * BIG_LOGGED) / BIG_VEHICLES);
  const per = Math.floor((total - bigCount - SMALL_VEHICLES) / others.length);
  const counts = new Map(
    dealers.map((d) => [d.id, d === big ? bigCount : d === small ? SMALL_VEHICLES : per]),
  );
  const imp = (await db.query(`INSERT INTO imports (source, finished_at) VALUES ('csv', now()) RETURNING id`))
    .rows[0].id;
  await db.query(
    `INSERT INTO snapshots (import_id, dealership_id, status, row_count)
     SELECT $1, u.id, 'active', u.n FROM unnest($2::int[], $3::int[]) AS u(id, n)`,
    [imp, [...counts.keys()], [...counts.values()]],
  );
  // VIN: '1S' + dealership id (3) + serial (12) = 17 valid characters.
  await db.query(
    `INSERT INTO vehicles (snapshot_id, dealership_id, line, vin, vin_valid, check_digit_ok, stock, year, make,
                           model, trim, full_name, condition, lot_status, status, price, date_in_stock, url)
     SELECT s.id, s.dealership_id, g, '1S' || lpad(s.dealership_id::text, 3, '0') || lpad(g::text, 12, '0'),
            true, true, 'S' || g, 2020 + g % 6, 'Honda', 'Accord', 'EX', (2020 + g % 6) || ' Honda Accord',
            (ARRAY['new', 'po', 'cpo'])[1 + g % 3], 'on_lot', 'In Stock', 18000 + g % 30000,
            date '2026-01-01' - (g % 90), 'https://dealer.example/vdp/' || g
     FROM snapshots s, generate_series(1, s.row_count) g
     WHERE s.import_id = $1`,
    [imp],
  );
  const logPer = Math.floor((total - bigLogged) / others.length);
  await db.query(
    `INSERT INTO vin_log (dealership_id, vin, condition, order_type, order_ref, processed_at)
     SELECT $1::int, '1S' || lpad($1::text, 3, '0') || lpad(g::text, 12, '0'), (ARRAY['new', 'po', 'cpo'])[1 + g % 3],
            'legacy', 'BENCH', now() - interval '30 days'
     FROM generate_series(1, $2::int) g`,
    [big.id, bigLogged],
  );
  await db.query(
    `INSERT INTO vin_log (dealership_id, vin, condition, order_type, order_ref, processed_at)
     SELECT d.id, '1S' || lpad(d.id::text, 3, '0') || lpad(g::text, 12, '0'), 'new', 'legacy', 'BENCH',
            now() - (g % 365) * interval '1 day'
     FROM unnest($1::int[]) AS d(id), generate_series(1, $2::int) g`,
    [others.map((d) => d.id), logPer],
  );
  // As autovacuum does on the server within a minute of a bulk load: statistics, and the
  // visibility map that lets the CAO decision read vin_state from its index alone.
  await db.exec('VACUUM (ANALYZE)');
  const n = async (sql) => Number((await db.query(sql)).rows[0].n);
  return {
    big,
    small,
    others,
    per,
    bigCount,
    bigLogged,
    vehicles: await n('SELECT count(*)::int AS n FROM vehicles'),
    log: await n('SELECT count(*)::int AS n FROM vin_log'),
  };
}

/**
 * Most nights: the new VINs were ordered the night before (logged 3 days ago, same condition), so
 * nothing is to be ordered and the decision is all a run reads.
 */
async function orderEveryNewVin(db, dealershipId) {
  await db.query(
    `INSERT INTO vin_log (dealership_id, vin, condition, order_type, order_ref, processed_at)
     SELECT v.dealership_id, v.vin, v.condition, 'legacy', 'BENCH', now() - interval '3 days'
     FROM vehicles v JOIN snapshots s ON s.id = v.snapshot_id AND s.status = 'active'
     WHERE v.dealership_id = $1
       AND NOT EXISTS (SELECT 1 FROM vin_log l WHERE l.dealership_id = $1 AND l.vin = v.vin)`,
    [dealershipId],
  );
  await db.exec('VACUUM (ANALYZE) vin_log, vin_state');
}

/** The measurements on one open database (product code, then bare SQL baselines). */
async function measureQueries(db, data) {
  const { selectActiveVehicles } = await dist('db/active-vehicles.js');
  const { selectVinLogFacts, selectVinLogByVin } = await dist('db/vinlog.js');
  const { selectCao, vinsToDecide, caoDecisionParameters } = await dist('core/cao.js');
  const { decideCaoInDatabase } = await dist('db/cao-decision.js');
  const { selectActiveSnapshotId } = await dist('db/active-vehicles.js');
  const { settingsSchema } = await dist('core/dealership.js');
  const settings = settingsSchema.parse({});
  const now = new Date();
  // What runCao runs under the dealership lock: its active snapshot, the VIN-log facts, rule 3.
  const select = async () => {
    const vehicles = await selectActiveVehicles(db, data.big.id);
    const facts = await selectVinLogFacts(db, data.big.id, vinsToDecide(vehicles, settings, now, 'UTC'));
    return selectCao(vehicles, facts, settings, now, 'UTC').toOrder.length;
  };
  const selection = await timeIt(select, 7);
  const ordered = await select();
  // What runCao runs first under the lock (without --explain): rule 3 decided in one statement,
  // from resolving the active snapshot to the counts per filter and reason.
  const decide = async () => {
    const id = await selectActiveSnapshotId(db, data.big.id);
    return decideCaoInDatabase(db, data.big.id, id, caoDecisionParameters(settings, now, 'UTC'));
  };
  const decision = await timeIt(decide, 15);
  const decidedOrdered = (await decide()).toOrder;
  const loadAverage = os.loadavg()[0];
  // Where the selection's time goes: the snapshot read, the VIN-log read, rule 3 in memory.
  const vehicles = await selectActiveVehicles(db, data.big.id);
  const vins = vinsToDecide(vehicles, settings, now, 'UTC');
  const facts = await selectVinLogFacts(db, data.big.id, vins);
  const parts = {
    snapshot: await timeIt(() => selectActiveVehicles(db, data.big.id), 5),
    facts: await timeIt(() => selectVinLogFacts(db, data.big.id, vins), 5),
    rules: await timeIt(async () => selectCao(vehicles, facts, settings, now, 'UTC'), 5),
  };
  const antiJoin = await timeIt(
    () =>
      db.query(
        `SELECT v.vin FROM vehicles v JOIN snapshots s ON s.id = v.snapshot_id
         WHERE s.dealership_id = $1 AND s.status = 'active'
           AND NOT EXISTS (SELECT 1 FROM vin_log l WHERE l.dealership_id = $1 AND l.vin = v.vin)`,
        [data.big.id],
      ),
    7,
  );
  const sample = Array.from(
    { length: 300 },
    (_, i) =>
      `1S${String(data.others[i % data.others.length].id).padStart(3, '0')}${String(1 + ((i * 7919) % data.per)).padStart(12, '0')}`,
  );
  const lookups = [];
  for (const vin of sample) {
    const t0 = process.hrtime.bigint();
    const rows = await selectVinLogByVin(db, vin);
    lookups.push(ms(t0));
    if (rows.length === 0) throw new Error(`VIN-log lookup found nothing for ${vin}`);
  }
  const ping = [];
  for (let i = 0; i < 300; i++) {
    const t0 = process.hrtime.bigint();
    await db.query('SELECT 1');
    ping.push(ms(t0));
  }
  await orderEveryNewVin(db, data.big.id);
  const quiet = await timeIt(decide, 15);
  const quietDecided = await decide();
  const quietAgrees =
    quietDecided.toOrder === 0 && (await select()) === 0 && quietDecided.active === data.bigCount;
  return {
    selection,
    decision,
    loadAverage,
    decidedOrdered,
    decidedAgrees: decidedOrdered === data.bigCount - data.bigLogged,
    quiet,
    quietAgrees,
    parts,
    antiJoin,
    ordered,
    lookup: median(lookups),
    ping: median(ping),
  };
}

/** A 500-vehicle CAO through the binary (median of 3), and a LIST batch of 20,000 VINs. */
async function measureOrders(env, db, data, reopen) {
  const reset = async () => {
    const d = await reopen();
    try {
      await d.query(`DELETE FROM vin_log WHERE order_id IS NOT NULL`);
      await d.query('DELETE FROM order_vehicles');
      await d.query('DELETE FROM orders');
    } finally {
      await d.close();
    }
  };
  const caos = [];
  let caoOrdered = 0;
  for (let i = 0; i < 3; i++) {
    await reset();
    const r = await silverfox(['cao', SMALL, '--yes', '--json'], env);
    caoOrdered = r.json.results[0].vehicleCount;
    caos.push(r.ms);
  }
  let list = null;
  if (LIST) {
    await reset();
    const dealers = data.others.slice(0, LIST_DEALERS);
    const rows = ['dealership,vin'];
    for (let i = 0; i < LIST_VINS; i++) {
      const d = dealers[i % dealers.length];
      const serial = 1 + Math.floor(i / dealers.length);
      rows.push(`"${d.name}",1S${String(d.id).padStart(3, '0')}${String(serial).padStart(12, '0')}`);
    }
    const file = path.join(env.SILVERFOX_LOG_DIR, '..', 'batch.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = await silverfox(
      ['list', '--batch', file, '--yes', '--json', '--key', `scale-${Date.now()}`],
      env,
    );
    list = { ms: r.ms, vehicles: r.json.counts.vehicles, orders: r.json.counts.orders };
  }
  return { cao: median(caos), caoOrdered, list };
}

/** Fills a fresh database of `kind` and measures it: a database on the server, or a PGlite folder. */
async function scaleRun(kind) {
  const server = kind === 'server';
  const name = `sf_bench_scale_${process.pid}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), `silverfox-bench-scale-${server ? '' : 'lite-'}`));
  if (server) await admin(`CREATE DATABASE ${name}`);
  const env = {
    DATABASE_URL: server ? dbUrl(name) : '',
    ...(server ? {} : { SILVERFOX_DATA_DIR: path.join(dir, 'data') }),
    SILVERFOX_ORDERS_DIR: path.join(dir, 'orders'),
    SILVERFOX_LOG_DIR: path.join(dir, 'logs'),
    SILVERFOX_REGISTRY_DIR: path.join(root, 'scrapers'),
  };
  const { resolveConfig } = await dist('config.js');
  const { openContext } = await dist('app/context.js');
  const { openDatabase } = await dist('db/open.js');
  const config = resolveConfig({ env, cwd: dir });
  try {
    // PGlite admits one process: fill and query in this one, close, then spawn the binary.
    const ctx = await openContext(config);
    let data;
    let q;
    try {
      const t0 = process.hrtime.bigint();
      data = await fill(ctx.db, server ? SERVER_ROWS : LITE_ROWS);
      data.fillMs = ms(t0);
      q = await measureQueries(ctx.db, data);
    } finally {
      await ctx.db.close();
    }
    const o = await measureOrders(env, null, data, () => openDatabase(config));
    return { kind: server ? 'server' : 'PGlite', data, ...q, ...o };
  } finally {
    if (server) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const results = [await scaleRun('server'), await scaleRun('embedded')];
  const rows = [];
  const checks = [];
  const n = (x) => x.toLocaleString('en-US');
  for (const r of results) {
    const { bigCount, bigLogged } = r.data;
    const at = `${r.kind}, ${n(r.data.vehicles)} vehicles / ${n(r.data.log)} log rows`;
    const row = (label, v, note = '') => rows.push([`${r.kind}: ${label}`, v, v / r.ping, note]);
    row('SELECT 1 round trip (baseline)', r.ping);
    row(`bare new-VIN anti-join SQL, ${n(bigCount)} vehicles (baseline)`, r.antiJoin);
    row(
      `CAO decision in SQL, ${n(bigCount)} vehicles (${n(r.decidedOrdered)} to order, counts per reason)`,
      r.decision,
      `${(r.decision / r.antiJoin).toFixed(1)}x the anti-join`,
    );
    row(
      `CAO decision in SQL, ${n(bigCount)} vehicles, nothing to order (most nights)`,
      r.quiet,
      `${(r.quiet / r.antiJoin).toFixed(1)}x the anti-join`,
    );
    row(
      `CAO selection with every vehicle's reason (--explain, preview, order), ${n(bigCount)} vehicles`,
      r.selection,
      `${(r.selection / r.antiJoin).toFixed(1)}x the anti-join`,
    );
    row('  of which: read the active snapshot', r.parts.snapshot);
    row(`  of which: read the VIN-log facts of ${n(bigCount)} VINs`, r.parts.facts);
    row('  of which: rule 3 in memory', r.parts.rules);
    row('one VIN-log lookup (p50 of 300)', r.lookup);
    row(`cao of ${r.caoOrdered} vehicles, process start to folder (median of 3)`, r.cao);
    if (r.list) row(`list --batch, ${n(r.list.vehicles)} VINs / ${r.list.orders} orders`, r.list.ms);
    checks.push(
      {
        ok: r.ordered === bigCount - bigLogged,
        text: `${at}: the selection finds the ${n(bigCount - bigLogged)} new VINs (${n(r.ordered)})`,
      },
      {
        ok: r.decidedAgrees,
        text: `${at}: the SQL decision orders what the in-memory selection orders (${n(r.decidedOrdered)})`,
      },
      {
        ok: r.quietAgrees,
        text: `${at}: with every VIN ordered, both decide nothing to order`,
      },
      ...(r.kind === 'server'
        ? [
            { ok: r.decision < 50, text: `${at}: CAO decision in SQL ${r.decision.toFixed(1)} ms < 50 ms` },
            {
              ok: r.quiet < 50,
              text: `${at}: CAO decision in SQL, nothing to order, ${r.quiet.toFixed(1)} ms < 50 ms`,
            },
          ]
        : []),
      { ok: r.lookup < 1, text: `${at}: VIN-log lookup p50 ${r.lookup.toFixed(2)} ms < 1 ms` },
      { ok: r.cao < 1500, text: `${at}: cao of ${r.caoOrdered} vehicles ${r.cao.toFixed(0)} ms < 1500 ms` },
    );
    if (r.list)
      checks.push({
        ok: r.list.ms < 20_000 && r.list.vehicles === LIST_VINS,
        text: `${at}: list --batch of ${n(r.list.vehicles)} VINs ${(r.list.ms / 1000).toFixed(1)} s < 20 s`,
      });
  }
  const [srv] = results;
  const f = (x) => x.toFixed(0);
  const notes = [
    `**The CAO decision (${srv.kind}).** runCao first decides rule 3 in one statement (db/cao-decision.ts): ` +
      `the active snapshot hash-joined to vin_state (one row per VIN this dealership logged: its latest ` +
      `silverfox order and latest known condition, kept by triggers on vin_log, sql/009), one outcome per ` +
      `vehicle (its filter or its reason), and only the count per outcome comes back ` +
      `(${f(srv.decision)} ms with 8,000 to order, ${f(srv.quiet)} ms with nothing to order; ` +
      `${(srv.decision / srv.antiJoin).toFixed(1)}x the bare anti-join of ${f(srv.antiJoin)} ms, which also ` +
      `sends its 8,000 VINs; load average ${srv.loadAverage.toFixed(1)} on ${os.cpus().length} cores). With ` +
      `nothing to order that is all a run reads. With something to order, the order reads every ` +
      `vehicle's reason (as do \`--explain\` and the preview): the snapshot ` +
      `(${f(srv.parts.snapshot)} ms) and the VIN-log facts (${f(srv.parts.facts)} ms), decided in memory ` +
      `(${f(srv.parts.rules)} ms). test/integration/cao-decision.test.ts checks both decide the same.`,
    `The VIN-log lookup uses the (vin) index: ${srv.lookup.toFixed(2)} ms p50, of which ${srv.ping.toFixed(2)} ms is the ` +
      `round trip. The order timings include starting Node.js and opening the database (PGlite: about 0.5-1 s ` +
      `to open its folder), and writing one QR PNG per vehicle.`,
  ];
  return { columns: ['measure', 'ms', 'x SELECT 1', 'note'], rows, checks, notes };
}
