/** SQL for the dealership aggregate: dealerships, aliases, registry sync bookkeeping. */
import { nameKey, type DealershipSettings, type ScheduleEntry } from '../core/dealership.js';
import type { Queryable } from './database.js';

/** A dealership row, camelCased at this boundary. */
export interface DealershipRecord {
  id: number;
  name: string;
  slug: string;
  platform: string | null;
  siteUrl: string | null;
  enabled: boolean;
  inRegistry: boolean;
  settings: Partial<DealershipSettings>;
  schedule: ScheduleEntry[];
  aliases: string[];
}

interface DealershipRow {
  id: number;
  name: string;
  slug: string;
  platform: string | null;
  site_url: string | null;
  enabled: boolean;
  in_registry: boolean;
  settings: Partial<DealershipSettings> | string;
  schedule: ScheduleEntry[] | string | null;
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
    enabled: r.enabled,
    inRegistry: r.in_registry,
    settings: typeof r.settings === 'string' ? JSON.parse(r.settings) : r.settings,
    schedule: (typeof r.schedule === 'string' ? JSON.parse(r.schedule) : r.schedule) ?? [],
    aliases: r.aliases ?? [],
  };
}

const SELECT_DEALERSHIPS = `
  SELECT d.id, d.name, d.slug, d.platform, d.site_url, d.enabled, d.in_registry, d.settings, d.schedule,
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

export interface UpsertDealership {
  name: string;
  slug: string;
  platform: string | null;
  siteUrl: string | null;
  enabled: boolean;
  inRegistry: boolean;
  settings: Partial<DealershipSettings>;
  schedule: readonly ScheduleEntry[];
  aliases: readonly string[];
}

/** Inserts or updates a dealership by slug and replaces its aliases; returns its id. */
export async function upsertDealership(db: Queryable, d: UpsertDealership): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO dealerships (name, slug, platform, site_url, enabled, in_registry, settings, schedule)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
     ON CONFLICT (slug) DO UPDATE SET
       name = EXCLUDED.name, platform = EXCLUDED.platform, site_url = EXCLUDED.site_url,
       enabled = EXCLUDED.enabled, in_registry = EXCLUDED.in_registry, settings = EXCLUDED.settings,
       schedule = EXCLUDED.schedule, updated_at = now()
     WHERE (dealerships.name, dealerships.platform, dealerships.site_url, dealerships.enabled,
            dealerships.in_registry, dealerships.settings, dealerships.schedule)
       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.platform, EXCLUDED.site_url, EXCLUDED.enabled,
            EXCLUDED.in_registry, EXCLUDED.settings, EXCLUDED.schedule)
     RETURNING id`,
    [
      d.name,
      d.slug,
      d.platform,
      d.siteUrl,
      d.enabled,
      d.inRegistry,
      JSON.stringify(d.settings),
      JSON.stringify(d.schedule),
    ],
  );
  let id = rows[0]?.id;
  if (id === undefined) {
    const found = await db.query<{ id: number }>('SELECT id FROM dealerships WHERE slug = $1', [d.slug]);
    id = found.rows[0]!.id;
  }
  await replaceAliases(db, Number(id), d.aliases);
  return Number(id);
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

/** Marks registry dealerships whose file is gone as outside the registry and disabled (their history stays). */
export async function retireDealershipsNotIn(db: Queryable, slugs: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `UPDATE dealerships SET in_registry = false, enabled = false, updated_at = now()
     WHERE in_registry AND NOT (slug = ANY($1::text[])) RETURNING name`,
    [slugs],
  );
  return rows.map((r) => r.name);
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

/** Serializes registry syncs across processes for the duration of a transaction. */
export async function lockRegistrySync(db: Queryable): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [7305_0002]);
}
