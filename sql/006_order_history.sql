-- What was done to an order after it was written, one row per change (`silverfox orders paths`
-- rewriting its QR paths for another base, ...). Voiding stays on the order row itself
-- (status, voided_at, void_reason); this is the log of the other changes.
CREATE TABLE order_history (
  id         bigserial PRIMARY KEY,
  order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  at         timestamptz NOT NULL DEFAULT now(),
  action     text NOT NULL,
  detail     jsonb,
  created_by text
);
CREATE INDEX order_history_order ON order_history (order_id, at);
