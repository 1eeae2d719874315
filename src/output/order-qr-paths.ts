/**
 * Rewrites the `@` (image) cells of an order folder's CSVs for another QR path base
 * (`silverfox orders paths`), keeping every other byte of the files: the CSV is scanned for the
 * byte span of each field and only the spans of `@` columns are replaced, written exactly as a new
 * order with that base would write them (core `qrCellPath`, then the CSV quoting of csv.ts).
 *
 * A CSV is rewritten only if it differs from what order_summary.json recorded in its `@` cells at
 * most: its cells put back to the recorded base must give the recorded SHA-256. That refuses a file
 * a person edited, and accepts one an interrupted rewrite already replaced (running the command
 * again finishes it). Each CSV is replaced atomically (temporary file, fsync, rename), then
 * order_summary.json gets the new checksums and base.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  qrCellPath,
  qrFileOfCell,
  RELATIVE_QR_PATHS,
  type QrPathBase,
  type QrPathsRecord,
} from '../core/qr-path.js';
import { InputError, OutputError } from '../errors.js';
import { csvRecord } from './csv.js';
import { sha256Hex } from '../durable-fs.js';
import { recordOrderFiles, writeOrderFile } from './order-files.js';
import type { OrderFile, OrderSummary } from './order-folder.js';

interface Field {
  start: number;
  end: number;
  value: string;
}

/** The records of a CSV document with the byte span of each field (RFC 4180, CRLF or LF). */
function scanCsv(text: string): Field[][] {
  const records: Field[][] = [];
  let record: Field[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = i;
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error(`unclosed quote in the field starting at character ${start + 1}`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') value += text[i++];
    }
    record.push({ start, end: i, value });
    if (text[i] === ',') {
      i++;
      if (i === n) record.push({ start: i, end: i, value: '' });
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
    else if (text[i] === '\r' || text[i] === '\n') i++;
    else if (i < n) throw new Error(`unexpected character after the quoted field at character ${start + 1}`);
    records.push(record);
    record = [];
  }
  if (record.length > 0) records.push(record);
  return records;
}

/**
 * `text` with the cell of every `@` column replaced by `cellFor(old cell, record number)`, written
 * as csv.ts writes a data cell; every other byte as it was.
 */
export function rewriteImageCells(text: string, cellFor: (cell: string, record: number) => string): string {
  const records = scanCsv(text);
  const header = records[0] ?? [];
  const image = header.map((f, i) => (f.value.startsWith('@') ? i : -1)).filter((i) => i >= 0);
  let out = '';
  let at = 0;
  for (let r = 1; r < records.length; r++) {
    for (const c of image) {
      const f = records[r]![c];
      if (!f) continue;
      out += text.slice(at, f.start) + csvRecord([cellFor(f.value, r + 1)]);
      at = f.end;
    }
  }
  return out + text.slice(at);
}

/** One CSV of an order and its `@` cells for the new base. */
export interface CsvRewrite {
  file: string;
  /** `@` cells in the file. */
  cells: number;
  before: Buffer;
  after: Buffer;
}

/** The base an order folder's `@` cells were written with (relative before the setting existed). */
export function recordedQrPaths(summary: OrderSummary): QrPathBase {
  return summary.qr_paths ?? RELATIVE_QR_PATHS;
}

/**
 * Reads the CSVs of the order folder `dir` and computes them with their `@` cells for `to`;
 * writes nothing. Throws when a CSV changed other than in its `@` cells, or when a cell names no
 * QR code of the order.
 */
export async function planQrPathRewrite(
  dir: string,
  summary: OrderSummary,
  to: QrPathBase,
): Promise<CsvRewrite[]> {
  const from = recordedQrPaths(summary);
  const folderName = path.basename(dir);
  const known = new Map(summary.files.map((f) => [f.path, f]));
  const plans: CsvRewrite[] = [];
  for (const { file } of summary.csv_files) {
    const recorded = known.get(file);
    const full = path.join(dir, file);
    let before: Buffer;
    try {
      before = await readFile(full);
    } catch (err) {
      throw new OutputError(`cannot read ${full}: ${(err as Error).message}`, {
        cause: err,
        hints: [`\`silverfox orders show ${summary.id}\` checks the folder against its checksums.`],
      });
    }
    let cells = 0;
    const rewrite = (base: QrPathBase) =>
      rewriteImageCells(before.toString('latin1'), (cell, record) => {
        const qr = qrFileOfCell(cell);
        if (!qr || !known.has(qr))
          throw new InputError(
            `${file} record ${record}: the image cell "${cell}" names no QR code of this order`,
            {
              file: full,
              line: record,
              hints: [
                'The CSV was edited by hand, or its template puts something other than the QR path in an @ column; nothing was changed.',
              ],
            },
          );
        cells++;
        return qrCellPath(base, folderName, qr.slice(qr.indexOf('/') + 1, -'.png'.length));
      });
    let asRecorded: string;
    let after: string;
    try {
      asRecorded = rewrite(from);
      cells = 0;
      after = rewrite(to);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`${full} is not a CSV silverfox can read back: ${(err as Error).message}`, {
        file: full,
        hints: ['The CSV was edited by hand; nothing was changed.'],
      });
    }
    if (!recorded || sha256Hex(Buffer.from(asRecorded, 'latin1')) !== recorded.sha256)
      throw new InputError(`${file} of order #${summary.id} changed since the order was written`, {
        file: full,
        hints: [
          'Its checksum in order_summary.json no longer matches (other cells than the QR paths differ), so it is not rewritten; nothing was changed.',
          `\`silverfox orders show ${summary.id}\` lists what changed.`,
        ],
      });
    plans.push({ file, cells, before, after: Buffer.from(after, 'latin1') });
  }
  return plans;
}

/**
 * Replaces each planned CSV atomically, then records the new checksums and `qr_paths` in
 * order_summary.json. Returns what the summary now records of each CSV.
 */
export async function writeQrPathRewrite(
  dir: string,
  plans: readonly CsvRewrite[],
  qrPaths: QrPathsRecord,
): Promise<{ files: OrderFile[]; summary: OrderSummary }> {
  const files: OrderFile[] = [];
  for (const p of plans)
    files.push(
      // A CSV an interrupted run already replaced is not written again, but its checksum is recorded.
      p.after.equals(p.before)
        ? { path: p.file, sha256: sha256Hex(p.after), bytes: p.after.length }
        : await writeOrderFile(dir, p.file, p.after),
    );
  const summary = await recordOrderFiles(dir, files, { qr_paths: qrPaths });
  return { files, summary };
}
