-- Bulk loads (issue 3): raw_vehicles and vehicles are written only by COPY inside an import (or
-- `normalize`) transaction, for snapshots that transaction itself created. Measured on PostgreSQL
-- 15 with 200,000 rows: COPY into a bare 13-column table 0.30 s; into raw_vehicles with its two
-- foreign keys and the (import, dealership, file, line) b-tree 1.6-1.9 s; without the foreign keys
-- and with a BRIN index instead 0.30 s. Per-row foreign-key triggers were most of that, so they go:
-- the keys are guaranteed by the writer (one transaction creates the import, the snapshots, and
-- their rows), and `db prune` deletes rows before their snapshots. An import appends its raw rows
-- contiguously, so a BRIN index on import_id finds them at almost no cost per row; `normalize`
-- reads a snapshot's rows through one ordered cursor.
ALTER TABLE raw_vehicles DROP CONSTRAINT raw_vehicles_import_id_fkey;
ALTER TABLE raw_vehicles DROP CONSTRAINT raw_vehicles_dealership_id_fkey;
DROP INDEX raw_vehicles_snapshot_order;
CREATE INDEX raw_vehicles_import ON raw_vehicles USING brin (import_id);

ALTER TABLE vehicles DROP CONSTRAINT vehicles_snapshot_id_fkey;
ALTER TABLE vehicles DROP CONSTRAINT vehicles_dealership_id_fkey;
