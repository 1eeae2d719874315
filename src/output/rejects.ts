/**
 * The rejects CSV of an import (rule 7): one line per rejected row with the input file, the line
 * the row starts on, the reason (a stable code), words saying what was wrong, and the original
 * line as it was in the file (its cells joined again with the file's delimiter), so nothing is lost
 * even when several files with different headers are imported at once.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { quoteCsvCell } from '../core/csv-rows.js';
import { neutralizeFormula } from '../core/templates.js';
import { OutputError } from '../errors.js';

const HEADER = 'file,line,reason,detail,original\n';

const cell = (v: string, delimiter = ','): string => quoteCsvCell(v, { delimiter });

// A spreadsheet would run a cell starting with = + @ tab CR (or - and not a number) as a formula:
// such a cell gets a leading apostrophe (the only change ever made to an original line). The one
// rule of every CSV silverfox writes (core/templates, used by output/csv).
const safe = neutralizeFormula;

export class RejectsWriter {
  private stream: WriteStream | null = null;
  private buffer: string[] = [];
  /** A write that failed (disk full, read-only): reported at the next flush or close. */
  private failure: unknown = null;
  /** Rows written. */
  count = 0;

  constructor(readonly file: string) {}

  /** A file-system error as what it is: the log folder, not a bug; the import rolls back. */
  private fail(err: unknown): never {
    throw new OutputError(
      `cannot write the rejects file ${this.file}: ${(err as Error)?.message ?? String(err)}`,
      {
        cause: err,
        hints: [
          'Free space, or make SILVERFOX_LOG_DIR a writable folder with room (rejects.csv and report.json go there).',
          'Nothing was imported.',
        ],
      },
    );
  }

  /** Queues one rejected row. */
  add(
    file: string,
    line: number,
    reason: string,
    detail: string,
    fields: readonly string[],
    delimiter: string,
  ): void {
    const original = fields.map((f) => cell(f, delimiter)).join(delimiter);
    this.buffer.push(`${cell(safe(file))},${line},${reason},${cell(safe(detail))},${cell(safe(original))}\n`);
    this.count++;
  }

  /** Writes what is queued, waiting when the disk is slower than the import. */
  async flush(): Promise<void> {
    if (this.failure) this.fail(this.failure);
    if (this.buffer.length === 0) return;
    try {
      if (!this.stream) {
        mkdirSync(path.dirname(this.file), { recursive: true });
        this.stream = createWriteStream(this.file);
        // Unheard, a write error would end the process; it is reported by the next flush instead.
        this.stream.on('error', (err) => (this.failure ??= err));
        this.stream.write(HEADER);
      }
      const text = this.buffer.join('');
      this.buffer = [];
      if (!this.stream.write(text)) await once(this.stream, 'drain');
    } catch (err) {
      this.fail(err);
    }
  }

  /** Closes the file without flushing (the import failed; its folder is removed). */
  destroy(): void {
    this.stream?.destroy();
    this.stream = null;
    this.buffer = [];
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    if (this.stream) {
      const s = this.stream;
      this.stream = null;
      await new Promise<void>((resolve, reject) =>
        s.end((err?: Error | null) => (err ? reject(err) : resolve())),
      ).catch((err: unknown) => this.fail(err));
      if (this.failure) this.fail(this.failure);
    }
  }
}
