-- The classification of one record, shared by the per-record views
-- (30_fact_views.sql, which chiso explain lists), by the per-day
-- summaries (40_summaries.sql, which kpi_eval sums) and by the indicator
-- terms (60_terms.sql): one definition, so the numbers and the records
-- explain lists cannot drift apart.

-- kpi_dossier_pause is the time a dossier spent waiting for supplements:
-- from each step reaching status 5 to the next step (steps in the order of
-- their key, the time: one step per instant). A request still open has no
-- next step and adds nothing.
CREATE OR REPLACE FUNCTION kpi_dossier_pause(p_unit text, p_ma text) RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(sum(s.nx - s.at), interval '0')
  FROM (SELECT st.at, st.status, lead(st.at) OVER (ORDER BY st.at) AS nx
        FROM dossier_steps st WHERE st.unit_code = p_unit AND st.ma_ho_so = p_ma) s
  WHERE s.status = 5 AND s.nx IS NOT NULL $$;

CREATE OR REPLACE FUNCTION kpi_document_class(direction text, family text, is_secret boolean, series text,
                                   medium text, counterpart_relation text)
RETURNS TABLE (secret boolean, counts_issued boolean, issued_unknown boolean, ex_scope boolean,
               electronic boolean, ex_unknown boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (is_secret OR series = 'secret'),
         (direction = 'out' AND family = 'hanh_chinh'),
         (direction = 'out' AND family = 'unknown'),
         (coalesce(counterpart_relation = 'higher', false) AND NOT (is_secret OR series = 'secret')),
         (medium = 'electronic'),
         (counterpart_relation IS NULL AND NOT (is_secret OR series = 'secret')) $$;

-- A meeting counts when the unit organised it, it was not cancelled and it
-- is still in its calendar feed (deleted_run IS NULL).
CREATE OR REPLACE FUNCTION kpi_meeting_class(organized_by_self boolean, cancelled boolean, deleted_run bigint,
                                  online boolean, paperless boolean, starts_at timestamptz,
                                  materials_sent_at timestamptz, discussion_minutes integer,
                                  total_minutes integer, sessions integer, cap_sessions integer, scope text)
RETURNS TABLE (counted boolean, online_or_paperless boolean, materials_known boolean, materials_ahead boolean,
               discussion_known boolean, discussion_ok boolean, duration_ok boolean, commune_wide boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (organized_by_self AND NOT cancelled AND deleted_run IS NULL),
         (online OR paperless),
         (materials_sent_at IS NOT NULL),
         coalesce(materials_sent_at <= starts_at - interval '24 hours', false),
         (discussion_minutes IS NOT NULL AND total_minutes > 0),
         coalesce(total_minutes > 0 AND discussion_minutes * 10 >= total_minutes * 7, false),
         coalesce(sessions <= cap_sessions, false),
         coalesce(scope = 'toan-xa', false) $$;

-- kpi_dossier_class classifies a dossier given its procedure (pr_*) and
-- its supplement pause (only read when due_at is null and the procedure
-- has max_days: callers compute it only then).
--
-- late_on: the first Vietnam date on whose end the dossier counts as late
-- (Quyết định 766): judged at the end of a period P, a dossier received in
-- P is late when late_on <= the end of P. 'infinity' = finished on time,
-- '-infinity' = two or more supplement requests, null = no deadline known.
CREATE OR REPLACE FUNCTION kpi_dossier_class(channel text, status smallint, received_at timestamptz, due_at timestamptz,
                                  finished_at timestamptz, result_method text, result_electronic boolean,
                                  supplements integer, procedure_level text, pr_level text,
                                  pr_requires_result boolean, pr_max_days integer, pause interval)
RETURNS TABLE (level text, level_unknown boolean, full_online boolean, result_scope boolean,
               on_time_scope boolean, deadline timestamptz, late_on date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT x.level, x.level IS NULL,
         coalesce(channel = 'online' AND x.level = 'toan_trinh'
                  AND (finished_at IS NULL OR result_electronic OR result_method = 'postal'), false),
         (coalesce(status IN (9, 10), false) AND coalesce(pr_requires_result, true)),
         coalesce(status NOT IN (3, 7), true),
         x.deadline,
         CASE WHEN supplements >= 2 THEN '-infinity'::date
              WHEN x.deadline IS NULL THEN NULL
              WHEN finished_at IS NOT NULL AND finished_at <= x.deadline THEN 'infinity'::date
              ELSE kpi_vn_date(x.deadline) END
  FROM (SELECT coalesce(procedure_level, pr_level) AS level,
               CASE WHEN due_at IS NOT NULL THEN due_at
                    WHEN pr_max_days IS NULL OR received_at IS NULL THEN NULL
                    ELSE kpi_add_workdays(received_at, pr_max_days) + pause END AS deadline) x $$;
