/**
 * Files added to a published order folder after the order was written (sticker PDFs, window
 * stickers): each is written beside its final name and renamed over it, then recorded with its
 * SHA-256 in order_summary.json, so `verifyOrderFolder` (and `orders show`) keep covering every
 * file of the folder.
 *
 * order_summary.json is rewritten the same way (temporary file, fsync, rename), under a lock file
 * so two commands adding files to one order at once (pdf and stickers) never lose each other's
 * entries.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ORDER_SUMMARY_FILE } from '../core/templates.js';
import { OutputError } from '../errors.js';
import { fsyncDirSync, writeFileDurable } from '../durable-fs.js';
import type { OrderFile, OrderSummary } from './order-folder.js';

const LOCK_FILE = `${ORDER_SUMMARY_FILE}.lock`;
/** A lock older than this was left by a crashed process. */
const STALE_LOCK_MS = 30_000;

function inside(dir: string, rel: string): string {
  const file = path.resolve(dir, rel);
  const r = path.relative(dir, file);
  if (r === '' || r.startsWith('..') || path.isAbsolute(r))
    throw new OutputError(`refusing to write ${rel}: it is outside the order folder ${dir}`);
  return file;
}

/**
 * Writes `data` to `<dir>/<rel>` atomically (a reader sees the old file or the new one, never
 * half of one), fsynced, and returns what order_summary.json records of it.
 */
export async function writeOrderFile(dir: string, rel: string, data: Uint8Array): Promise<OrderFile> {
  const file = inside(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const written = await writeFileDurable(tmp, data);
    await rename(tmp, file);
    fsyncDirSync(path.dirname(file));
    return { path: rel.split(path.sep).join('/'), ...written };
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new OutputError(`cannot write ${file}: ${(err as Error).message}`, {
      cause: err,
      hints: ['Check that the order folder is writable and the disk has space.'],
    });
  }
}

async function withSummaryLock<T>(dir: string, fn: () => Promise<T>, waitMs = 15_000): Promise<T> {
  const lock = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline)
        throw new OutputError(
          `${path.join(dir, ORDER_SUMMARY_FILE)} is locked by another silverfox process`,
          {
            hints: [`Wait for it to finish; a lock left by a crash (${lock}) expires after 30 s.`],
          },
        );
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * Adds `files` to the order folder's order_summary.json (an entry with the same path is replaced),
 * merges `extra` into it, and rewrites it atomically. Returns the new summary.
 */
export async function recordOrderFiles(
  dir: string,
  files: readonly OrderFile[],
  extra: Record<string, unknown> = {},
): Promise<OrderSummary> {
  return withSummaryLock(dir, async () => {
    const file = path.join(dir, ORDER_SUMMARY_FILE);
    let summary: OrderSummary;
    try {
      summary = JSON.parse(await readFile(file, 'utf8')) as OrderSummary;
      if (!Array.isArray(summary.files)) throw new Error('it has no files list');
    } catch (err) {
      throw new OutputError(
        `${dir} is not an order folder: cannot read ${ORDER_SUMMARY_FILE} (${(err as Error).message})`,
        {
          cause: err,
          hints: ['The folder was moved or edited; `silverfox orders show ID` verifies it.'],
        },
      );
    }
    const byPath = new Map(summary.files.map((f) => [f.path, f]));
    for (const f of files) byPath.set(f.path, { path: f.path, sha256: f.sha256, bytes: f.bytes });
    summary.files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const [key, value] of Object.entries(extra)) summary[key] = value;
    await writeOrderFile(dir, ORDER_SUMMARY_FILE, Buffer.from(JSON.stringify(summary, null, 2) + '\n'));
    return summary;
  });
}
