-- Imports (issue 3). A snapshot is `loading` while its import transaction fills it: its raw rows
-- and vehicles need its id before the import knows whether it will commit. The import flips every
-- loading snapshot to `active` (archiving the previous one of the same dealership) just before it
-- commits, so no other session ever sees a loading snapshot, and CAO (status = 'active') never does.
ALTER TABLE snapshots DROP CONSTRAINT snapshots_status_check;
ALTER TABLE snapshots ADD CONSTRAINT snapshots_status_check
  CHECK (status IN ('active', 'archived', 'loading'));

-- `silverfox normalize` reads a snapshot's raw rows back in file order, a page at a time (keyset on
-- file_index, line): the index carries that order so no page sorts the whole snapshot.
DROP INDEX raw_vehicles_import_dealership;
CREATE INDEX raw_vehicles_snapshot_order ON raw_vehicles (import_id, dealership_id, file_index, line);
