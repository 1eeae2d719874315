/**
 * `silverfox doctor`: checks that an unattended install can do its job, and says what to fix.
 * It opens the database without migrating or seeding it, so it sees pending migrations as they are.
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
import path from 'node:path';
import type { Config } from '../config.js';
import { isStale, settingProblemText, storedSettingsProblems } from '../core/dealership.js';
import { formatBytes } from '../core/duration.js';
import type { Database } from '../db/database.js';
import { listDealerships, type DealershipRecord } from '../db/dealerships.js';
import { selectHeldSnapshots } from '../db/imports.js';
import { schemaStatus } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { selectCompleteOrderFolders } from '../db/orders.js';
import { selectDealershipStatus, selectNow } from '../db/status.js';
import { SilverfoxError } from '../errors.js';
import { OWNER_SUFFIX, STAGING_DIR, type Owner } from '../output/order-folder.js';
import { ownerState } from '../output/order-recovery.js';
import { inspectImportReports } from './import-reports.js';
import { entryFromRecord, planImport, type ImportPlan } from './registry.js';
import { entryProblems } from './scrape-entry.js';
import { inspectRunLock, type RunLockHolder } from '../db/run-lock.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  /**
   * Stable name: database, schema, registry, settings, stale, held, orders_on_disk, import_reports,
   * scrapers, orders_folder, free_space, log_folder, chromium, staging.
   */
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

/**
 * Every enabled registry dealership whose entry cannot be scraped as it stands (no platform or site
 * URL, options its adapter's schema refuses, a group site without a store filter), judged without
 * any request by the same check the scrape runs first.
 */
async function scrapersCheck(rows: readonly DealershipRecord[]): Promise<DoctorCheck> {
  const enabled = rows.filter((r) => r.inRegistry && r.enabled);
  const bad: string[] = [];
  for (const r of enabled) {
    const problems = await entryProblems(entryFromRecord(r));
    if (problems.length > 0)
      bad.push(`${r.name}: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`);
  }
  if (bad.length === 0)
    return check('scrapers', 'ok', `${enabled.length} enabled dealerships can be scraped as registered`);
  return check(
    'scrapers',
    'fail',
    `${bad.length} enabled dealership(s) cannot be scraped as registered: ${bad.join('; ')}`,
    [
      'Fill in the entry (`silverfox dealers show NAME` lists its parameters and problems; `silverfox dealers set NAME --url ... --platform ...`),',
      'or disable it (`silverfox dealers set NAME --disable`) and import its inventory from a CSV.',
    ],
  );
}

/** Stored settings that are invalid (a hand edit, an older version): the commands that need them stop. */
function settingsCheck(rows: readonly DealershipRecord[]): DoctorCheck {
  const bad: string[] = [];
  for (const r of rows) {
    const problems = storedSettingsProblems(r.settings);
    if (problems.length > 0) bad.push(`${r.name}: ${problems.map(settingProblemText).join('; ')}`);
  }
  if (bad.length === 0)
    return check('settings', 'ok', `the settings of ${rows.length} dealerships are valid`);
  return check('settings', 'fail', `${bad.length} dealership(s) have invalid settings: ${bad.join('; ')}`, [
    'Fix each with `silverfox dealers set NAME --setting KEY=VALUE`, or go back to the default with `--unset KEY`.',
  ]);
}

/**
 * What the shipped registry files hold that the database lacks (after an upgrade): dealerships and
 * fields the database has no value for. A value the database holds differently is the operator's
 * and is not reported here (`silverfox dealers import` shows it).
 */
