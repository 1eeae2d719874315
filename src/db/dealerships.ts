/** SQL for the dealership aggregate: dealerships, aliases, the registry's change history. */
import { nameKey, type ScheduleEntry, type StoredSettings } from '../core/dealership.js';
import type { Queryable } from './database.js';

/** A dealership row, camelCased at this boundary. */
export interface DealershipRecord {
  id: number;
  name: string;
  slug: string;
  platform: string | null;
  siteUrl: string | null;
  apiHost: string | null;
  enabled: boolean;
  inRegistry: boolean;
  /** Only the settings that were set (may be invalid: a hand edit, an older version). */
  settings: StoredSettings;
  schedule: ScheduleEntry[];
  /** The registry entry's `scraper` parameters, as stored. */
  scraper: Record<string, unknown>;
  aliases: string[];
}

const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

interface DealershipRow {
  id: number;
  name: string;
  slug: string;
  platform: string | null;
  site_url: string | null;
  api_host: string | null;
  enabled: boolean;
  in_registry: boolean;
  settings: StoredSettings | string;
  schedule: ScheduleEntry[] | string | null;
  scraper: Record<string, unknown> | string | null;
  aliases: string[] | null;
  [k: string]: unknown;
}

function toRecord(r: DealershipRow): DealershipRecord {
  return {
    id: Number(r.id),
    name: r.name,
    slug: r.slug,
    platform: r.platform,
    siteUrl: r.site_url,
    apiHost: r.api_host,
    enabled: r.enabled,
    inRegistry: r.in_registry,
    settings: json(r.settings) ?? {},
    schedule: json(r.schedule) ?? [],
    scraper: json(r.scraper) ?? {},
    aliases: r.aliases ?? [],
  };
}

const SELECT_DEALERSHIPS = `
  SELECT d.id, d.name, d.slug, d.platform, d.site_url, d.api_host, d.enabled, d.in_registry, d.settings,
         d.schedule, d.scraper,
         COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM dealership_aliases a
                   WHERE a.dealership_id = d.id), ARRAY[]::text[]) AS aliases
  FROM dealerships d`;

/** Every dealership with its aliases, by name. */
export async function listDealerships(db: Queryable): Promise<DealershipRecord[]> {
  const { rows } = await db.query<DealershipRow>(`${SELECT_DEALERSHIPS} ORDER BY d.name`);
  return rows.map(toRecord);
}

/** One dealership by id. */
export async function findDealershipById(db: Queryable, id: number): Promise<DealershipRecord | undefined> {
  const { rows } = await db.query<DealershipRow>(`${SELECT_DEALERSHIPS} WHERE d.id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export interface NewRegistryDealership extends Omit<
  DealershipRecord,
  'id' | 'inRegistry' | 'aliases' | 'schedule'
> {
  schedule: readonly ScheduleEntry[];
  aliases: readonly string[];
}

/**
 * Puts a dealership into the registry: a new row, or the row a feed created under that slug
 * (outside the registry until now), which takes the entry's values. Returns its id.
 */
export async function insertRegistryDealership(db: Queryable, d: NewRegistryDealership): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO dealerships (name, slug, platform, site_url, api_host, enabled, in_registry, settings, schedule, scraper)
     VALUES ($1, $2, $3, $4, $5, $6, true, $7::jsonb, $8::jsonb, $9::jsonb)
     ON CONFLICT (slug) DO UPDATE SET
       name = EXCLUDED.name, platform = EXCLUDED.platform, site_url = EXCLUDED.site_url,
       api_host = EXCLUDED.api_host, enabled = EXCLUDED.enabled, in_registry = true,
       settings = EXCLUDED.settings, schedule = EXCLUDED.schedule, scraper = EXCLUDED.scraper,
       updated_at = now()
     RETURNING id`,
    [
      d.name,
      d.slug,
      d.platform,
      d.siteUrl,
      d.apiHost,
      d.enabled,
      JSON.stringify(d.settings),
      JSON.stringify(d.schedule),
      JSON.stringify(d.scraper),
    ],
  );
  const id = Number(rows[0]!.id);
  await replaceAliases(db, id, d.aliases);
  return id;
}

