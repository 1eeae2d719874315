-- The whole domain of DESIGN.md. Later migrations add columns, not redesigns.

-- Dealerships: the clients. The registry (scrapers/*.json) is synced into these rows.
CREATE TABLE dealerships (
  id            serial PRIMARY KEY,
  name          text NOT NULL UNIQUE,
  slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9_]+$'),
  platform      text,
  site_url      text,
  enabled       boolean NOT NULL DEFAULT true,
  settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- false for dealerships first seen in an import feed (created disabled until someone adds them)
  in_registry   boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Other spellings seen in feeds. alias_key is the normalized spelling used by name resolution.
CREATE TABLE dealership_aliases (
  alias_key     text PRIMARY KEY,
  alias         text NOT NULL,
  dealership_id integer NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE
);
CREATE INDEX dealership_aliases_dealership ON dealership_aliases (dealership_id);

-- One run of `silverfox import` or of a scrape.
CREATE TABLE imports (
  id            bigserial PRIMARY KEY,
  source        text NOT NULL DEFAULT 'csv' CHECK (source IN ('csv', 'scrape')),
  files         jsonb NOT NULL DEFAULT '[]'::jsonb,
  content_hash  text,
  rows_read     integer NOT NULL DEFAULT 0,
  rows_imported integer NOT NULL DEFAULT 0,
  rows_rejected integer NOT NULL DEFAULT 0,
  rejects_file  text,
  report        jsonb,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX imports_content_hash ON imports (content_hash);

-- The rows of one import for one dealership. Exactly one active snapshot per dealership.
CREATE TABLE snapshots (
  id            bigserial PRIMARY KEY,
  import_id     bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  dealership_id integer NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  status        text NOT NULL CHECK (status IN ('active', 'archived')),
  row_count     integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  archived_at   timestamptz,
  UNIQUE (import_id, dealership_id)
);
CREATE UNIQUE INDEX snapshots_one_active ON snapshots (dealership_id) WHERE status = 'active';

-- Raw rows exactly as read (text), keyed by import and dealership so they can be COPYed in a stream.
CREATE TABLE raw_vehicles (
  import_id     bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  dealership_id integer NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  file_index    integer NOT NULL DEFAULT 0,
  line          integer NOT NULL,
  vin           text,
  stock         text,
  year          text,
  make          text,
  model         text,
  trim          text,
  condition     text,
  status        text,
  price         text,
  msrp          text,
  date_in_stock text,
  url           text
);
CREATE INDEX raw_vehicles_import_dealership ON raw_vehicles (import_id, dealership_id);

-- Normalized vehicles derived from the raw rows of a snapshot (rule 2).
CREATE TABLE vehicles (
  id             bigserial PRIMARY KEY,
  snapshot_id    bigint NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  dealership_id  integer NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  file_index     integer NOT NULL DEFAULT 0,
  line           integer NOT NULL,
  vin            text NOT NULL,
  vin_valid      boolean NOT NULL,
  check_digit_ok boolean NOT NULL DEFAULT false,
  stock          text,
  year           integer,
  make           text,
  model          text,
  trim           text,
  full_name      text,
  condition      text NOT NULL CHECK (condition IN ('new', 'po', 'cpo', 'unknown')),
  lot_status     text NOT NULL CHECK (lot_status IN ('on_lot', 'off_lot')),
  status         text,
  price          numeric(12, 2),
  msrp           numeric(12, 2),
  date_in_stock  date,
  url            text,
  UNIQUE (snapshot_id, vin)
);
CREATE INDEX vehicles_dealership_vin ON vehicles (dealership_id, vin);
CREATE INDEX vehicles_dealership_stock ON vehicles (dealership_id, upper(stock));

-- Orders: one folder, its vehicles and the VIN-log rows it wrote.
CREATE TABLE orders (
  id              bigserial PRIMARY KEY,
  dealership_id   integer NOT NULL REFERENCES dealerships (id),
  order_type      text NOT NULL CHECK (order_type IN ('cao', 'list')),
  status          text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'voided')),
  template        text NOT NULL,
  folder          text NOT NULL,
  vehicle_count   integer NOT NULL DEFAULT 0,
  snapshot_id     bigint REFERENCES snapshots (id) ON DELETE SET NULL,
  idempotency_key text UNIQUE,
  summary         jsonb,
  created_by      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  voided_at       timestamptz,
  void_reason     text,
  archive_path    text
);
CREATE INDEX orders_dealership_created ON orders (dealership_id, created_at DESC);

CREATE TABLE order_vehicles (
  order_id       bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  position       integer NOT NULL,
  vin            text NOT NULL,
  stock          text,
  year           integer,
  make           text,
  model          text,
  trim           text,
  condition      text,
  price          numeric(12, 2),
  url            text,
  reason         text NOT NULL,
  not_on_website boolean NOT NULL DEFAULT false,
  qr_file        text,
  PRIMARY KEY (order_id, vin)
);

-- The VIN log: one table keyed by dealership (never one table per dealership).
CREATE TABLE vin_log (
  id            bigserial PRIMARY KEY,
  dealership_id integer NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  vin           text NOT NULL,
  condition     text CHECK (condition IN ('new', 'po', 'cpo', 'unknown')),
  order_id      bigint REFERENCES orders (id) ON DELETE CASCADE,
  order_type    text NOT NULL CHECK (order_type IN ('cao', 'list', 'baseline', 'legacy')),
  -- the legacy order number or group name (BASELINE, INITIAL...) for imported logs
  order_ref     text,
  processed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vin_log_dealership_vin ON vin_log (dealership_id, vin);
CREATE INDEX vin_log_vin ON vin_log (vin);
CREATE INDEX vin_log_order ON vin_log (order_id);

-- Small key/value facts about this database (e.g. the registry fingerprint last synced).
CREATE TABLE silverfox_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
