-- +goose Up
-- The kpi functions, views and triggers leave the migrations: they are the
-- readable SQL files of warehouse/sql, which chiso applies after the
-- migrations, in name order and in one transaction, whenever the checksum
-- of the set differs from the last one recorded here, and then rebuilds
-- the per-day summaries (docs/warehouse.md). The migrations keep the
-- tables (kpi_indicators, kpi_targets, kpi_report_periods,
-- kpi_meeting_caps, kpi_day_*), the indexes and the data changes.
CREATE TABLE kpi_sql_applied (
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    files      text[] NOT NULL
);

-- +goose StatementBegin
-- chiso_drop_kpi_objects drops what the kpi files own: every trigger, view
-- and function of the public schema named kpi_* (and the view kpi), so that
-- the files always start from nothing and an object they no longer define
-- goes. Views go before what they read, and nothing is dropped with
-- CASCADE: an object of someone else's that depends on one of them stops
-- the drop with PostgreSQL's error naming it.
CREATE FUNCTION chiso_drop_kpi_objects() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  dropped integer;
BEGIN
  FOR r IN SELECT t.tgname, c.relname
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace
           WHERE ns.nspname = 'public' AND NOT t.tgisinternal AND t.tgname LIKE 'kpi\_%' LOOP
    EXECUTE format('DROP TRIGGER %I ON public.%I', r.tgname, r.relname);
  END LOOP;
  LOOP
    dropped := 0;
    FOR r IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
             WHERE ns.nspname = 'public' AND c.relkind = 'v' AND (c.relname = 'kpi' OR c.relname LIKE 'kpi\_%')
               AND NOT EXISTS (  -- no other view reads it
                 SELECT 1 FROM pg_depend dp JOIN pg_rewrite rw ON rw.oid = dp.objid
                 WHERE dp.classid = 'pg_rewrite'::regclass AND dp.refobjid = c.oid AND rw.ev_class <> c.oid) LOOP
      EXECUTE format('DROP VIEW public.%I', r.relname);
      dropped := dropped + 1;
    END LOOP;
    EXIT WHEN dropped = 0;
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
           WHERE ns.nspname = 'public' AND p.proname LIKE 'kpi\_%' LOOP
    EXECUTE format('DROP FUNCTION %s', r.sig);
  END LOOP;
END
$fn$;
-- +goose StatementEnd

-- What migrations 00050, 00060 and 00090 created of the kpi (the files
-- create it again, and rebuild the summaries, when chiso next migrates).
SELECT chiso_drop_kpi_objects();

-- +goose Down
-- The kpi objects go with the files' bookkeeping; the Down sections of
-- 00090, 00060 and 00050 then find nothing of theirs left but tables.
SELECT chiso_drop_kpi_objects();
DROP FUNCTION chiso_drop_kpi_objects();
DROP TABLE kpi_sql_applied;
