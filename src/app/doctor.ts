/**
 * `silverfox doctor`: checks that an unattended install can do its job, and says what to fix.
 * It opens the database without migrating it and without syncing the registry, so it sees pending
 * migrations and registry drift as they are.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { nameKey, slugify } from '../core/dealership.js';
import { formatBytes } from '../core/duration.js';
import type { Database } from '../db/database.js';
import { listDealerships } from '../db/dealerships.js';
import { schemaStatus } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { selectDealershipStatus, selectNow } from '../db/status.js';
import { SilverfoxError } from '../errors.js';
import { readRegistry, type RegistryFile } from './registry.js';
import { entryProblems } from './scrape-entry.js';
import { inspectRunLock, type RunLockHolder } from './run-lock.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  /** Stable name: database, schema, registry, stale, scrapers, orders_folder, free_space, log_folder, chromium, staging. */
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it (empty when ok). */
  fix: string[];
}

export interface DoctorReport {
  /** False when any check failed (the CLI exits 1). */
  ok: boolean;
  checks: DoctorCheck[];
}

/** A staged order folder older than this is a leftover even while another run is going. */
const STAGING_STALE_MS = 3_600_000;

const check = (name: string, status: CheckStatus, detail: string, fix: string[] = []): DoctorCheck => ({
  name,
  status,
  detail,
  fix,
});

/** JSON with sorted keys, so jsonb (which reorders keys) compares equal to the registry file. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Every enabled registry dealership whose entry cannot be scraped as it stands (no platform or site
 * URL, options its adapter's schema refuses, a group site without a store filter), judged without
 * any request by the same check the scrape runs first.
 */
async function scrapersCheck(config: Readonly<Config>): Promise<DoctorCheck> {
  let files: RegistryFile[];
  try {
    files = readRegistry(config.registryDir);
  } catch {
    return check('scrapers', 'skip', 'the registry cannot be read (see the registry check)');
  }
  const enabled = files.filter((f) => f.entry.enabled);
  const bad: string[] = [];
  for (const f of enabled) {
    const problems = await entryProblems(f.entry);
    if (problems.length > 0)
      bad.push(
        `${f.entry.name}: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`,
      );
  }
  if (bad.length === 0)
    return check('scrapers', 'ok', `${enabled.length} enabled dealerships can be scraped as registered`);
  return check(
    'scrapers',
    'fail',
    `${bad.length} enabled dealership(s) cannot be scraped as registered: ${bad.join('; ')}`,
    [
      'Fill in the entry (scrapers/<slug>.json; `silverfox dealers show NAME` lists its parameters and problems),',
      'or disable it (`silverfox dealers set NAME --disable`) and import its inventory from a CSV.',
    ],
  );
}

/** Differences between the registry files and the dealerships rows, one line each. */
export async function registryDrift(db: Database, files: RegistryFile[]): Promise<string[]> {
  const rows = await listDealerships(db);
  const bySlug = new Map(rows.map((r) => [r.slug, r]));
  const drift: string[] = [];
  const slugs = new Set<string>();
  for (const { file, entry } of files) {
    const slug = slugify(entry.name);
    slugs.add(slug);
    const row = bySlug.get(slug);
    if (!row) {
      drift.push(`${entry.name}: in the registry (${path.basename(file)}) but not in the database`);
      continue;
    }
    const differs: string[] = [];
    if (row.name !== entry.name) differs.push('name');
    if ((row.platform ?? null) !== (entry.platform ?? null)) differs.push('platform');
    if ((row.siteUrl ?? null) !== (entry.site_url || null)) differs.push('site_url');
    if (row.enabled !== entry.enabled) differs.push('enabled');
    if (!row.inRegistry) differs.push('in_registry');
    if (canonical(row.settings) !== canonical(entry.settings)) differs.push('settings');
    if (canonical(row.schedule ?? []) !== canonical(entry.schedule ?? [])) differs.push('schedule');
    const keys = (a: readonly string[]) => [...new Set(a.map(nameKey).filter(Boolean))].sort().join('|');
    if (keys(row.aliases) !== keys(entry.aliases)) differs.push('aliases');
    if (differs.length > 0) drift.push(`${entry.name}: ${differs.join(', ')} differ(s) from the database`);
  }
  for (const r of rows) {
    if (r.inRegistry && !slugs.has(r.slug) && files.length > 0) {
      drift.push(`${r.name}: marked as a registry dealership in the database but has no registry file`);
    }
  }
  return drift;
}

