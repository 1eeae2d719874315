/** Use cases of `silverfox dealers`: the registry and the one way a typed name becomes a dealership. */
import {
  DealershipResolver,
  effectiveSettings as settingsWithDefaults,
  parseSettingValue,
  registryEntrySchema,
  SETTING_DEFAULTS,
  SETTING_KEYS,
  settingProblemText,
  slugify,
  storedSettingsProblems,
  storedSettingsSchema,
  type DealershipSettings,
  type RegistryEntry,
} from '../core/dealership.js';
import {
  findDealershipById,
  listDealershipChanges,
  listDealerships,
  lockDealership,
  type DealershipChange,
  type DealershipRecord,
} from '../db/dealerships.js';
import { InputError, NotFoundError, UsageError } from '../errors.js';
import type { AppContext } from './context.js';
import { entryProblems } from './scrape-entry.js';
import {
  applyImport,
  currentActor,
  diffEntries,
  entryFromRecord,
  exportRegistry,
  insertEntry,
  planImport,
  planIsEmpty,
  retireEntry,
  writeFieldChanges,
  type ImportPlan,
} from './registry.js';

export type { DealershipRecord, DealershipChange, ImportPlan };

/**
 * A dealership with its settings completed by the defaults. `effectiveSettings` stops with the
 * dealership, key, value and what is allowed when a stored setting is invalid (a hand edit, an
 * older version): a command that orders never falls back to a default.
 */
export interface Dealership extends DealershipRecord {
  readonly effectiveSettings: DealershipSettings;
  /** Invalid stored settings, one line each (empty when valid). */
  readonly settingsProblems: string[];
}

/** The error a command that needs a dealership's settings stops with when one is invalid. */
export function invalidSettingsError(name: string, problems: readonly string[]): InputError {
  return new InputError(`dealership "${name}" has invalid settings: ${problems.join('; ')}`, {
    hints: [
      `Fix it with \`silverfox dealers set "${name}" --setting KEY=VALUE\`, or go back to the default with \`--unset KEY\`.`,
      'Run `silverfox doctor` to see every dealership with an invalid setting.',
    ],
  });
}

function withDefaults(d: DealershipRecord): Dealership {
  const problems = storedSettingsProblems(d.settings).map(settingProblemText);
  const effective = problems.length === 0 ? settingsWithDefaults(d.settings) : undefined;
  const out = { ...d, settingsProblems: problems } as Dealership;
  Object.defineProperty(out, 'effectiveSettings', {
    enumerable: false,
    get() {
      if (!effective) throw invalidSettingsError(d.name, problems);
      return effective;
    },
  });
  return out;
}

/** How `dealers show` lists one setting: its value and whether it was set or is the default. */
export interface ShownSetting {
  key: keyof DealershipSettings;
  value: unknown;
  source: 'set' | 'default' | 'invalid';
  /** The default, shown beside a set value. */
  default: unknown;
  problem?: string;
}

/** One setting an order ran with, and where its value came from. */
export interface OrderSetting {
  value: unknown;
  /** `set` for this dealership, silverfox's `default`, or an option of this run. */
  source: 'set' | 'default' | 'run option';
}

/**
 * The settings an order ran with, recorded in its summary (`orders show` names them): so "why did
 * this order use the flyout template" has an answer after the setting changed again.
 */
export function orderSettings(
  d: Dealership,
  used: DealershipSettings,
  runOptions: readonly (keyof DealershipSettings)[],
): Record<string, OrderSetting> {
  return Object.fromEntries(
    SETTING_KEYS.map((k) => [
      k,
      {
        value: used[k],
        source: runOptions.includes(k) ? 'run option' : k in d.settings ? 'set' : 'default',
      },
    ]),
  );
}

