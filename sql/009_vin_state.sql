-- What rule 3 needs to know of each VIN a dealership has logged, one row per (dealership, VIN),
-- kept by triggers on vin_log (issue 17). The CAO decision (db/cao-decision.ts) joins the active
-- snapshot to these rows instead of grouping the dealership's VIN-log rows on every run: grouping
-- 20,000 log rows by VIN was most of its time. vin_log stays the record; this table is derived
-- from it and can be rebuilt from it at any time (see the backfill at the end).
--   last_order       the latest processed_at of a silverfox order (core RECENT_ORDER_TYPES:
--                    cao, list; test/integration/vin-state.test.ts checks the list matches)
--   known_condition  the condition of the latest row whose condition is known (not 'unknown'),
--                    as core decideVin picks it: latest millisecond first, the first written
--                    (lowest id) among rows of the same millisecond
--   known_at, known_id  which row that is, so rows added later merge without a re-read
--                    (vin_state_merge)
CREATE TABLE vin_state (
  dealership_id integer NOT NULL,
  vin text NOT NULL,
  last_order timestamptz,
  known_condition text,
  known_at timestamptz,
  known_id bigint,
  -- The decision reads a dealership's rows from this index alone (an index-only scan, once
  -- (auto)vacuum has marked the pages all-visible).
  PRIMARY KEY (dealership_id, vin) INCLUDE (last_order, known_condition)
);

-- Merges vin_log rows, given column by column, into the state of their VINs: rows added (one
-- statement however many; a concurrent writer of the same VIN waits on the primary key and merges
-- after it), and the rows of VINs whose state is computed again. Of two states, the known condition
-- of the later row is kept (latest millisecond first, then the lower id).
CREATE FUNCTION vin_state_merge(ds integer[], vins text[], types text[], conditions text[],
                                times timestamptz[], ids bigint[]) RETURNS void LANGUAGE sql AS $$
  WITH r AS (
    SELECT * FROM unnest(ds, vins, types, conditions, times, ids)
      AS r(dealership_id, vin, order_type, condition, processed_at, id)
  )
  INSERT INTO vin_state AS s (dealership_id, vin, last_order, known_condition, known_at, known_id)
  SELECT a.dealership_id, a.vin, a.last_order, k.condition, k.at, k.id
  FROM (
    SELECT dealership_id, vin, max(processed_at) FILTER (WHERE order_type IN ('cao', 'list')) AS last_order
    FROM r GROUP BY dealership_id, vin
  ) a
  LEFT JOIN (
    SELECT DISTINCT ON (dealership_id, vin) dealership_id, vin, condition,
      date_trunc('milliseconds', processed_at) AS at, id
    FROM r WHERE condition IS NOT NULL AND condition <> 'unknown'
    ORDER BY dealership_id, vin, date_trunc('milliseconds', processed_at) DESC, id
  ) k USING (dealership_id, vin)
  ORDER BY a.dealership_id, a.vin
  ON CONFLICT (dealership_id, vin) DO UPDATE SET
    last_order = greatest(s.last_order, EXCLUDED.last_order),
    (known_condition, known_at, known_id) = (
      SELECT c, t, i FROM (VALUES (s.known_condition, s.known_at, s.known_id),
                                  (EXCLUDED.known_condition, EXCLUDED.known_at, EXCLUDED.known_id)) AS x(c, t, i)
      ORDER BY t DESC NULLS LAST, i LIMIT 1)
$$;

CREATE FUNCTION vin_state_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM vin_state_merge(array_agg(dealership_id), array_agg(vin), array_agg(order_type),
                          array_agg(condition), array_agg(processed_at), array_agg(id))
  FROM added;
  RETURN NULL;
END $$;

-- The state of the given VINs computed again from vin_log (rows removed or changed, and the
-- backfill below).
CREATE FUNCTION vin_state_rebuild(ds integer[], vins text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM vin_state s USING unnest(ds, vins) AS t(dealership_id, vin)
  WHERE s.dealership_id = t.dealership_id AND s.vin = t.vin;
  PERFORM vin_state_merge(array_agg(l.dealership_id), array_agg(l.vin), array_agg(l.order_type),
                          array_agg(l.condition), array_agg(l.processed_at), array_agg(l.id))
  FROM vin_log l
  JOIN (SELECT DISTINCT dealership_id, vin FROM unnest(ds, vins) AS u(dealership_id, vin)) t
    ON t.dealership_id = l.dealership_id AND t.vin = l.vin;
END $$;

CREATE FUNCTION vin_state_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM vin_state_rebuild(array_agg(dealership_id), array_agg(vin)) FROM removed;
  RETURN NULL;
END $$;

CREATE FUNCTION vin_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM vin_state_rebuild(array_agg(dealership_id), array_agg(vin))
  FROM (SELECT dealership_id, vin FROM removed UNION SELECT dealership_id, vin FROM added) k;
  RETURN NULL;
END $$;

CREATE FUNCTION vin_state_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM vin_state;
  RETURN NULL;
END $$;

CREATE TRIGGER vin_state_on_insert AFTER INSERT ON vin_log
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION vin_state_add();
CREATE TRIGGER vin_state_on_delete AFTER DELETE ON vin_log
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION vin_state_removed();
CREATE TRIGGER vin_state_on_update AFTER UPDATE ON vin_log
  REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION vin_state_changed();
CREATE TRIGGER vin_state_on_truncate AFTER TRUNCATE ON vin_log
  FOR EACH STATEMENT EXECUTE FUNCTION vin_state_cleared();

-- The state of the VIN log as it is now.
SELECT vin_state_rebuild(array_agg(dealership_id), array_agg(vin))
FROM (SELECT DISTINCT dealership_id, vin FROM vin_log) k;
ANALYZE vin_state;
