-- The history of an order beyond its row (issue 15): things done to it after it was written, e.g.
-- its folder rebuilt from the database by `silverfox orders repair` (the files regenerated and
-- their checksums recorded anew in orders.summary). One row per event, oldest first.
CREATE TABLE order_events (
  id       bigserial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  event    text NOT NULL CHECK (event IN ('folder_repaired')),
  detail   jsonb NOT NULL DEFAULT '{}'::jsonb,
  at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);
