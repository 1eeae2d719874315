/** Use cases of `silverfox dealers`: the registry and the one way a typed name becomes a dealership. */
import {
  DealershipResolver,
  parseSettingValue,
  registryEntrySchema,
  settingsSchema,
  slugify,
  type DealershipSettings,
  type RegistryEntry,
} from '../core/dealership.js';
import { findDealershipById, listDealerships, type DealershipRecord } from '../db/dealerships.js';
import { InputError, NotFoundError, UsageError } from '../errors.js';
import type { AppContext } from './context.js';
import { entryProblems } from './scrape-entry.js';
import {
  deleteRegistryEntry,
  readRegistry,
  registryFilePath,
  syncRegistry,
  writeRegistryEntry,
  type SyncResult,
} from './registry.js';

export type { DealershipRecord };

/** A dealership with its settings completed by the defaults. */
export interface Dealership extends DealershipRecord {
  effectiveSettings: DealershipSettings;
}

function withDefaults(d: DealershipRecord): Dealership {
  const parsed = settingsSchema.safeParse(d.settings ?? {});
  return { ...d, effectiveSettings: parsed.success ? parsed.data : settingsSchema.parse({}) };
}

/** Every dealership in the database. */
export async function listDealers(ctx: AppContext): Promise<Dealership[]> {
  return (await listDealerships(ctx.db)).map(withDefaults);
}

/** Resolves one typed name (name, slug or alias, any case) or throws with the closest names. */
export async function resolveDealership(ctx: AppContext, name: string): Promise<Dealership> {
  const all = await listDealerships(ctx.db);
  const found = new DealershipResolver(all).resolve(name);
  if (!found) throw unknownDealership(name, all);
  return withDefaults(found);
}

/** Resolves several names at once, reporting every unknown one together. */
export async function resolveDealerships(ctx: AppContext, names: readonly string[]): Promise<Dealership[]> {
  const all = await listDealerships(ctx.db);
  const resolver = new DealershipResolver(all);
  const out: Dealership[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const d = resolver.resolve(n);
    if (!d) unknown.push(n);
    else if (!out.some((o) => o.id === d.id)) out.push(withDefaults(d));
  }
  if (unknown.length === 1) throw unknownDealership(unknown[0]!, all);
  if (unknown.length > 1) {
    throw new NotFoundError(`unknown dealerships: ${unknown.join(', ')}`, [
      'Run `silverfox dealers list` to see the names silverfox knows.',
    ]);
  }
  return out;
}

function unknownDealership(name: string, all: DealershipRecord[]): NotFoundError {
  const suggestions = new DealershipResolver(all).suggest(name);
  return new NotFoundError(
    `unknown dealership "${name}"`,
    [
      suggestions.length > 0 ? `Did you mean: ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '',
      'Run `silverfox dealers list` to see every name, or `silverfox dealers add` to add one.',
    ].filter(Boolean),
  );
}

/** Reloads a dealership by id (e.g. after a settings change). */
export async function getDealer(ctx: AppContext, id: number): Promise<Dealership> {
  const d = await findDealershipById(ctx.db, id);
  if (!d) throw new NotFoundError(`dealership ${id} no longer exists`);
  return withDefaults(d);
}

/** Loads the registry into the database (`dealers sync`). */
export async function syncDealers(ctx: AppContext): Promise<SyncResult> {
  return syncRegistry(ctx.db, ctx.config.registryDir, { force: true });
}

function findRegistryEntry(ctx: AppContext, d: Dealership) {
  const files = readRegistry(ctx.config.registryDir);
  return files.find((f) => slugify(f.entry.name) === d.slug);
}

export interface DealerChanges {
  url?: string;
  /** The registry's `api_host` (`none` or '' clears it). */
  apiHost?: string;
  platform?: string;
  enabled?: boolean;
  addAliases?: string[];
  removeAliases?: string[];
  /** Settings by key, as the operator typed them. */
  settings?: Record<string, string>;
}

function applyChanges(entry: RegistryEntry, changes: DealerChanges): RegistryEntry {
  const next: RegistryEntry = structuredClone(entry);
  if (changes.url !== undefined)
    next.site_url = changes.url === '' || changes.url === 'none' ? null : changes.url;
  if (changes.apiHost !== undefined)
    next.api_host = changes.apiHost === '' || changes.apiHost === 'none' ? null : changes.apiHost;
  if (changes.platform !== undefined) next.platform = changes.platform || null;
  if (changes.enabled !== undefined) next.enabled = changes.enabled;
  if (changes.addAliases) next.aliases = [...new Set([...next.aliases, ...changes.addAliases])];
  if (changes.removeAliases) {
    const drop = new Set(changes.removeAliases.map((a) => a.toLowerCase()));
    next.aliases = next.aliases.filter((a) => !drop.has(a.toLowerCase()));
  }
  const problems: string[] = [];
  const settings: Record<string, unknown> = { ...next.settings };
  for (const [key, text] of Object.entries(changes.settings ?? {})) {
    if (!(key in settingsSchema.shape)) {
      problems.push(`unknown setting "${key}" (known: ${Object.keys(settingsSchema.shape).join(', ')})`);
      continue;
    }
    try {
      settings[key] = parseSettingValue(key as keyof DealershipSettings, text);
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message}`);
    }
  }
  const parsed = registryEntrySchema.safeParse({ ...next, settings });
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (problems.length > 0 || !parsed.success) {
    throw new InputError('invalid dealership change', { hints: problems });
  }
  return parsed.data;
}

