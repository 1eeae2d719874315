/**
 * Configuration from one schema. Precedence: flags > environment > `.env` in the working
 * directory > defaults. Resolved once at start-up into a frozen object and passed down; this is
 * the only module that reads process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseQrPathBase, QR_PATH_BASE_FORMS } from './core/qr-path.js';
import { isTimeZone } from './core/calendar.js';
import { ConfigError } from './errors.js';
import { packageRoot } from './paths.js';

interface SettingSpec {
  env: string;
  description: string;
  schema: z.ZodType;
}

const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);

/** Every setting: its environment variable, what it does, its type and default. */
export const settings = {
  databaseUrl: {
    env: 'DATABASE_URL',
    description: 'PostgreSQL server URL (postgres://user:pass@host:5432/db). Empty: the embedded database.',
    schema: z.string().optional(),
  },
  dataDir: {
    env: 'SILVERFOX_DATA_DIR',
    description: 'Folder of the embedded (PGlite) database.',
    schema: z.string().min(1).default('./data'),
  },
  ordersDir: {
    env: 'SILVERFOX_ORDERS_DIR',
    description: 'Folder where order folders are written.',
    schema: z.string().min(1).default('./orders'),
  },
  qrPathBase: {
    env: 'SILVERFOX_QR_PATH_BASE',
    description:
      'How the designers reach the orders folder, for the QR paths in the @ columns: Z:\\SilverFox\\orders, \\\\fileserver\\orders, /Volumes/Orders or "relative". Unset: the absolute path on the machine that writes the order.',
    schema: z
      .string()
      .optional()
      .superRefine((value, ctx) => {
        if (value === undefined) return;
        const r = parseQrPathBase(value);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: `${r.problem}. ${QR_PATH_BASE_FORMS}` });
      }),
  },
  logDir: {
    env: 'SILVERFOX_LOG_DIR',
    description: 'Folder for run logs (JSON lines) and import reports.',
    schema: z.string().min(1).default('./logs'),
  },
  registryDir: {
    env: 'SILVERFOX_REGISTRY_DIR',
    description:
      'The shipped starting registry (one JSON file per dealership): loaded when a database is created, then read only by `dealers import` and `doctor`.',
    schema: z.string().optional(),
  },
  chromiumPath: {
    env: 'CHROMIUM_PATH',
    description: 'Chromium executable used by scrape and PDF.',
    schema: z.string().min(1).default('/usr/bin/chromium'),
  },
  templatesDir: {
    env: 'SILVERFOX_TEMPLATES_DIR',
    description: 'Folder of the sticker templates for `silverfox pdf` (<name>/sticker.html and proof.html).',
    schema: z.string().optional(),
  },
  portalsDir: {
    env: 'SILVERFOX_PORTALS_DIR',
    description: 'Folder of the window-sticker portal configs for `silverfox stickers` (<name>.json).',
    schema: z.string().optional(),
  },
  concurrency: {
    env: 'SILVERFOX_CONCURRENCY',
    description: 'Dealerships (or pages) worked on at once.',
    schema: positiveInt(4),
  },
  dbConnectTimeoutMs: {
    env: 'SILVERFOX_DB_CONNECT_TIMEOUT_MS',
    description: 'How long to retry a PostgreSQL server that refuses connections before giving up.',
    schema: z.coerce.number().int().nonnegative().default(10000),
  },
  staleHours: {
    env: 'SILVERFOX_STALE_HOURS',
    description: 'An active snapshot older than this is stale in `status`.',
    schema: positiveInt(36),
  },
  waitLockSeconds: {
    env: 'SILVERFOX_WAIT_LOCK',
    description:
      'Seconds a writing command (import, scrape, cao, list...) waits for another run to finish; 0 exits 1 at once.',
    schema: z.coerce.number().int().nonnegative().default(0),
  },
  logMaxBytes: {
    env: 'SILVERFOX_LOG_MAX_BYTES',
    description: "A day's run log is rotated to .1, .2... when it reaches this size.",
    schema: positiveInt(10 * 1024 * 1024),
  },
  logKeepDays: {
    env: 'SILVERFOX_LOG_KEEP_DAYS',
    description: 'Run logs older than this many days are deleted.',
    schema: positiveInt(90),
  },
  minFreeMb: {
    env: 'SILVERFOX_MIN_FREE_MB',
    description: '`doctor` reports a problem when the orders folder has less free space (MB).',
    schema: positiveInt(1024),
  },
  scrapeRequestTimeoutMs: {
    env: 'SILVERFOX_SCRAPE_REQUEST_TIMEOUT_MS',
    description:
      'Scrape: one request (or browser page) may take this long (ms) before it is retried; 3 attempts, backoff 1/20 of it.',
    schema: positiveInt(20000),
  },
  scrapeDealershipTimeoutMs: {
    env: 'SILVERFOX_SCRAPE_DEALERSHIP_TIMEOUT_MS',
    description:
      'Scrape: one dealership may take this long (ms) in all; then it is abandoned and reported (its snapshot is kept).',
    schema: positiveInt(15 * 60_000),
  },
  scrapeHostRps: {
    env: 'SILVERFOX_SCRAPE_HOST_RPS',
    description: 'Scrape: requests per second to any one site (politeness); 0 means no limit.',
    schema: z.coerce.number().nonnegative().default(10),
  },
  timeZone: {
    env: 'SILVERFOX_TIMEZONE',
    description:
      'The shop\'s time zone (IANA name, e.g. America/Chicago): "today" for every day-based rule (seasoning_days, the order queue). Default: the machine\'s.',
    schema: z
      .string()
      .trim()
      .refine(isTimeZone, { message: 'not a time zone name (IANA, e.g. America/Chicago or UTC)' })
      .optional(),
  },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof settings;

