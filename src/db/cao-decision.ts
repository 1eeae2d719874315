/**
 * Rule 3 decided in one statement: the vehicles a CAO would order (with the reason) and the count
 * per filter and per reason, without moving the active snapshot or the VIN-log facts to the
 * application. The rule's parameters come from core (caoDecisionParameters); this SQL mirrors
 * core/cao.ts filterVehicle (filters in FILTERS order) and decideVin, and
 * test/integration/cao-decision.test.ts checks both decide the same on the same data, on both
 * databases. The per-vehicle details (--explain, the preview, the order itself) are still read
 * and decided in core.
 */
import { FILTERS, type CaoDecision, type CaoDecisionParameters, type FilterName } from '../core/cao.js';
import { ORDERED_REASONS, type OrderedReason, type SkippedReason } from '../core/order.js';
import type { Queryable } from './database.js';

// $1 dealership, $2 snapshot; filters $3..$12; VIN decision $13..$15; $16 ordered reasons.
// A NULL compared with a bound passes (a missing value passes a range filter), as in core.
//
// The shape is the bare new-VIN anti-join's (issue 17: the grouped union of every candidate and
// log row cost 8.6x it): this dealership's VIN-log rows are grouped by VIN alone (l, three plain
// aggregates), the snapshot is hash-joined to them, and each vehicle gets one outcome, its
// filter or its reason (d). Only the vehicles to order leave d (o), so the cross-dealership probe
// runs for the new VINs only, not for every vehicle, and the counts are one pass over d.
// decideVin's latest known condition (latest first, the first written among equal times) is the
// one condition a VIN was logged with here when there is only one (min = max, nearly always); x
// orders the rows of the rare VIN logged here with two different ones.
const DECIDE = `
WITH l AS (
  SELECT l.vin,
    date_trunc('milliseconds',
      max(l.processed_at) FILTER (WHERE l.order_type = ANY ($13::text[]))) AS last_order,
    min(l.condition) FILTER (WHERE l.condition <> $15::text) AS known_min,
    max(l.condition) FILTER (WHERE l.condition <> $15::text) AS known_max
  FROM vin_log l WHERE l.dealership_id = $1
  GROUP BY l.vin
),
x AS (
  SELECT DISTINCT ON (k.vin) k.vin, k.condition FROM vin_log k
  WHERE k.dealership_id = $1 AND k.condition <> $15::text
    AND k.vin IN (SELECT l.vin FROM l WHERE l.known_min <> l.known_max)
  ORDER BY k.vin, k.processed_at DESC, k.id
),
d AS (
  SELECT v.id, v.file_index, v.line, v.vin,
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
      WHEN l.vin IS NULL THEN 'new'
      WHEN l.last_order > $14::timestamptz THEN 'recent'
      WHEN v.condition <> $15::text AND coalesce(x.condition, l.known_min) <> v.condition
        THEN 'condition_changed'
      ELSE 'already_ordered'
    END AS outcome
  FROM vehicles v
  LEFT JOIN l ON l.vin = v.vin
  LEFT JOIN x ON x.vin = v.vin
  WHERE v.snapshot_id = $2
),
o AS (
  SELECT d.id, d.file_index, d.line, d.vin,
    CASE WHEN d.outcome = 'new'
      AND EXISTS (SELECT 1 FROM vin_log c WHERE c.vin = d.vin AND c.dealership_id <> $1)
      THEN 'cross_dealership' ELSE d.outcome END AS reason
  FROM d WHERE d.outcome = ANY ($16::text[])
)
SELECT 'order' AS kind, vin AS key, reason, 0 AS n, file_index, line, id FROM o
UNION ALL SELECT 'count', reason, NULL, count(*)::int, NULL, NULL, NULL FROM o GROUP BY reason
UNION ALL SELECT 'count', outcome, NULL, count(*)::int, NULL, NULL, NULL FROM d
  WHERE NOT (outcome = ANY ($16::text[])) GROUP BY outcome
ORDER BY file_index, line, id`;

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
  const { rows } = await db.query<{ kind: string; key: string | null; reason: string | null; n: number }>(
    DECIDE,
    [
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
      p.recentOrderTypes,
      p.recentAfter.toISOString(),
      p.unknownCondition,
      [...ORDERED_REASONS],
    ],
  );
  const out: CaoDecision = {
    active: 0,
    toOrder: [],
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
    if (r.kind === 'order') {
      out.toOrder.push({ vin: r.key!, reason: r.reason as OrderedReason });
      continue;
    }
    const n = Number(r.n);
    out.active += n;
    if ((FILTERS as readonly string[]).includes(r.key!)) {
      out.byFilter[r.key as FilterName] = n;
      out.filteredOut += n;
    } else {
      out.byReason[r.key as OrderedReason | SkippedReason] = n;
      if (!(ORDERED_REASONS as readonly string[]).includes(r.key!)) out.skipped += n;
    }
  }
  return out;
}
