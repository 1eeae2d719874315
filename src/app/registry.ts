/**
 * The dealership registry: one JSON file per dealership in scrapers/ (SILVERFOX_REGISTRY_DIR),
 * validated by the schema in core, and synced into the database idempotently.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { registryEntrySchema, slugify, type RegistryEntry } from '../core/dealership.js';
import type { Database } from '../db/database.js';
import {
  getMeta,
  lockRegistrySync,
  retireDealershipsNotIn,
  setMeta,
  upsertDealership,
} from '../db/dealerships.js';
import { InputError } from '../errors.js';

export interface RegistryFile {
  file: string;
  entry: RegistryEntry;
  /** The JSON as written, for the fingerprint. */
  text: string;
}

/** Reads and validates every registry file, reporting all problems together. */
export function readRegistry(dir: string): RegistryFile[] {
  if (!existsSync(dir)) return [];
  const problems: string[] = [];
  const out: RegistryFile[] = [];
  const slugs = new Map<string, string>();
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = path.join(dir, f);
    const text = readFileSync(file, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      problems.push(`${f}: not valid JSON (${(err as Error).message})`);
      continue;
    }
    const parsed = registryEntrySchema.safeParse(json);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${f}: ${i.path.join('.') || '(root)'}: ${i.message}`));
      continue;
    }
    const slug = slugify(parsed.data.name);
    const other = slugs.get(slug);
    if (other) problems.push(`${f}: same dealership slug "${slug}" as ${other}`);
    slugs.set(slug, f);
    out.push({ file, entry: parsed.data, text });
  }
  if (problems.length > 0) {
    throw new InputError(`the dealership registry in ${dir} has ${problems.length} problem(s)`, {
      hints: problems,
    });
  }
  return out;
}

/** The file a dealership's entry lives in. */
export function registryFilePath(dir: string, name: string): string {
  return path.join(dir, `${slugify(name)}.json`);
}

/** Writes one entry atomically (temp file + rename) after validating it. */
export function writeRegistryEntry(dir: string, entry: RegistryEntry): string {
  const valid = registryEntrySchema.parse(entry);
  mkdirSync(dir, { recursive: true });
  const file = registryFilePath(dir, valid.name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(valid, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/** Removes a dealership's registry file. */
export function deleteRegistryEntry(file: string): void {
  unlinkSync(file);
}

function fingerprint(files: RegistryFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(path.basename(f.file)).update('\0').update(f.text).update('\0');
  return h.digest('hex');
}

export interface SyncResult {
  changed: boolean;
  dealerships: number;
  retired: string[];
}

/**
 * Loads the registry into the database. Idempotent: an unchanged registry (same fingerprint)
 * costs one query; a changed one is upserted in one transaction.
 */
export async function syncRegistry(
  db: Database,
  dir: string,
  opts: { force?: boolean } = {},
): Promise<SyncResult> {
  const files = readRegistry(dir);
  const print = fingerprint(files);
  if (!opts.force && (await getMeta(db, 'registry_fingerprint')) === print) {
    return { changed: false, dealerships: files.length, retired: [] };
  }
  return db.transaction(async (tx) => {
    await lockRegistrySync(tx);
    for (const { entry } of files) {
      await upsertDealership(tx, {
        name: entry.name,
        slug: slugify(entry.name),
        platform: entry.platform,
        siteUrl: entry.site_url || null,
        enabled: entry.enabled,
        inRegistry: true,
        settings: entry.settings,
        schedule: entry.schedule,
        aliases: entry.aliases,
      });
    }
    const retired =
      files.length > 0
        ? await retireDealershipsNotIn(
            tx,
            files.map((f) => slugify(f.entry.name)),
          )
        : [];
    await setMeta(tx, 'registry_fingerprint', print);
    return { changed: true, dealerships: files.length, retired };
  });
}
