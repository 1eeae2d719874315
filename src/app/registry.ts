/**
 * The dealership registry. Its one home is the database: the shipped files (scrapers/*.json,
 * SILVERFOX_REGISTRY_DIR) are the starting registry, loaded when a database is created and
 * afterwards only by `silverfox dealers import`, which shows the diff first. Every change is written
 * field by field (a setting is one jsonb key) and recorded with who, when and which command.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replaceFileDurableSync } from '../durable-fs.js';
import { currentOsUser } from '../process-identity.js';
import {
  nameKey,
  registryEntrySchema,
  slugify,
  settingProblemText,
  storedSettingsProblems,
  type RegistryEntry,
} from '../core/dealership.js';
import type { Database, Queryable } from '../db/database.js';
import {
  addAlias,
  getMeta,
  insertDealershipChange,
  insertRegistryDealership,
  latestDealershipChanges,
  listDealerships,
  lockDealership,
  lockRegistry,
  removeAlias,
  setDealershipKey,
  setMeta,
  unsetDealershipKey,
  updateDealershipColumn,
  type DealershipChange,
  type DealershipRecord,
} from '../db/dealerships.js';
import { InputError } from '../errors.js';
import { maskSecrets } from './logs.js';

export interface RegistryFile {
  file: string;
  entry: RegistryEntry;
}

/** Reads and validates one registry file; problems are pushed, not thrown. */
function readRegistryFile(file: string, problems: string[]): RegistryEntry | undefined {
  const f = path.basename(file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`${f}: not valid JSON (${(err as Error).message})`);
    return undefined;
  }
  const settings = (json as { settings?: unknown } | null)?.settings;
  if (settings !== undefined) {
    const bad = storedSettingsProblems(settings);
    if (bad.length > 0) {
      problems.push(...bad.map((p) => `${f}: settings.${settingProblemText(p)}`));
      return undefined;
    }
  }
  const parsed = registryEntrySchema.safeParse(json);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${f}: ${i.path.join('.') || '(root)'}: ${i.message}`));
    return undefined;
  }
  return parsed.data;
}

/**
 * Reads and validates registry files: every `*.json` of a folder, or the files named, reporting
 * all problems together.
 */
export function readRegistry(...paths: string[]): RegistryFile[] {
  const problems: string[] = [];
  const out: RegistryFile[] = [];
  const slugs = new Map<string, string>();
  for (const p of paths) {
    if (!existsSync(p)) {
      if (paths.length === 1) return [];
      problems.push(`${p}: no such file or folder`);
      continue;
    }
    const files = statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((n) => n.endsWith('.json'))
          .sort()
          .map((n) => path.join(p, n))
      : [p];
    for (const file of files) {
      const entry = readRegistryFile(file, problems);
      if (!entry) continue;
      const slug = slugify(entry.name);
      const other = slugs.get(slug);
      if (other) problems.push(`${path.basename(file)}: same dealership slug "${slug}" as ${other}`);
      slugs.set(slug, path.basename(file));
      out.push({ file, entry });
    }
  }
  if (problems.length > 0) {
    throw new InputError(`the dealership registry in ${paths.join(', ')} has ${problems.length} problem(s)`, {
      hints: problems,
    });
  }
  return out;
}

/** A dealership row as a registry entry (the file format of `dealers export`). */
export function entryFromRecord(d: DealershipRecord): RegistryEntry {
  return {
    name: d.name,
    aliases: [...d.aliases],
    platform: d.platform,
    site_url: d.siteUrl,
    api_host: d.apiHost,
    enabled: d.enabled,
    scraper: d.scraper,
    settings: d.settings,
    schedule: d.schedule,
  };
}

/** Who changes the registry: recorded with every change. */
export interface ChangeActor {
  command: string;
  osUser: string;
  host: string;
}

/** The operator running this process (OS user and host) and the command they typed. */
export function currentActor(command: string): ChangeActor {
  // `--db postgres://user:password@...` may be on the command line: never store the password.
  return { command: maskSecrets(command), osUser: currentOsUser(), host: os.hostname() };
}

