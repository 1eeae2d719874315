/**
 * `silverfox normalize`: derives the `vehicles` of active snapshots from their raw rows again
 * (rule 2). Per import: delete its snapshots' vehicles, read their raw rows in file order through
 * one cursor, normalize each with the same pure functions the import uses, COPY the vehicles. One transaction,
 * serialized with imports; re-running gives the same rows. Every raw row is accounted for:
 * raw = normalized + duplicates + not-vehicles, with flags counted (failure 4: never a silent gap).
 */
import { performance } from 'node:perf_hooks';
import { yearIn } from '../core/calendar.js';
import {
  addCounts,
  emptyCounts,
  normalizeRow,
  SnapshotTally,
  type NormalizeCounts,
} from '../core/normalize.js';
import {
  closeRawRowsCursor,
  fetchRawRows,
  lockImports,
  openRawRowsCursor,
  selectActiveSnapshots,
  type ActiveSnapshot,
} from '../db/imports.js';
import { deleteVehiclesOfSnapshots, vehicleCopyLine } from '../db/vehicles.js';
import type { AppContext } from './context.js';
import { CopyBatcher } from '../db/copy-batch.js';
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
  const currentYear = yearIn(ctx.now(), ctx.config.timeZone);
  return ctx.db.transaction(async (tx) => {
    await lockImports(tx);
    const snapshots = await selectActiveSnapshots(
      tx,
      named?.map((d) => d.id),
    );
    const out: DealershipNormalization[] = [];
    const byImport = new Map<number, ActiveSnapshot[]>();
    for (const s of snapshots) byImport.set(s.importId, [...(byImport.get(s.importId) ?? []), s]);
    let done = 0;
    // One cursor per import (a feed file usually holds many dealerships): one sort, not one per snapshot.
    for (const [importId, group] of byImport) {
      await deleteVehiclesOfSnapshots(
        tx,
        group.map((s) => s.snapshotId),
      );
      const tallies = new Map(group.map((s) => [s.dealershipId, { s, tally: new SnapshotTally() }]));
      const batcher = new CopyBatcher(tx);
      let current = -1;
      await openRawRowsCursor(
        tx,
        importId,
        group.map((s) => s.dealershipId),
      );
      for (;;) {
        // A COPY and a FETCH cannot share the connection: the batch in flight lands first.
        await batcher.idle();
        const page = await fetchRawRows(tx, PAGE);
        for (const raw of page) {
          const t = tallies.get(raw.dealershipId)!;
          if (raw.dealershipId !== current) {
            current = raw.dealershipId;
            options.onProgress?.({
              dealership: t.s.name,
              index: done++,
              count: snapshots.length,
              rows: t.s.rowCount,
            });
          }
          const v = t.tally.take(normalizeRow(raw, currentYear));
          if (v)
            batcher.addVehicle(vehicleCopyLine(t.s.snapshotId, t.s.dealershipId, raw.fileIndex, raw.line, v));
        }
        if (page.length < PAGE) break;
        await batcher.flush();
      }
      await batcher.idle();
      await closeRawRowsCursor(tx);
      await batcher.drain();
      for (const { s, tally } of tallies.values()) {
        out.push({
          dealershipId: s.dealershipId,
          name: s.name,
          snapshotId: s.snapshotId,
          importId: s.importId,
          counts: tally.counts,
          duplicateVins: tally.duplicateVins,
        });
      }
    }
    out.sort((a, b) => a.name.localeCompare(b.name));
    const active = new Set(snapshots.map((s) => s.dealershipId));
    return {
      dealerships: out,
      withoutSnapshot: (named ?? []).filter((d) => !active.has(d.id)).map((d) => d.name),
      totals: out.reduce((acc, d) => addCounts(acc, d.counts), emptyCounts()),
      durationMs: Math.round(performance.now() - started),
    };
  });
}
