/** Verification of a published order folder against its order_summary.json (`orders show`). */
import path from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { ORDER_SUMMARY_FILE } from '../core/templates.js';
import { OutputError } from '../errors.js';
import { sha256Hex } from '../durable-fs.js';
import {
  assertInside,
  errnoOf,
  outputError,
  readSummary,
  type OrderFile,
  type OrderSummary,
} from './order-folder.js';

/** One file of a verified order folder. */
export interface VerifiedFile extends OrderFile {
  status: 'ok' | 'changed' | 'missing';
  /** SHA-256 on disk (null when missing). */
  actualSha256: string | null;
}

/** Re-hashes an order folder's files against its order_summary.json (for `orders show`). */
export async function verifyOrderFolder(
  dir: string,
): Promise<{ ok: boolean; summary: OrderSummary; files: VerifiedFile[]; unexpected: string[] }> {
  const summary = await readSummary(dir);
  if (!summary)
    throw new OutputError(`${dir} is not an order folder: no readable ${ORDER_SUMMARY_FILE}`, {
      hints: ['The folder was moved, renamed or edited; look for it in the orders folder.'],
    });
  const files: VerifiedFile[] = [];
  for (const f of summary.files) {
    const file = path.join(dir, f.path);
    assertInside(dir, file);
    try {
      const actual = sha256Hex(await readFile(file));
      files.push({ ...f, status: actual === f.sha256 ? 'ok' : 'changed', actualSha256: actual });
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw outputError(err, dir);
      files.push({ ...f, status: 'missing', actualSha256: null });
    }
  }
  const known = new Set([...summary.files.map((f) => f.path), ORDER_SUMMARY_FILE]);
  const unexpected: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    if (!known.has(rel)) unexpected.push(rel);
  }
  unexpected.sort();
  return { ok: files.every((f) => f.status === 'ok'), summary, files, unexpected };
}
