/**
 * `silverfox scrape` as cron runs it: the built binary against fixture sites. Exit codes (0, 3
 * when a dealership failed, 2 on usage), --json, a failing dealership's snapshot untouched, and a
 * run killed with SIGKILL continued by `--resume` without fetching again what was done.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../fixtures/sites/fleet.mjs';
import { startSite, type FixtureSite } from '../fixtures/sites/server.mjs';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { BIN, ROOT } from '../helpers/env.js';

const DEALERS = [
  'Columbia Honda',
  'HW Kia',
  'Rusty Drewing Cadillac',
  'BMW of West St. Louis',
  'Porsche St. Louis',
  'Stehouwer Auto',
];

describe('silverfox scrape', () => {
  let t: TestEnv;
  let fleet: Fleet;
  let tmp: string;
  let env: Record<string, string>;
  const extra: FixtureSite[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'silverfox-e2e-fleet-'));
    fleet = await startFleet(path.join(ROOT, 'scrapers'), path.join(tmp, 'registry'), {
      count: 15,
      slowMs: 1200,
      only: DEALERS,
    });
    t = await createTestEnv('embedded', { registryDir: path.join(tmp, 'registry') });
    env = { ...t.env, SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '500', SILVERFOX_SCRAPE_HOST_RPS: '0' };
  });
  afterAll(async () => {
    await t?.cleanup();
    await fleet?.close();
    await Promise.all(extra.map((s) => s.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const status = async () => {
    const r = await runCli(['status', '--json'], { env });
    return JSON.parse(r.stdout) as {
      dealerships: { name: string; activeRows: number; importedAt: string }[];
    };
  };

  it('has help with examples; usage errors exit 2', async () => {
    const help = await runCli(['scrape', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--resume');
    const none = await runCli(['scrape'], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name the dealerships to scrape, or use --all/);
    const bad = await runCli(['scrape', '--all', '--concurrency', '0'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--concurrency expects a whole number/);
    const unknown = await runCli(['scrape', 'Columbia Hondda'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Did you mean: "Columbia Honda"/);
  });

  it('--all --json scrapes and imports every enabled dealership, exit 0', async () => {
    const r = await runCli(['scrape', '--all', '--json', '--yes'], { env });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.totals).toMatchObject({ dealerships: DEALERS.length, done: DEALERS.length, failed: 0 });
    const expected = DEALERS.reduce((n, d) => n + fleet.sites[d]!.expectedValid, 0);
    expect(out.import.rowsImported).toBe(expected);
    for (const d of out.dealerships) {
      expect(d).toMatchObject({ status: 'done', error: null, attempts: 1 });
      expect(typeof d.durationMs).toBe('number');
    }
    // Progress went to stderr, per dealership, with retries.
    expect(r.stderr).toMatch(/HW Kia: \d+ vehicles, \d+ pages, [1-9]\d* retries/);
    expect(r.stderr).toMatch(/retrying after attempt 1: .*HTTP 500/);
    const s = await status();
    for (const name of DEALERS) {
      expect(s.dealerships.find((d) => d.name === name)!.activeRows, name).toBe(
        fleet.sites[name]!.expectedValid,
      );
    }
  });

  it('a failing dealership exits 3, is reported, and keeps its active snapshot', async () => {
    const before = (await status()).dealerships.find((d) => d.name === 'Columbia Honda')!;
    const down = await startSite({ platform: 'dealeron', name: 'Columbia Honda', mode: 'down' });
    extra.push(down);
    expect((await runCli(['dealers', 'set', 'Columbia Honda', '--url', down.url], { env })).code).toBe(0);
    const r = await runCli(['scrape', '--all'], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Columbia Honda\s+\|\s+dealeron\s+\|\s+failed: http_status/);
    expect(r.stdout).toMatch(/5 of 6 dealerships scraped/);
    expect(r.stderr).toMatch(/error: Columbia Honda: GET .* answered HTTP 503/);
    expect(r.stderr).toContain('Its active snapshot is unchanged.');
    const after = (await status()).dealerships.find((d) => d.name === 'Columbia Honda')!;
    expect(after).toEqual(before);
    const kia = (await status()).dealerships.find((d) => d.name === 'HW Kia')!;
    expect(kia.importedAt > before.importedAt).toBe(true);
    await runCli(['dealers', 'set', 'Columbia Honda', '--url', fleet.sites['Columbia Honda']!.url], { env });
  });

  it('a run killed with SIGKILL is continued by --resume without fetching again what was done', async () => {
    const hang = await startSite({ platform: 'dealr', name: 'Stehouwer Auto', mode: 'hang' });
    extra.push(hang);
    await runCli(['dealers', 'set', 'Stehouwer Auto', '--url', hang.url], { env });
    const scrapes = path.join(t.dir, 'logs', 'scrapes');
    const runsBefore = new Set(existsSync(scrapes) ? readdirSync(scrapes) : []);
    // Long request timeout: the hanging site keeps the run busy until we kill it.
    const child = spawn(process.execPath, [BIN, 'scrape', '--all', '--concurrency', '3'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: os.tmpdir(),
        ...env,
        SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '60000',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let runDir = '';
    let done = 0;
    for (let i = 0; i < 300 && done < DEALERS.length - 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const run = existsSync(scrapes) ? readdirSync(scrapes).find((n) => !runsBefore.has(n)) : undefined;
      if (!run) continue;
      runDir = path.join(scrapes, run);
      try {
        const cp = JSON.parse(readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8'));
        done = Object.values(cp.entries as Record<string, { status: string }>).filter(
          (e) => e.status === 'done',
        ).length;
      } catch {
        // being renamed into place
      }
    }
    expect(done).toBe(DEALERS.length - 1);
    child.kill('SIGKILL');
    await exited;
    const requestsBefore = Object.fromEntries(DEALERS.map((d) => [d, fleet.sites[d]!.stats.requests]));

    // The site is back; the killed process left its locks behind (a dead pid: taken over).
    expect(
      (
        await runCli(['dealers', 'set', 'Stehouwer Auto', '--url', fleet.sites['Stehouwer Auto']!.url], {
          env,
        })
      ).code,
    ).toBe(0);
    const r = await runCli(['scrape', '--resume', '--json'], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runDir).toBe(runDir);
    expect(out.resumed).toBe(true);
    for (const d of DEALERS.filter((x) => x !== 'Stehouwer Auto')) {
      expect(fleet.sites[d]!.stats.requests, d).toBe(requestsBefore[d]);
      expect(out.dealerships.find((x: { name: string }) => x.name === d).fromEarlierRun).toBe(true);
    }
    expect(fleet.sites['Stehouwer Auto']!.stats.requests).toBeGreaterThan(requestsBefore['Stehouwer Auto']!);
    expect(out.import.dealerships).toHaveLength(DEALERS.length);
    const again = await runCli(['scrape', '--resume'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no unfinished scrape run to resume/);
  });
});
