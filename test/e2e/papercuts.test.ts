/** Papercuts a new user met (issue 16), each checked on the built binary against both databases. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedDealerVins } from '../helpers/inventory.js';

describe.each(DATABASE_KINDS)('papercuts on %s', (kind) => {
  let t: TestEnv;
  const vins = [makeVin(1, '1HGCM826'), makeVin(2, '1HGCM826')];
  const count = async (sql: string) => {
    const ctx = await t.open();
    try {
      return Number((await ctx.db.query<{ n: number }>(sql)).rows[0]!.n);
    } finally {
      await ctx.db.close();
    }
  };
  beforeAll(async () => {
    t = await createTestEnv(kind);
    await seedDealerVins(t, 'Columbia Honda', vins);
  });
  afterAll(async () => t?.cleanup());

  it('cao without a dealership and without a terminal: the usage error comes before --yes', async () => {
    const r = await runCli(['cao'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name at least one dealership, or use --all');
    expect(r.stderr).not.toContain('--yes');
    const both = await runCli(['cao', 'Columbia Honda', '--all'], { env: t.env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
  });

  it('list follows the rule of cao: without a terminal it writes only with --yes', async () => {
    const r = await runCli(['list', 'Columbia Honda', vins[0]!], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'list writes orders and needs a confirmation: not at a terminal, so add --yes',
    );
    const batch = path.join(t.dir, 'batch.csv');
    writeFileSync(batch, `dealership,vin\nColumbia Honda,${vins[0]}\n`);
    const b = await runCli(['list', '--batch', batch, '--json'], { env: t.env });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('add --yes');
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(0);
    const dry = await runCli(['list', 'Columbia Honda', vins[0]!, '--dry-run', '--json'], { env: t.env });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).status).toBe('dry_run');
    const yes = await runCli(['list', 'Columbia Honda', vins[0]!, '--yes', '--json'], { env: t.env });
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout).status).toBe('ordered');
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(1);
  });

  it('list --file and list --batch with a missing file say so as import does', async () => {
    const missing = path.join(t.dir, 'missing.txt');
    for (const args of [
      ['list', 'Columbia Honda', '--file', missing, '--yes'],
      ['list', '--batch', missing, '--yes'],
      // Without --yes (no terminal here): the missing file is said first, not "needs --yes".
      ['list', 'Columbia Honda', '--file', missing],
      ['list', '--batch', missing],
      ['import', missing],
    ]) {
      const r = await runCli(args, { env: t.env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(`error: ${missing} does not exist or cannot be read`);
      expect(r.stderr, args.join(' ')).toContain('Check the path and try again.');
      expect(r.stderr).not.toMatch(/ENOENT/);
    }
  });

  it('cao --due --dry-run counts the orders that would fail, not "done"', async () => {
    // Thursday 26 November 2026: 11 scheduled orders, none of them for a dealership with inventory.
    const r = await runCli(['cao', '--due', '--date', '2026-11-26', '--dry-run'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('11 scheduled order(s) of 2026-11-26: 0 would run, 11 would fail (dry run');
    expect(r.stdout).toContain('would fail');
    expect(r.stdout).not.toMatch(/\d+ done, 0 failed/);
    const j = await runCli(['cao', '--due', '--date', '2026-11-26', '--dry-run', '--json'], { env: t.env });
    expect(JSON.parse(j.stdout).failed).toBe(11);
    // The run log says the same: nothing ran.
    const log = await runCli(['logs', '--command', 'cao', '--json'], { env: t.env });
    const due = (JSON.parse(log.stdout) as { options: Record<string, unknown>; counts?: unknown }[]).filter(
      (e) => e.options.due === true,
    );
    expect(due.length).toBeGreaterThanOrEqual(2);
    for (const e of due) expect(e.counts).toEqual({ would_run: 0, would_fail: 11 });
  });

  it('logs shows the options that change what a run did: a --dry-run cao is not a real one', async () => {
    const since = new Date().toISOString();
    const dry = await runCli(['cao', '--all', '--dry-run', '--json', '--template', 'standard'], {
      env: t.env,
    });
    expect(dry.code).toBe(0);
    const real = await runCli(['cao', '--all'], { env: t.env });
    expect(real.code).toBe(2);
    const r = await runCli(['logs', '--command', 'cao', '--since', since], {
      env: { ...t.env, COLUMNS: '300' },
    });
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => / cao /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows.filter((l) => l.includes('cao --all --dry-run --template standard'))).toHaveLength(1);
    expect(rows.filter((l) => /cao --all\s/.test(l) && !l.includes('--dry-run'))).toHaveLength(1);
    // How it printed (--json, --yes) does not change what it did.
    expect(r.stdout).not.toContain('--json');
  });

  it('orders list totals leave voided orders out', async () => {
    const made = await runCli(['list', 'Columbia Honda', vins[1]!, '--yes', '--json'], { env: t.env });
    expect(made.code).toBe(0);
    const { orderId } = JSON.parse(made.stdout) as { orderId: number };
    const before = await runCli(['orders', 'list'], { env: t.env });
    const total = /(\d+) order\(s\), (\d+) vehicles/.exec(before.stdout)!;
    const [orders, vehicles] = [Number(total[1]), Number(total[2])];
    expect(orders).toBeGreaterThan(0);
    const voided = await runCli(['orders', 'void', String(orderId), '--yes'], { env: t.env });
    expect(voided.code).toBe(0);
    const after = await runCli(['orders', 'list'], { env: t.env });
    expect(after.stdout).toContain(
      `${orders - 1} order(s), ${vehicles - 1} vehicles (and 1 voided order(s), not counted)`,
    );
  });

  it('a dry-run import logs what it would do, not rows imported', async () => {
    const since = new Date().toISOString();
    const csv = path.join(t.dir, 'inventory.csv');
    writeFileSync(
      csv,
      `dealership,vin,make,model,year,condition,price\nHW Kia,${makeVin(7, '5XYP3DHC')},Kia,Telluride,2025,new,45000\n`,
    );
    const r = await runCli(['import', csv, '--dry-run'], { env: t.env });
    expect(r.code).toBe(0);
    const logs = await runCli(['logs', '--json', '--command', 'import', '--since', since], { env: t.env });
    const [entry] = JSON.parse(logs.stdout) as { counts: Record<string, number> }[];
    expect(entry!.counts).toEqual({ read: 1, wouldImport: 1, wouldReject: 0 });
  });
});
