/**
 * Dealerships: slugs, settings and the one name-resolution function.
 *
 * Glossary: a dealership's `name` is its display name, its `slug` the file-name form, its
 * `aliases` other spellings seen in feeds. Resolution accepts any of the three, case-insensitively.
 */
import { z } from 'zod';

/** `BMW of West St. Louis` -> `bmw_of_west_st_louis`: lowercase, & -> and, other runs -> `_`. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The key names and aliases are compared by: the slug, so `St. Louis` = `St Louis` = `st_louis`. */
export function nameKey(name: string): string {
  return slugify(name.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''));
}

export const CONDITIONS = ['new', 'po', 'cpo', 'unknown'] as const;
export type Condition = (typeof CONDITIONS)[number];
/** Vehicle types in settings: `used` means po + cpo. */
export const VEHICLE_TYPES = ['new', 'used', 'po', 'cpo', 'unknown'] as const;
export const TEMPLATES = ['standard', 'shortcut', 'shortcut_pack', 'flyout'] as const;

/** A custom template: CSV header -> field expression such as `{year} {model}` or `@qr`. */
const customTemplateSchema = z.object({
  name: z.string().regex(/^[a-z0-9_]+$/, 'template names are lowercase letters, digits and _'),
  columns: z.record(z.string().min(1), z.string()),
});

/** Per-dealership settings: the filters of rule 3b and how orders are written. */
export const settingsSchema = z
  .object({
    vehicle_types: z.array(z.enum(VEHICLE_TYPES)).min(1).default(['new', 'used']),
    min_price: z.number().nonnegative().nullable().default(null),
    max_price: z.number().positive().nullable().default(null),
    min_year: z.number().int().min(1900).nullable().default(null),
    seasoning_days: z.number().int().nonnegative().nullable().default(null),
    require_stock: z.boolean().default(false),
    require_price: z.boolean().default(false),
    brands: z.array(z.string().min(1)).default([]),
    exclude_keywords: z.array(z.string().min(1)).default([]),
    recent_days: z.number().nonnegative().default(1),
    list_updates_vin_log: z.boolean().default(true),
    template: z.string().min(1).default('standard'),
    /** The sticker template (templates/<name>/) `silverfox pdf` prints this dealership's orders with. */
    sticker_template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'a sticker template is a folder name: letters, digits, _ and -')
      .default('default'),
    split_new_used: z.boolean().default(false),
    allow_off_lot: z.boolean().default(false),
    /** Drop guard: a new snapshot keeping fewer rows than this share of the active one is held (0: off). */
    drop_guard_ratio: z.number().min(0).max(1).default(0.5),
    custom_templates: z.array(customTemplateSchema).default([]),
  })
  .strict();

export type DealershipSettings = z.infer<typeof settingsSchema>;

/** The one home of the setting defaults: what a dealership orders with when a key was never set. */
export const SETTING_DEFAULTS: Readonly<DealershipSettings> = Object.freeze(settingsSchema.parse({}));

/**
 * What is stored for a dealership: only the keys that were set (a default is never written, so a
 * later change of a default reaches every dealership that did not set it).
 */
export const storedSettingsSchema = z
  .object(
    Object.fromEntries(
      Object.entries(settingsSchema.shape).map(([k, s]) => [k, (s as z.ZodDefault<z.ZodType>).unwrap()]),
    ) as { [K in keyof DealershipSettings]: z.ZodType<DealershipSettings[K]> },
  )
  .partial()
  .strict();

export type StoredSettings = Partial<DealershipSettings>;