/** Every setting of a dealership, marked set, default or invalid (never throws). */
export function shownSettings(d: DealershipRecord): ShownSetting[] {
  const stored = d.settings as Record<string, unknown>;
  const problems = new Map(storedSettingsProblems(stored).map((p) => [p.key, settingProblemText(p)]));
  const rows: ShownSetting[] = SETTING_KEYS.map((key) => {
    const isSet = key in stored;
    const problem = problems.get(key);
    return {
      key,
      value: isSet ? stored[key] : SETTING_DEFAULTS[key],
      source: problem ? 'invalid' : isSet ? 'set' : 'default',
      default: SETTING_DEFAULTS[key],
      ...(problem ? { problem } : {}),
    };
  });
  for (const [key, problem] of problems) {
    if (!(SETTING_KEYS as string[]).includes(key)) {
      rows.push({
        key: key as keyof DealershipSettings,
        value: stored[key],
        source: 'invalid',
        default: null,
        problem,
      });
    }
  }
  return rows;
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
  /** Settings to take back to their default. */
  unset?: string[];
}

/** The entry after the operator's changes, validated at the door: every problem names key, value and what is allowed. */
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
  const known = (key: string) => (SETTING_KEYS as string[]).includes(key);
  for (const key of changes.unset ?? []) {
    if (!known(key)) problems.push(`--unset ${key}: unknown setting (known: ${SETTING_KEYS.join(', ')})`);
    else if (key in (changes.settings ?? {})) problems.push(`${key}: both set and unset`);
    else delete settings[key];
  }
  for (const [key, text] of Object.entries(changes.settings ?? {})) {
    if (!known(key)) {
      problems.push(settingProblemText({ key, value: text, message: 'unknown setting' }));
      continue;
    }
    let value: unknown;
    try {
      value = parseSettingValue(key as keyof DealershipSettings, text);
    } catch (err) {
      problems.push(settingProblemText({ key, value: text, message: (err as Error).message }));
      continue;
    }
    const bad = storedSettingsProblems({ [key]: value });
    if (bad.length > 0) problems.push(...bad.map((p) => settingProblemText({ ...p, value: text })));
    else settings[key] = value;
  }
  // A setting changed by this command must be valid; one stored invalid before is reported too.
  for (const p of storedSettingsProblems(settings)) {
    if (!(p.key in (changes.settings ?? {})))
      problems.push(`${settingProblemText(p)} (stored before; fix or --unset it)`);
  }
  const parsed = registryEntrySchema.safeParse({ ...next, settings: {} });
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (problems.length > 0 || !parsed.success) {
    throw new InputError('invalid dealership change', { hints: problems });
  }
  return { ...parsed.data, settings: storedSettingsSchema.parse(settings) };
}

/** Options of a registry change: the command line recorded in the history. */
export interface ChangeOptions {
  command?: string;
}

const commandText = (o: ChangeOptions, fallback: string) => o.command ?? fallback;

/** Adds a dealership to the registry (the database). */
export async function addDealer(
  ctx: AppContext,
  name: string,
  changes: DealerChanges = {},
  opts: ChangeOptions = {},
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
  const actor = currentActor(commandText(opts, `dealers add ${name}`));
  const id = await ctx.db.transaction((tx) => insertEntry(tx, entry, 'add', actor));
  return getDealer(ctx, id);
}

/**
 * Changes a dealership (URL, platform, aliases, settings). Only the fields named are written, a
 * setting as one key, under a row lock: two operators changing different settings both keep
 * theirs; the same one, the later wins and the history shows both.
 */
export async function setDealer(
  ctx: AppContext,
  name: string,
  changes: DealerChanges,
  opts: ChangeOptions = {},
): Promise<Dealership> {
  const d = await findDealership(ctx, name);
  const actor = currentActor(commandText(opts, `dealers set ${name}`));
  await ctx.db.transaction(async (tx) => {
    const row = await lockDealership(tx, d.id);
    if (!row) throw new NotFoundError(`dealership "${d.name}" no longer exists`);
    const before = entryFromRecord(row);
    const after = applyChanges(before, changes);
    const fieldChanges = diffEntries(before, after);
    const unsetOnly = new Set((changes.unset ?? []).map((k) => `settings.${k}`));
    await writeFieldChanges(
      tx,
      row,
      fieldChanges.filter((c) => !unsetOnly.has(c.field)),
      'set',
      actor,
    );
    await writeFieldChanges(
      tx,
      row,
      fieldChanges.filter((c) => unsetOnly.has(c.field)),
      'unset',
      actor,
    );
    if (!row.inRegistry) {
      // A feed dealership someone configures joins the registry.
      await writeFieldChanges(tx, row, [{ field: 'in_registry', old: false, new: true }], 'set', actor);
    }
  });
  return getDealer(ctx, d.id);
}

