-- The database is the registry's one home (issue 14). The shipped scrapers/*.json are loaded once,
-- when a database is created, and afterwards only by `silverfox dealers import`.

-- The rest of a registry entry, which only the files held until now.
ALTER TABLE dealerships ADD COLUMN api_host text;
ALTER TABLE dealerships ADD COLUMN scraper jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Every change of a registry dealership: who, when, by which command, the old and the new value.
-- `field` is a column (`site_url`, `enabled`, `aliases`...), `settings.<key>` or `scraper`;
-- `dealership` keeps the name so the history survives a rename.
CREATE TABLE dealership_changes (
  id            bigserial PRIMARY KEY,
  dealership_id integer REFERENCES dealerships (id) ON DELETE SET NULL,
  dealership    text NOT NULL,
  field         text NOT NULL,
  old_value     jsonb,
  new_value     jsonb,
  -- seed (first run), import, add, set, unset, remove
  source        text NOT NULL,
  command       text NOT NULL,
  os_user       text NOT NULL,
  host          text NOT NULL,
  changed_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX dealership_changes_dealership ON dealership_changes (dealership_id, field, id);

-- A database that was synced from the files before keeps its dealerships and settings: the first
-- open after this migration only fills in the new columns from the files (see app/registry.ts).
INSERT INTO silverfox_meta (key, value)
SELECT 'registry_home', 'upgrade' FROM silverfox_meta WHERE key = 'registry_fingerprint'
ON CONFLICT (key) DO NOTHING;
