// Scrape throughput: 36 fixture dealerships of ~300 vehicles each, on the platforms of the real
// registry (dealer.com, algolia, dealeron JSON and HTML, team-velocity, ...), served by fixture
// sites on 127.0.0.1. Targets: `silverfox scrape --all` (scrape + one import) under 15 s and
// 700 MB peak RSS. Baseline in the same run: the very same requests replayed with plain fetch,
// bodies read but not parsed (what the network and the fixture servers alone cost).
//
// Fixture sites are ours, so the per-host politeness limit is off (SILVERFOX_SCRAPE_HOST_RPS=0);
// at the default 10 requests/s a site needing one request per vehicle (dealeron-html,
// team-velocity) would take ~30 s by design. Sites are clean (no 500s or slow pages): the dirt is
// the tests' business, not the bench's. Memory is the node process's peak RSS (maxRSS).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet } from '../test/fixtures/sites/fleet.mjs';

export const title = 'Scrape: 36 dealerships x ~300 vehicles (target < 15 s, < 700 MB)';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = path.join(root, 'bin/silverfox.js');
// Four registry dealerships sit out, so the run has 36.
const LEFT_OUT = ['Indigo Auto Group', 'Suntrup Ford West', 'Pundmann Ford', 'Weber Chevrolet'];

/** Runs node with `args`; resolves with wall ms, peak RSS (MB), exit code and stdout. */
function measure(args, env, cwd) {
  return new Promise((resolve, reject) => {
    const rssFile = path.join(cwd, `rss-${Date.now()}.txt`);
    const preload = `data:text/javascript,${encodeURIComponent(
      `import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`,
    )}`;
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', preload, ...args], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      let rssMb = NaN;
      try {
        rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // the child died before its exit hook
      }
      resolve({ ms, rssMb, code, stdout, stderr });
    });
  });
}

const REPLAY = `
import { readFileSync } from 'node:fs';
const { sites, concurrency } = JSON.parse(readFileSync(process.argv[1], 'utf8'));
let next = 0;
async function worker() {
  while (next < sites.length) {
    const s = sites[next++];
    for (const r of s.log) {
      const res = await fetch(s.url + r.path, { method: r.method, headers: r.headers, body: r.method === 'POST' ? r.body : undefined });
      await res.text();
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
`;

export async function run() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-bench-scrape-'));
  const fleet = await startFleet(path.join(root, 'scrapers'), path.join(dir, 'registry'), {
    count: (e) => 280 + (e.name.length % 5) * 10,
    specFor: () => ({ dirty: false, logRequests: true }),
  });
  try {
    // The left-out dealerships are disabled in the bench registry.
    for (const name of LEFT_OUT) {
      const file = path.join(dir, 'registry', `${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}.json`);
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), enabled: false }, null, 2),
      );
    }
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: os.tmpdir(),
      SILVERFOX_DATA_DIR: path.join(dir, 'data'),
      SILVERFOX_LOG_DIR: path.join(dir, 'logs'),
      SILVERFOX_REGISTRY_DIR: path.join(dir, 'registry'),
      SILVERFOX_SCRAPE_HOST_RPS: '0',
      DATABASE_URL: '',
    };
    // Create, migrate and seed the embedded database from the registry before timing (initdb is a one-off ~5 s).
    const warm = spawnSync(process.execPath, [bin, 'dealers', 'list'], { env, cwd: dir, encoding: 'utf8' });
    if (warm.status !== 0) throw new Error(`dealers list failed: ${warm.stderr}`);

    const full = await measure([bin, 'scrape', '--all', '--json', '--yes'], env, dir);
    if (full.code !== 0) throw new Error(`scrape exited ${full.code}: ${full.stderr.slice(-2000)}`);
    const out = JSON.parse(full.stdout);
    const vehicles = out.totals.vehicles;
    const scrapeMs = out.dealerships.reduce((m, d) => Math.max(m, d.durationMs), 0);

    const sites = Object.values(fleet.sites)
      .filter((s) => !LEFT_OUT.includes(s.spec.name))
      .map((s) => ({ url: s.url, log: s.stats.log.slice() }));
    const requests = sites.reduce((n, s) => n + s.log.length, 0);
    const replayFile = path.join(dir, 'replay.json');
    writeFileSync(replayFile, JSON.stringify({ sites, concurrency: 4 }));
    const base = await measure(['--input-type=module', '-e', REPLAY, replayFile], env, dir);
    if (base.code !== 0) throw new Error(`baseline replay exited ${base.code}: ${base.stderr}`);

    return {
      columns: ['run', 'wall ms', 'peak RSS MB', 'x baseline time', 'vehicles', 'requests'],
      rows: [
        ['replay of the same requests, no parsing (baseline)', base.ms, base.rssMb, 1, '', requests],
        [
          'silverfox scrape --all (scrape + import)',
          full.ms,
          full.rssMb,
          full.ms / base.ms,
          vehicles,
          requests,
        ],
        ['  of which: longest dealership', scrapeMs, '', '', '', ''],
      ],
      checks: [
        {
          ok: out.totals.done === 36 && out.totals.failed === 0,
          text: `36 of 36 dealerships scraped (${out.totals.done} done, ${out.totals.failed} failed)`,
        },
        {
          ok: out.import?.rowsImported > 36 * 250,
          text: `${out.import?.rowsImported} rows imported in one import`,
        },
        { ok: full.ms < 15_000, text: `wall time ${(full.ms / 1000).toFixed(1)} s < 15 s` },
        { ok: full.rssMb < 700, text: `peak RSS ${full.rssMb.toFixed(0)} MB < 700 MB` },
      ],
    };
  } finally {
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
