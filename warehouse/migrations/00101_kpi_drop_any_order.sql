-- +goose Up
-- chiso_drop_kpi_objects (00100) drops views before functions; a kpi
-- function may also depend on a kpi view (one that returns the view's
-- rows: the indicator terms of 60_terms.sql). This version drops the kpi
-- views and functions in whatever order their dependencies allow: each
-- pass drops what nothing else holds, until none is left. What an object
-- that is not the kpi's holds stops the drop with PostgreSQL's error
-- naming it (still no CASCADE).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chiso_drop_kpi_objects() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  dropped integer;
  held integer;
BEGIN
  FOR r IN SELECT t.tgname, c.relname
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace
           WHERE ns.nspname = 'public' AND NOT t.tgisinternal AND t.tgname LIKE 'kpi\_%' LOOP
    EXECUTE format('DROP TRIGGER %I ON public.%I', r.tgname, r.relname);
  END LOOP;
  LOOP
    dropped := 0;
    held := 0;
    FOR r IN SELECT 'VIEW' AS kind, format('public.%I', c.relname) AS name
             FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
             WHERE ns.nspname = 'public' AND c.relkind = 'v' AND (c.relname = 'kpi' OR c.relname LIKE 'kpi\_%')
             UNION ALL
             SELECT 'FUNCTION', p.oid::regprocedure::text
             FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
             WHERE ns.nspname = 'public' AND p.proname LIKE 'kpi\_%' LOOP
      BEGIN
        EXECUTE format('DROP %s %s', r.kind, r.name);
        dropped := dropped + 1;
      EXCEPTION WHEN dependent_objects_still_exist THEN
        held := held + 1;
      END;
    END LOOP;
    EXIT WHEN held = 0;
    IF dropped = 0 THEN
      -- Held by objects that are not the kpi's: fail, naming them.
      FOR r IN SELECT 'VIEW' AS kind, format('public.%I', c.relname) AS name
               FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
               WHERE ns.nspname = 'public' AND c.relkind = 'v' AND (c.relname = 'kpi' OR c.relname LIKE 'kpi\_%')
               UNION ALL
               SELECT 'FUNCTION', p.oid::regprocedure::text
               FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
               WHERE ns.nspname = 'public' AND p.proname LIKE 'kpi\_%' LOOP
        EXECUTE format('DROP %s %s', r.kind, r.name);
      END LOOP;
    END IF;
  END LOOP;
END
$fn$;
-- +goose StatementEnd

-- +goose Down
-- The kpi objects go first (00100's version could not drop them all),
-- then back to the version of 00100 (views, then functions).
SELECT chiso_drop_kpi_objects();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chiso_drop_kpi_objects() RETURNS void LANGUAGE plpgsql AS $fn$
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
               AND NOT EXISTS (
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
