/**
 * Rule 3 decided in one statement: the vehicles a CAO would order (with the reason) and the count
 * per filter and per reason, without moving the active snapshot or the VIN-log facts to the
 * application. The rule's parameters come from core (caoDecisionParameters); this SQL mirrors
 * core/cao.ts filterVehicle (filters in FILTERS order) and decideVin, and
 * test/integration/cao-decision.test.ts checks both decide the same on the same data, on both
 * databases. The per-vehicle details (--explain, the preview, the order itself) are still read
 * and decided in core.
 */
import type { CaoDecision, CaoDecisionParameters, FilterName } from '../core/cao.js';
import { ORDERED_REASONS, type OrderedReason, type SkippedReason } from '../core/order.js';
import type { Queryable } from './database.js';

// $1 dealership, $2 snapshot; filters $3..$12; VIN decision $13..$15; $16 ordered reasons.
// A NULL compared with a bound passes (a missing value passes a range filter), as in core.
const DECIDE = `
WITH v AS (
  SELECT v.id, v.file_index, v.line, v.vin, v.condition,
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
    END AS filter
  FROM vehicles v
  WHERE v.snapshot_id = $2
),
-- The candidates and this dealership's VIN-log rows grouped by VIN in one hashed pass: no join
-- whose plan would rest on statistics (a new snapshot has none). A snapshot holds each VIN once
-- (UNIQUE (snapshot_id, vin)), so there are no duplicate candidates. The latest known condition is
-- the greatest [time, id key, condition] (the time as fixed-width UTC text, the id key larger for
-- a smaller id): decideVin's order, latest first and the first written among equal times, without
-- an ordered aggregate (which would force a sort).
g AS (
  SELECT u.vin,
    min(u.id) FILTER (WHERE u.here) AS id,
    min(u.file_index) FILTER (WHERE u.here) AS file_index,
    min(u.line) FILTER (WHERE u.here) AS line,
    min(u.condition) FILTER (WHERE u.here) AS condition,
    count(*) FILTER (WHERE NOT u.here) AS logged,
    date_trunc('milliseconds',
      max(u.processed_at) FILTER (WHERE NOT u.here AND u.order_type = ANY ($13::text[]))) AS last_order,
    (max(ARRAY[to_char(u.processed_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS'),
               lpad((9223372036854775807 - u.log_id)::text, 19, '0'), u.condition])
       FILTER (WHERE NOT u.here AND u.condition IS NOT NULL AND u.condition <> $15::text))[3]
      AS last_condition
  FROM (
    SELECT true AS here, vin, id, file_index, line, condition,
           NULL::timestamptz AS processed_at, NULL::text AS order_type, NULL::bigint AS log_id
    FROM v WHERE filter IS NULL
    UNION ALL
    SELECT false, l.vin, NULL, NULL, NULL, l.condition, l.processed_at, l.order_type, l.id
    FROM vin_log l WHERE l.dealership_id = $1
  ) u
  GROUP BY u.vin
  HAVING bool_or(u.here)
),
d AS (
  SELECT g.id, g.file_index, g.line, g.vin,
    CASE
      WHEN g.logged = 0 THEN
        CASE WHEN EXISTS (SELECT 1 FROM vin_log o WHERE o.vin = g.vin AND o.dealership_id <> $1)
             THEN 'cross_dealership' ELSE 'new' END
      WHEN g.last_order > $14::timestamptz THEN 'recent'
      WHEN g.last_condition IS NOT NULL AND g.condition <> $15::text AND g.last_condition <> g.condition
        THEN 'condition_changed'
      ELSE 'already_ordered'
    END AS reason
  FROM g
)
SELECT 'order' AS kind, vin AS key, reason, 0 AS n, file_index, line, id FROM d
  WHERE reason = ANY ($16::text[])
UNION ALL SELECT 'reason', reason, NULL, count(*)::int, NULL, NULL, NULL FROM d GROUP BY reason
UNION ALL SELECT 'filter', filter, NULL, count(*)::int, NULL, NULL, NULL FROM v
  WHERE filter IS NOT NULL GROUP BY filter
UNION ALL SELECT 'active', NULL, NULL, count(*)::int, NULL, NULL, NULL FROM v
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
  for (const r of rows) {
    const n = Number(r.n);
    if (r.kind === 'order') out.toOrder.push({ vin: r.key!, reason: r.reason as OrderedReason });
    else if (r.kind === 'reason') {
      out.byReason[r.key as OrderedReason | SkippedReason] = n;
      if (!(ORDERED_REASONS as readonly string[]).includes(r.key!)) out.skipped += n;
    } else if (r.kind === 'filter') {
      out.byFilter[r.key as FilterName] = n;
      out.filteredOut += n;
    } else if (r.kind === 'active') out.active = n;
  }
  return out;
}
