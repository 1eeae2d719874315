/**
 * Rule 3 decided in one statement: how many vehicles of the active snapshot each filter removes
 * and each reason decides, so a CAO with nothing to order (most dealerships, most nights) reads
 * neither the snapshot nor the VIN log into the application. The rule's parameters come from core
 * (caoDecisionParameters); this SQL mirrors core/cao.ts filterVehicle (filters in FILTERS order)
 * and decideVin, and test/integration/cao-decision.test.ts checks both decide the same on the same
 * data, on both databases. The per-vehicle details (--explain, the preview, the order itself) are
 * read and decided in core.
 */
import { FILTERS, type CaoDecision, type CaoDecisionParameters, type FilterName } from '../core/cao.js';
import { ORDERED_REASONS } from '../core/order.js';
import type { Queryable } from './database.js';

// $1 dealership, $2 snapshot; filters $3..$12; VIN decision $13..$14.
// A NULL compared with a bound passes (a missing value passes a range filter), as in core.
//
// Each vehicle gets one outcome, its filter or its reason, from its own columns and the one
// vin_state row of its VIN here (sql/009_vin_state.sql: the latest silverfox order and the latest
// known condition, kept by triggers on vin_log), hash-joined like the bare new-VIN anti-join.
// Grouping the dealership's VIN-log rows on every run instead cost 3-4x this statement (issue 17).
// `new` includes the VINs another dealership ordered: the order tells those apart (CaoDecision).
const DECIDE = `
SELECT
  CASE
    WHEN NOT v.vin_valid THEN 'invalid_vin'
    WHEN v.lot_status = 'off_lot' AND NOT $3::boolean THEN 'off_lot'
    WHEN NOT (v.condition = ANY ($4::text[])) THEN 'vehicle_types'
    WHEN v.price < $5::numeric THEN 'min_price'
    WHEN v.price > $6::numeric THEN 'max_price'
    WHEN v.year < $7::integer THEN 'min_year'
    WHEN v.date_in_stock > $8::date THEN 'seasoning_days'
    WHEN $9::boolean AND coalesce(v.stock, '') = '' THEN 'require_stock'
    WHEN $10::boolean AND v.price IS NULL THEN 'require_price'
    WHEN cardinality($11::text[]) > 0
      AND NOT (coalesce(regexp_replace(lower(v.make), '[^a-z0-9]+', '', 'g'), '') <> ''
               AND regexp_replace(lower(v.make), '[^a-z0-9]+', '', 'g') = ANY ($11::text[]))
      THEN 'brands'
    WHEN cardinality($12::text[]) > 0 AND EXISTS (
      SELECT 1 FROM unnest($12::text[]) k
      WHERE strpos(lower(v.make), k) > 0 OR strpos(lower(v.model), k) > 0
         OR strpos(lower(v.trim), k) > 0 OR strpos(lower(v.status), k) > 0
         OR strpos(lower(v.full_name), k) > 0)
      THEN 'exclude_keywords'
    WHEN s.vin IS NULL THEN 'new'
    WHEN date_trunc('milliseconds', s.last_order) > $13::timestamptz THEN 'recent'
    WHEN v.condition <> $14::text AND s.known_condition <> v.condition THEN 'condition_changed'
    ELSE 'already_ordered'
  END AS outcome,
  count(*)::int AS n
FROM vehicles v
LEFT JOIN vin_state s ON s.dealership_id = $1 AND s.vin = v.vin
WHERE v.snapshot_id = $2
GROUP BY 1`;

/**
 * Rule 3 for the dealership's snapshot `snapshotId` (its active one, resolved beforehand so the
 * (snapshot_id, vin) and (dealership_id, vin) indexes are used).
 */
export async function decideCaoInDatabase(
  db: Queryable,
  dealershipId: number,
  snapshotId: number,
  p: CaoDecisionParameters,
): Promise<CaoDecision> {
  const { rows } = await db.query<{ outcome: string; n: number }>(DECIDE, [
    dealershipId,
    snapshotId,
    p.allowOffLot,
    p.conditions,
    p.minPrice,
    p.maxPrice,
    p.minYear,
    p.seasonedBy,
    p.requireStock,
    p.requirePrice,
    p.brandKeys,
    p.excludeKeywords,
    p.recentAfter.toISOString(),
    p.unknownCondition,
  ]);
  const out: CaoDecision = {
    active: 0,
    toOrder: 0,
    byFilter: {},
    byReason: {},
    filteredOut: 0,
    skipped: 0,
    // UNIQUE (snapshot_id, vin): a snapshot holds no duplicate VIN.
    duplicates: 0,
  };
  // One count per outcome: a filter's name (filtered out) or a reason (decided); every vehicle
  // has exactly one, so together they are the active snapshot.
  for (const r of rows) {
    const n = Number(r.n);
    out.active += n;
    if ((FILTERS as readonly string[]).includes(r.outcome)) {
      out.byFilter[r.outcome as FilterName] = n;
      out.filteredOut += n;
    } else {
      out.byReason[r.outcome as keyof CaoDecision['byReason']] = n;
      if ((ORDERED_REASONS as readonly string[]).includes(r.outcome)) out.toOrder += n;
      else out.skipped += n;
    }
  }
  return out;
}