/** One field of one dealership, before and after (undefined: absent). */
export interface FieldChange {
  /** `site_url`, `aliases`, `settings.min_price`, `scraper.store_filter`, ... */
  field: string;
  old: unknown;
  new: unknown;
}

/** JSON with sorted keys, so jsonb (which reorders keys) compares equal to a file. */
export function canonical(v: unknown): string {
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

const COLUMN_FIELDS = ['name', 'platform', 'site_url', 'api_host', 'enabled', 'schedule'] as const;

function columnValue(e: RegistryEntry, f: (typeof COLUMN_FIELDS)[number]): unknown {
  if (f === 'site_url' || f === 'api_host' || f === 'platform') return e[f] || null;
  return e[f];
}

const aliasKeys = (a: readonly string[]) => [...new Set(a.map(nameKey).filter(Boolean))].sort().join('|');

/** The fields that differ between two entries of one dealership, settings and scraper key by key. */
export function diffEntries(before: RegistryEntry, after: RegistryEntry): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of COLUMN_FIELDS) {
    const a = columnValue(before, f);
    const b = columnValue(after, f);
    if (canonical(a) !== canonical(b)) out.push({ field: f, old: a, new: b });
  }
  if (aliasKeys(before.aliases) !== aliasKeys(after.aliases)) {
    out.push({ field: 'aliases', old: [...before.aliases].sort(), new: [...after.aliases].sort() });
  }
  for (const col of ['settings', 'scraper'] as const) {
    const a = before[col] as Record<string, unknown>;
    const b = after[col] as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (canonical(a[k]) !== canonical(b[k])) out.push({ field: `${col}.${k}`, old: a[k], new: b[k] });
    }
  }
  return out;
}

/**
 * Writes the changes of one dealership field by field (a setting is one jsonb key, so a change
 * by someone else to another key is kept) and records each. Run inside a transaction.
 */
export async function writeFieldChanges(
  tx: Queryable,
  d: { id: number; name: string },
  changes: readonly FieldChange[],
  source: string,
  actor: ChangeActor,
): Promise<void> {
  for (const c of changes) {
    const dot = c.field.indexOf('.');
    if (dot > 0) {
      const col = c.field.slice(0, dot) as 'settings' | 'scraper';
      const key = c.field.slice(dot + 1);
      if (c.new === undefined) await unsetDealershipKey(tx, d.id, col, key);
      else await setDealershipKey(tx, d.id, col, key, c.new);
    } else if (c.field === 'aliases') {
      const before = new Set(((c.old as string[]) ?? []).map(nameKey));
      const after = new Set(((c.new as string[]) ?? []).map(nameKey));
      for (const a of (c.old as string[]) ?? []) if (!after.has(nameKey(a))) await removeAlias(tx, d.id, a);
      for (const a of (c.new as string[]) ?? []) if (!before.has(nameKey(a))) await addAlias(tx, d.id, a);
    } else {
      await updateDealershipColumn(
        tx,
        d.id,
        c.field as Parameters<typeof updateDealershipColumn>[2],
        c.new ?? null,
      );
    }
    await insertDealershipChange(tx, {
      dealershipId: d.id,
      dealership: d.name,
      field: c.field,
      oldValue: c.old,
      newValue: c.new,
      source,
      ...actor,
    });
  }
}

/** Adds a whole entry to the database (first run, `dealers add`, `dealers import`) and records it. */
export async function insertEntry(
  tx: Queryable,
  entry: RegistryEntry,
  source: string,
  actor: ChangeActor,
): Promise<number> {
  const id = await insertRegistryDealership(tx, {
    name: entry.name,
    slug: slugify(entry.name),
    platform: entry.platform || null,
    siteUrl: entry.site_url || null,
    apiHost: entry.api_host ?? null,
    enabled: entry.enabled,
    settings: entry.settings,
    schedule: entry.schedule,
    scraper: entry.scraper,
    aliases: entry.aliases,
  });
  await insertDealershipChange(tx, {
    dealershipId: id,
    dealership: entry.name,
    field: 'dealership',
    oldValue: undefined,
    newValue: entry,
    source,
    ...actor,
  });
  return id;
}

