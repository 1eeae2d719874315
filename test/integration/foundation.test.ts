import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { addDealer, listDealers, removeDealer, resolveDealership, setDealer } from '../../src/app/dealers.js';
import { getStatus } from '../../src/app/status.js';
import { loadMigrations, migrate, schemaStatus } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/open.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

describe.each(DATABASE_KINDS)('foundation on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });

  it('migrations applied twice change nothing', async () => {
    const before = await ctx.db.query(`SELECT count(*)::int AS n FROM silverfox_migrations`);
    expect(await migrate(ctx.db)).toEqual([]);
    const after = await ctx.db.query(`SELECT count(*)::int AS n FROM silverfox_migrations`);
    expect(after.rows).toEqual(before.rows);
    const s = await schemaStatus(ctx.db);
    expect(s.version).toBe(loadMigrations().at(-1)!.version);
    expect(s.pending).toEqual([]);
  });

  it('enforces at most one active snapshot per dealership', async () => {
    const d = await resolveDealership(ctx, 'Columbia Honda');
    const imp = await ctx.db.query<{ id: number }>(`INSERT INTO imports DEFAULT VALUES RETURNING id`);
    const imp2 = await ctx.db.query<{ id: number }>(`INSERT INTO imports DEFAULT VALUES RETURNING id`);
    await ctx.db.query(`INSERT INTO snapshots (import_id, dealership_id, status) VALUES ($1, $2, 'active')`, [
      imp.rows[0]!.id,
      d.id,
    ]);
    await expect(
      ctx.db.query(`INSERT INTO snapshots (import_id, dealership_id, status) VALUES ($1, $2, 'active')`, [
        imp2.rows[0]!.id,
        d.id,
      ]),
    ).rejects.toThrow(/duplicate key|unique/i);
    await ctx.db.query(`DELETE FROM imports`);
  });

  it('a new database holds the 40 shipped dealerships with their aliases; the files are not read again', async () => {
    const all = await listDealers(ctx);
    expect(all).toHaveLength(40);
    // A changed file does not reach the database behind the operator's back.
    const file = path.join(t.config.registryDir, 'spirit_lexus.json');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(original), site_url: 'http://127.0.0.1:1' }));
    await ctx.db.close();
    ctx = await t.open();
    writeFileSync(file, original);
    expect(await listDealers(ctx)).toEqual(all);
    const kia = await resolveDealership(ctx, 'h&w kia');
    expect(kia.name).toBe('HW Kia');
    expect(kia.aliases).toContain('HW Kia of West County');
  });

  it('unknown names fail with suggestions', async () => {
    await expect(resolveDealership(ctx, 'Spirit Lexsu')).rejects.toThrow(NotFoundError);
    try {
      await resolveDealership(ctx, 'Spirit Lexsu');
    } catch (err) {
      expect((err as NotFoundError).hints.join(' ')).toContain('Spirit Lexus');
    }
  });

  it('set changes the database, not the registry file; bad values change nothing', async () => {
    const d = await setDealer(ctx, 'spirit lexus', {
      url: 'http://127.0.0.1:9999',
      settings: { template: 'flyout', min_price: '$5,000', vehicle_types: 'new,cpo' },
      addAliases: ['Spirit Lexus of St. Louis'],
    });
    expect(d.siteUrl).toBe('http://127.0.0.1:9999');
    expect(d.effectiveSettings.template).toBe('flyout');
    expect(d.effectiveSettings.min_price).toBe(5000);
    expect(d.effectiveSettings.vehicle_types).toEqual(['new', 'cpo']);
    const file = JSON.parse(readFileSync(path.join(t.config.registryDir, 'spirit_lexus.json'), 'utf8'));
    expect(file.settings.template).toBeUndefined();
    expect(d.settings).toEqual({ template: 'flyout', min_price: 5000, vehicle_types: ['new', 'cpo'] });
    expect((await resolveDealership(ctx, 'Spirit Lexus of St Louis')).id).toBe(d.id);

    await expect(setDealer(ctx, 'spirit lexus', { settings: { vehicle_types: 'boats' } })).rejects.toThrow(
      InputError,
    );
    await expect(setDealer(ctx, 'spirit lexus', { settings: { colour: 'red' } })).rejects.toThrow(InputError);
    expect((await resolveDealership(ctx, 'spirit lexus')).effectiveSettings.vehicle_types).toEqual([
      'new',
      'cpo',
    ]);
  });

  it('add and remove keep history and disable', async () => {
    const d = await addDealer(ctx, 'Example Motors', { platform: 'dealeron' });
    expect(d.slug).toBe('example_motors');
    await expect(addDealer(ctx, 'example motors')).rejects.toThrow(/already exists/);
    const removed = await removeDealer(ctx, 'Example Motors');
    expect(removed.enabled).toBe(false);
    expect(removed.inRegistry).toBe(false);
  });

  it('status reports every dealership as stale before any import', async () => {
    const s = await getStatus(ctx);
    expect(s.database.kind).toBe(kind);
    expect(s.database.schemaVersion).toBeGreaterThan(0);
    expect(s.dealerships.length).toBeGreaterThanOrEqual(40);
    expect(s.totals.stale).toBe(s.totals.enabled);
  });
});

describe('concurrent migrations on the server', () => {
  it('two processes migrating a fresh database at once apply each migration once', async () => {
    const t = await createTestEnv('server');
    try {
      const [a, b] = await Promise.all([
        openDatabase(t.config, { migrate: false }),
        openDatabase(t.config, { migrate: false }),
      ]);
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ra, ...rb].sort()).toEqual(
        loadMigrations()
          .map((m) => m.name)
          .sort(),
      );
      const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM silverfox_migrations');
      expect(rows[0]!.n).toBe(loadMigrations().length);
      await a.close();
      await b.close();
    } finally {
      await t.cleanup();
    }
  });
});