async function registryCheck(db: Database, dir: string): Promise<DoctorCheck> {
  let plan: ImportPlan;
  try {
    plan = await planImport(db, [dir]);
  } catch (err) {
    const e = err as SilverfoxError;
    return check('registry', 'warn', `the shipped registry cannot be read: ${e.message}`, [
      ...(e.hints ?? []),
      'The database is the registry; these files are only read by `silverfox dealers import`.',
    ]);
  }
  const lacks: string[] = plan.added.map((a) => `${a.entry.name} (new dealership)`);
  for (const c of plan.changed) {
    const fields = c.changes.filter((f) => f.old === undefined || f.old === null).map((f) => f.field);
    if (fields.length > 0) lacks.push(`${c.name}: ${fields.join(', ')}`);
  }
  if (lacks.length === 0) {
    return check(
      'registry',
      'ok',
      `the database holds every dealership and field of the shipped registry (${dir})`,
    );
  }
  return check(
    'registry',
    'warn',
    `the shipped registry (${dir}) holds ${lacks.length} dealership(s) or field(s) the database lacks: ${lacks.slice(0, 5).join('; ')}${lacks.length > 5 ? `; and ${lacks.length - 5} more` : ''}`,
    [`Run \`silverfox dealers import\` to see the whole diff and bring them in.`],
  );
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

/** Whether the writer of a staged order is still at it (owner file beside the folder). */
function ownerAlive(file: string): boolean {
  try {
    return ownerState(JSON.parse(readFileSync(file, 'utf8')) as Partial<Owner>) !== 'dead';
  } catch {
    return false;
  }
}

function stagingCheck(
  config: Readonly<Config>,
  runInProgress: RunLockHolder | undefined,
  now: Date,
): DoctorCheck {
  const dir = path.join(config.ordersDir, STAGING_DIR);
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
    if (ownerAlive(path.join(dir, n + OWNER_SUFFIX))) return false;
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

const listed = (items: string[]) =>
  `${items.slice(0, 5).join(', ')}${items.length > 5 ? `, and ${items.length - 5} more` : ''}`;

/** Complete orders whose folder is not on disk (a staged one is published by the next run). */
async function orderFoldersCheck(db: Database, config: Readonly<Config>): Promise<DoctorCheck> {
  const orders = await selectCompleteOrderFolders(db);
  const missing = orders.filter((o) => !existsSync(o.folder));
  if (missing.length === 0)
    return check('orders_on_disk', 'ok', `${orders.length} complete order(s), every folder in place`);
  const staging = path.join(config.ordersDir, STAGING_DIR);
  const staged = missing.filter((o) => existsSync(path.join(staging, path.basename(o.folder))));
  const gone = missing.filter((o) => !staged.includes(o));
  return check(
    'orders_on_disk',
    'fail',
    `${missing.length} complete order(s) without their folder: ${listed(
      missing.map((o) => `#${o.id} (${staged.includes(o) ? 'still staged' : 'missing'}: ${o.folder})`),
    )}`,
    [
      ...(staged.length
        ? [
            'The staged ones are published by the next `silverfox cao`/`list` run or `silverfox orders show ID`.',
          ]
        : []),
      ...(gone.length
        ? [
            `Rebuild a missing folder from the database: ${gone
              .slice(0, 5)
              .map((o) => `\`silverfox orders repair ${o.id}\``)
              .join(', ')}.`,
          ]
        : []),
    ],
  );
}

/** Held snapshots (drop guard) wait for an operator: a warning naming each, with the fix. */
async function heldCheck(db: Database): Promise<DoctorCheck> {
  const held = await selectHeldSnapshots(db);
  if (held.length === 0) return check('held', 'ok', 'no held snapshot');
  return check(
    'held',
    'warn',
    `${held.length} dealership(s) have a newer snapshot held by the drop guard (CAO uses the older active one): ${held
      .slice(0, 5)
      .map((h) => {
        const reason = (h.hold as { reason?: string } | null)?.reason;
        return `${h.name} (#${h.snapshotId}${reason ? `: ${reason}` : ''})`;
      })
      .join('; ')}${held.length > 5 ? `; and ${held.length - 5} more` : ''}`,
    [
      'Check the site or file; if the drop is real: `silverfox scrape NAME --accept-drop` (see `silverfox status`).',
    ],
  );
}

/** Import report folders a killed import left, and rejects files recorded but missing. */
async function importReportsCheck(
  db: Database,
  config: Readonly<Config>,
  runInProgress: boolean,
  now: Date,
): Promise<DoctorCheck> {
  const p = await inspectImportReports(db, path.join(config.logDir, 'imports'), {
    runInProgress,
    staleMs: STAGING_STALE_MS,
    now,
  });
  if (p.leftovers.length === 0 && p.missingRejects.length === 0)
    return check('import_reports', 'ok', 'every import report in place');
  const parts: string[] = [];
  const fix: string[] = [];
  if (p.leftovers.length) {
    parts.push(
      `${p.leftovers.length} unfinished report folder(s) of an interrupted import: ${listed(p.leftovers)}`,
    );
    fix.push(
      'The next `silverfox import` finishes them: it moves the report of a committed import into place and removes the others.',
    );
  }
  if (p.missingRejects.length) {
    parts.push(
      `${p.missingRejects.length} import(s) whose rejects file is missing: ${listed(
        p.missingRejects.map((i) => `import #${i.id} (${i.rejectsFile})`),
      )}`,
    );
    if (!p.leftovers.length)
      fix.push(
        'The rejected rows are not in the database: import the same file again with --force to write them again (the counts are in `imports.report`).',
      );
  }
  return check('import_reports', 'fail', parts.join('; '), fix);
}

/** Runs every check; never throws for a problem it can describe. */
export async function runDoctor(config: Readonly<Config>, opts: { now?: Date } = {}): Promise<DoctorReport> {
  const { db, checks } = await openForChecks(config);
  let holder: RunLockHolder | undefined;
  try {
    if (db) {
      const schema = await schemaCheck(db);
      checks.push(schema.check);
      holder = await inspectRunLock(config, db).catch(() => undefined);
      if (schema.ok) checks.push(...(await databaseChecks(db, config, holder !== undefined, opts.now)));
      else for (const name of DATABASE_CHECKS) checks.push(check(name, 'skip', 'schema not up to date'));
    } else {
      for (const name of ['schema', ...DATABASE_CHECKS])
        checks.push(check(name, 'skip', 'database not reachable'));
      if (!config.databaseUrl) holder = await inspectRunLock(config);
    }
  } finally {
    await db?.close().catch(() => {});
  }
  checks.push(...folderChecks(config));
  checks.push(stagingCheck(config, holder, opts.now ?? new Date()));
  return { ok: !checks.some((c) => c.status === 'fail'), checks };
}

/** The checks that read an up-to-date schema, in the order they are reported. */
const DATABASE_CHECKS = [
  'registry',
  'settings',
  'scrapers',
  'stale',
  'held',
  'orders_on_disk',
  'import_reports',
] as const;

/** Opens the database without migrating it; the first check says how that went. */
async function openForChecks(config: Readonly<Config>): Promise<{ db?: Database; checks: DoctorCheck[] }> {
  try {
    const db = await openDatabase(config, { migrate: false });
    const where = `${db.kind === 'embedded' ? 'embedded (PGlite) at' : 'server'} ${db.description}`;
    return { db, checks: [check('database', 'ok', where)] };
  } catch (err) {
    const e = err as SilverfoxError;
    if (e.code === 'database_in_use') {
      return {
        checks: [
          check('database', 'warn', `${e.message}: a run is in progress, database checks skipped`, [
            'Run `silverfox doctor` again when it has finished (`silverfox logs` shows what ran).',
          ]),
        ],
      };
    }
    return { checks: [check('database', 'fail', e.message, e.hints ?? [])] };
  }
}

/** Is the schema this silverfox's, with no migration pending? */
async function schemaCheck(db: Database): Promise<{ check: DoctorCheck; ok: boolean }> {
  const schema = await schemaStatus(db);
  if (schema.version > schema.latest)
    return {
      ok: false,
      check: check(
        'schema',
        'fail',
        `the database is at schema version ${schema.version}, newer than this silverfox (${schema.latest})`,
        ['Upgrade silverfox to the version that wrote this database.'],
      ),
    };
  if (schema.pending.length > 0)
    return {
      ok: false,
      check: check(
        'schema',
        'fail',
        `schema version ${schema.version} of ${schema.latest}; pending: ${schema.pending.join(', ')}`,
        ['Run `silverfox db migrate` (any command also migrates on first use).'],
      ),
    };
  return {
    ok: schema.version > 0,
    check: check('schema', 'ok', `schema version ${schema.version}, up to date`),
  };
}

/** The DATABASE_CHECKS, on a database whose schema is up to date. */
async function databaseChecks(
  db: Database,
  config: Readonly<Config>,
  runInProgress: boolean,
  now: Date | undefined,
): Promise<DoctorCheck[]> {
  const rows = await listDealerships(db);
  return [
    await registryCheck(db, config.registryDir),
    settingsCheck(rows),
    await scrapersCheck(rows),
    await staleCheck(db, config),
    await heldCheck(db),
    await orderFoldersCheck(db, config),
    await importReportsCheck(db, config, runInProgress, now ?? new Date()),
  ];
}

/** Enabled dealerships whose last import is older than SILVERFOX_STALE_HOURS (or that have none). */
async function staleCheck(db: Database, config: Readonly<Config>): Promise<DoctorCheck> {
  const rows = await selectDealershipStatus(db);
  const now = await selectNow(db);
  const stale = rows.filter((r) => isStale(r.enabled, r.importedAt, now, config.staleHours));
  if (stale.length === 0)
    return check(
      'stale',
      'ok',
      `${rows.filter((r) => r.enabled).length} enabled dealerships imported within ${config.staleHours}h`,
    );
  const never = stale.filter((r) => !r.importedAt).length;
  return check(
    'stale',
    'fail',
    `${stale.length} enabled dealership(s) older than ${config.staleHours}h (SILVERFOX_STALE_HOURS)${never ? `, ${never} never imported` : ''}: ${stale
      .slice(0, 5)
      .map((r) => r.name)
      .join(', ')}${stale.length > 5 ? ', ...' : ''}`,
    [
      'Run `silverfox scrape --all` or `silverfox import FILE`; disable dealerships no longer served (`silverfox dealers set NAME --disable`).',
    ],
  );
}
