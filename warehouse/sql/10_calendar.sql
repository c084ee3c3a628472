-- Calendar helpers of the kpi: Vietnam dates (UTC+7, no DST), the same
-- date one year earlier (cùng kỳ), MM-DD of a year, working days.
--
-- The files of warehouse/sql own every function, view and trigger whose
-- name starts with kpi_ (and the view kpi): chiso drops them all and runs
-- these files again, in name order and in one transaction, whenever the
-- checksum of the files differs from the one recorded in kpi_sql_applied
-- (docs/warehouse.md). Tables stay in the migrations.

-- kpi_vn_date is the Vietnam calendar date of a timestamp (UTC+7, no DST).
CREATE OR REPLACE FUNCTION kpi_vn_date(ts timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::date $$;

-- kpi_vn_start is the first instant of a Vietnam calendar date.
CREATE OR REPLACE FUNCTION kpi_vn_start(d date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (d::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') $$;

-- kpi_year_back maps a date to the same date one year earlier (cùng kỳ):
-- 29 Feb becomes 28 Feb; when is_end, the last day of February stays the
-- last day of February, so the month 2025-02 compares with all of 2024-02.
CREATE OR REPLACE FUNCTION kpi_year_back(d date, is_end boolean) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN d IS NULL OR NOT isfinite(d) THEN d
    WHEN is_end AND extract(month FROM d) = 2 AND extract(month FROM d + 1) = 3
      THEN (date_trunc('month', d - interval '1 year') + interval '1 month' - interval '1 day')::date
    ELSE (d - interval '1 year')::date END $$;

-- kpi_md_date is the date MM-DD of year y; 02-29 of a common year is 28 Feb.
CREATE OR REPLACE FUNCTION kpi_md_date(y integer, md text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT make_date(y, split_part(md, '-', 1)::int,
    least(split_part(md, '-', 2)::int,
      extract(day FROM (make_date(y, split_part(md, '-', 1)::int, 1) + interval '1 month' - interval '1 day'))::int)) $$;

-- kpi_add_workdays adds n working days (Monday–Friday; public holidays are
-- not known to chiso) to ts; a start on a weekend counts from Friday.
CREATE OR REPLACE FUNCTION kpi_add_workdays(ts timestamptz, n integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ts + make_interval(days => n + 2 * ((w.d5 - 1 + n) / 5) - (w.dow - w.d5))
  FROM (SELECT extract(isodow FROM ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS dow,
               least(extract(isodow FROM ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::int, 5) AS d5) w $$;
