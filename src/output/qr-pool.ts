/**
 * QR generation on a small pool of worker threads (one per core, 2 on these machines): the
 * matrix and the PNG are CPU work, and two threads roughly double throughput (TOOLCHAIN.md).
 *
 * One pool per process, created on first use and shared by every order of the process (a
 * `cao --all` does not start workers per dealership). Idle workers are unref'd, so they never
 * keep the process alive; `closeQrPool()` ends them.
 *
 * Small jobs, and runs from the TypeScript sources (vitest, where the compiled worker file does
 * not exist), write the codes in the calling thread with the same routine the workers run.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fsyncFiles, type WrittenFile } from '../durable-fs.js';
import { writeQrBatch, type QrBatchFailure } from './qr-png.js';
import type { QrJobMessage } from './qr-worker.js';

/** One code to write: what it says and where its PNG goes (the file must not exist yet). */
export interface QrItem {
  text: string;
  file: string;
}

export interface QrPoolOptions {
  /** Worker threads (default: the cores, at most 4). Used when the pool is first created. */
  workers?: number;
  /**
   * fsync every PNG before reporting it written (default true: order folders are durable). The
   * workers only write; the calling thread flushes each batch as it comes back.
   */
  fsync?: boolean;
  /** Jobs smaller than this run in the calling thread unless the pool is already running (default 24). */
  inlineBelow?: number;
  /** Run everything in the calling thread. */
  inline?: boolean;
  /** The worker script (default: the compiled qr-worker.js beside this module). */
  workerUrl?: URL;
}

/** A code that could not be written, with the errno code (`ENOSPC`...) when the system gave one. */
export class QrWriteError extends Error {
  readonly code?: string;
  readonly path?: string;
  constructor(failure: QrBatchFailure) {
    super(failure.message);
    this.name = 'QrWriteError';
    this.code = failure.code;
    this.path = failure.path;
  }
}

interface Task {
  message: Omit<QrJobMessage, 'id'>;
  cancelled: () => boolean;
  resolve: (r: { results: WrittenFile[]; failure?: QrBatchFailure } | null) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  task: Task | null;
}

class QrPool {
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;

  constructor(
    private readonly url: URL,
    private size: number,
  ) {}

  get running(): boolean {
    return this.workers.length > 0;
  }

  grow(size: number): void {
    this.size = Math.max(this.size, size);
  }

  run(task: Task): void {
    this.queue.push(task);
    this.dispatch();
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const t of this.queue.splice(0)) t.reject(new Error('QR pool closed'));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      if (this.queue[0]!.cancelled()) {
        this.queue.shift()!.resolve(null);
        continue;
      }
      let idle = this.workers.find((w) => w.task === null);
      if (!idle && this.workers.length < this.size) idle = this.spawn();
      if (!idle) return;
      const task = this.queue.shift()!;
      idle.task = task;
      idle.worker.ref();
      idle.worker.postMessage({ ...task.message, id: this.nextId++ } satisfies QrJobMessage);
    }
  }

  private spawn(): PoolWorker {
    const pw: PoolWorker = { worker: new Worker(this.url), task: null };
    pw.worker.unref(); // ref'd only while it has a batch
    pw.worker.on('message', (reply: { results: WrittenFile[]; failure?: QrBatchFailure }) => {
      const task = pw.task;
      pw.task = null;
      pw.worker.unref();
      task?.resolve(reply);
      this.dispatch();
    });
    const fail = (err: Error) => {
      const i = this.workers.indexOf(pw);
      if (i >= 0) this.workers.splice(i, 1);
      const task = pw.task;
      pw.task = null;
      task?.reject(err);
      this.dispatch();
    };
    pw.worker.on('error', fail);
    pw.worker.on('exit', (code) => fail(new Error(`QR worker exited with code ${code}`)));
    this.workers.push(pw);
    return pw;
  }
}

const pools = new Map<string, QrPool>();

/** The compiled worker beside this module, or null when running from the TypeScript sources. */
function defaultWorkerUrl(): URL | null {
  const url = new URL('./qr-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : null;
}

/** Worker threads to use by default: one per core, at most 4. */
export function defaultQrWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * Writes a QR PNG per item and returns each file's size and SHA-256, in the order of `items`.
 * On the first failure the rest of the job is cancelled, the batches already running finish
 * (so nothing is still writing when this rejects), and it rejects with a QrWriteError.
 */
export async function generateQrCodes(
  items: readonly QrItem[],
  opts: QrPoolOptions = {},
): Promise<WrittenFile[]> {
  const fsync = opts.fsync ?? true;
  const workerUrl = opts.inline ? null : (opts.workerUrl ?? defaultWorkerUrl());
  const workers = opts.workers ?? defaultQrWorkers();
  let pool = workerUrl ? pools.get(workerUrl.href) : undefined;
  const inline = !workerUrl || (!pool?.running && items.length < (opts.inlineBelow ?? 24));
  if (inline || items.length === 0) {
    const files = items.map((i) => i.file);
    const { results, failure } = writeQrBatch(
      items.map((i) => i.text),
      files,
    );
    if (failure) throw new QrWriteError(failure);
    if (fsync) await syncOrThrow(files, 0);
    return results;
  }
  if (!pool) {
    pool = new QrPool(workerUrl!, workers);
    pools.set(workerUrl!.href, pool);
  }
  pool.grow(workers);

  // Batches big enough that messaging is noise, small enough that both workers stay busy.
  const size = Math.min(64, Math.max(8, Math.ceil(items.length / (workers * 4))));
  let failed = false;
  const batches: Promise<{ start: number; results: WrittenFile[] } | null>[] = [];
  for (let start = 0; start < items.length; start += size) {
    const slice = items.slice(start, start + size);
    batches.push(
      new Promise((resolve, reject) => {
        pool.run({
          message: { texts: slice.map((i) => i.text), files: slice.map((i) => i.file) },
          cancelled: () => failed,
          resolve: (reply) => {
            if (!reply) return resolve(null);
            if (reply.failure) {
              failed = true;
              return reject(new QrWriteError({ ...reply.failure, index: start + reply.failure.index }));
            }
            if (!fsync) return resolve({ start, results: reply.results });
            // Flushed here while the workers go on with the next batches.
            syncOrThrow(
              slice.map((i) => i.file),
              start,
            ).then(
              () => resolve({ start, results: reply.results }),
              (err: unknown) => {
                failed = true;
                reject(err as Error);
              },
            );
          },
          reject: (err) => {
            failed = true;
            reject(err);
          },
        });
      }),
    );
  }
  const settled = await Promise.allSettled(batches);
  const rejected = settled.find((s) => s.status === 'rejected');
  if (rejected) throw (rejected as PromiseRejectedResult).reason;
  const out: WrittenFile[] = new Array(items.length);
  for (const s of settled) {
    const v = (s as PromiseFulfilledResult<{ start: number; results: WrittenFile[] } | null>).value;
    if (v) v.results.forEach((r, i) => (out[v.start + i] = r));
  }
  return out;
}

/** fsyncs written files; a failure (EIO, or ENOSPC surfacing late) becomes a QrWriteError. */
async function syncOrThrow(files: string[], start: number): Promise<void> {
  try {
    await fsyncFiles(files);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new QrWriteError({ index: start, message: e.message, code: e.code, path: e.path });
  }
}

/** Ends the worker threads (tests, or a long-lived process that is done with QR codes). */
export async function closeQrPool(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
