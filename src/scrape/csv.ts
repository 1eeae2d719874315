/** The scrape CSV: canonical headers the importer recognizes, one file per dealership. */
import { replaceFileDurableSync } from '../durable-fs.js';
import { quoteCsvCell } from '../core/csv-rows.js';
import { formatCsv } from '../output/csv.js';
import { RAW_FIELDS, type RawVehicle, type ScrapeReject } from './types.js';

/** Header order: vin, stock, dealership, then the other canonical fields. */
export const CSV_HEADERS = ['vin', 'stock', 'dealership', ...RAW_FIELDS.slice(2)] as const;

/** RFC 4180 quoting; edge whitespace is quoted too, so the importer's trimming keeps it. */
const csvCell = (v: string): string => quoteCsvCell(v, { edgeSpace: true });

/** Pure: the CSV text of a dealership's vehicles (values exactly as scraped; the import normalizes). */
export function vehiclesCsv(dealership: string, vehicles: readonly RawVehicle[]): string {
  const lines = [CSV_HEADERS.join(',')];
  for (const v of vehicles) {
    const row = v as Record<string, string | undefined>;
    lines.push(CSV_HEADERS.map((h) => csvCell(h === 'dealership' ? dealership : (row[h] ?? ''))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Writes the CSV atomically (temp file + rename): a killed run never leaves half a file. */
export function writeVehiclesCsv(file: string, dealership: string, vehicles: readonly RawVehicle[]): void {
  replaceFileDurableSync(file, vehiclesCsv(dealership, vehicles));
}

/** Writes a dealership's rejected rows (reason + the row as served) atomically. */
export function writeRejectsCsv(file: string, dealership: string, rejects: readonly ScrapeReject[]): void {
  replaceFileDurableSync(
    file,
    formatCsv(
      ['dealership', 'reason', 'row'],
      rejects.map((r) => [dealership, r.reason, r.row]),
    ),
  );
}
