/**
 * The built binary against real-shaped fixture sites (test/fixtures/real, from SCRAPE-FACTS.md)
 * with the shipped registry: an operator points a dealership at a site with `silverfox dealers set
 * NAME --url URL` (and `--api-host URL` for Twin City Toyota's SmartPath host), nothing else; the
 * scrape imports every own car, counts what it left out in --json, and writes the rejected rows
 * with their reason.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDealrSite } from '../fixtures/real/dealr.mjs';
import type { ServedSite } from '../fixtures/real/serve-site.mjs';
import { startTeamVelocitySite } from '../fixtures/real/team-velocity.mjs';
import { startSmartPathSite } from '../fixtures/real/toyota-smartpath.mjs';
import { browserSuiteEnabled } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';

describe('silverfox scrape on real-shaped sites, only the URL changed', () => {
  let t: TestEnv;
  let env: Record<string, string>;
  const sites: ServedSite[] = [];
  beforeAll(async () => {
    t = await createTestEnv('embedded');
    env = { ...t.env, SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '3000', SILVERFOX_SCRAPE_HOST_RPS: '0' };
  });
  afterAll(async () => {
    await t?.cleanup();
    await Promise.all(sites.map((s) => s.close()));
  });

  it('HW Kia (Team Velocity) and Stehouwer Auto (Dealr): --json counts, rejects file, active rows', async () => {
    const kia = await startTeamVelocitySite('HW Kia', { count: 14 });
    const dealr = await startDealrSite({ car: 4, suv: 4, truck: 26 });
    sites.push(kia, dealr);
    for (const [name, url] of [
      ['HW Kia', kia.url],
      ['Stehouwer Auto', dealr.url],
    ]) {
      expect((await runCli(['dealers', 'set', name!, '--url', url!], { env })).code).toBe(0);
    }
    const r = await runCli(['scrape', 'HW Kia', 'Stehouwer Auto', '--json', '--yes'], { env });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      dealerships: {
        name: string;
        status: string;
        counts: Record<string, unknown>;
        rejectsFile: string | null;
      }[];
    };
    const byName = Object.fromEntries(out.dealerships.map((d) => [d.name, d]));
    expect(byName['HW Kia']!.counts).toMatchObject({
      kept: kia.expected.vins.length,
      gone: kia.expected.sold,
      rejected: 1,
      offLot: kia.expected.offLot.length,
      noPrice: Object.values(kia.expected.prices).filter((p) => p === null).length,
      unseenStatuses: { Reserved: 1 },
    });
    expect(readFileSync(byName['HW Kia']!.rejectsFile!, 'utf8')).toMatch(
      /the vehicle JSON \(vehicleIdentificationNumber\) is not valid JSON/,
    );
    expect(byName['Stehouwer Auto']!.counts).toMatchObject({
      kept: dealr.expected.vins.length,
      gone: 1,
      rejected: dealr.expected.rejected,
      noPrice: 2,
    });
    const s = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as {
      dealerships: { name: string; activeRows: number }[];
    };
    expect(s.dealerships.find((d) => d.name === 'HW Kia')!.activeRows).toBe(kia.expected.vins.length);
    expect(s.dealerships.find((d) => d.name === 'Stehouwer Auto')!.activeRows).toBe(
      dealr.expected.vins.length,
    );
  });

  it.runIf(browserSuiteEnabled())(
    'Twin City Toyota (SmartPath): --url for the dealer site and --api-host for the SmartPath host',
    async () => {
      const sp = await startSmartPathSite({ used: 8, new: 7, pooled: 1 });
      sites.push(sp);
      const set = await runCli(
        ['dealers', 'set', 'Twin City Toyota', '--url', sp.url, '--api-host', sp.url],
        { env },
      );
      expect(set.code).toBe(0);
      const r = await runCli(['scrape', 'Twin City Toyota', '--json', '--yes'], { env });
      expect(r.code).toBe(0);
      const d = (JSON.parse(r.stdout) as { dealerships: { counts: Record<string, unknown> }[] })
        .dealerships[0]!;
      expect(d.counts).toMatchObject({
        kept: sp.expected.vins.length,
        sisterStore: sp.expected.sisterStore,
        excluded: sp.expected.notOnSite,
        offLot: sp.expected.offLot.length,
      });
    },
  );
});