/** Removes a dealership from the registry; its history stays in the database, disabled. */
export async function removeDealer(
  ctx: AppContext,
  name: string,
  opts: ChangeOptions = {},
): Promise<Dealership> {
  const d = await findDealership(ctx, name);
  if (!d.inRegistry) throw new NotFoundError(`"${d.name}" is not in the registry (nothing to remove)`);
  const actor = currentActor(commandText(opts, `dealers remove ${name}`));
  await ctx.db.transaction(async (tx) => {
    const row = await lockDealership(tx, d.id);
    if (row?.inRegistry) await retireEntry(tx, row, 'remove', actor);
  });
  return getDealer(ctx, d.id);
}

/** A dealership by name without its settings checked (`dealers show/set` must work on an invalid one). */
async function findDealership(ctx: AppContext, name: string): Promise<DealershipRecord> {
  const all = await listDealerships(ctx.db);
  const found = new DealershipResolver(all).resolve(name);
  if (!found) throw unknownDealership(name, all);
  return found;
}

/** `dealers show`: a dealership, never refused for an invalid setting (it says which). */
export async function showDealer(ctx: AppContext, name: string): Promise<Dealership> {
  return withDefaults(await findDealership(ctx, name));
}

/** The recorded changes of the registry, oldest first: of one dealership, or of all. */
export async function dealerHistory(
  ctx: AppContext,
  name?: string,
  opts: { limit?: number } = {},
): Promise<{ dealership: string | null; changes: DealershipChange[] }> {
  const d = name ? await findDealership(ctx, name) : undefined;
  return {
    dealership: d?.name ?? null,
    changes: await listDealershipChanges(ctx.db, { dealershipId: d?.id, limit: opts.limit }),
  };
}

/** `dealers import`: what the files would change (nothing is written). */
export async function planDealersImport(ctx: AppContext, paths: readonly string[]): Promise<ImportPlan> {
  return planImport(ctx.db, paths.length > 0 ? paths : [ctx.config.registryDir]);
}

/** `dealers import`: applies a plan the operator saw (refused when the registry changed since). */
export async function applyDealersImport(
  ctx: AppContext,
  plan: ImportPlan,
  opts: ChangeOptions = {},
): Promise<{ added: number; changed: number; removed: number }> {
  if (!planIsEmpty(plan)) {
    await applyImport(
      ctx.db,
      plan,
      currentActor(commandText(opts, `dealers import ${plan.sources.join(' ')}`)),
    );
  }
  return { added: plan.added.length, changed: plan.changed.length, removed: plan.removed.length };
}

/** `dealers export DIR`: the registry as files, the format `dealers import` reads. */
export async function exportDealers(ctx: AppContext, dir: string): Promise<{ dir: string; files: string[] }> {
  return exportRegistry(ctx.db, dir);
}

/** What the scrape uses of a dealership's registry entry, and why it cannot scrape as it stands. */
export interface ScrapeParameters {
  /** Whether the dealership is in the registry at all (a feed-only dealership is not). */
  inRegistry: boolean;
  apiHost: string | null;
  /** The entry's `scraper` object: shared parameters and adapter options, as stored. */
  scraper: Record<string, unknown>;
  /** Empty when the entry can be scraped as it stands. */
  problems: string[];
}

/** The scrape parameters of a dealership (`dealers show`). */
export async function scrapeParameters(_ctx: AppContext, d: DealershipRecord): Promise<ScrapeParameters> {
  if (!d.inRegistry)
    return { inRegistry: false, apiHost: null, scraper: {}, problems: ['not in the registry'] };
  return {
    inRegistry: true,
    apiHost: d.apiHost,
    scraper: d.scraper,
    problems: await entryProblems(entryFromRecord(d)),
  };
}
