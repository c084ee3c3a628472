-- +goose Up
-- The summary triggers of documents, meetings and dossiers run static SQL
-- instead of EXECUTE: the statements are generated here, once, from the
-- same templates (kpi_day_*_sql, kpi_dossier_rows_sql), so PL/pgSQL
-- prepares each of them once per session and reuses the plan. With
-- EXECUTE every batched write paid a parse and a plan of the summary
-- upsert for each of its INSERT and UPDATE statement triggers (about 10 %
-- of a 100,000-package archive backfill). A statement that changed no row
-- returns at once.
--
-- The trigger functions hold a copy of the templates' text: a later
-- migration that replaces a template must end with
-- SELECT kpi_regenerate_triggers(); (kpi_rebuild_day_summaries and the
-- procedures and steps triggers still read the templates at run time).

-- +goose StatementBegin
-- kpi_trigger_source returns the source of a summary trigger function
-- whose INSERT, DELETE and UPDATE branches run the given statements and
-- whose TRUNCATE branch runs on_truncate.
CREATE FUNCTION kpi_trigger_source(fn text, on_truncate text, on_insert text, on_delete text, on_update text)
RETURNS text LANGUAGE sql IMMUTABLE AS $src$
SELECT format($f$
CREATE OR REPLACE FUNCTION %1$s() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    %2$s;
  ELSIF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM kpi_new) THEN
      %3$s;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM kpi_old) THEN
      %4$s;
    END IF;
  ELSIF EXISTS (SELECT 1 FROM kpi_new) THEN
    %5$s;
  END IF;
  RETURN NULL;
END
$fn$$f$, fn, on_truncate, on_insert, on_delete, on_update)
$src$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_regenerate_triggers (re)creates the summary trigger functions of
-- documents, meetings and dossiers from the current templates.
CREATE FUNCTION kpi_regenerate_triggers() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
  EXECUTE kpi_trigger_source('kpi_documents_trg',
    'PERFORM kpi_rebuild_day_summaries(true, false, false)',
    format(kpi_day_documents_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n'),
    format(kpi_day_documents_sql(), 'SELECT -1 AS sign, o.* FROM kpi_old o'),
    format(kpi_day_documents_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n UNION ALL SELECT -1, o.* FROM kpi_old o'));
  EXECUTE kpi_trigger_source('kpi_meetings_trg',
    'PERFORM kpi_rebuild_day_summaries(false, true, false)',
    format(kpi_day_meetings_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n'),
    format(kpi_day_meetings_sql(), 'SELECT -1 AS sign, o.* FROM kpi_old o'),
    format(kpi_day_meetings_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n UNION ALL SELECT -1, o.* FROM kpi_old o'));
  EXECUTE kpi_trigger_source('kpi_dossiers_trg',
    'PERFORM kpi_rebuild_day_summaries(false, false, true)',
    format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(1, 'kpi_new', 'true')),
    format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(-1, 'kpi_old', 'true')),
    format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(1, 'kpi_new', 'true')
      || ' UNION ALL ' || kpi_dossier_rows_sql(-1, 'kpi_old', 'true')));
END
$body$;
-- +goose StatementEnd

-- (Migrating up again after 00100's Down, the templates are gone: the kpi
-- files make the triggers.)
SELECT kpi_regenerate_triggers() WHERE to_regproc('kpi_day_documents_sql') IS NOT NULL;

-- +goose Down
DROP FUNCTION IF EXISTS kpi_regenerate_triggers();
DROP FUNCTION IF EXISTS kpi_trigger_source(text, text, text, text, text);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kpi_documents_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(true, false, false);
  ELSIF TG_OP = 'INSERT' THEN
    EXECUTE format(kpi_day_documents_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n');
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format(kpi_day_documents_sql(), 'SELECT -1 AS sign, o.* FROM kpi_old o');
  ELSE
    EXECUTE format(kpi_day_documents_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n UNION ALL SELECT -1, o.* FROM kpi_old o');
  END IF;
  RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kpi_meetings_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, true, false);
  ELSIF TG_OP = 'INSERT' THEN
    EXECUTE format(kpi_day_meetings_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n');
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format(kpi_day_meetings_sql(), 'SELECT -1 AS sign, o.* FROM kpi_old o');
  ELSE
    EXECUTE format(kpi_day_meetings_sql(), 'SELECT 1 AS sign, n.* FROM kpi_new n UNION ALL SELECT -1, o.* FROM kpi_old o');
  END IF;
  RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kpi_dossiers_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, false, true);
  ELSIF TG_OP = 'INSERT' THEN
    EXECUTE format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(1, 'kpi_new', 'true'));
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(-1, 'kpi_old', 'true'));
  ELSE
    EXECUTE format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(1, 'kpi_new', 'true')
      || ' UNION ALL ' || kpi_dossier_rows_sql(-1, 'kpi_old', 'true'));
  END IF;
  RETURN NULL;
END
$fn$;
-- +goose StatementEnd
