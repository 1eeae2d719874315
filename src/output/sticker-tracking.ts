/**
 * The checkpoint of a window-sticker run: `<order>/stickers/tracking.json`, rewritten atomically
 * (temporary file, fsync, rename) after every vehicle, so a run killed at any point resumes
 * (`--resume`) without downloading a finished vehicle again. Writes are serialized: workers
 * finishing at once queue their checkpoint instead of racing on the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OutputError } from '../errors.js';
import { sha256Hex } from '../durable-fs.js';
import { writeOrderFile } from './order-files.js';
import type { OrderFile } from './order-folder.js';

/** Where window stickers go inside an order folder. */
export const STICKERS_DIR = 'stickers';
export const TRACKING_FILE = `${STICKERS_DIR}/tracking.json`;
export const METRICS_FILE = `${STICKERS_DIR}/metrics.json`;

/** A vehicle's sticker PDF, relative to the order folder. */
export function stickerFilePath(vin: string): string {
  return `${STICKERS_DIR}/${vin.trim().toUpperCase()}.pdf`;
}

export type TrackedVehicle =
  | {
      status: 'downloaded';
      file: string;
      sha256: string;
      bytes: number;
      attempts: number;
      ms: number;
      at: string;
    }
  | { status: 'failed'; code: string; reason: string; attempts: number; ms: number; at: string };

/** tracking.json (snake_case: a file people read). */
export interface Tracking {
  format: 1;
  order_id: number;
  portal: string;
  started_at: string;
  updated_at: string;
  runs: number;
  vehicles: Record<string, TrackedVehicle>;
}

/** Reads an order's tracking.json, or null when there is none. */
export function readTracking(orderDir: string): Tracking | null {
  const file = path.join(orderDir, TRACKING_FILE);
  if (!existsSync(file)) return null;
  try {
    const t = JSON.parse(readFileSync(file, 'utf8')) as Tracking;
    if (t.format !== 1 || typeof t.vehicles !== 'object' || t.vehicles === null)
      throw new Error('unknown format');
    return t;
  } catch (err) {
    throw new OutputError(`cannot read ${file}: ${(err as Error).message}`, {
      hints: ['Move it away to start the downloads over (every sticker is then downloaded again).'],
    });
  }
}

/**
 * Whether a sticker on disk is complete: a file renamed into place is (it was fully written
 * first), and when tracking recorded it, its SHA-256 must still match.
 */
export function stickerOnDisk(orderDir: string, vin: string, tracked?: TrackedVehicle): boolean {
  const file = path.join(orderDir, stickerFilePath(vin));
  if (!existsSync(file)) return false;
  const data = readFileSync(file);
  if (data.subarray(0, 5).toString('latin1') !== '%PDF-') return false;
  return tracked?.status !== 'downloaded' || sha256Hex(data) === tracked.sha256;
}

/** Keeps tracking.json in step with the run, one atomic write after another. */
export class TrackingWriter {
  private chain: Promise<unknown> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly orderDir: string,
    readonly tracking: Tracking,
    private readonly now: () => Date,
  ) {}

  /** Records a vehicle and writes the checkpoint; resolves once it is on disk. */
  async record(vin: string, entry: TrackedVehicle): Promise<void> {
    this.tracking.vehicles[vin] = entry;
    await this.flush();
  }

  /** Writes the current state (queued behind any write in progress); returns the file written. */
  flush(): Promise<OrderFile> {
    const next = this.chain.then(async () => {
      this.tracking.updated_at = this.now().toISOString();
      const text = JSON.stringify(this.tracking, null, 2) + '\n';
      return writeOrderFile(this.orderDir, TRACKING_FILE, Buffer.from(text));
    });
    this.chain = next.catch((err: unknown) => {
      this.failure ??= err;
    });
    return next;
  }

  /** The first write that failed, if any. */
  get error(): unknown {
    return this.failure;
  }
}