/** Locks one dealership row until the end of the transaction and returns it as it is now. */
export async function lockDealership(db: Queryable, id: number): Promise<DealershipRecord | undefined> {
  await db.query('SELECT id FROM dealerships WHERE id = $1 FOR UPDATE', [id]);
  return findDealershipById(db, id);
}

/** The columns a registry change writes one at a time (identifiers only from this list). */
export const DEALERSHIP_COLUMNS = {
  name: 'name',
  platform: 'platform',
  site_url: 'site_url',
  api_host: 'api_host',
  enabled: 'enabled',
  in_registry: 'in_registry',
  schedule: 'schedule',
} as const;
export type DealershipColumn = keyof typeof DEALERSHIP_COLUMNS;
const JSON_COLUMNS = new Set<DealershipColumn>(['schedule']);

/** Writes one column of one dealership, nothing else. */
export async function updateDealershipColumn(
  db: Queryable,
  id: number,
  column: DealershipColumn,
  value: unknown,
): Promise<void> {
  const col = DEALERSHIP_COLUMNS[column];
  const cast = JSON_COLUMNS.has(column) ? '::jsonb' : '';
  await db.query(`UPDATE dealerships SET ${col} = $2${cast}, updated_at = now() WHERE id = $1`, [
    id,
    JSON_COLUMNS.has(column) ? JSON.stringify(value) : value,
  ]);
}

/** The jsonb columns changed key by key, so two operators changing different keys both keep theirs. */
export type KeyedColumn = 'settings' | 'scraper';

/** Sets one key of `settings` or `scraper` (jsonb `||`): the other keys stay as they are in the row. */
export async function setDealershipKey(
  db: Queryable,
  id: number,
  column: KeyedColumn,
  key: string,
  value: unknown,
): Promise<void> {
  const col = column === 'settings' ? 'settings' : 'scraper';
  await db.query(
    `UPDATE dealerships SET ${col} = ${col} || jsonb_build_object($2::text, $3::jsonb), updated_at = now()
     WHERE id = $1`,
    [id, key, JSON.stringify(value)],
  );
}

/** Removes one key of `settings` or `scraper` (jsonb `-`): a setting goes back to its default. */
export async function unsetDealershipKey(
  db: Queryable,
  id: number,
  column: KeyedColumn,
  key: string,
): Promise<void> {
  const col = column === 'settings' ? 'settings' : 'scraper';
  await db.query(`UPDATE dealerships SET ${col} = ${col} - $2::text, updated_at = now() WHERE id = $1`, [
    id,
    key,
  ]);
}

/** Adds one alias to a dealership (an alias another dealership holds moves here). */
export async function addAlias(db: Queryable, dealershipId: number, alias: string): Promise<void> {
  const key = nameKey(alias);
  if (!key) return;
  await db.query(
    `INSERT INTO dealership_aliases (alias_key, alias, dealership_id) VALUES ($1, $2, $3)
     ON CONFLICT (alias_key) DO UPDATE SET alias = EXCLUDED.alias, dealership_id = EXCLUDED.dealership_id`,
    [key, alias, dealershipId],
  );
}

/** Removes one alias of a dealership. */
export async function removeAlias(db: Queryable, dealershipId: number, alias: string): Promise<void> {
  await db.query('DELETE FROM dealership_aliases WHERE dealership_id = $1 AND alias_key = $2', [
    dealershipId,
    nameKey(alias),
  ]);
}

/** One recorded change of the registry. */
export interface DealershipChange {
  id: number;
  dealershipId: number | null;
  dealership: string;
  field: string;
  oldValue: unknown;
  newValue: unknown;
  source: string;
  command: string;
  osUser: string;
  host: string;
  changedAt: Date;
}

export type NewDealershipChange = Omit<DealershipChange, 'id' | 'changedAt'>;

/** Records one change (in the transaction that made it). */
export async function insertDealershipChange(db: Queryable, c: NewDealershipChange): Promise<void> {
  await db.query(
    `INSERT INTO dealership_changes
       (dealership_id, dealership, field, old_value, new_value, source, command, os_user, host)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9)`,
    [
      c.dealershipId,
      c.dealership,
      c.field,
      c.oldValue === undefined ? null : JSON.stringify(c.oldValue),
      c.newValue === undefined ? null : JSON.stringify(c.newValue),
      c.source,
      c.command,
      c.osUser,
      c.host,
    ],
  );
}