/** The resolved configuration. */
export interface Config {
  databaseUrl?: string;
  dataDir: string;
  ordersDir: string;
  /** SILVERFOX_QR_PATH_BASE as written (validated by core `parseQrPathBase`); undefined when unset. */
  qrPathBase?: string;
  logDir: string;
  registryDir: string;
  chromiumPath: string;
  templatesDir: string;
  portalsDir: string;
  concurrency: number;
  dbConnectTimeoutMs: number;
  staleHours: number;
  waitLockSeconds: number;
  logMaxBytes: number;
  logKeepDays: number;
  minFreeMb: number;
  scrapeRequestTimeoutMs: number;
  scrapeDealershipTimeoutMs: number;
  scrapeHostRps: number;
  /** The shop's time zone: every day-based rule counts days by the calendar there (core/calendar.ts). */
  timeZone: string;
  /** Where the values came from, for `status` and `doctor` (never the values of secrets). */
  sources: Record<SettingName, 'flag' | 'env' | 'dotenv' | 'default'>;
}

export { packageRoot };

/** The machine's time zone (TZ, else the system's), the default of SILVERFOX_TIMEZONE. */
function machineTimeZone(): string {
  const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimeZone(zone) ? zone : 'UTC';
}

/** Reads `.env` from `cwd`; a malformed file is a clear error. */
function readDotenv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return {};
  try {
    // Notepad saves a byte-order mark: left in, it glued itself to the first name, which was then ignored.
    return parseEnv(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as Record<string, string>;
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, ['Fix or remove the .env file.']);
  }
}

export interface ResolveInput {
  flags?: Partial<Record<SettingName, unknown>>;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Resolves flags > environment > .env > defaults into a frozen Config, collecting every problem. */
export function resolveConfig(input: ResolveInput = {}): Readonly<Config> {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const dotenv = readDotenv(cwd);
  const out: Record<string, unknown> = {};
  const sources = {} as Config['sources'];
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(settings) as [SettingName, SettingSpec][]) {
    let raw: unknown;
    const flag = input.flags?.[name];
    if (flag !== undefined) {
      raw = flag;
      sources[name] = 'flag';
    } else if (env[spec.env] !== undefined && env[spec.env] !== '') {
      raw = env[spec.env];
      sources[name] = 'env';
    } else if (dotenv[spec.env] !== undefined && dotenv[spec.env] !== '') {
      raw = dotenv[spec.env];
      sources[name] = 'dotenv';
    } else {
      sources[name] = 'default';
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else
      problems.push(
        `${spec.env}${sources[name] === 'flag' ? ' (flag)' : ''}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(raw)})`,
      );
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, [
      'Fix the flag, the environment variable or the .env entry named above (see .env.example).',
    ]);
  }
  const abs = (p: string) => path.resolve(cwd, p);
  const config: Config = {
    databaseUrl: out.databaseUrl as string | undefined,
    dataDir: abs(out.dataDir as string),
    ordersDir: abs(out.ordersDir as string),
    qrPathBase: out.qrPathBase as string | undefined,
    logDir: abs(out.logDir as string),
    registryDir: out.registryDir ? abs(out.registryDir as string) : path.join(packageRoot, 'scrapers'),
    chromiumPath: out.chromiumPath as string,
    templatesDir: out.templatesDir ? abs(out.templatesDir as string) : path.join(packageRoot, 'templates'),
    portalsDir: out.portalsDir ? abs(out.portalsDir as string) : path.join(packageRoot, 'portals'),
    concurrency: out.concurrency as number,
    dbConnectTimeoutMs: out.dbConnectTimeoutMs as number,
    staleHours: out.staleHours as number,
    waitLockSeconds: out.waitLockSeconds as number,
    logMaxBytes: out.logMaxBytes as number,
    logKeepDays: out.logKeepDays as number,
    minFreeMb: out.minFreeMb as number,
    scrapeRequestTimeoutMs: out.scrapeRequestTimeoutMs as number,
    scrapeDealershipTimeoutMs: out.scrapeDealershipTimeoutMs as number,
    scrapeHostRps: out.scrapeHostRps as number,
    timeZone: (out.timeZone as string | undefined) ?? machineTimeZone(),
    sources,
  };
  return Object.freeze(config);
}

/**
 * A variable named by data rather than by the settings table (a portal config names the variables
 * that hold its credentials): environment > `.env` in `cwd`. Empty counts as unset. The value is a
 * secret as far as the caller knows: never log it.
 */
export function readNamedVariable(
  name: string,
  input: Pick<ResolveInput, 'env' | 'cwd'> = {},
): string | undefined {
  const env = input.env ?? process.env;
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const fromDotenv = readDotenv(input.cwd ?? process.cwd())[name];
  return fromDotenv !== undefined && fromDotenv !== '' ? fromDotenv : undefined;
}

/**
 * The environment for a child tool (pg_dump, psql): this process's environment plus `extra`
 * (e.g. PGPASSWORD, so a password never appears on a command line).
 */
export function childEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
