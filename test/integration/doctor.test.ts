import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDealers } from '../../src/app/dealers.js';
import { runDoctor, type DoctorReport } from '../../src/app/doctor.js';
import { RUN_LOCK_FILE } from '../../src/db/run-lock.js';
import { resolveConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/open.js';
import { RUN_LOCK_KEY } from '../../src/db/run-lock-server.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import { seedSnapshots } from '../helpers/ops-seed.js';

const status = (r: DoctorReport, name: string) => r.checks.find((c) => c.name === name)?.status;
const detail = (r: DoctorReport, name: string) => r.checks.find((c) => c.name === name)?.detail ?? '';
const failed = (r: DoctorReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.name);

/** Another live process holding a lock file: a `sleep` child, so the pid is alive and not ours. */
function otherProcess(): ChildProcess {
  return spawn('sleep', ['60'], { stdio: 'ignore' });
}

describe.each(DATABASE_KINDS)('doctor on %s', (kind) => {
  let t: TestEnv;
  const withEnv = (extra: Record<string, string>) =>
    resolveConfig({ env: { ...t.env, ...extra }, cwd: t.dir });
  // Without migrating or syncing: the tests break the schema and the registry on purpose.
  const sql = async (text: string, params: unknown[] = []) => {
    const db = await openDatabase(t.config, { migrate: false });
    try {
      return await db.query(text, params);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    // Issue 13: until every registry entry carries its site (the Algolia entries are filled by
    // another part of the issue), entries without a site URL are disabled here, so "healthy"
    // means this install; once all entries have one, nothing is disabled.
    const registry = mkdtempSync(path.join(os.tmpdir(), 'silverfox-doctor-registry-'));
    for (const f of readdirSync(path.join(ROOT, 'scrapers')).filter((n) => n.endsWith('.json'))) {
      const e = JSON.parse(readFileSync(path.join(ROOT, 'scrapers', f), 'utf8')) as Record<string, unknown>;
      writeFileSync(
        path.join(registry, f),
        JSON.stringify(e.site_url ? e : { ...e, enabled: false }, null, 2),
      );
    }
    t = await createTestEnv(kind, { registryDir: registry });
    rmSync(registry, { recursive: true, force: true });
    // Healthy: every enabled dealership imported just now.
    const ctx = await t.open();
    try {
      for (const d of await listDealers(ctx))
        if (d.enabled) await seedSnapshots(ctx.db, d.id, { count: 1, rows: 2 });
    } finally {
      await ctx.db.close();
    }
  });
  afterAll(async () => t?.cleanup());

  it('a healthy install passes every check', async () => {
    const r = await runDoctor(t.config);
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual([
      'database',
      'schema',
      'registry',
      'settings',
      'scrapers',
      'stale',
      'held',
      'orders_on_disk',
      'import_reports',
      'orders_folder',
      'free_space',
      'log_folder',
      'chromium',
      'staging',
    ]);
    expect(r.checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('pending migrations, and a database newer than this silverfox', async () => {
    const latest = Number((await sql('SELECT max(version) AS v FROM silverfox_migrations')).rows[0]!.v);
    const row = (await sql('SELECT name FROM silverfox_migrations WHERE version = $1', [latest])).rows[0]!;
    await sql('DELETE FROM silverfox_migrations WHERE version = $1', [latest]);
    let r = await runDoctor(t.config);
    expect(failed(r)).toEqual(['schema']);
    expect(detail(r, 'schema')).toContain(`pending: ${String(row.name)}`);
    expect(r.checks.find((c) => c.name === 'schema')!.fix.join(' ')).toContain('silverfox db migrate');
    await sql('INSERT INTO silverfox_migrations (version, name) VALUES ($1, $2)', [latest, row.name]);

    await sql(`INSERT INTO silverfox_migrations (version, name) VALUES (999, '999_future')`);
    r = await runDoctor(t.config);
    expect(failed(r)).toEqual(['schema']);
    expect(detail(r, 'schema')).toMatch(/newer than this silverfox/);
    await sql('DELETE FROM silverfox_migrations WHERE version = 999');
    expect((await runDoctor(t.config)).ok).toBe(true);
  });

  it('the shipped files hold a dealership and a field the database lacks: a warning naming `dealers import`', async () => {
    const dir = t.config.registryDir;
    const file = path.join(dir, 'columbia_honda.json');
    const original = readFileSync(file, 'utf8');
    const entry = JSON.parse(original);
    // A field the database has no value for, and one it holds differently (the operator's: not reported).
    writeFileSync(
      file,
      JSON.stringify({ ...entry, api_host: 'http://127.0.0.1:9998', site_url: 'http://127.0.0.1:9999' }),
    );
    writeFileSync(
      path.join(dir, 'example_motors.json'),
      JSON.stringify({ name: 'Example Motors', enabled: false }),
    );
    const gone = path.join(dir, 'hw_kia.json');
    const kia = readFileSync(gone, 'utf8');
    rmSync(gone);
    try {
      const r = await runDoctor(t.config);
      expect(failed(r)).toEqual([]);
      expect(status(r, 'registry')).toBe('warn');
      const d = detail(r, 'registry');
      expect(d).toContain('2 dealership(s) or field(s) the database lacks');
      expect(d).toContain('Example Motors (new dealership)');
      expect(d).toContain('Columbia Honda: api_host');
      expect(d).not.toContain('site_url');
      expect(d).not.toContain('HW Kia');
      expect(r.checks.find((c) => c.name === 'registry')!.fix.join(' ')).toContain(
        'silverfox dealers import',
      );
      // Reading the files changed nothing in the database.
      const rows = (
        await sql(`SELECT slug, api_host, site_url FROM dealerships WHERE slug = 'columbia_honda'`)
      ).rows[0] as { api_host: string | null; site_url: string };
      expect(rows.api_host).toBeNull();
      expect(rows.site_url).toBe(entry.site_url);
      expect((await sql(`SELECT 1 FROM dealerships WHERE slug = 'example_motors'`)).rows).toEqual([]);
    } finally {
      writeFileSync(file, original);
      writeFileSync(gone, kia);
      rmSync(path.join(dir, 'example_motors.json'));
    }
    expect(status(await runDoctor(t.config), 'registry')).toBe('ok');
  });

  it('names every enabled dealership whose entry cannot be scraped as it stands', async () => {
    const slugs = ['audi_rancho_mirage', 'porsche_st_louis', 'mini_of_st_louis'];
    const before = (
      await sql(`SELECT slug, site_url, scraper::text AS scraper FROM dealerships WHERE slug = ANY($1)`, [
        slugs,
      ])
    ).rows as { slug: string; site_url: string | null; scraper: string }[];
    // A group site without its store filter, an option the adapter refuses, no site URL.
    await sql(`UPDATE dealerships SET scraper = scraper - 'store_filter' WHERE slug = $1`, [slugs[0]]);
    await sql(`UPDATE dealerships SET scraper = scraper || '{"page_size": "twelve"}' WHERE slug = $1`, [
      slugs[1],
    ]);
    await sql(`UPDATE dealerships SET site_url = NULL WHERE slug = $1`, [slugs[2]]);
    try {
      const r = await runDoctor(t.config);
      expect(status(r, 'scrapers')).toBe('fail');
      const d = detail(r, 'scrapers');
      expect(d).toContain('3 enabled dealership(s) cannot be scraped');
      expect(d).toMatch(/Audi Rancho Mirage: refusing to scrape: on a group site without a store filter/);
      expect(d).toMatch(/Porsche St\. Louis: invalid scraper options for dealeron-html/);
      expect(d).toMatch(/MINI of St\. Louis: has no site URL/);
    } finally {
      for (const b of before)
        await sql(`UPDATE dealerships SET site_url = $2, scraper = $3::jsonb WHERE slug = $1`, [
          b.slug,
          b.site_url,
          b.scraper,
        ]);
    }
    expect(status(await runDoctor(t.config), 'scrapers')).toBe('ok');
  });

  it('an invalid stored setting fails doctor with the dealership, key, value and what is allowed', async () => {
    await sql(
      `UPDATE dealerships SET settings = settings || '{"min_price": "abc", "colour": "red"}' WHERE slug = 'columbia_honda'`,
    );
    try {
      const r = await runDoctor(t.config);
      expect(failed(r)).toEqual(['settings']);
      const d = detail(r, 'settings');
      expect(d).toContain('1 dealership(s) have invalid settings: Columbia Honda: ');
      expect(d).toContain('min_price: "abc" is not allowed (a number >= 0, or none)');
      expect(d).toContain('colour: "red" is not allowed (a known setting:');
      expect(r.checks.find((c) => c.name === 'settings')!.fix.join(' ')).toContain('--unset KEY');
    } finally {
      await sql(
        `UPDATE dealerships SET settings = settings - 'min_price' - 'colour' WHERE slug = 'columbia_honda'`,
      );
    }
    expect((await runDoctor(t.config)).ok).toBe(true);
  });

  it('an invalid shipped registry file is a warning naming it (the database is the registry)', async () => {
    const bad = path.join(t.config.registryDir, 'broken.json');
    writeFileSync(bad, '{ "name": ');
    try {
      const r = await runDoctor(t.config);
      expect(failed(r)).toEqual([]);
      expect(status(r, 'registry')).toBe('warn');
      expect(r.checks.find((c) => c.name === 'registry')!.fix.join(' ')).toContain('broken.json');
    } finally {
      rmSync(bad);
    }
  });

  it('a stale dealership', async () => {
    await sql(
      `UPDATE snapshots SET created_at = now() - interval '100 hours'
       WHERE status = 'active' AND dealership_id = (SELECT id FROM dealerships WHERE slug = 'columbia_honda')`,
    );
    const r = await runDoctor(t.config);
    expect(failed(r)).toEqual(['stale']);
    expect(detail(r, 'stale')).toContain('1 enabled dealership(s) older than 36h');
    expect(detail(r, 'stale')).toContain('Columbia Honda');
    await sql(`UPDATE snapshots SET created_at = now() WHERE status = 'active'`);
  });

  it('orders and log folders that cannot be written, low free space, no Chromium', async () => {
    const blocker = path.join(t.dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const r = await runDoctor(
      withEnv({
        SILVERFOX_ORDERS_DIR: path.join(blocker, 'orders'),
        SILVERFOX_LOG_DIR: path.join(blocker, 'logs'),
        CHROMIUM_PATH: path.join(t.dir, 'no-chromium'),
      }),
    );
    expect(failed(r)).toEqual(
      ['orders_folder', 'log_folder', 'chromium', 'staging'].filter((n) => n !== 'staging'),
    );
    expect(detail(r, 'chromium')).toContain('CHROMIUM_PATH');
    const space = await runDoctor(withEnv({ SILVERFOX_MIN_FREE_MB: String(1024 ** 3) }));
    expect(failed(space)).toEqual(['free_space']);
    expect(detail(space, 'free_space')).toContain('SILVERFOX_MIN_FREE_MB');
  });

  it('leftover staged orders, unless a run in progress is writing them', async () => {
    const staged = path.join(t.config.ordersDir, '.staging', 'columbia_honda_cao_20261101-020000');
    mkdirSync(staged, { recursive: true });
    const owner = `${staged}.owner.json`;
    writeFileSync(
      owner,
      JSON.stringify({
        pid: 999_999_999,
        host: os.hostname(),
        order_id: 7,
        started_at: new Date().toISOString(),
      }),
    );
    let r = await runDoctor(t.config);
    expect(failed(r)).toEqual(['staging']);
    // the folder and its owner file are one staged order
    expect(detail(r, 'staging')).toContain('1 staged order folder(s) left by an interrupted run');
    expect(detail(r, 'staging')).toContain('columbia_honda_cao_20261101-020000');

    // Its writer is alive (owner file of a live process): being written, not a leftover.
    const writer = otherProcess();
    writeFileSync(
      owner,
      JSON.stringify({
        pid: writer.pid,
        host: os.hostname(),
        order_id: 7,
        started_at: new Date().toISOString(),
      }),
    );
    r = await runDoctor(t.config);
    writer.kill();
    expect(status(r, 'staging')).toBe('ok');
    rmSync(owner);

    // A run in progress holds the run lock: its fresh staged folder is no leftover.
    const sleeper = otherProcess();
    let client: pg.Client | undefined;
    try {
      if (kind === 'server') {
        client = new pg.Client({
          connectionString: t.env.DATABASE_URL,
          application_name: 'silverfox cao pid 4242',
        });
        await client.connect();
        await client.query('SELECT pg_advisory_lock($1)', [RUN_LOCK_KEY]);
      } else {
        writeFileSync(
          path.join(t.config.dataDir, RUN_LOCK_FILE),
          JSON.stringify({ pid: sleeper.pid, command: 'cao --all', since: new Date().toISOString() }),
        );
      }
      r = await runDoctor(t.config);
      expect(status(r, 'staging')).toBe('ok');
      expect(detail(r, 'staging')).toContain('being written by the run in progress');
      // ... but one older than an hour is, even then.
      const old = new Date(Date.now() - 2 * 3_600_000);
      utimesSync(staged, old, old);
      r = await runDoctor(t.config);
      expect(failed(r)).toEqual(['staging']);
    } finally {
      await client?.end();
      sleeper.kill();
      rmSync(path.join(t.config.dataDir, RUN_LOCK_FILE), { force: true });
      rmSync(path.join(t.config.ordersDir, '.staging'), { recursive: true, force: true });
    }
  });

  if (kind === 'server') {
    it('an unreachable server: the database check fails and says what to do', async () => {
      const url = new URL(t.env.DATABASE_URL!);
      url.port = '1';
      url.password = 'hunter2';
      const r = await runDoctor(
        withEnv({ DATABASE_URL: url.toString(), SILVERFOX_DB_CONNECT_TIMEOUT_MS: '0' }),
      );
      expect(failed(r)).toEqual(['database']);
      expect(['schema', 'registry', 'stale'].map((n) => status(r, n))).toEqual(['skip', 'skip', 'skip']);
      expect(JSON.stringify(r)).not.toContain('hunter2');
      expect(r.checks[0]!.fix.join(' ')).toMatch(/server is running/);
    });
  } else {
    it('an embedded database held by a run: a warning, database checks skipped', async () => {
      const sleeper = otherProcess();
      const lock = path.join(t.config.dataDir, 'silverfox.lock');
      writeFileSync(lock, String(sleeper.pid));
      try {
        const r = await runDoctor(t.config);
        expect(status(r, 'database')).toBe('warn');
        expect(detail(r, 'database')).toContain(`in use by process ${sleeper.pid}`);
        expect(r.ok).toBe(true);
      } finally {
        sleeper.kill();
        rmSync(lock, { force: true });
      }
    });
  }
});
