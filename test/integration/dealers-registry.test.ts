/**
 * Issue 14: the database is the registry's one home. Only what was set is stored, every change is
 * validated at the door and recorded, `dealers import` shows its diff and says which operator
 * change it would overwrite, `dealers export` round-trips, and an upgraded database keeps its
 * dealerships and settings. On both databases.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import {
  addDealer,
  applyDealersImport,
  dealerHistory,
  exportDealers,
  planDealersImport,
  resolveDealership,
  setDealer,
  showDealer,
  shownSettings,
} from '../../src/app/dealers.js';
import { runCao } from '../../src/app/cao.js';
import { showOrder } from '../../src/app/orders.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';
import { SETTING_DEFAULTS } from '../../src/core/dealership.js';
import { InputError } from '../../src/errors.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

describe.each(DATABASE_KINDS)('the dealership registry in the database on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let tmp: string;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'silverfox-registry-io-'));
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stores only what was set; show marks set and default; --unset goes back to the default', async () => {
    const before = await showDealer(ctx, 'Columbia Honda');
    expect(before.settings).toEqual({});
    const d = await setDealer(
      ctx,
      'columbia honda',
      { settings: { min_price: '5000' } },
      { command: 'test set' },
    );
    expect(d.settings).toEqual({ min_price: 5000 });
    const shown = new Map(shownSettings(d).map((s) => [s.key, s]));
    expect(shown.get('min_price')).toMatchObject({ value: 5000, source: 'set', default: null });
    expect(shown.get('template')).toMatchObject({ value: 'standard', source: 'default' });
    expect(shown.size).toBe(Object.keys(SETTING_DEFAULTS).length);

    const back = await setDealer(ctx, 'columbia honda', { unset: ['min_price'] }, { command: 'test unset' });
    expect(back.settings).toEqual({});
    expect(back.effectiveSettings.min_price).toBeNull();
    const unknown = await setDealer(ctx, 'columbia honda', { unset: ['colour'] }).catch((e: unknown) => e);
    expect((unknown as InputError).hints.join(' ')).toMatch(
      /--unset colour: unknown setting \(known: vehicle_types, /,
    );
  });

  it('refuses an invalid value naming key, value and what is allowed, and changes nothing', async () => {
    const bad = setDealer(ctx, 'columbia honda', {
      settings: { vehicle_types: 'boats', recent_days: 'soon' },
      url: 'http://127.0.0.1:1',
    });
    await expect(bad).rejects.toThrow(InputError);
    const err = (await bad.catch((e: unknown) => e)) as InputError;
    expect(err.hints.join('\n')).toContain(
      'vehicle_types: "boats" is not allowed (one or more of new, used, po, cpo, unknown, comma-separated)',
    );
    expect(err.hints.join('\n')).toContain('recent_days: "soon" is not allowed (a number of days >= 0)');
    const d = await showDealer(ctx, 'columbia honda');
    expect(d.settings).toEqual({});
    expect(d.siteUrl).toBe('https://www.columbiahonda.com');
    const refused = await addDealer(ctx, 'Bad Motors', { settings: { template: '' } }).catch(
      (e: unknown) => e,
    );
    expect((refused as InputError).hints).toEqual([
      'template: "" is not allowed (standard, shortcut, shortcut_pack, flyout or the name of a custom template): Too small: expected string to have >=1 characters',
    ]);
    await expect(resolveDealership(ctx, 'Bad Motors')).rejects.toThrow(/unknown dealership/);
  });

  it('an invalid stored value stops the commands that need it, never a silent default', async () => {
    await ctx.db.query(
      `UPDATE dealerships SET settings = settings || '{"min_price": "cheap"}' WHERE slug = 'bmw_of_columbia'`,
    );
    try {
      const d = await resolveDealership(ctx, 'BMW of Columbia');
      expect(d.settingsProblems).toEqual([
        'min_price: "cheap" is not allowed (a number >= 0, or none): Invalid input: expected number, received string',
      ]);
      expect(() => d.effectiveSettings).toThrow(
        /dealership "BMW of Columbia" has invalid settings: min_price/,
      );
      const cao = await runCao(ctx, { dealers: ['BMW of Columbia'], dryRun: true });
      expect(cao.results[0]!.status).toBe('failed');
      expect(cao.results[0]!.error!.message).toMatch(/has invalid settings: min_price: "cheap"/);
      // show still works and says which one; set can fix it.
      const shown = shownSettings(await showDealer(ctx, 'bmw of columbia')).find(
        (s) => s.key === 'min_price',
      );
      expect(shown).toMatchObject({ source: 'invalid', value: 'cheap' });
      await expect(setDealer(ctx, 'bmw of columbia', { settings: { max_price: '90000' } })).rejects.toThrow(
        InputError,
      );
    } finally {
      const fixed = await setDealer(ctx, 'bmw of columbia', { unset: ['min_price'] });
      expect(fixed.settingsProblems).toEqual([]);
    }
  });

  it('records every change: who, where, when, which command, old and new value', async () => {
    await setDealer(
      ctx,
      'spirit lexus',
      { settings: { template: 'flyout' }, addAliases: ['Spirit Lexus STL'] },
      { command: 'silverfox dealers set "Spirit Lexus" --setting template=flyout' },
    );
    await setDealer(ctx, 'spirit lexus', { settings: { template: 'shortcut' } }, { command: 'second' });
    const h = await dealerHistory(ctx, 'Spirit Lexus');
    expect(h.dealership).toBe('Spirit Lexus');
    const template = h.changes.filter((c) => c.field === 'settings.template');
    expect(template.map((c) => [c.oldValue, c.newValue, c.source, c.command])).toEqual([
      [undefined, 'flyout', 'set', 'silverfox dealers set "Spirit Lexus" --setting template=flyout'],
      ['flyout', 'shortcut', 'set', 'second'],
    ]);
    expect(template[0]!.osUser).toBe(os.userInfo().username);
    // A server URL on the command line (`--db`) is recorded with its password masked.
    await setDealer(
      ctx,
      'spirit lexus',
      { settings: { min_year: '2001' } },
      {
        command:
          'silverfox --db postgres://sf:hunter2@db.local/silverfox dealers set "Spirit Lexus" --setting min_year=2001',
      },
    );
    const masked = (await dealerHistory(ctx, 'Spirit Lexus')).changes.at(-1)!;
    expect(masked.command).toBe(
      'silverfox --db postgres://sf:****@db.local/silverfox dealers set "Spirit Lexus" --setting min_year=2001',
    );
    await setDealer(ctx, 'spirit lexus', { unset: ['min_year'] });
    expect(template[0]!.host).toBe(os.hostname());
    expect(h.changes.find((c) => c.field === 'aliases')!.newValue).toContain('Spirit Lexus STL');
    // The first-run seed is recorded too.
    expect(h.changes[0]).toMatchObject({ field: 'dealership', source: 'seed', oldValue: undefined });
  });

  it('import shows added, changed field by field and removed, flags an operator change it would overwrite, then applies', async () => {
    const dir = path.join(tmp, 'reviewed');
    await exportDealers(ctx, dir);
    // Round trip: what export wrote imports as no change.
    const none = await planDealersImport(ctx, [dir]);
    expect([none.added, none.changed, none.removed]).toEqual([[], [], []]);

    const edit = (slug: string, change: (e: Record<string, unknown>) => Record<string, unknown> | null) => {
      const f = path.join(dir, `${slug}.json`);
      const next = change(JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>);
      if (next) writeFileSync(f, JSON.stringify(next));
      else rmSync(f);
    };
    edit('spirit_lexus', (e) => ({ ...e, settings: { template: 'flyout' } }));
    edit('hw_kia', (e) => ({ ...e, site_url: 'https://hwkia.example', settings: { min_year: 2015 } }));
    edit('pundmann_ford', () => null);
    writeFileSync(path.join(dir, 'new_motors.json'), JSON.stringify({ name: 'New Motors', enabled: false }));

    const plan = await planDealersImport(ctx, [dir]);
    expect(plan.added.map((a) => a.entry.name)).toEqual(['New Motors']);
    expect(plan.removed.map((r) => r.name)).toEqual(['Pundmann Ford']);
    const byName = new Map(plan.changed.map((c) => [c.name, c.changes]));
    expect(byName.get('HW Kia')!.map((c) => [c.field, c.old ?? null, c.new])).toEqual([
      ['site_url', 'https://www.hwkia.com', 'https://hwkia.example'],
      ['settings.min_year', null, 2015],
    ]);
    const lexus = byName.get('Spirit Lexus')!;
    expect(lexus.map((c) => [c.field, c.old, c.new])).toEqual([['settings.template', 'shortcut', 'flyout']]);
    expect(lexus[0]!.changedSince).toMatchObject({ source: 'set', command: 'second' });
    expect(byName.get('HW Kia')![0]!.changedSince).toBeUndefined();

    await applyDealersImport(ctx, plan, { command: 'test import' });
    expect((await resolveDealership(ctx, 'hw kia')).settings).toEqual({ min_year: 2015 });
    expect((await resolveDealership(ctx, 'spirit lexus')).settings).toEqual({ template: 'flyout' });
    expect((await resolveDealership(ctx, 'new motors')).inRegistry).toBe(true);
    const pundmann = await resolveDealership(ctx, 'pundmann ford');
    expect([pundmann.inRegistry, pundmann.enabled]).toEqual([false, false]);
    const h = (await dealerHistory(ctx, 'HW Kia')).changes.at(-1)!;
    expect(h).toMatchObject({ field: 'settings.min_year', source: 'import', command: 'test import' });
    expect((await planDealersImport(ctx, [dir])).changed).toEqual([]);
  });

  it('an order records the settings it ran with: set, default or run option', async () => {
    const d = await setDealer(ctx, 'glendale cdjr', { settings: { template: 'flyout', min_price: '100' } });
    await seedInventory(ctx.db, d.id, [{ vin: makeVin(1), condition: 'new', price: 20000 }]);
    const r = await runCao(ctx, { dealers: ['glendale cdjr'], vehicleTypes: ['new'] });
    expect(r.results[0]!.status).toBe('ordered');
    const shown = await showOrder(ctx, r.results[0]!.orderId!);
    const ran = (shown.order.summary as { settings: Record<string, unknown> }).settings;
    expect(ran.template).toEqual({ value: 'flyout', source: 'set' });
    expect(ran.min_price).toEqual({ value: 100, source: 'set' });
    expect(ran.vehicle_types).toEqual({ value: ['new'], source: 'run option' });
    expect(ran.recent_days).toEqual({ value: 1, source: 'default' });
    // A later change does not rewrite what the order ran with.
    await setDealer(ctx, 'glendale cdjr', { unset: ['template'] });
    const again = (await showOrder(ctx, r.results[0]!.orderId!)).order.summary as {
      settings: Record<string, unknown>;
    };
    expect(again.settings.template).toEqual({ value: 'flyout', source: 'set' });
  });

  it('import refuses an invalid value naming file, key, value and what is allowed, and changes nothing', async () => {
    const file = path.join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'Columbia Honda', settings: { vehicle_types: ['boats'] } }));
    const err = (await planDealersImport(ctx, [file]).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.hints).toEqual([
      'bad.json: settings.vehicle_types: ["boats"] is not allowed (one or more of new, used, po, cpo, unknown, comma-separated): Invalid option: expected one of "new"|"used"|"po"|"cpo"|"unknown"',
    ]);
  });

  it('an import whose diff went stale (another operator changed a field since) writes nothing', async () => {
    const file = path.join(tmp, 'one.json');
    const e = JSON.parse(readFileSync(path.join(tmp, 'reviewed', 'columbia_honda.json'), 'utf8'));
    writeFileSync(file, JSON.stringify({ ...e, settings: { min_price: 1000 }, platform: 'dealer.com' }));
    const plan = await planDealersImport(ctx, [file]);
    expect(plan.removed).toEqual([]);
    expect(plan.changed[0]!.changes.map((c) => c.field)).toEqual(['platform', 'settings.min_price']);
    await setDealer(ctx, 'columbia honda', { settings: { min_price: '2000' } });
    await expect(applyDealersImport(ctx, plan)).rejects.toThrow(/changed since the import diff was made/);
    const d = await resolveDealership(ctx, 'columbia honda');
    expect([d.platform, d.settings]).toEqual(['dealeron', { min_price: 2000 }]);
  });
});

describe.each(DATABASE_KINDS)('a database synced from the files by an older version, on %s', (kind) => {
  let t: TestEnv;
  afterAll(async () => t?.cleanup());

  it('keeps its dealerships and settings and takes only the scrape parameters it lacked', async () => {
    t = await createTestEnv(kind);
    let ctx = await t.open();
    await addDealer(ctx, 'Operator Motors', {});
    // Back to the schema and the bookkeeping of version 6: no scrape columns, no history, a fingerprint.
    await ctx.db.query(`ALTER TABLE dealerships DROP COLUMN api_host, DROP COLUMN scraper`);
    await ctx.db.query(`DROP TABLE dealership_changes`);
    await ctx.db.query(`DELETE FROM silverfox_migrations WHERE version = 7`);
    await ctx.db.query(`DELETE FROM silverfox_meta WHERE key = 'registry_home'`);
    await ctx.db.query(`INSERT INTO silverfox_meta (key, value) VALUES ('registry_fingerprint', 'abc')`);
    await ctx.db.query(
      `UPDATE dealerships SET settings = '{"min_price": 5000, "template": "standard"}' WHERE slug = 'columbia_honda'`,
    );
    await ctx.db.close();
    ctx = await t.open();
    try {
      const honda = await resolveDealership(ctx, 'columbia honda');
      expect(honda.settings).toEqual({ min_price: 5000, template: 'standard' });
      expect(honda.scraper).toMatchObject({ group_site: true, store_filter: { param: 'Dealership' } });
      expect((await resolveDealership(ctx, 'operator motors')).inRegistry).toBe(true);
      const seeded = (await dealerHistory(ctx, 'columbia honda')).changes;
      expect(seeded.length).toBeGreaterThan(0);
      expect(seeded.every((c) => c.source === 'seed' && c.field.startsWith('scraper.'))).toBe(true);
      // The operator's setting shows as a difference an import would make, not as done behind their back.
      const plan = await planDealersImport(ctx, []);
      expect(plan.changed.find((c) => c.name === 'Columbia Honda')!.changes.map((c) => c.field)).toEqual([
        'settings.min_price',
        'settings.template',
      ]);
      expect(plan.removed.map((r) => r.name)).toEqual(['Operator Motors']);
    } finally {
      await ctx.db.close();
    }
  });
});
