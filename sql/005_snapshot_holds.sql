-- Drop guard (issue 13). A snapshot whose dealership's kept count fell below a fraction of its
-- active snapshot (setting `drop_guard_ratio`), or whose scrape was cut short, is stored but `held`:
-- not active, so CAO and LIST keep reading the previous active snapshot. At most one snapshot per
-- dealership is held (a newer import of that dealership archives it), so accepting a hold is never
-- ambiguous; accepting flips it to `active` inside one transaction, like an import does.
-- `hold` records why (kind, reason, kept and active row counts, ratio) and stays on the row after the
-- snapshot is accepted or archived, for the audit; `accepted_at` says when an operator accepted it.
ALTER TABLE snapshots DROP CONSTRAINT snapshots_status_check;
ALTER TABLE snapshots ADD CONSTRAINT snapshots_status_check
  CHECK (status IN ('active', 'archived', 'loading', 'held'));
ALTER TABLE snapshots ADD COLUMN hold jsonb;
ALTER TABLE snapshots ADD COLUMN accepted_at timestamptz;
CREATE UNIQUE INDEX snapshots_one_held ON snapshots (dealership_id) WHERE status = 'held';
