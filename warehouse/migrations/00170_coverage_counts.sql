-- +goose Up
-- The coverage at province scale (issue 17).
--
-- coverage_counts holds, per kind of fact (documents_out, documents_in,
-- dossiers, meetings), unit, source and Vietnam month, the records the
-- source delivered: what coverage_at (sql/70_coverage.sql) counted by
-- joining every sighting with every fact of the warehouse on each call.
-- Statement-level triggers of the kpi files keep it (like the per-day
-- summaries of migration 00050); the kpi files fill it when they are
-- applied (coverage_rebuild_counts), which the change of those files
-- does on the next chiso migrate.
CREATE TABLE coverage_counts (
    fact      text NOT NULL CHECK (fact IN ('documents_out', 'documents_in', 'dossiers', 'meetings')),
    unit_code text NOT NULL,
    source    text NOT NULL,
    month     date NOT NULL CHECK (month = date_trunc('month', month)::date),
    n         bigint NOT NULL,
    PRIMARY KEY (unit_code, fact, source, month)
);

-- Coverage confirmations belong to a commune: in a warehouse shared by
-- many commune daemons the same connector name (qlvb-archive) is another
-- feed in each commune, so a confirmation is kept per (commune, connector,
-- month), commune = the org.self of the daemon that confirmed it, and
-- speaks for the units of that commune's tree ('' for all). Existing rows
-- get the warehouse's commune, as in 00140: the org unit with relation
-- self ('' when none).
ALTER TABLE coverage_confirmations ADD COLUMN commune text NOT NULL DEFAULT '';
UPDATE coverage_confirmations SET commune = coalesce(
    (SELECT code FROM org_units WHERE relation = 'self' AND merged_into IS NULL ORDER BY code LIMIT 1), '');
ALTER TABLE coverage_confirmations DROP CONSTRAINT coverage_confirmations_pkey;
ALTER TABLE coverage_confirmations ADD PRIMARY KEY (commune, connector, month);

-- +goose Down
-- The kpi and coverage objects go first (their functions take
-- coverage_counts rows), with the checksum of the kpi files, so the next
-- migrate applies them again.
SELECT chiso_drop_kpi_objects();
DELETE FROM kpi_sql_applied;
DROP VIEW IF EXISTS coverage;
-- +goose StatementBegin
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace ns ON ns.oid = c.relnamespace
           WHERE ns.nspname = 'public' AND NOT t.tgisinternal AND t.tgname LIKE 'coverage\_%' LOOP
    EXECUTE format('DROP TRIGGER %I ON public.%I', r.tgname, r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
           WHERE ns.nspname = 'public' AND p.proname LIKE 'coverage\_%' LOOP
    EXECUTE format('DROP FUNCTION %s', r.sig);
  END LOOP;
END $$;
-- +goose StatementEnd
DROP TABLE coverage_counts;
-- The row-level security policy (chiso_apply_row_security, 00141) reads
-- the commune column; the next migrate gives the table its policy again.
DROP POLICY IF EXISTS chiso_tree ON coverage_confirmations;
ALTER TABLE coverage_confirmations DISABLE ROW LEVEL SECURITY;
ALTER TABLE coverage_confirmations DROP CONSTRAINT coverage_confirmations_pkey;
DELETE FROM coverage_confirmations a USING coverage_confirmations b
  WHERE a.connector = b.connector AND a.month = b.month
    AND (a.confirmed_at, a.commune) < (b.confirmed_at, b.commune);
ALTER TABLE coverage_confirmations ADD PRIMARY KEY (connector, month);
ALTER TABLE coverage_confirmations DROP COLUMN commune;