function nearestExisting(dir: string): string {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Can we create files in `dir` (created when missing, as the commands would)? */
function writable(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.silverfox-doctor-${process.pid}`);
    writeFileSync(probe, 'probe');
    unlinkSync(probe);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function folderChecks(config: Readonly<Config>): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const ordersProblem = writable(config.ordersDir);
  out.push(
    ordersProblem
      ? check('orders_folder', 'fail', `cannot write in ${config.ordersDir}: ${ordersProblem}`, [
          `Create the folder and give this user write access, or point SILVERFOX_ORDERS_DIR elsewhere.`,
        ])
      : check('orders_folder', 'ok', `${config.ordersDir} is writable`),
  );
  try {
    const fs = statfsSync(nearestExisting(config.ordersDir));
    const free = Number(fs.bavail) * Number(fs.bsize);
    const min = config.minFreeMb * 1024 * 1024;
    out.push(
      free < min
        ? check(
            'free_space',
            'fail',
            `${formatBytes(free)} free for ${config.ordersDir}, below ${config.minFreeMb} MB (SILVERFOX_MIN_FREE_MB)`,
            [
              'Free disk space: archive old orders (`silverfox orders archive --older-than 30d`), prune old snapshots (`silverfox db prune --keep-snapshots 3`), or move SILVERFOX_ORDERS_DIR to a larger disk.',
            ],
          )
        : check('free_space', 'ok', `${formatBytes(free)} free for ${config.ordersDir}`),
    );
  } catch (err) {
    out.push(check('free_space', 'warn', `cannot read free space: ${(err as Error).message}`));
  }
  const logProblem = writable(config.logDir);
  out.push(
    logProblem
      ? check('log_folder', 'fail', `cannot write run logs in ${config.logDir}: ${logProblem}`, [
          'Create the folder and give this user write access, or point SILVERFOX_LOG_DIR elsewhere.',
        ])
      : check('log_folder', 'ok', `${config.logDir} is writable`),
  );
  try {
    accessSync(config.chromiumPath, constants.X_OK);
    if (!statSync(config.chromiumPath).isFile()) throw new Error('not a file');
    out.push(check('chromium', 'ok', `${config.chromiumPath} (scrape and PDF)`));
  } catch {
    out.push(
      check(
        'chromium',
        'fail',
        `no Chromium at ${config.chromiumPath} (CHROMIUM_PATH): scrape and PDF cannot run`,
        ['Install it (Debian: `apt-get install -y chromium`) or set CHROMIUM_PATH to its executable.'],
      ),
    );
  }
  return out;
}

/** The owner file the order writer keeps beside a staged folder (src/output/order-folder.ts). */
const OWNER_SUFFIX = '.owner.json';

function ownerAlive(file: string, now: Date): boolean {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number; host?: string; started_at?: string };
    if (!o.started_at || now.getTime() - Date.parse(o.started_at) > 24 * STAGING_STALE_MS) return false;
    if (o.host && o.host !== os.hostname()) return true; // cannot be checked from here
    if (!Number.isInteger(o.pid)) return false;
    process.kill(o.pid!, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function stagingCheck(
  config: Readonly<Config>,
  runInProgress: RunLockHolder | undefined,
  now: Date,
): DoctorCheck {
  const dir = path.join(config.ordersDir, '.staging');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return check('staging', 'ok', 'no staged orders');
  }
  // One staged order = its folder and/or its owner file.
  const names = [
    ...new Set(entries.map((e) => (e.endsWith(OWNER_SUFFIX) ? e.slice(0, -OWNER_SUFFIX.length) : e))),
  ];
  const leftovers = names.filter((n) => {
    if (ownerAlive(path.join(dir, n + OWNER_SUFFIX), now)) return false;
    if (!runInProgress) return true;
    try {
      const p = existsSync(path.join(dir, n)) ? path.join(dir, n) : path.join(dir, n + OWNER_SUFFIX);
      return now.getTime() - statSync(p).mtimeMs > STAGING_STALE_MS;
    } catch {
      return false;
    }
  });
  if (leftovers.length === 0) {
    return check(
      'staging',
      'ok',
      names.length > 0 ? `${names.length} order(s) being written by the run in progress` : 'no staged orders',
    );
  }
  return check(
    'staging',
    'fail',
    `${leftovers.length} staged order folder(s) left by an interrupted run in ${dir}: ${leftovers.slice(0, 5).join(', ')}${leftovers.length > 5 ? ', ...' : ''}`,
    [
      'The next `silverfox cao` or `silverfox list` run recovers them: it publishes the ones whose order was committed and discards the others.',
    ],
  );
}

/** Runs every check; never throws for a problem it can describe. */
export async function runDoctor(config: Readonly<Config>, opts: { now?: Date } = {}): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  let db: Database | undefined;
  let holder: RunLockHolder | undefined;
  try {
    db = await openDatabase(config, { migrate: false });
    checks.push(
      check(
        'database',
        'ok',
        `${db.kind === 'embedded' ? 'embedded (PGlite) at' : 'server'} ${db.description}`,
      ),
    );
  } catch (err) {
    const e = err as SilverfoxError;
    if (e.code === 'database_in_use') {
      checks.push(
        check('database', 'warn', `${e.message}: a run is in progress, database checks skipped`, [
          'Run `silverfox doctor` again when it has finished (`silverfox logs` shows what ran).',
        ]),
      );
    } else {
      checks.push(check('database', 'fail', e.message, e.hints ?? []));
    }
  }
  try {
    if (db) {
      const schema = await schemaStatus(db);
      let schemaOk = schema.version > 0 && schema.pending.length === 0;
      if (schema.version > schema.latest) {
        schemaOk = false;
        checks.push(
          check(
            'schema',
            'fail',
            `the database is at schema version ${schema.version}, newer than this silverfox (${schema.latest})`,
            ['Upgrade silverfox to the version that wrote this database.'],
          ),
        );
      } else if (schema.pending.length > 0) {
        checks.push(
          check(
            'schema',
            'fail',
            `schema version ${schema.version} of ${schema.latest}; pending: ${schema.pending.join(', ')}`,
            ['Run `silverfox db migrate` (any command also migrates on first use).'],
          ),
        );
      } else {
        checks.push(check('schema', 'ok', `schema version ${schema.version}, up to date`));
      }
      holder = await inspectRunLock(config, db).catch(() => undefined);
      let files: RegistryFile[] | undefined;
      try {
        files = readRegistry(config.registryDir);
      } catch (err) {
        const e = err as SilverfoxError;
        checks.push(
          check('registry', 'fail', e.message, [
            ...(e.hints ?? []),
            'Fix the files named above; every command refuses to start until then.',
          ]),
        );
      }
      if (files && schemaOk) {
        const drift = await registryDrift(db, files);
        checks.push(
          drift.length === 0
            ? check('registry', 'ok', `${files.length} registry dealerships match the database`)
            : check(
                'registry',
                'fail',
                `the registry (${config.registryDir}) and the database differ: ${drift.slice(0, 5).join('; ')}${drift.length > 5 ? `; and ${drift.length - 5} more` : ''}`,
                ['Run `silverfox dealers sync` to load the registry into the database.'],
              ),
        );
      } else if (files) {
        checks.push(check('registry', 'skip', 'schema not up to date'));
      }
      if (schemaOk) {
        const rows = await selectDealershipStatus(db);
        const now = await selectNow(db);
        const staleMs = config.staleHours * 3_600_000;
        const stale = rows.filter(
          (r) => r.enabled && (!r.importedAt || now.getTime() - r.importedAt.getTime() > staleMs),
        );
        const never = stale.filter((r) => !r.importedAt).length;
        checks.push(
          stale.length === 0
            ? check(
                'stale',
                'ok',
                `${rows.filter((r) => r.enabled).length} enabled dealerships imported within ${config.staleHours}h`,
              )
            : check(
                'stale',
                'fail',
                `${stale.length} enabled dealership(s) older than ${config.staleHours}h (SILVERFOX_STALE_HOURS)${never ? `, ${never} never imported` : ''}: ${stale
                  .slice(0, 5)
                  .map((r) => r.name)
                  .join(', ')}${stale.length > 5 ? ', ...' : ''}`,
                [
                  'Run `silverfox scrape --all` or `silverfox import FILE`; disable dealerships no longer served (`silverfox dealers set NAME --disable`).',
                ],
              ),
        );
      } else {
        checks.push(check('stale', 'skip', 'schema not up to date'));
      }
    } else {
      for (const name of ['schema', 'registry', 'stale'])
        checks.push(check(name, 'skip', 'database not reachable'));
      if (!config.databaseUrl) holder = await inspectRunLock(config);
    }
  } finally {
    await db?.close().catch(() => {});
  }
  checks.push(await scrapersCheck(config));
  checks.push(...folderChecks(config));
  checks.push(stagingCheck(config, holder, opts.now ?? new Date()));
  return { ok: !checks.some((c) => c.status === 'fail'), checks };
}