interface ChangeRow {
  id: string | number;
  dealership_id: number | null;
  dealership: string;
  field: string;
  old_value: unknown;
  new_value: unknown;
  source: string;
  command: string;
  os_user: string;
  host: string;
  changed_at: Date | string;
  old_absent: boolean;
  new_absent: boolean;
  [k: string]: unknown;
}

/** SQL NULL is "absent" (a setting not set), jsonb null is the value none. */
const CHANGE_COLUMNS = `*, (old_value IS NULL) AS old_absent, (new_value IS NULL) AS new_absent`;

const toChange = (r: ChangeRow): DealershipChange => ({
  id: Number(r.id),
  dealershipId: r.dealership_id === null ? null : Number(r.dealership_id),
  dealership: r.dealership,
  field: r.field,
  // jsonb comes back parsed from both drivers (a string value is a JS string: no second parse).
  oldValue: r.old_absent ? undefined : r.old_value,
  newValue: r.new_absent ? undefined : r.new_value,
  source: r.source,
  command: r.command,
  osUser: r.os_user,
  host: r.host,
  changedAt: new Date(r.changed_at),
});

/** The recorded changes, oldest first: of one dealership, or of all. */
export async function listDealershipChanges(
  db: Queryable,
  opts: { dealershipId?: number; limit?: number } = {},
): Promise<DealershipChange[]> {
  const { rows } = await db.query<ChangeRow>(
    `SELECT ${CHANGE_COLUMNS} FROM (
       SELECT * FROM dealership_changes
       WHERE ($1::int IS NULL OR dealership_id = $1)
       ORDER BY id DESC LIMIT $2) c
     ORDER BY id`,
    [opts.dealershipId ?? null, opts.limit ?? 1000],
  );
  return rows.map(toChange);
}

/** The latest change of every field of every dealership (what `dealers import` checks before overwriting). */
export async function latestDealershipChanges(db: Queryable): Promise<DealershipChange[]> {
  const { rows } = await db.query<ChangeRow>(
    `SELECT DISTINCT ON (dealership_id, field) ${CHANGE_COLUMNS} FROM dealership_changes
     WHERE dealership_id IS NOT NULL ORDER BY dealership_id, field, id DESC`,
  );
  return rows.map(toChange);
}

/** Replaces a dealership's aliases (the keys are unique across all dealerships). */
export async function replaceAliases(
  db: Queryable,
  dealershipId: number,
  aliases: readonly string[],
): Promise<void> {
  await db.query('DELETE FROM dealership_aliases WHERE dealership_id = $1', [dealershipId]);
  const seen = new Set<string>();
  for (const alias of aliases) {
    const key = nameKey(alias);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    await db.query(
      `INSERT INTO dealership_aliases (alias_key, alias, dealership_id) VALUES ($1, $2, $3)
       ON CONFLICT (alias_key) DO UPDATE SET alias = EXCLUDED.alias, dealership_id = EXCLUDED.dealership_id`,
      [key, alias, dealershipId],
    );
  }
}

/** Creates a dealership first seen in a feed: disabled, outside the registry. Returns its id. */
export async function insertFeedDealership(db: Queryable, name: string, slug: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO dealerships (name, slug, enabled, in_registry) VALUES ($1, $2, false, false)
     ON CONFLICT (slug) DO UPDATE SET updated_at = dealerships.updated_at
     RETURNING id`,
    [name, slug],
  );
  return Number(rows[0]!.id);
}

/** Reads a value of silverfox_meta. */
export async function getMeta(db: Queryable, key: string): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>('SELECT value FROM silverfox_meta WHERE key = $1', [
    key,
  ]);
  return rows[0]?.value;
}

/** Writes a value of silverfox_meta. */
export async function setMeta(db: Queryable, key: string, value: string): Promise<void> {
  await db.query(
    `INSERT INTO silverfox_meta (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [key, value],
  );
}

/** Serializes the first-run seed and `dealers import` across processes for the duration of a transaction. */
export async function lockRegistry(db: Queryable): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [7305_0002]);
}
