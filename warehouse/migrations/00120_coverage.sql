-- +goose Up
-- Completeness of the facts (issue 16): the settings the coverage
-- judgement reads (the config's coverage: block, stored by chiso migrate
-- and chiso run) and the months an admin confirmed as real (chiso coverage
-- confirm). The judgement itself is the function coverage_at and the view
-- coverage of warehouse/sql/70_coverage.sql.
CREATE TABLE coverage_settings (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    threshold    double precision NOT NULL DEFAULT 0.5 CHECK (threshold > 0 AND threshold <= 1),
    significance double precision NOT NULL DEFAULT 0.001 CHECK (significance > 0 AND significance < 1),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO coverage_settings (id) VALUES (true);

-- One confirmation per connector and month: the month's low volume (or its
-- missing run) is real; the month counts as complete.
CREATE TABLE coverage_confirmations (
    connector    text NOT NULL,
    month        date NOT NULL CHECK (month = date_trunc('month', month)::date),
    note         text NOT NULL,
    confirmed_by text NOT NULL,
    confirmed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, month)
);

-- +goose Down
-- The kpi objects go first (kpi_data_complete reads coverage_at), with the
-- checksum of the kpi files, so the next migrate applies them again; then
-- the coverage functions and view of 70_coverage.sql.
SELECT chiso_drop_kpi_objects();
DELETE FROM kpi_sql_applied;
DROP VIEW IF EXISTS coverage;
-- +goose StatementBegin
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
           WHERE ns.nspname = 'public' AND p.proname LIKE 'coverage\_%' LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
END $$;
-- +goose StatementEnd
DROP TABLE coverage_confirmations, coverage_settings;
