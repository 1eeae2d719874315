/**
 * Buffers COPY lines of raw rows and vehicles and sends them a batch at a time. One batch may be
 * in flight while the caller parses the next (on a server the COPY runs in the server process, so
 * parsing and loading overlap). A COPY holds the connection: call `idle()` before any other query.
 */
import type { Queryable } from '../db/database.js';
import { copyRawRows } from '../db/imports.js';
import { copyVehicles } from '../db/vehicles.js';

export class CopyBatcher {
  private raw: string[] = [];
  private vehicles: string[] = [];
  private inflight: Promise<void> | null = null;
  /** Rows COPYed so far. */
  rawCopied = 0;
  vehiclesCopied = 0;

  constructor(
    private readonly tx: Queryable,
    private readonly batchRows = 25_000,
  ) {}

  addRaw(line: string): void {
    this.raw.push(line);
  }

  addVehicle(line: string): void {
    this.vehicles.push(line);
  }

  /** True when a batch is due. */
  get full(): boolean {
    return this.raw.length >= this.batchRows || this.vehicles.length >= this.batchRows;
  }

  /** Starts sending what is buffered, after the batch in flight has landed. */
  async flush(): Promise<void> {
    await this.idle();
    if (this.raw.length === 0 && this.vehicles.length === 0) return;
    const raw = this.raw.length > 0 ? `${this.raw.join('\n')}\n` : null;
    const vehicles = this.vehicles.length > 0 ? `${this.vehicles.join('\n')}\n` : null;
    this.raw = [];
    this.vehicles = [];
    const p = (async () => {
      if (raw) this.rawCopied += await copyRawRows(this.tx, raw);
      if (vehicles) this.vehiclesCopied += await copyVehicles(this.tx, vehicles);
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
