/**
 * `silverfox normalize`: derives the `vehicles` of active snapshots from their raw rows again
 * (rule 2). Per snapshot: delete its vehicles, read its raw rows in file order a page at a time,
 * normalize each with the same pure functions the import uses, COPY the vehicles. One transaction,
 * serialized with imports; re-running gives the same rows. Every raw row is accounted for:
 * raw = normalized + duplicates + not-vehicles, with flags counted (failure 4: never a silent gap).
 */
import { performance } from 'node:perf_hooks';
import {
  addCounts,
  emptyCounts,
  normalizeRow,
  SnapshotTally,
  type NormalizeCounts,
} from '../core/normalize.js';
import { lockImports, selectActiveSnapshots, selectRawRowsPage } from '../db/imports.js';
import { deleteVehiclesOfSnapshot, vehicleCopyLine } from '../db/vehicles.js';
import type { AppContext } from './context.js';
import { CopyBatcher } from './copy-batch.js';
import { resolveDealerships } from './dealers.js';

const PAGE = 10_000;

export interface NormalizeOptions {
  /** Names, slugs or aliases; all dealerships with an active snapshot when empty. */
  dealers?: readonly string[];
  onProgress?: (p: { dealership: string; index: number; count: number; rows: number }) => void;
}

export interface DealershipNormalization {
  dealershipId: number;
  name: string;
  snapshotId: number;
  importId: number;
  counts: NormalizeCounts;
  /** A few VINs that appeared more than once. */
  duplicateVins: string[];
}

export interface NormalizeResult {
  dealerships: DealershipNormalization[];
  /** Dealerships asked for that have no active snapshot (nothing to normalize). */
  withoutSnapshot: string[];
  totals: NormalizeCounts;
  durationMs: number;
}

/** Re-derives the vehicles of the active snapshots of `dealers` (or all). */
export async function normalizeDealerships(
  ctx: AppContext,
  options: NormalizeOptions = {},
): Promise<NormalizeResult> {
  const started = performance.now();
  const named =
    options.dealers && options.dealers.length > 0 ? await resolveDealerships(ctx, options.dealers) : null;
  const currentYear = ctx.now().getFullYear();
  return ctx.db.transaction(async (tx) => {
    await lockImports(tx);
    const snapshots = await selectActiveSnapshots(
      tx,
      named?.map((d) => d.id),
    );
    const out: DealershipNormalization[] = [];
    for (const [index, s] of snapshots.entries()) {
      options.onProgress?.({ dealership: s.name, index, count: snapshots.length, rows: s.rowCount });
      await deleteVehiclesOfSnapshot(tx, s.snapshotId);
      const tally = new SnapshotTally();
      const batcher = new CopyBatcher(tx);
      let after = { fileIndex: -1, line: -1 };
      for (;;) {
        await batcher.idle();
        const page = await selectRawRowsPage(tx, s.importId, s.dealershipId, after, PAGE);
        if (page.length === 0) break;
        for (const raw of page) {
          const v = tally.take(normalizeRow(raw, currentYear));
          if (v)
            batcher.addVehicle(vehicleCopyLine(s.snapshotId, s.dealershipId, raw.fileIndex, raw.line, v));
        }
        const last = page[page.length - 1]!;
        after = { fileIndex: last.fileIndex, line: last.line };
        await batcher.flush();
        if (page.length < PAGE) break;
      }
      await batcher.drain();
      out.push({
        dealershipId: s.dealershipId,
        name: s.name,
        snapshotId: s.snapshotId,
        importId: s.importId,
        counts: tally.counts,
        duplicateVins: tally.duplicateVins,
      });
    }
    const active = new Set(snapshots.map((s) => s.dealershipId));
    return {
      dealerships: out,
      withoutSnapshot: (named ?? []).filter((d) => !active.has(d.id)).map((d) => d.name),
      totals: out.reduce((acc, d) => addCounts(acc, d.counts), emptyCounts()),
      durationMs: Math.round(performance.now() - started),
    };
  });
}
