/**
 * `runScrape` over the whole registry against fixture sites, on both databases: every dealership
 * scraped and imported in one import with the right counts; a failing dealership isolated (its
 * active snapshot untouched); an interrupted run resumed without re-fetching what was done.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { openContext } from '../../src/app/context.js';
import { setDealer } from '../../src/app/dealers.js';
import { runScrape, type ScrapeProgress } from '../../src/app/scrape.js';
import { getStatus } from '../../src/app/status.js';
import { resolveConfig } from '../../src/config.js';
import { CancelledError } from '../../src/errors.js';
import { loadCheckpoint } from '../../src/scrape/checkpoint.js';
import { startFleet, type Fleet } from '../fixtures/sites/fleet.mjs';
import { startSite, type FixtureSite } from '../fixtures/sites/server.mjs';
import { ROOT } from '../helpers/env.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

describe.each(DATABASE_KINDS)('scrape on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let fleet: Fleet;
  let tmp: string;
  const extra: FixtureSite[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'silverfox-fleet-'));
    fleet = await startFleet(path.join(ROOT, 'scrapers'), path.join(tmp, 'registry'), {
      count: 24,
      // One slow answer per site, slower than the timeout: it is retried. The timeout leaves room
      // for a loaded CI machine (500 ms failed a normal answer at a load average of 18).
      slowMs: 2500,
    });
    t = await createTestEnv(kind, { registryDir: path.join(tmp, 'registry') });
    const config = resolveConfig({
      env: { ...t.env, SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '1000', SILVERFOX_SCRAPE_HOST_RPS: '0' },
      cwd: t.dir,
    });
    ctx = await openContext(config);
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
    await fleet?.close();
    await Promise.all(extra.map((s) => s.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const activeRows = async (name: string) => {
    const s = await getStatus(ctx);
    const d = s.dealerships.find((x) => x.name === name)!;
    return { rows: d.activeRows, importedAt: d.importedAt };
  };

  it('scrape --all imports every dealership in one import with the right counts', async () => {
    const events: ScrapeProgress[] = [];
    const r = await runScrape(ctx, { all: true, concurrency: 6, onProgress: (e) => events.push(e) });
    const failed = r.dealerships.filter((d) => d.status === 'failed');
    expect(failed.map((d) => `${d.name}: ${d.error?.message}`)).toEqual([]);
    expect(r.totals.done).toBe(40);
    expect(r.import).not.toBeNull();
    expect(r.import!.dealerships).toHaveLength(40);
    let expectedRows = 0;
    let expectedRejected = 0;
    for (const d of r.dealerships) {
      const site = fleet.sites[d.name]!;
      expect(d.vehicles, d.name).toBe(site.expectedVins.length);
      const imp = r.import!.dealerships.find((x) => x.name === d.name)!;
      expect(imp.rows, d.name).toBe(site.expectedValid);
      expect(imp.activated).toBe(true);
      expect((await activeRows(d.name)).rows, d.name).toBe(site.expectedValid);
      expectedRows += site.expectedValid;
      expectedRejected += site.expectedVins.length - site.expectedValid;
    }
    expect(r.import!.rowsImported).toBe(expectedRows);
    expect(r.import!.rowsRejected).toBe(expectedRejected);
    expect(expectedRejected).toBeGreaterThan(0);
    // Sister-store rows stayed out, the dirt was met and survived.
    const cad = r.dealerships.find((d) => d.name === 'Rusty Drewing Cadillac')!;
    expect(cad.skipped?.sisterStore).toBe(8);
    expect(r.dealerships.reduce((n, d) => n + d.retries, 0)).toBeGreaterThanOrEqual(40);
    expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThanOrEqual(40);
    // One CSV per dealership with canonical headers, kept in the run folder with the checkpoint.
    const csv = readFileSync(path.join(r.runDir, 'hw_kia.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toBe(
      'vin,stock,dealership,year,make,model,trim,condition,status,price,msrp,date_in_stock,url',
    );
    expect(csv.split('\r\n')[1]).toContain(',HW Kia,');
    const cp = loadCheckpoint(r.runDir);
    expect(cp.finishedAt).not.toBeNull();
    expect(cp.imported?.importId).toBe(r.import!.importId);
    const n = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM imports WHERE source = 'scrape'`,
    );
    expect(n.rows[0]!.n).toBe(1);
  });

  it('a failing dealership is reported and keeps its active snapshot; the others import', async () => {
    const before = await activeRows('Columbia Honda');
    const down = await startSite({ platform: 'dealeron', name: 'Columbia Honda', mode: 'down' });
    extra.push(down);
    await setDealer(ctx, 'Columbia Honda', { url: down.url });
    const r = await runScrape(ctx, { dealers: ['columbia honda', 'HW Kia'] });
    const ch = r.dealerships.find((d) => d.name === 'Columbia Honda')!;
    expect(ch.status).toBe('failed');
    expect(ch.error?.code).toBe('http_status');
    expect(ch.error?.message).toMatch(/answered HTTP 503/);
    expect(r.totals).toMatchObject({ done: 1, failed: 1 });
    expect(r.import!.dealerships.map((d) => d.name)).toEqual(['HW Kia']);
    expect(await activeRows('Columbia Honda')).toEqual(before);
    expect(down.stats.requests).toBe(3);
  });

  it('a dealership without a URL or with bad scraper options fails alone, naming the fix', async () => {
    await setDealer(ctx, 'Columbia Honda', { url: 'none' });
    const r = await runScrape(ctx, { dealers: ['Columbia Honda', 'Stehouwer Auto'], import: false });
    expect(r.dealerships[0]!.error?.message).toMatch(/no site URL/);
    expect(r.dealerships[0]!.error?.hints.join(' ')).toMatch(/silverfox dealers set "Columbia Honda" --url/);
    expect(r.dealerships[1]!.status).toBe('done');
    expect(r.import).toBeNull();
    expect(existsSync(path.join(r.runDir, 'stehouwer_auto.csv'))).toBe(true);
  });

  it('resume continues an interrupted run without re-fetching the dealerships done', async () => {
    const hang = await startSite({ platform: 'algolia', name: 'Spirit Lexus', mode: 'hang' });
    extra.push(hang);
    const spirit = fleet.sites['Spirit Lexus']!;
    await setDealer(ctx, 'Spirit Lexus', { url: hang.url });
    const kia = fleet.sites['HW Kia']!;
    const ac = new AbortController();
    await expect(
      runScrape(ctx, {
        dealers: ['HW Kia', 'Spirit Lexus'],
        concurrency: 2,
        signal: ac.signal,
        onProgress: (e) => {
          if (e.type === 'done' && e.dealership === 'HW Kia') setTimeout(() => ac.abort(), 50);
        },
      }),
    ).rejects.toThrow(CancelledError);
    const kiaRequests = kia.stats.requests;
    const spiritRequests = spirit.stats.requests;
    // The site is back: the resumed run fetches Spirit Lexus only, then imports both.
    await setDealer(ctx, 'Spirit Lexus', { url: spirit.url });
    const r = await runScrape(ctx, { resume: true });
    expect(r.resumed).toBe(true);
    expect(kia.stats.requests).toBe(kiaRequests);
    expect(spirit.stats.requests).toBeGreaterThan(spiritRequests);
    const byName = Object.fromEntries(r.dealerships.map((d) => [d.name, d]));
    expect(byName['HW Kia']).toMatchObject({ status: 'done', fromEarlierRun: true });
    expect(byName['Spirit Lexus']).toMatchObject({ status: 'done', fromEarlierRun: false });
    expect(r.import!.dealerships.map((d) => d.name).sort()).toEqual(['HW Kia', 'Spirit Lexus']);
    expect(r.import!.rowsImported).toBe(kia.expectedValid + spirit.expectedValid);
    // Nothing left to resume.
    await expect(runScrape(ctx, { resume: true })).rejects.toThrow(/no unfinished scrape run/);
  });
});
