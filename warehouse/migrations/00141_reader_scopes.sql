-- +goose Up
-- A reader of one commune in a shared warehouse (issue 17): the role that
-- `chiso reader grant --unit CODE` creates sees the rows of CODE's tree
-- only, by row-level security. A role not listed in reader_scopes
-- (chiso_reader, the province's reader) sees every row.
CREATE TABLE reader_scopes (
    role       name PRIMARY KEY,
    unit_code  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The functions below call the kpi files' kpi_unit_members, which a
-- migration runs before (warehouse/sql is applied after the migrations).
SET LOCAL check_function_bodies = off;

-- Row-level security of a warehouse shared by many communes (issue 17).
--
-- A role listed in reader_scopes (made by `chiso reader grant --unit CODE`)
-- sees only the rows of CODE's tree: CODE, the units under it and the
-- predecessors merged into them (kpi_unit_members). Every other role sees
-- every row: chiso_reader and the province's reader; the owner (chiso)
-- is not subject to row-level security at all.
--
-- What a row belongs to, by its columns:
--   unit_code              the unit of a fact, a summary, a target (''
--                          = every unit), a reader scope
--   commune                the commune of a connector's checkpoints, runs,
--                          rejects, unresolved register names
--   org_units.code         a unit of some commune's tree (relation self or
--                          internal); the other agencies of the directories
--                          (higher, peer, external) are everyone's
--   document_statuses      a status the unit reported, or one of a
--                          document the reader sees
--   document_revocations   one of a document the reader sees
--   snapshot_id            a part of a snapshot (chốt số liệu) the reader
--                          sees (its unit's)
-- A table with none of these columns is reference data every commune
-- shares (indicators, procedures, report periods, meeting caps, the
-- migration bookkeeping). Views read their tables with the rights and the
-- rows of the role that queries them (security_invoker), and the kpi
-- functions run as the caller (no SECURITY DEFINER but the function
-- below, which returns only unit codes).
--
-- chiso_apply_row_security() (called by every Store.Migrate, after the
-- kpi files) enables it on every table that has such a column, so a table a
-- later migration adds is covered without an edit here.

-- chiso_reader_units is the tree a scoped role may see; NULL for a role
-- with no scope (it sees all). It reads reader_scopes and org_units as
-- their owner (the policies call it, so it must not itself be subject to
-- them).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chiso_reader_units(p_role name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN s.unit_code IS NULL THEN NULL
              ELSE ARRAY(SELECT kpi_unit_members(s.unit_code)) END
  FROM (SELECT (SELECT r.unit_code FROM reader_scopes r WHERE r.role = p_role) AS unit_code) s $$;
-- +goose StatementEnd

-- chiso_sees_sql is the policy condition that the value of column col is
-- in the reader's tree (two InitPlans: the tree is computed once a query).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chiso_sees_sql(col text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('((SELECT chiso_reader_units(current_user)) IS NULL OR %1$I = ANY ((SELECT chiso_reader_units(current_user))::text[]))', col) $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chiso_apply_row_security() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  cond text;
BEGIN
  -- Views run with the caller's rights and rows.
  FOR r IN SELECT c.oid::regclass AS v FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
             AND NOT COALESCE(c.reloptions @> ARRAY['security_invoker=true'], false) LOOP
    EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', r.v);
  END LOOP;
  FOR r IN SELECT c.oid, c.oid::regclass AS t, c.relname, c.relrowsecurity,
                  array_agg(a.attname::text) AS cols
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
           GROUP BY c.oid LOOP
    cond := CASE
      WHEN r.relname = 'org_units' THEN
        'relation NOT IN (''self'', ''internal'') OR ' || chiso_sees_sql('code')
      WHEN r.relname = 'document_statuses' THEN
        chiso_sees_sql('reporter') || ' OR EXISTS (SELECT 1 FROM documents d WHERE d.doc_key = document_statuses.doc_key)'
      WHEN r.relname = 'document_revocations' THEN
        'EXISTS (SELECT 1 FROM documents d WHERE d.doc_key = document_revocations.doc_key)'
      WHEN 'snapshot_id' = ANY (r.cols) AND NOT 'unit_code' = ANY (r.cols) THEN
        format('EXISTS (SELECT 1 FROM snapshots s WHERE s.id = %I.snapshot_id)', r.relname)
      WHEN 'unit_code' = ANY (r.cols) THEN
        'unit_code = '''' OR ' || chiso_sees_sql('unit_code')
      WHEN 'commune' = ANY (r.cols) THEN
        chiso_sees_sql('commune')
      END;
    IF cond IS NULL THEN
      CONTINUE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = r.oid AND p.polname = 'chiso_tree') THEN
      EXECUTE format('CREATE POLICY chiso_tree ON %s FOR SELECT USING (%s)', r.t, cond);
    END IF;
    IF NOT r.relrowsecurity THEN
      EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', r.t);
    END IF;
  END LOOP;
  -- The scoped readers read every table and function (their rows limited
  -- above), like chiso_reader.
  FOR r IN SELECT s.role FROM reader_scopes s JOIN pg_roles g ON g.rolname = s.role LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r.role);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', r.role);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO %I', r.role);
  END LOOP;
END
$fn$;
-- +goose StatementEnd


-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT p.polrelid::regclass AS t FROM pg_policy p WHERE p.polname = 'chiso_tree' LOOP
    EXECUTE format('DROP POLICY chiso_tree ON %s', r.t);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', r.t);
  END LOOP;
END $$;
-- +goose StatementEnd
DROP FUNCTION chiso_apply_row_security();
DROP FUNCTION chiso_sees_sql(text);
DROP FUNCTION chiso_reader_units(name);
DROP TABLE reader_scopes;