/** What each setting accepts, in the words an error message uses. */
export const SETTING_ALLOWED: Readonly<Record<keyof DealershipSettings, string>> = {
  vehicle_types: `one or more of ${VEHICLE_TYPES.join(', ')}, comma-separated`,
  min_price: 'a number >= 0, or none',
  max_price: 'a number > 0, or none',
  min_year: 'a whole year >= 1900, or none',
  seasoning_days: 'a whole number of days >= 0, or none',
  require_stock: 'true or false',
  require_price: 'true or false',
  brands: 'brand names, comma-separated (empty for any)',
  exclude_keywords: 'keywords, comma-separated (empty for none)',
  recent_days: 'a number of days >= 0',
  list_updates_vin_log: 'true or false',
  template: `${TEMPLATES.join(', ')} or the name of a custom template`,
  sticker_template: 'a folder name under templates/: letters, digits, _ and -',
  split_new_used: 'true or false',
  allow_off_lot: 'true or false',
  drop_guard_ratio: 'a number from 0 to 1 (0: off)',
  custom_templates: 'a JSON list of {"name": ..., "columns": {...}}',
};

/** One problem of a setting value: the key, the value and what is allowed. */
export interface SettingProblem {
  key: string;
  value: unknown;
  message: string;
}

/** `min_price: "abc" is not allowed (a number >= 0, or none)`. */
export function settingProblemText(p: SettingProblem): string {
  const allowed =
    p.key in SETTING_ALLOWED
      ? SETTING_ALLOWED[p.key as keyof DealershipSettings]
      : `a known setting: ${Object.keys(SETTING_ALLOWED).join(', ')}`;
  const shown = typeof p.value === 'string' ? JSON.stringify(p.value) : JSON.stringify(p.value ?? null);
  return `${p.key}: ${shown} is not allowed (${allowed})${p.message ? `: ${p.message}` : ''}`;
}

/** Every problem of a stored settings object (unknown keys, invalid values), empty when valid. */
export function storedSettingsProblems(settings: unknown): SettingProblem[] {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    return [{ key: 'settings', value: settings, message: 'settings must be an object of key: value' }];
  }
  const problems: SettingProblem[] = [];
  const shape = storedSettingsSchema.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(settings)) {
    const schema = shape[key];
    if (!schema) {
      problems.push({ key, value, message: 'unknown setting' });
      continue;
    }
    const r = (schema as z.ZodOptional<z.ZodType>).unwrap().safeParse(value);
    if (!r.success) problems.push({ key, value, message: r.error.issues[0]?.message ?? 'invalid' });
  }
  return problems;
}

/** The settings a dealership orders with: the stored ones over the defaults, or undefined when invalid. */
export function effectiveSettings(stored: unknown): DealershipSettings | undefined {
  if (storedSettingsProblems(stored).length > 0) return undefined;
  return settingsSchema.parse(stored);
}

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A scheduled order: on these weekdays the dealership is due a CAO order with this template and
 * these vehicle types. One dealership may have several (e.g. a "new" and a "used" order).
 */
export const scheduleEntrySchema = z
  .object({
    weekdays: z
      .array(
        z
          .string()
          .transform((d) => d.trim().toLowerCase())
          .pipe(z.enum(WEEKDAYS)),
      )
      .min(1),
    order_type: z.literal('cao').default('cao'),
    template: z.string().min(1),
    vehicle_types: z.array(z.enum(VEHICLE_TYPES)).min(1),
    /** Lower runs first in the day's queue. */
    priority: z.number().int().default(100),
  })
  .strict();

export type ScheduleEntry = z.infer<typeof scheduleEntrySchema>;

/** The key that identifies a scheduled order within its dealership, e.g. `cao:flyout:new+used`. */
export function scheduleKey(e: Pick<ScheduleEntry, 'order_type' | 'template' | 'vehicle_types'>): string {
  return `${e.order_type}:${e.template}:${[...e.vehicle_types].sort().join('+')}`;
}

