/**
 * Buffers COPY lines of raw rows and vehicles and sends them a batch at a time. One batch may be
 * in flight while the caller parses the next (on a server the COPY runs in the server process, so
 * parsing and loading overlap). A COPY holds the connection: call `idle()` before any other query.
 */
import type { Queryable } from './database.js';
import { copyRawRows } from './imports.js';
import { copyVehicles } from './vehicles.js';

/**
 * Lines are joined into flat pieces of this many lines as they come: a piece (~150 KB) lives in
 * V8's large-object space, which the young-generation GC never copies, while thousands of
 * separate line strings (ropes over slices of the input) would be copied on every scavenge.
 */
const PIECE_LINES = 1000;

class Lines {
  private lines: string[] = [];
  private pieces: string[] = [];
  /** Lines held. */
  count = 0;

  /** `sorted`: keep the whole batch and sort it before sending (see vehicleCopyLine). */
  constructor(private readonly sorted = false) {}

  add(line: string): void {
    this.lines.push(line);
    this.count++;
    if (!this.sorted && this.lines.length >= PIECE_LINES) {
      this.pieces.push(`${this.lines.join('\n')}\n`);
      this.lines = [];
    }
  }

  /** Everything held, as newline-terminated pieces; empties the buffer. */
  take(): string[] {
    if (this.sorted) this.lines.sort();
    if (this.lines.length > 0) this.pieces.push(`${this.lines.join('\n')}\n`);
    const out = this.pieces;
    this.lines = [];
    this.pieces = [];
    this.count = 0;
    return out;
  }
}

export class CopyBatcher {
  private raw = new Lines();
  private vehicles = new Lines(true);
  private inflight: Promise<void> | null = null;
  /** Rows COPYed so far. */
  rawCopied = 0;
  vehiclesCopied = 0;

  constructor(
    private readonly tx: Queryable,
    private readonly batchRows = 10_000,
  ) {}

  addRaw(line: string): void {
    this.raw.add(line);
  }

  addVehicle(line: string): void {
    this.vehicles.add(line);
  }

  /** True when a batch is due. */
  get full(): boolean {
    return this.raw.count >= this.batchRows || this.vehicles.count >= this.batchRows;
  }

  /** Starts sending what is buffered, after the batch in flight has landed. */
  async flush(): Promise<void> {
    await this.idle();
    if (this.raw.count === 0 && this.vehicles.count === 0) return;
    const raw = this.raw.take();
    const vehicles = this.vehicles.take();
    const p = (async () => {
      if (raw.length > 0) this.rawCopied += await copyRawRows(this.tx, raw);
      if (vehicles.length > 0) this.vehiclesCopied += await copyVehicles(this.tx, vehicles);
    })();
    // Awaited in idle(); this only keeps an early failure from counting as unhandled meanwhile.
    p.catch(() => {});
    this.inflight = p;
  }

  /** Waits until no COPY is running (rethrowing its failure). */
  async idle(): Promise<void> {
    const p = this.inflight;
    this.inflight = null;
    if (p) await p;
  }

  /** Sends everything buffered and waits for it. */
  async drain(): Promise<void> {
    await this.flush();
    await this.idle();
  }
}
