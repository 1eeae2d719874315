-- The weekly order queue: a dealership's scheduled orders (from the registry) and what happened
-- to each one on each day.

-- Scheduled orders per dealership, synced from the registry's `schedule` array.
ALTER TABLE dealerships ADD COLUMN schedule jsonb NOT NULL DEFAULT '[]'::jsonb;

-- One row per (day, dealership, scheduled order) once the queue of that day was looked at or run.
CREATE TABLE queue_entries (
  id             bigserial PRIMARY KEY,
  due_date       date NOT NULL,
  dealership_id  integer NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  -- identifies the scheduled order within the dealership (e.g. `cao:flyout:new+used`)
  schedule_key   text NOT NULL,
  template       text NOT NULL,
  vehicle_types  text[] NOT NULL,
  priority       integer NOT NULL DEFAULT 100,
  status         text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
  order_id       bigint REFERENCES orders (id) ON DELETE SET NULL,
  vehicle_count  integer,
  reason         text,
  ran_by         text,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (due_date, dealership_id, schedule_key)
);
CREATE INDEX queue_entries_due ON queue_entries (due_date);