/** Takes a dealership out of the registry: disabled, its orders and VIN log kept. */
export async function retireEntry(
  tx: Queryable,
  d: DealershipRecord,
  source: string,
  actor: ChangeActor,
): Promise<void> {
  await updateDealershipColumn(tx, d.id, 'in_registry', false);
  await updateDealershipColumn(tx, d.id, 'enabled', false);
  await insertDealershipChange(tx, {
    dealershipId: d.id,
    dealership: d.name,
    field: 'dealership',
    oldValue: entryFromRecord(d),
    newValue: undefined,
    source,
    ...actor,
  });
}

/** The meta key that says the database holds the registry (the first-run seed is done). */
const HOME_KEY = 'registry_home';

export interface SeedResult {
  seeded: 'no' | 'created' | 'upgraded';
  dealerships: number;
}

/**
 * The first-run seed: a new database gets the shipped registry; a database synced from the files
 * by an older version keeps its dealerships and settings and only takes the scrape parameters the
 * database did not hold then. Afterwards reading the files never changes the database (one query).
 */
export async function seedRegistry(db: Database, dir: string): Promise<SeedResult> {
  if ((await getMeta(db, HOME_KEY)) === 'db') return { seeded: 'no', dealerships: 0 };
  const files = readRegistry(dir);
  const actor = currentActor(`first run (${dir})`);
  return db.transaction(async (tx) => {
    await lockRegistry(tx);
    const state = await getMeta(tx, HOME_KEY);
    if (state === 'db') return { seeded: 'no', dealerships: 0 } as SeedResult;
    let n = 0;
    if (state === 'upgrade') {
      const rows = new Map((await listDealerships(tx)).map((r) => [r.slug, r]));
      for (const { entry } of files) {
        const row = rows.get(slugify(entry.name));
        if (!row || !row.inRegistry) continue;
        const changes = diffEntries(entryFromRecord(row), entry).filter(
          (c) => c.field === 'api_host' || c.field.startsWith('scraper.'),
        );
        if (changes.length > 0) n++;
        await writeFieldChanges(tx, row, changes, 'seed', actor);
      }
    } else {
      for (const { entry } of files) {
        await insertEntry(tx, entry, 'seed', actor);
        n++;
      }
    }
    await setMeta(tx, HOME_KEY, 'db');
    return { seeded: state === 'upgrade' ? 'upgraded' : 'created', dealerships: n } as SeedResult;
  });
}

/** A change `dealers import` would make, and the operator's change it would overwrite, if any. */
export interface ImportFieldChange extends FieldChange {
  /** The latest change of this field when an operator made it (set/add/unset) rather than an import. */
  changedSince?: DealershipChange;
}

export interface ImportPlan {
  /** The files and folders read. */
  sources: string[];
  added: { entry: RegistryEntry; file: string }[];
  changed: { id: number; name: string; file: string; changes: ImportFieldChange[] }[];
  /** Registry dealerships no folder read holds (only when a folder was read). */
  removed: { id: number; name: string; changedSince?: DealershipChange }[];
}

const OPERATOR_SOURCES = new Set(['add', 'set', 'unset']);

/** What importing these files and folders would change, without changing anything. */
export async function planImport(db: Queryable, paths: readonly string[]): Promise<ImportPlan> {
  const files = readRegistry(...paths);
  const rows = await listDealerships(db);
  const bySlug = new Map(rows.map((r) => [r.slug, r]));
  const latest = new Map<string, DealershipChange>();
  for (const c of await latestDealershipChanges(db)) latest.set(`${c.dealershipId}\0${c.field}`, c);
  const operatorChange = (id: number, field: string) => {
    const c = latest.get(`${id}\0${field}`);
    return c && OPERATOR_SOURCES.has(c.source) ? c : undefined;
  };
  const plan: ImportPlan = { sources: [...paths], added: [], changed: [], removed: [] };
  const seen = new Set<string>();
  for (const { file, entry } of files) {
    const slug = slugify(entry.name);
    seen.add(slug);
    const row = bySlug.get(slug);
    if (!row || !row.inRegistry) {
      plan.added.push({ entry, file });
      continue;
    }
    const changes = diffEntries(entryFromRecord(row), entry).map((c) => {
      const since = operatorChange(row.id, c.field);
      return since ? { ...c, changedSince: since } : c;
    });
    if (changes.length > 0) plan.changed.push({ id: row.id, name: row.name, file, changes });
  }
  if (paths.some((p) => existsSync(p) && statSync(p).isDirectory())) {
    for (const r of rows) {
      if (!r.inRegistry || seen.has(r.slug)) continue;
      const since = operatorChange(r.id, 'dealership');
      plan.removed.push(since ? { id: r.id, name: r.name, changedSince: since } : { id: r.id, name: r.name });
    }
  }
  return plan;
}

