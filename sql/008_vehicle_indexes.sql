-- Fewer b-trees to maintain while an import COPYs its normalized vehicles (issue 17): at 1,000,000
-- rows the four indexes of vehicles cost 8.3 of the 16 s of the default import. Every read of
-- vehicles resolves the active snapshot first and finds its rows through (snapshot_id, vin) (the
-- UNIQUE constraint's index): by snapshot, by VIN in a snapshot, or a snapshot's rows by stock
-- number. (dealership_id, vin) was used only by `vinlog show`, which now goes through the active
-- snapshots; (dealership_id, upper(stock)) by no query (the stock lookup joins the snapshot).
-- test/integration/query-plans.test.ts checks every vehicles query can use an index.
DROP INDEX vehicles_dealership_vin;
DROP INDEX vehicles_dealership_stock;