/** A registry entry: one JSON file per dealership in scrapers/. */
export const registryEntrySchema = z
  .object({
    name: z.string().trim().min(1),
    aliases: z.array(z.string().trim().min(1)).default([]),
    platform: z.string().nullable().default(null),
    site_url: z.string().url().or(z.literal('')).nullable().default(null),
    /**
     * Where a hosted search API (Algolia, SEARCH_SERVICE) or the entry's second site is reached
     * instead of the recorded host: set for fixture sites and proxies (`dealers set --api-host`).
     */
    api_host: z.string().url().nullable().default(null),
    enabled: z.boolean().default(true),
    /** Platform adapter options (index name, status field, sister-store filter...). */
    scraper: z.record(z.string(), z.unknown()).default({}),
    /** Only the settings that were set; the rest are SETTING_DEFAULTS. */
    settings: storedSettingsSchema.default({}),
    schedule: z.array(scheduleEntrySchema).default([]),
  })
  .strict();

export type RegistryEntry = z.infer<typeof registryEntrySchema>;

/** What name resolution needs to know of a dealership. */
export interface NamedDealership {
  id: number;
  name: string;
  slug: string;
  aliases: readonly string[];
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** A name index: the one place where a spelling becomes a dealership. */
export class DealershipResolver<D extends NamedDealership> {
  private readonly byKey = new Map<string, D>();
  private readonly dealerships: D[];
  constructor(dealerships: readonly D[]) {
    this.dealerships = [];
    for (const d of dealerships) this.add(d);
  }

  /** Makes one more dealership resolvable (e.g. one an import just created from a feed name). */
  add(d: D): void {
    this.dealerships.push(d);
    for (const spelling of [d.name, d.slug, ...d.aliases]) {
      const key = nameKey(spelling);
      if (key && !this.byKey.has(key)) this.byKey.set(key, d);
    }
  }

  /** The dealership a name, slug or alias denotes, or undefined. */
  resolve(name: string): D | undefined {
    return this.byKey.get(nameKey(name));
  }

  /** Up to `n` names closest to `name`, for an "unknown dealership" error. */
  suggest(name: string, n = 3): string[] {
    const key = nameKey(name);
    return this.dealerships
      .map((d) => {
        const keys = [d.name, d.slug, ...d.aliases].map(nameKey);
        const score = Math.min(
          ...keys.map((k) =>
            k.includes(key) || key.includes(k) ? 0 : distance(k, key) / Math.max(k.length, 1),
          ),
        );
        return { name: d.name, score };
      })
      .filter((s) => s.score < 0.5)
      .sort((a, b) => a.score - b.score)
      .slice(0, n)
      .map((s) => s.name);
  }
}

/** The settings an operator can change by name, in the order `dealers show` lists them. */
export const SETTING_KEYS = Object.keys(settingsSchema.shape) as (keyof DealershipSettings)[];

/**
 * Turns an operator's text (`--min-price 5000`, `--vehicle-types new,used`, `--min-year none`)
 * into a setting value; the schema then validates it.
 */
export function parseSettingValue(key: keyof DealershipSettings, text: string): unknown {
  const t = text.trim();
  const sample = SETTING_DEFAULTS[key];
  if (t.toLowerCase() === 'none' || t.toLowerCase() === 'null') return null;
  if (Array.isArray(sample)) {
    if (key === 'custom_templates') return JSON.parse(t);
    return t === ''
      ? []
      : t
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  }
  if (typeof sample === 'boolean') {
    if (/^(true|yes|on|1)$/i.test(t)) return true;
    if (/^(false|no|off|0)$/i.test(t)) return false;
    return t;
  }
  if (typeof sample === 'number' || sample === null) {
    const n = Number(t.replace(/[$,]/g, ''));
    return Number.isFinite(n) && t !== '' ? n : t;
  }
  return t;
}

/**
 * Stale: an enabled dealership whose active inventory was imported longer ago than the limit
 * (SILVERFOX_STALE_HOURS), or never. One rule for status, report and doctor.
 */
export function isStale(enabled: boolean, importedAt: Date | null, now: Date, staleHours: number): boolean {
  return enabled && (importedAt === null || now.getTime() - importedAt.getTime() > staleHours * 3_600_000);
}