/** Adds a dealership to the registry and the database. */
export async function addDealer(
  ctx: AppContext,
  name: string,
  changes: DealerChanges = {},
): Promise<Dealership> {
  if (!slugify(name))
    throw new UsageError(`"${name}" is not a usable dealership name (it needs letters or digits)`);
  const all = await listDealerships(ctx.db);
  const clash = new DealershipResolver(all).resolve(name);
  if (clash && clash.inRegistry) {
    throw new InputError(`dealership "${clash.name}" already exists`, {
      hints: [`Use \`silverfox dealers set "${clash.name}" ...\` to change it.`],
    });
  }
  const entry = applyChanges(registryEntrySchema.parse({ name: name.trim() }), changes);
  writeRegistryEntry(ctx.config.registryDir, entry);
  await syncRegistry(ctx.db, ctx.config.registryDir);
  return resolveDealership(ctx, name);
}

/** Changes a dealership's registry entry (URL, platform, aliases, settings) and syncs it. */
export async function setDealer(ctx: AppContext, name: string, changes: DealerChanges): Promise<Dealership> {
  const d = await resolveDealership(ctx, name);
  const current =
    findRegistryEntry(ctx, d)?.entry ?? registryEntrySchema.parse({ name: d.name, settings: d.settings });
  const next = applyChanges(current, changes);
  writeRegistryEntry(ctx.config.registryDir, next);
  await syncRegistry(ctx.db, ctx.config.registryDir);
  return getDealer(ctx, d.id);
}

/** Removes a dealership from the registry; its history stays in the database, disabled. */
export async function removeDealer(ctx: AppContext, name: string): Promise<Dealership> {
  const d = await resolveDealership(ctx, name);
  const file = findRegistryEntry(ctx, d)?.file ?? registryFilePath(ctx.config.registryDir, d.name);
  try {
    deleteRegistryEntry(file);
  } catch {
    throw new NotFoundError(`"${d.name}" has no registry file to remove (${file})`);
  }
  await syncRegistry(ctx.db, ctx.config.registryDir);
  return getDealer(ctx, d.id);
}

/** What the scrape uses of a dealership's registry entry, and why it cannot scrape as it stands. */
export interface ScrapeParameters {
  /** Whether the dealership has a registry file at all (a feed-only dealership has none). */
  inRegistry: boolean;
  apiHost: string | null;
  /** The entry's `scraper` object: shared parameters and adapter options, as written. */
  scraper: Record<string, unknown>;
  /** Empty when the entry can be scraped as it stands. */
  problems: string[];
}

/** The scrape parameters of a dealership (`dealers show`). */
export async function scrapeParameters(ctx: AppContext, d: Dealership): Promise<ScrapeParameters> {
  const entry = findRegistryEntry(ctx, d)?.entry;
  if (!entry) return { inRegistry: false, apiHost: null, scraper: {}, problems: ['no registry entry'] };
  return {
    inRegistry: true,
    apiHost: entry.api_host ?? null,
    scraper: entry.scraper,
    problems: await entryProblems(entry),
  };
}
