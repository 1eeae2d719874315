/**
 * An operator points shipped Algolia entries at the real-shaped Algolia fixture with
 * `silverfox dealers set NAME --url URL --api-host URL` (no file editing) and scrapes them with
 * the built binary: exit 0 with the per-dealership counts in --json; a query Algolia's 1,000-hit
 * limit caps and no facet can split fails the dealership with the reason and keeps the active snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDealerAlgolia, type DealerAlgolia } from '../fixtures/real/algolia.mjs';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';

describe('silverfox scrape of Algolia dealerships', () => {
  let t: TestEnv;
  let env: Record<string, string>;
  const apis: Record<string, DealerAlgolia> = {};

  beforeAll(async () => {
    t = await createTestEnv('embedded');
    env = { ...t.env, SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS: '5000', SILVERFOX_SCRAPE_HOST_RPS: '0' };
    apis.weber = await startDealerAlgolia('Weber Chevrolet');
    apis.bmw = await startDealerAlgolia('BMW of West St. Louis', { bad: true });
    apis.capped = await startDealerAlgolia('Weber Chevrolet', { big: 1100, uniform: true });
  });
  afterAll(async () => {
    await Promise.all(Object.values(apis).map((a) => a.close()));
    await t?.cleanup();
  });

  const set = async (name: string, api: DealerAlgolia) => {
    const r = await runCli(['dealers', 'set', name, '--url', api.url, '--api-host', api.url, '--yes'], {
      env,
    });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
  };
  const activeRows = async (name: string) => {
    const r = await runCli(['status', '--json'], { env });
    const s = JSON.parse(r.stdout) as { dealerships: { name: string; activeRows: number }[] };
    return s.dealerships.find((d) => d.name === name)!.activeRows;
  };

  it('repointed by URL and API host only, scrapes every own car with its counts', async () => {
    await set('Weber Chevrolet', apis.weber!);
    await set('BMW of West St. Louis', apis.bmw!);
    const r = await runCli(['scrape', 'Weber Chevrolet', 'BMW of West St. Louis', '--json', '--yes'], {
      env,
      timeoutMs: 120_000,
    });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      dealerships: { name: string; status: string; counts: Record<string, number> }[];
    };
    const by = Object.fromEntries(out.dealerships.map((d) => [d.name, d]));
    const weber = apis.weber!.truth;
    expect(by['Weber Chevrolet']!.counts).toMatchObject({
      kept: weber.own.length,
      sisterStore: 0,
      offLot: weber.offLot.length,
      noPrice: weber.noPrice.length,
    });
    const bmw = apis.bmw!.truth;
    expect(by['BMW of West St. Louis']!.counts).toMatchObject({
      kept: bmw.own.length,
      sisterStore: 0,
      rejected: 1,
      noPrice: bmw.noPrice.length,
    });
    expect(await activeRows('Weber Chevrolet')).toBe(weber.own.length);
    expect(await activeRows('BMW of West St. Louis')).toBe(bmw.own.length);
  });

  it('a capped query that cannot be split fails the dealership, says why, and keeps the active snapshot', async () => {
    const before = await activeRows('Weber Chevrolet');
    await set('Weber Chevrolet', apis.capped!);
    const r = await runCli(['scrape', 'Weber Chevrolet', '--json', '--yes'], { env, timeoutMs: 120_000 });
    // Its only dealership failed: exit 1 (3 is for a run where some others were done).
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Weber Chevrolet: FAILED .*paging reaches only 1000/);
    const out = JSON.parse(r.stdout) as {
      dealerships: { status: string; error: { code: string; message: string } }[];
    };
    expect(out.dealerships[0]).toMatchObject({ status: 'failed', error: { code: 'capped_query' } });
    expect(out.dealerships[0]!.error.message).toMatch(/matches 1100 cars but paging reaches only 1000/);
    expect(await activeRows('Weber Chevrolet')).toBe(before);
  });
});
