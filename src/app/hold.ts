/**
 * Held snapshots (drop guard, core/drop-guard): listing them, and `silverfox scrape NAME
 * --accept-drop`, which activates the snapshot that is held now, exactly the one `status` showed,
 * without scraping again (a new scrape could bring something else than what the operator looked
 * at). `import FILE --force` is the other way: it imports the file and activates it unguarded.
 */
import type { SnapshotHold } from '../core/drop-guard.js';
import { activateHeldSnapshot, lockImports, selectHeldSnapshots, type HeldSnapshot } from '../db/imports.js';
import { SilverfoxError, UsageError } from '../errors.js';
import type { AppContext } from './context.js';
import { resolveDealerships } from './dealers.js';

/** A held snapshot as use cases report it. */
export interface HeldSnapshotInfo {
  snapshotId: number;
  importId: number;
  source: 'csv' | 'scrape';
  rows: number;
  heldAt: string;
  kind: SnapshotHold['kind'];
  reason: string;
  /** The command that activates it. */
  accept: string;
}

/** The command that accepts a dealership's held snapshot (quoted for a shell). */
export function acceptCommand(name: string): string {
  return `silverfox scrape "${name.replace(/(["\\$`])/g, '\\$1')}" --accept-drop`;
}

/** Maps a held snapshot row for reports. */
export function heldInfo(h: HeldSnapshot): HeldSnapshotInfo {
  const hold = (h.hold ?? {}) as Partial<SnapshotHold>;
  return {
    snapshotId: h.snapshotId,
    importId: h.importId,
    source: h.source,
    rows: h.rowCount,
    heldAt: h.createdAt.toISOString(),
    kind: hold.kind ?? 'drop',
    reason: hold.reason ?? 'held by the drop guard',
    accept: acceptCommand(h.name),
  };
}

export interface AcceptedDrop {
  name: string;
  slug: string;
  snapshotId: number;
  rows: number;
  /** Why it had been held. */
  reason: string;
  /** The active snapshot it replaced (archived), if any. */
  previousSnapshotId: number | null;
}

export interface AcceptDropResult {
  accepted: AcceptedDrop[];
}

/**
 * Activates the held snapshot of each named dealership, all in one transaction under the import
 * lock. A name with nothing held is an error and nothing changes (all or nothing).
 */
export async function acceptHeldSnapshots(
  ctx: AppContext,
  names: readonly string[],
): Promise<AcceptDropResult> {
  if (names.length === 0) {
    throw new UsageError('--accept-drop needs the dealerships whose held snapshot to activate', [
      '`silverfox status` lists held snapshots, e.g. `silverfox scrape "Columbia Honda" --accept-drop`.',
    ]);
  }
  const dealers = await resolveDealerships(ctx, names);
  return ctx.db.transaction(async (tx) => {
    await lockImports(tx);
    const held = new Map(
      (
        await selectHeldSnapshots(
          tx,
          dealers.map((d) => d.id),
        )
      ).map((h) => [h.dealershipId, h]),
    );
    const missing = dealers.filter((d) => !held.has(d.id));
    if (missing.length > 0) {
      throw new SilverfoxError(
        'nothing_held',
        `no held snapshot to accept for ${missing.map((d) => d.name).join(', ')}: nothing was changed`,
        {
          hints: [
            '`silverfox status` shows which dealerships have a held snapshot.',
            'To scrape again, run `silverfox scrape NAME` without --accept-drop.',
          ],
        },
      );
    }
    const accepted: AcceptedDrop[] = [];
    for (const d of dealers) {
      const h = held.get(d.id)!;
      const r = await activateHeldSnapshot(tx, h.snapshotId);
      // Cannot fail under the import lock; checked so a change of locking cannot go unnoticed.
      if (!r.accepted) throw new Error(`snapshot #${h.snapshotId} of ${d.name} stopped being held`);
      accepted.push({
        name: d.name,
        slug: d.slug,
        snapshotId: h.snapshotId,
        rows: h.rowCount,
        reason: heldInfo(h).reason,
        previousSnapshotId: r.previousSnapshotId,
      });
    }
    return { accepted };
  });
}
