/** Inventory CSVs for the reliability suite, written the way a dealer feed writes them. */
import { writeFileSync } from 'node:fs';
import { makeVin } from '../../helpers/inventory.js';

export interface FeedRow {
  dealer: string;
  vin: string;
  model?: string;
  condition?: string;
  stock?: string;
}

const HEADER = 'Dealership,VIN,Stock,Year,Make,Model,Trim,Condition,Status,Price,Date In Stock,Vehicle URL';

/** A feed CSV (quoted dealership names, prices with $ and commas, on-lot vehicles). */
export function feedCsv(rows: readonly FeedRow[]): string {
  const out = [HEADER];
  for (const r of rows) {
    out.push(
      `"${r.dealer}",${r.vin},${r.stock ?? `S${r.vin.slice(-6)}`},2024,Honda,${r.model ?? 'Accord'},EX,` +
        `${r.condition ?? 'New'},In Stock,"$25,990",2026-01-02,https://dealer.example/vdp/${r.vin}`,
    );
  }
  return `${out.join('\n')}\n`;
}

export function writeFeed(file: string, rows: readonly FeedRow[]): string {
  writeFileSync(file, feedCsv(rows));
  return file;
}

/** `n` distinct valid VINs; `from` keeps sets apart (from + n stays under 1,000,000). */
export function vins(n: number, from = 0, prefix = '1HGCM826'): string[] {
  return Array.from({ length: n }, (_, i) => makeVin(from + i, prefix));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `test` every `everyMs` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(
  test: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 10,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await test()) return true;
    await sleep(everyMs);
  }
  return false;
}
