/**
 * The drop guard (issue 13): when a dealership's new snapshot keeps far fewer rows than its active
 * one, or its scrape was cut short, the snapshot is stored but `held` instead of activated, so CAO
 * and LIST keep ordering from the previous active snapshot until an operator accepts it. A site
 * that half-loads, a feed cut off mid-file or a broken store filter then cannot make CAO order
 * from a fraction of the lot (or order again, later, everything that was missing).
 *
 * Glossary: **kept** = the rows the import kept for the dealership (its snapshot's row count);
 * **active rows** = the row count of its active snapshot; **ratio** = the `drop_guard_ratio`
 * setting. A first import (no active snapshot) is never held: there is nothing to protect.
 */
import { InputError } from '../errors.js';
import { settingProblemText, settingsSchema, type DealershipSettings } from './dealership.js';

/** Why a snapshot is held: its kept count dropped, or its scrape stopped early. */
export type HoldKind = 'drop' | 'cut_short';

/** What a held snapshot records (snapshots.hold), shown by `status`, `import`, `scrape`, `doctor`. */
export interface SnapshotHold {
  kind: HoldKind;
  /** One line for the operator. */
  reason: string;
  kept: number;
  activeRows: number;
  /** The dealership's drop_guard_ratio when the hold was decided. */
  ratio: number;
}

const RATIO = settingsSchema.shape.drop_guard_ratio;

/**
 * The dealership's drop_guard_ratio; the default when it is not set. An invalid stored value is an
 * error, never the default (a typo must not change what gets held without a word).
 */
export function dropGuardRatio(settings: Partial<DealershipSettings> | null | undefined): number {
  if (settings?.drop_guard_ratio === undefined) return RATIO.parse(undefined);
  const parsed = RATIO.safeParse(settings.drop_guard_ratio);
  if (parsed.success) return parsed.data;
  throw new InputError(
    settingProblemText({
      key: 'drop_guard_ratio',
      value: settings.drop_guard_ratio,
      message: parsed.error.issues[0]?.message ?? 'invalid',
    }),
  );
}

/**
 * Decides whether a new snapshot is held. Held when the dealership has an active snapshot and
 * either its scrape was cut short, or it keeps strictly fewer rows than `ratio` x the active
 * snapshot's rows (`ratio` 0 turns that test off). `acceptDrop` (`import --force`) activates anyway.
 */
export function decideHold(input: {
  kept: number;
  /** Rows of the active snapshot; null when the dealership has none (first import). */
  activeRows: number | null;
  ratio: number;
  /** Why the scrape stopped early (timeout, page failure...), or null. */
  cutShort?: string | null;
  acceptDrop?: boolean;
}): SnapshotHold | null {
  const { kept, activeRows, ratio } = input;
  if (activeRows === null || input.acceptDrop) return null;
  if (input.cutShort) {
    return {
      kind: 'cut_short',
      reason: `scrape cut short (${input.cutShort}); kept ${kept} rows, the active snapshot has ${activeRows}`,
      kept,
      activeRows,
      ratio,
    };
  }
  if (ratio > 0 && kept < ratio * activeRows) {
    return {
      kind: 'drop',
      reason: `kept ${kept} rows, below ${formatRatio(ratio)} of the active snapshot's ${activeRows} (drop_guard_ratio ${ratio})`,
      kept,
      activeRows,
      ratio,
    };
  }
  return null;
}

function formatRatio(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}
