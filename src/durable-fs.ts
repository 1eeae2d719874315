/**
 * Durable writes: a file is on disk (fsync) before anyone is told it exists, a file replaced is
 * replaced whole (written aside, fsynced, renamed over), and a folder's entries are on disk
 * (fsync of the folder) before the folder is renamed into place.
 *
 * The one home of these writes for every layer (order folders, QR workers, backups, archives,
 * checkpoints, reports): it sits at the top of src/ beside errors.ts and paths.ts because db/,
 * output/, scrape/ and app/ all write files this way and none of them may import another's I/O.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** What the order summary records of a written file. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/** SHA-256 of bytes, as lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes `data` to a new file (`wx`: an existing file is an error, never overwritten), optionally
 * fsyncs it, and returns its size and SHA-256.
 */
export function writeFileDurableSync(
  file: string,
  data: Uint8Array,
  opts: { fsync?: boolean } = {},
): WrittenFile {
  const fd = openSync(file, 'wx', 0o644);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    if (opts.fsync ?? true) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { bytes: data.length, sha256: sha256Hex(data) };
}

/**
 * Replaces `file` with `data` all at once: written beside it, fsynced, then renamed over it, so a
 * crash leaves the old file or the new one, never half of either (archives, backups, checkpoints,
 * exported settings, report files). The temporary name is unique to the call, so two writers in
 * one process never share it; it is removed when the write fails.
 */
export function replaceFileDurableSync(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Flushes a file or a folder (its entries: names created, renamed or removed in it) to disk. */
export function fsyncPathSync(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (names created, renamed or removed in it) to disk. */
export const fsyncDirSync = fsyncPathSync;

/** `writeFileDurableSync` without blocking the event loop (for the few large files of an order). */
export async function writeFileDurable(
  file: string,
  data: Uint8Array,
  opts: { fsync?: boolean } = {},
): Promise<WrittenFile> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    if (opts.fsync ?? true) await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes: data.length, sha256: sha256Hex(data) };
}

/**
 * fsyncs files already written (and closed), several at once on libuv's thread pool. Concurrent
 * fsyncs share the file system's journal commits, and waiting on the disk here overlaps with the
 * QR workers' CPU work, where an fsync per file inside each worker stalled it (TOOLCHAIN: ~0.3 ms).
 */
export async function fsyncFiles(files: readonly string[], concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const handle = await open(files[next++]!, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
}
