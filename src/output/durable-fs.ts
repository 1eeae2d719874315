/**
 * Durable writes for order folders: a file is on disk (fsync) before anyone is told it exists,
 * and a folder's entries are on disk (fsync of the folder) before the folder is renamed into
 * place. Used by the QR workers and the order-folder writer alike.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
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
 * crash leaves the old file or the new one, never half of either (archives, backups).
 */
export function replaceFileDurableSync(file: string, data: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Flushes a folder's entries (names created, renamed or removed in it) to disk. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

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
