/**
 * Issue 13 from the operator's side, the built binary: a dealership repointed at a real-shaped
 * fixture with `dealers set --url --api-host` only (no file editing), `dealers show` listing its
 * parameters, `scrape NAME --probe` telling what would be kept without importing, and
 * `scrape --json` giving the per-dealership counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCars, type ServedSite } from '../fixtures/real/cars.mjs';
import { ddcRow, startDealerComSite } from '../fixtures/real/dealer-com.mjs';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';

describe('scrape parameters, --probe and counts', () => {
  let t: TestEnv;
  let tmp: string;
  let env: Record<string, string>;
  const sites: ServedSite[] = [];
  const chevy = makeCars('Rusty Drewing Chevrolet Buick GMC', 40, 5);
  const cad = makeCars('Rusty Drewing Cadillac', 12, 6);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'silverfox-e2e-params-'));
    t = await createTestEnv('embedded');
    env = { ...t.env, SILVERFOX_SCRAPE_HOST_RPS: '0' };
    sites.push(await startDealerComSite({ cars: [...chevy, ...cad] }));
    sites.push(
      await startDealerComSite({
        cars: [...chevy, ...cad],
        accounts: { rustydrewingchevroletbjeffersoncity: () => true },
      }),
    );
  });
  afterAll(async () => {
    await t?.cleanup();
    await Promise.all(sites.map((s) => s.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('dealers set --url --api-host repoints a dealership; dealers show prints its parameters', async () => {
    const set = await runCli(
      ['dealers', 'set', 'Rusty Drewing Chevy BGMC', '--url', sites[0]!.url, '--api-host', sites[1]!.url],
      { env },
    );
    expect(set.code, set.stderr).toBe(0);
    const show = await runCli(['dealers', 'show', 'rusty drewing chevy bgmc'], { env });
    expect(show.stdout).toContain(`site:      ${sites[0]!.url}`);
    expect(show.stdout).toContain(`api host:  ${sites[1]!.url}`);
    expect(show.stdout).toContain(
      'store filter: address.accountName contains rusty drewing chevrolet buick gmc',
    );
    expect(show.stdout).toContain('off lot in_transit, in_transit_at_factory');
    expect(show.stdout).toContain('price:        pricing.finalPrice > pricing.msrp');
    expect(show.stdout).toContain('scrapable: yes');
    const json = JSON.parse(
      (await runCli(['dealers', 'show', 'rusty_drewing_chevy_bgmc', '--json'], { env })).stdout,
    );
    expect(json).toMatchObject({ api_host: sites[1]!.url, scrapable: true, scraper: { group_site: true } });
  });

  it('scrape NAME --probe reads the first pages and imports nothing', async () => {
    const r = await runCli(['scrape', 'Rusty Drewing Chevy BGMC', '--probe', '--pages', '1', '--json'], {
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.pages).toBe(1);
    expect(p.stoppedEarly).toBe(true);
    // One page of 18 rows (a promo tile among them) from the Chevy site's NEW feed.
    expect(p.counts.served).toBe(18);
    expect(p.counts.rejected).toBe(1);
    expect(p.counts.kept + p.counts.sisterStore).toBe(17);
    expect(Object.keys(p.seen.stores).length).toBeGreaterThan(0);
    expect(p.sample.length).toBeGreaterThan(0);
    const text = await runCli(['scrape', 'Rusty Drewing Chevy BGMC', '--probe'], { env });
    expect(text.stdout).toContain('store values seen:');
    expect(text.stdout).toContain('nothing was written or imported');
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as {
      dealerships: { name: string; activeRows: number }[];
    };
    expect(status.dealerships.find((d) => d.name === 'Rusty Drewing Chevy BGMC')!.activeRows).toBe(0);
    const bad = await runCli(['scrape', '--all', '--probe'], { env });
    expect(bad.code).toBe(2);
  });

  it('scrape --json gives per-dealership counts', async () => {
    const r = await runCli(['scrape', 'Rusty Drewing Chevy BGMC', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const d = out.dealerships[0];
    const own = chevy.length;
    const offLot = chevy.filter((c) => ddcRow(c).offLot).length;
    const noPrice = chevy.filter((c) => ddcRow(c).price === null).length;
    expect(d.counts).toMatchObject({ kept: own, sisterStore: cad.length, rejected: 2, offLot, noPrice });
    expect(d.counts.served).toBe(
      d.counts.kept + d.counts.duplicates + d.counts.sisterStore + d.counts.excluded + d.counts.rejected,
    );
    expect(out.import.dealerships[0]).toMatchObject({ name: 'Rusty Drewing Chevy BGMC', rows: own });
    const text = await runCli(['scrape', 'Rusty Drewing Chevy BGMC'], { env });
    expect(text.stdout).toMatch(/served.*kept.*sister.*excluded.*rejected.*no price.*off lot/);
  });
});