/** True when the plan changes nothing. */
export function planIsEmpty(p: ImportPlan): boolean {
  return p.added.length === 0 && p.changed.length === 0 && p.removed.length === 0;
}

/**
 * Applies an import plan in one transaction. Every value is checked against the database first:
 * when anything changed since the plan was made (another operator), nothing is written.
 */
export async function applyImport(db: Database, plan: ImportPlan, actor: ChangeActor): Promise<void> {
  await db.transaction(async (tx) => {
    await lockRegistry(tx);
    const moved: string[] = [];
    for (const c of plan.changed) {
      const row = await lockDealership(tx, c.id);
      if (!row || !row.inRegistry) {
        moved.push(`${c.name}: no longer in the registry`);
        continue;
      }
      const now = entryFromRecord(row);
      for (const f of c.changes) {
        if (canonical(entryField(now, f.field)) !== canonical(f.old)) {
          moved.push(`${c.name}: ${f.field} changed since the diff was made`);
        }
      }
      if (moved.length === 0) await writeFieldChanges(tx, row, c.changes, 'import', actor);
    }
    for (const a of plan.added) {
      const existing = (await listDealerships(tx)).find((r) => r.slug === slugify(a.entry.name));
      if (existing?.inRegistry) moved.push(`${a.entry.name}: added by someone else since the diff was made`);
      else if (moved.length === 0) await insertEntry(tx, a.entry, 'import', actor);
    }
    for (const r of plan.removed) {
      const row = await lockDealership(tx, r.id);
      if (!row?.inRegistry) continue;
      if (moved.length === 0) await retireEntry(tx, row, 'import', actor);
    }
    if (moved.length > 0) {
      throw new InputError('the registry changed since the import diff was made; nothing was imported', {
        hints: [...moved.slice(0, 10), 'Run `silverfox dealers import` again to see the new diff.'],
      });
    }
  });
}

/** The value of one field as diffEntries names it (`settings.min_price`), undefined when absent. */
function entryField(e: RegistryEntry, field: string): unknown {
  const dot = field.indexOf('.');
  if (dot > 0) {
    return (e[field.slice(0, dot) as 'settings' | 'scraper'] as Record<string, unknown>)[
      field.slice(dot + 1)
    ];
  }
  if (field === 'aliases') return [...e.aliases].sort();
  return columnValue(e, field as (typeof COLUMN_FIELDS)[number]);
}

/** Writes every registry dealership as `<slug>.json` into `dir` (the format `dealers import` reads). */
export async function exportRegistry(db: Queryable, dir: string): Promise<{ dir: string; files: string[] }> {
  const rows = (await listDealerships(db)).filter((r) => r.inRegistry);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const r of rows) {
    const e = entryFromRecord(r);
    const out: Record<string, unknown> = {
      name: e.name,
      aliases: e.aliases,
      platform: e.platform,
      site_url: e.site_url,
      ...(e.api_host ? { api_host: e.api_host } : {}),
      enabled: e.enabled,
      scraper: e.scraper,
      settings: e.settings,
      ...(e.schedule.length > 0 ? { schedule: e.schedule } : {}),
    };
    const file = path.join(dir, `${r.slug}.json`);
    replaceFileDurableSync(file, `${JSON.stringify(out, null, 2)}\n`);
    files.push(file);
  }
  return { dir, files };
}
