/** `silverfox status`: what the database holds and whether each dealership is fresh. */
import { isStale } from '../core/dealership.js';
import { selectHeldSnapshots } from '../db/imports.js';
import { schemaStatus } from '../db/migrate.js';
import { selectDealershipStatus, selectNow } from '../db/status.js';
import type { AppContext } from './context.js';
import { heldInfo, type HeldSnapshotInfo } from './hold.js';

export interface DealershipStatus {
  name: string;
  slug: string;
  enabled: boolean;
  inRegistry: boolean;
  activeRows: number;
  importedAt: string | null;
  ageHours: number | null;
  stale: boolean;
  vinLogSize: number;
  lastOrderId: number | null;
  lastOrderAt: string | null;
  /**
   * A newer snapshot the drop guard held (stored, not active: CAO and LIST still use the active
   * one), with why and the command that activates it; null when none.
   */
  held: HeldSnapshotInfo | null;
}

export interface StatusReport {
  database: { kind: 'server' | 'embedded'; location: string; schemaVersion: number; latestVersion: number };
  staleHours: number;
  dealerships: DealershipStatus[];
  totals: {
    dealerships: number;
    enabled: number;
    activeRows: number;
    vinLog: number;
    stale: number;
    neverImported: number;
    /** Dealerships with a held snapshot waiting for an operator. */
    held: number;
  };
}

/** Gathers the status report; `stale` counts enabled dealerships only. */
export async function getStatus(ctx: AppContext): Promise<StatusReport> {
  const schema = await schemaStatus(ctx.db);
  const rows = await selectDealershipStatus(ctx.db);
  const now = await selectNow(ctx.db);
  const held = rows.some((r) => r.heldSnapshotId !== null)
    ? new Map((await selectHeldSnapshots(ctx.db)).map((h) => [h.dealershipId, heldInfo(h)]))
    : new Map<number, HeldSnapshotInfo>();
  const dealerships = rows.map((r): DealershipStatus => {
    const ageMs = r.importedAt ? now.getTime() - r.importedAt.getTime() : null;
    return {
      name: r.name,
      slug: r.slug,
      enabled: r.enabled,
      inRegistry: r.inRegistry,
      activeRows: r.activeRows ?? 0,
      importedAt: r.importedAt?.toISOString() ?? null,
      ageHours: ageMs === null ? null : Math.round((ageMs / 3600_000) * 10) / 10,
      stale: isStale(r.enabled, r.importedAt, now, ctx.config.staleHours),
      vinLogSize: r.vinLogSize,
      lastOrderId: r.lastOrderId,
      lastOrderAt: r.lastOrderAt?.toISOString() ?? null,
      held: held.get(r.id) ?? null,
    };
  });
  return {
    database: {
      kind: ctx.db.kind,
      location: ctx.db.description,
      schemaVersion: schema.version,
      latestVersion: schema.latest,
    },
    staleHours: ctx.config.staleHours,
    dealerships,
    totals: {
      dealerships: dealerships.length,
      enabled: dealerships.filter((d) => d.enabled).length,
      activeRows: dealerships.reduce((s, d) => s + d.activeRows, 0),
      vinLog: dealerships.reduce((s, d) => s + d.vinLogSize, 0),
      stale: dealerships.filter((d) => d.stale).length,
      neverImported: dealerships.filter((d) => d.importedAt === null).length,
      held: dealerships.filter((d) => d.held !== null).length,
    },
  };
}
