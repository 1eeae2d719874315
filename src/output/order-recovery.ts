/**
 * Recovery of the order folders crashed runs left staged (see order-folder.ts): a complete staged
 * order whose id committed is published, one whose id did not is discarded, and a folder whose
 * writer still runs (its owner file: process-identity.ts) is left alone.
 */
import os from 'node:os';
import path from 'node:path';
import { readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { fsyncDirSync } from '../durable-fs.js';
import { processState } from '../process-identity.js';
import {
  errnoOf,
  exists,
  OWNER_SUFFIX,
  outputError,
  readSummary,
  removeStagingRootIfEmpty,
  STAGING_DIR,
  STALE_OWNER_MS,
  type Owner,
} from './order-folder.js';

/**
 * Whether the writer named by an owner file may still be working on its folder: `alive` (this
 * host, that very process: pid, and where recorded start time and boot id, agree), `other_host`
 * (cannot be checked from here), or `dead`. No order takes a day to stage: an older owner counts
 * as dead whatever its pid (it is the only guard for an owner written without /proc).
 */
export function ownerState(
  o: Partial<Owner> | null | undefined,
  now = Date.now(),
): 'alive' | 'dead' | 'other_host' {
  if (!o || !(now - Date.parse(o.started_at ?? '') < STALE_OWNER_MS)) return 'dead';
  return processState(o);
}

/** Reads the owner file of a staged folder (null when missing or unreadable). */
export async function readOwner(file: string): Promise<Owner | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Owner;
  } catch {
    return null;
  }
}

export interface RecoveryResult {
  /** Final folders of staged orders whose id had committed. */
  published: string[];
  /** Staged folders removed: incomplete, or their id never committed. */
  discarded: string[];
  /** Staged folders left alone, with why (still being written, or needing a person). */
  skipped: { folder: string; reason: string }[];
}

/**
 * Finishes what crashed runs left in `<ordersDir>/.staging`: a complete staged order whose id
 * committed is published, one whose id did not (or an incomplete one) is discarded. Folders of
 * a live process (on this host) are left alone; so are those of another host, which cannot be
 * checked from here.
 */
export async function recoverStagedOrders(
  ordersDir: string,
  /** true / false; null when the database cannot tell now (the folder then stays staged). */
  isCommitted: (orderId: number) => Promise<boolean | null>,
): Promise<RecoveryResult> {
  const result: RecoveryResult = { published: [], discarded: [], skipped: [] };
  const root = path.resolve(ordersDir);
  const stagingRoot = path.join(root, STAGING_DIR);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(stagingRoot, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return result;
    throw outputError(err, root);
  }
  const owners = new Map<string, Owner | null>();
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith(OWNER_SUFFIX)) continue;
    owners.set(e.name.slice(0, -OWNER_SUFFIX.length), await readOwner(path.join(stagingRoot, e.name)));
  }
  const live = (o: Owner | null | undefined) => ownerState(o) !== 'dead';
  const dirs = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
  try {
    for (const folder of dirs) {
      const dir = path.join(stagingRoot, folder);
      const owner = owners.get(folder);
      if (live(owner)) {
        result.skipped.push({
          folder: dir,
          reason:
            owner!.host === os.hostname()
              ? `being written by process ${owner!.pid}`
              : `staged on host ${owner!.host}; run the recovery there`,
        });
        continue;
      }
      const summary = await readSummary(dir);
      const id = summary?.id ?? owner?.order_id ?? null;
      const committed = id !== null && (await isCommitted(id));
      if (committed === null) {
        result.skipped.push({
          folder: dir,
          reason: `whether order ${id} committed cannot be asked now (database unreachable or its transaction still open); the next run decides`,
        });
        continue;
      }
      if (committed && !summary) {
        result.skipped.push({
          folder: dir,
          reason: `order ${id} committed but its staged folder is incomplete (no order_summary.json); check it by hand`,
        });
        continue;
      }
      if (committed) {
        const finalDir = path.join(root, folder);
        if (await exists(finalDir)) {
          result.skipped.push({
            folder: dir,
            reason: `order ${id} committed but ${finalDir} exists already`,
          });
          continue;
        }
        try {
          await rename(dir, finalDir);
        } catch (err) {
          if (errnoOf(err) === 'ENOENT') continue; // another recovery (or the writer) published it
          throw err;
        }
        fsyncDirSync(root);
        result.published.push(finalDir);
      } else {
        await rm(dir, { recursive: true, force: true });
        result.discarded.push(dir);
      }
      await unlink(path.join(stagingRoot, folder + OWNER_SUFFIX)).catch(() => {});
    }
    // Owner files whose folder is gone (published or discarded before the owner file went).
    for (const [folder, owner] of owners)
      if (!dirs.has(folder) && !live(owner))
        await unlink(path.join(stagingRoot, folder + OWNER_SUFFIX)).catch(() => {});
  } catch (err) {
    throw outputError(err, root);
  }
  await removeStagingRootIfEmpty(stagingRoot);
  return result;
}
