-- Per-(unit, day) summaries (tables kpi_day_documents, kpi_day_meetings,
-- kpi_day_dossiers, migration 00050): the counts every indicator sums,
-- kept exact by statement-level triggers on the fact tables in the same
-- transaction as the facts. Each statement adds the contribution of its
-- new rows and subtracts that of its old rows; the upserts are additive,
-- so they stay exact when several writers touch the same day. kpi_eval
-- sums days of a span over the unit tree instead of reading every fact.
--
-- Three steps, each defined once:
--   kpi_*_days     the contribution of one record (times a sign) to the
--                  summary rows: its indicator terms (25_terms.sql) over
--                  its classification (25_classes.sql), no condition of
--                  their own;
--   kpi_add_day_*  adds a list of contributions to a summary table;
--   kpi_*_trg      the triggers: the contributions of a statement's rows.
-- All of it is static SQL: PL/pgSQL prepares each statement once per
-- session and reuses the plan (with EXECUTE every batched write paid a
-- parse and a plan per statement trigger, about 10 % of a backfill).

-- kpi_document_days: the documents the issue indicators look at, by
-- issue date (n, issued*), and those in the denominator or the missing of
-- the exchange indicators, by event date (ex*): each column is one term of
-- kpi_document_term_def (the electronic_exchange_in_share columns are the
-- share's less the out_share's: kpi_eval). The two kinds of row are a
-- UNION ALL, not a LATERAL VALUES list: PostgreSQL builds the expressions
-- of a VALUES row again for every outer row, which made the documents
-- trigger about six times slower (docs/warehouse.md).
CREATE OR REPLACE FUNCTION kpi_document_days(p_sign integer, d documents) RETURNS SETOF kpi_day_documents
LANGUAGE sql STABLE AS $$
  SELECT d.unit_code, t.documents_issued_on, p_sign::bigint, (p_sign * t.documents_issued_num::int)::bigint,
         (p_sign * t.documents_issued_miss::int)::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint
  FROM kpi_document_class(d.direction, d.family, d.is_secret, d.series, d.medium, d.counterpart_relation) c
  CROSS JOIN LATERAL kpi_document_term_def(d.direction, c.secret, d.counterpart_relation, c.counts_issued,
    c.issued_unknown, c.ex_scope, c.electronic, c.ex_unknown, d.issued_on, d.event_on) t
  WHERE t.documents_issued_in AND t.documents_issued_on IS NOT NULL
  UNION ALL
  SELECT d.unit_code, t.electronic_exchange_share_on, p_sign::bigint, 0::bigint, 0::bigint,
         (p_sign * t.electronic_exchange_share_den::int)::bigint, (p_sign * t.electronic_exchange_share_num::int)::bigint,
         (p_sign * t.electronic_exchange_out_share_den::int)::bigint, (p_sign * t.electronic_exchange_out_share_num::int)::bigint,
         (p_sign * t.electronic_exchange_share_miss::int)::bigint, (p_sign * t.electronic_exchange_out_share_miss::int)::bigint
  FROM kpi_document_class(d.direction, d.family, d.is_secret, d.series, d.medium, d.counterpart_relation) c
  CROSS JOIN LATERAL kpi_document_term_def(d.direction, c.secret, d.counterpart_relation, c.counts_issued,
    c.issued_unknown, c.ex_scope, c.electronic, c.ex_unknown, d.issued_on, d.event_on) t
  WHERE t.electronic_exchange_share_on IS NOT NULL AND (t.electronic_exchange_share_den OR t.electronic_exchange_share_miss) $$;

-- kpi_meeting_days: a counted meeting by its Vietnam start date, each
-- column one term of kpi_meeting_term_def (m_total is the denominator of
-- meeting_online_share and of meeting_duration_share, and kpi_eval takes
-- the materials and discussion missing as m_total less their
-- denominators); the duration cap is the current kpi_meeting_caps.
CREATE OR REPLACE FUNCTION kpi_meeting_days(p_sign integer, m meetings) RETURNS SETOF kpi_day_meetings
LANGUAGE sql STABLE AS $$
  SELECT m.unit_code, t.meetings_held_on, p_sign::bigint,
         (p_sign * t.meeting_online_share_num::int)::bigint, (p_sign * t.meeting_materials_ahead_share_den::int)::bigint,
         (p_sign * t.meeting_materials_ahead_share_num::int)::bigint, (p_sign * t.meeting_discussion_share_den::int)::bigint,
         (p_sign * t.meeting_discussion_share_num::int)::bigint, (p_sign * t.meeting_duration_share_num::int)::bigint,
         (p_sign * t.meeting_duration_share_miss::int)::bigint, (p_sign * t.commune_wide_conferences_num::int)::bigint
  FROM (SELECT (SELECT k.cap_sessions FROM kpi_meeting_caps k WHERE k.kind = m.kind) AS cap_sessions) mc
  CROSS JOIN LATERAL kpi_meeting_class(m.organized_by_self, m.cancelled, m.deleted_run, m.online, m.paperless,
    m.starts_at, m.materials_sent_at, m.discussion_minutes, m.total_minutes, m.sessions, mc.cap_sessions, m.scope) c
  CROSS JOIN LATERAL kpi_meeting_term_def(c.counted, c.online_or_paperless, c.materials_known, c.materials_ahead,
    c.discussion_known, c.discussion_ok, c.duration_ok, c.commune_wide, mc.cap_sessions, kpi_vn_date(m.starts_at)) t
  WHERE t.meetings_held_num $$;

-- kpi_dossier_days_as: a dossier classified with the given procedure
-- (pr_*) and supplement pause, each column one term of
-- kpi_dossier_term_def: by Vietnam reception date and its
-- dossier_on_time_share_late_on (d_recv … d_ot_missing; d_recv is the
-- denominator of the four shares of received dossiers), and, when in the
-- denominator of result_digitized_share, by finishing date (d_fin,
-- d_fin_elec; late_on 'infinity'); a UNION ALL like kpi_document_days.
CREATE OR REPLACE FUNCTION kpi_dossier_days_as(p_sign integer, d dossiers, pr_level text, pr_requires_result boolean,
                                               pr_max_days integer, pause interval) RETURNS SETOF kpi_day_dossiers
LANGUAGE sql STABLE AS $$
  SELECT d.unit_code, t.dossier_on_time_share_on, t.dossier_on_time_share_late_on,
         p_sign::bigint, (p_sign * t.dossier_full_online_share_den::int)::bigint,
         (p_sign * t.dossier_full_online_share_num::int)::bigint, (p_sign * t.dossier_full_online_share_miss::int)::bigint,
         (p_sign * t.dossier_online_share_num::int)::bigint, (p_sign * t.dossier_online_share_miss::int)::bigint,
         (p_sign * t.dossier_input_digitized_share_num::int)::bigint, (p_sign * t.dossier_reused_data_share_num::int)::bigint,
         (p_sign * t.dossier_on_time_share_den::int)::bigint, (p_sign * t.dossier_on_time_share_miss::int)::bigint,
         0::bigint, 0::bigint
  FROM kpi_dossier_class(d.channel, d.status, d.received_at, d.due_at, d.finished_at, d.result_method,
    d.result_electronic, d.supplements, d.procedure_level, pr_level, pr_requires_result, pr_max_days, pause) c
  CROSS JOIN LATERAL kpi_dossier_term_def(d.channel, d.status, d.input_digitized, d.reused_data, c.level_unknown,
    c.full_online, c.result_scope, d.result_electronic, c.on_time_scope, c.late_on,
    kpi_vn_date(d.received_at), kpi_vn_date(d.finished_at), NULL, NULL) t
  WHERE d.received_at IS NOT NULL  -- = t.dossier_on_time_share_on IS NOT NULL, without a second time zone conversion
  UNION ALL
  SELECT d.unit_code, t.result_digitized_share_on, 'infinity'::date, p_sign::bigint,
         0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
         (p_sign * t.result_digitized_share_den::int)::bigint, (p_sign * t.result_digitized_share_num::int)::bigint
  FROM kpi_dossier_class(d.channel, d.status, d.received_at, d.due_at, d.finished_at, d.result_method,
    d.result_electronic, d.supplements, d.procedure_level, pr_level, pr_requires_result, pr_max_days, pause) c
  CROSS JOIN LATERAL kpi_dossier_term_def(d.channel, d.status, d.input_digitized, d.reused_data, c.level_unknown,
    c.full_online, c.result_scope, d.result_electronic, c.on_time_scope, c.late_on,
    kpi_vn_date(d.received_at), kpi_vn_date(d.finished_at), NULL, NULL) t
  WHERE t.result_digitized_share_den AND d.finished_at IS NOT NULL $$;  -- = t.result_digitized_share_on IS NOT NULL

-- kpi_dossier_days: dossiers classified with their current procedure and
-- steps (the pause is only read when due_at is null and the procedure has
-- max_days). It takes a statement's rows at once, so that their
-- procedures are one join: per row, the planner looks a procedure up with
-- a sequential scan of the catalogue as soon as it has statistics that
-- call it small (two pages for 200 procedures), 0.1 ms a dossier, most of
-- the time the dossiers trigger took in a warehouse in service against a
-- fresh one (docs/warehouse.md).
CREATE OR REPLACE FUNCTION kpi_dossier_days(p_sign integer, p_rows dossiers[]) RETURNS SETOF kpi_day_dossiers
LANGUAGE sql STABLE AS $$
  SELECT x.*
  FROM unnest(p_rows) AS d
  LEFT JOIN procedures p ON p.ma_tthc = d.ma_tthc
  CROSS JOIN LATERAL kpi_dossier_days_as(p_sign, d, p.level, p.requires_result, p.max_days,
    CASE WHEN d.due_at IS NULL AND p.max_days IS NOT NULL AND d.received_at IS NOT NULL
         THEN kpi_dossier_pause(d.unit_code, d.ma_ho_so) END) x $$;

-- kpi_procedure_change_days: a change of procedures' level,
-- requires_result or max_days (p_old: the rows before, p_new: after)
-- moves their dossiers: they are subtracted classified with the old
-- procedure and added with the new one.
CREATE OR REPLACE FUNCTION kpi_procedure_change_days(p_old procedures[], p_new procedures[]) RETURNS SETOF kpi_day_dossiers
LANGUAGE sql STABLE AS $$
  WITH chg AS (
    SELECT coalesce(o.ma_tthc, n.ma_tthc) AS ma_tthc,
           o.level AS o_level, o.requires_result AS o_req, o.max_days AS o_max,
           n.level AS n_level, n.requires_result AS n_req, n.max_days AS n_max
    FROM unnest(p_old) o FULL JOIN unnest(p_new) n ON n.ma_tthc = o.ma_tthc
    WHERE (o.level, o.requires_result, o.max_days) IS DISTINCT FROM (n.level, n.requires_result, n.max_days))
  SELECT x.*
  FROM chg JOIN dossiers d ON d.ma_tthc = chg.ma_tthc
  CROSS JOIN LATERAL (VALUES (-1, chg.o_level, chg.o_req, chg.o_max), (1, chg.n_level, chg.n_req, chg.n_max))
    AS v(sign, pr_level, pr_requires_result, pr_max_days)
  CROSS JOIN LATERAL kpi_dossier_days_as(v.sign, d, v.pr_level, v.pr_requires_result, v.pr_max_days,
    CASE WHEN d.due_at IS NULL AND v.pr_max_days IS NOT NULL AND d.received_at IS NOT NULL
         THEN kpi_dossier_pause(d.unit_code, d.ma_ho_so) END) x $$;

-- kpi_steps_change_days: a change of dossiers' steps (p_old: the rows
-- before, p_new: after) changes their supplement pause: each dossier is
-- subtracted classified with the steps before the statement and added
-- with the steps after (kpi_dossier_pause over both sets of steps).
CREATE OR REPLACE FUNCTION kpi_steps_change_days(p_old dossier_steps[], p_new dossier_steps[]) RETURNS SETOF kpi_day_dossiers
LANGUAGE sql STABLE AS $$
  WITH o AS (SELECT * FROM unnest(p_old)),
  n AS (SELECT * FROM unnest(p_new)),
  aff AS (
    SELECT unit_code, ma_ho_so FROM o UNION SELECT unit_code, ma_ho_so FROM n),
  st_after AS (
    SELECT st.unit_code, st.ma_ho_so, st.at, st.status
    FROM dossier_steps st JOIN aff ON aff.unit_code = st.unit_code AND aff.ma_ho_so = st.ma_ho_so),
  st_before AS (
    (SELECT * FROM st_after
     EXCEPT ALL SELECT unit_code, ma_ho_so, at, status FROM n)
    UNION ALL SELECT unit_code, ma_ho_so, at, status FROM o),
  pauses AS (
    SELECT 1 AS sign, unit_code, ma_ho_so, coalesce(sum(nx - at) FILTER (WHERE status = 5 AND nx IS NOT NULL), interval '0') AS pause
    FROM (SELECT s.*, lead(at) OVER (PARTITION BY unit_code, ma_ho_so ORDER BY at) AS nx FROM st_after s) s GROUP BY 2, 3
    UNION ALL
    SELECT -1, unit_code, ma_ho_so, coalesce(sum(nx - at) FILTER (WHERE status = 5 AND nx IS NOT NULL), interval '0')
    FROM (SELECT s.*, lead(at) OVER (PARTITION BY unit_code, ma_ho_so ORDER BY at) AS nx FROM st_before s) s GROUP BY 2, 3
    UNION ALL  -- a dossier whose steps all went (or all came) has an empty side
    SELECT sg.sign, aff.unit_code, aff.ma_ho_so, interval '0' FROM aff, (VALUES (1), (-1)) AS sg(sign)
    WHERE NOT EXISTS (SELECT 1 FROM st_after a WHERE a.unit_code = aff.unit_code AND a.ma_ho_so = aff.ma_ho_so AND sg.sign = 1)
      AND NOT EXISTS (SELECT 1 FROM st_before b WHERE b.unit_code = aff.unit_code AND b.ma_ho_so = aff.ma_ho_so AND sg.sign = -1))
  SELECT x.*
  FROM pauses pa JOIN dossiers d ON d.unit_code = pa.unit_code AND d.ma_ho_so = pa.ma_ho_so
  LEFT JOIN procedures p ON p.ma_tthc = d.ma_tthc
  CROSS JOIN LATERAL kpi_dossier_days_as(pa.sign, d, p.level, p.requires_result, p.max_days,
    CASE WHEN d.due_at IS NULL AND p.max_days IS NOT NULL AND d.received_at IS NOT NULL THEN pa.pause END) x $$;

-- kpi_add_day_documents adds contributions to kpi_day_documents: summed
-- per (unit, day); a sum that is all zero (a statement that moved nothing)
-- writes nothing.
CREATE OR REPLACE FUNCTION kpi_add_day_documents(p_rows kpi_day_documents[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO kpi_day_documents AS s (unit_code, day, n, issued, issued_unknown, ex_den, ex_num, exo_den, exo_num, ex_missing, exo_missing)
  SELECT * FROM (
    SELECT r.unit_code, r.day, sum(r.n)::bigint AS n, sum(r.issued)::bigint AS issued,
           sum(r.issued_unknown)::bigint AS issued_unknown, sum(r.ex_den)::bigint AS ex_den,
           sum(r.ex_num)::bigint AS ex_num, sum(r.exo_den)::bigint AS exo_den, sum(r.exo_num)::bigint AS exo_num,
           sum(r.ex_missing)::bigint AS ex_missing, sum(r.exo_missing)::bigint AS exo_missing
    FROM unnest(p_rows) r GROUP BY r.unit_code, r.day) g
  WHERE (g.n, g.issued, g.issued_unknown, g.ex_den, g.ex_num, g.exo_den, g.exo_num, g.ex_missing, g.exo_missing)
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
  ORDER BY g.unit_code, g.day
  ON CONFLICT (unit_code, day) DO UPDATE SET
    n = s.n + EXCLUDED.n, issued = s.issued + EXCLUDED.issued, issued_unknown = s.issued_unknown + EXCLUDED.issued_unknown,
    ex_den = s.ex_den + EXCLUDED.ex_den, ex_num = s.ex_num + EXCLUDED.ex_num, exo_den = s.exo_den + EXCLUDED.exo_den,
    exo_num = s.exo_num + EXCLUDED.exo_num, ex_missing = s.ex_missing + EXCLUDED.ex_missing,
    exo_missing = s.exo_missing + EXCLUDED.exo_missing;
END
$fn$;

-- kpi_add_day_meetings: the same for kpi_day_meetings.
CREATE OR REPLACE FUNCTION kpi_add_day_meetings(p_rows kpi_day_meetings[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO kpi_day_meetings AS s (unit_code, day, m_total, m_online, m_mat_den, m_mat_num, m_disc_den, m_disc_num,
                                     m_dur_num, m_dur_missing, m_wide)
  SELECT * FROM (
    SELECT r.unit_code, r.day, sum(r.m_total)::bigint AS m_total, sum(r.m_online)::bigint AS m_online,
           sum(r.m_mat_den)::bigint AS m_mat_den, sum(r.m_mat_num)::bigint AS m_mat_num,
           sum(r.m_disc_den)::bigint AS m_disc_den, sum(r.m_disc_num)::bigint AS m_disc_num,
           sum(r.m_dur_num)::bigint AS m_dur_num, sum(r.m_dur_missing)::bigint AS m_dur_missing,
           sum(r.m_wide)::bigint AS m_wide
    FROM unnest(p_rows) r GROUP BY r.unit_code, r.day) g
  WHERE (g.m_total, g.m_online, g.m_mat_den, g.m_mat_num, g.m_disc_den, g.m_disc_num, g.m_dur_num, g.m_dur_missing, g.m_wide)
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
  ORDER BY g.unit_code, g.day
  ON CONFLICT (unit_code, day) DO UPDATE SET
    m_total = s.m_total + EXCLUDED.m_total, m_online = s.m_online + EXCLUDED.m_online,
    m_mat_den = s.m_mat_den + EXCLUDED.m_mat_den, m_mat_num = s.m_mat_num + EXCLUDED.m_mat_num,
    m_disc_den = s.m_disc_den + EXCLUDED.m_disc_den, m_disc_num = s.m_disc_num + EXCLUDED.m_disc_num,
    m_dur_num = s.m_dur_num + EXCLUDED.m_dur_num, m_dur_missing = s.m_dur_missing + EXCLUDED.m_dur_missing,
    m_wide = s.m_wide + EXCLUDED.m_wide;
END
$fn$;

-- kpi_add_day_dossiers: the same for kpi_day_dossiers.
CREATE OR REPLACE FUNCTION kpi_add_day_dossiers(p_rows kpi_day_dossiers[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO kpi_day_dossiers AS s (unit_code, day, late_on, n, d_recv, d_full, d_level_missing, d_online, d_channel_missing,
                                     d_input, d_reused, d_ot_den, d_ot_missing, d_fin, d_fin_elec)
  SELECT * FROM (
    SELECT r.unit_code, r.day, r.late_on, sum(r.n)::bigint AS n, sum(r.d_recv)::bigint AS d_recv,
           sum(r.d_full)::bigint AS d_full, sum(r.d_level_missing)::bigint AS d_level_missing,
           sum(r.d_online)::bigint AS d_online, sum(r.d_channel_missing)::bigint AS d_channel_missing,
           sum(r.d_input)::bigint AS d_input, sum(r.d_reused)::bigint AS d_reused, sum(r.d_ot_den)::bigint AS d_ot_den,
           sum(r.d_ot_missing)::bigint AS d_ot_missing, sum(r.d_fin)::bigint AS d_fin, sum(r.d_fin_elec)::bigint AS d_fin_elec
    FROM unnest(p_rows) r GROUP BY r.unit_code, r.day, r.late_on) g
  WHERE (g.n, g.d_recv, g.d_full, g.d_level_missing, g.d_online, g.d_channel_missing, g.d_input, g.d_reused,
         g.d_ot_den, g.d_ot_missing, g.d_fin, g.d_fin_elec) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  ORDER BY g.unit_code, g.day, g.late_on
  ON CONFLICT (unit_code, day, late_on) DO UPDATE SET
    n = s.n + EXCLUDED.n, d_recv = s.d_recv + EXCLUDED.d_recv, d_full = s.d_full + EXCLUDED.d_full,
    d_level_missing = s.d_level_missing + EXCLUDED.d_level_missing, d_online = s.d_online + EXCLUDED.d_online,
    d_channel_missing = s.d_channel_missing + EXCLUDED.d_channel_missing, d_input = s.d_input + EXCLUDED.d_input,
    d_reused = s.d_reused + EXCLUDED.d_reused, d_ot_den = s.d_ot_den + EXCLUDED.d_ot_den,
    d_ot_missing = s.d_ot_missing + EXCLUDED.d_ot_missing, d_fin = s.d_fin + EXCLUDED.d_fin,
    d_fin_elec = s.d_fin_elec + EXCLUDED.d_fin_elec;
END
$fn$;

-- kpi_rebuild_day_summaries recomputes the summaries from the facts (after
-- a TRUNCATE, a change of the meeting caps, or of these files); writers
-- wait meanwhile. One unit at a time, so that a list of contributions
-- stays the size of one unit's facts.
CREATE OR REPLACE FUNCTION kpi_rebuild_day_summaries(p_documents boolean, p_meetings boolean, p_dossiers boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  u text;
BEGIN
  IF p_documents THEN
    LOCK TABLE documents IN SHARE MODE;
    DELETE FROM kpi_day_documents;
    FOR u IN SELECT DISTINCT unit_code FROM documents LOOP
      PERFORM kpi_add_day_documents(ARRAY(SELECT x FROM documents r, kpi_document_days(1, r) x WHERE r.unit_code = u));
    END LOOP;
  END IF;
  IF p_meetings THEN
    LOCK TABLE meetings, kpi_meeting_caps IN SHARE MODE;
    DELETE FROM kpi_day_meetings;
    FOR u IN SELECT DISTINCT unit_code FROM meetings LOOP
      PERFORM kpi_add_day_meetings(ARRAY(SELECT x FROM meetings r, kpi_meeting_days(1, r) x WHERE r.unit_code = u));
    END LOOP;
  END IF;
  IF p_dossiers THEN
    LOCK TABLE dossiers, procedures, dossier_steps IN SHARE MODE;
    DELETE FROM kpi_day_dossiers;
    FOR u IN SELECT DISTINCT unit_code FROM dossiers LOOP
      PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_dossier_days(1, ARRAY(SELECT r FROM dossiers r WHERE r.unit_code = u)) x));
    END LOOP;
  END IF;
END
$fn$;

-- The trigger functions: the contributions of the rows a statement wrote
-- (kpi_new) and of the rows it replaced or removed (kpi_old). A statement
-- that changed no row returns at once.
CREATE OR REPLACE FUNCTION kpi_documents_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(true, false, false);
  ELSIF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM kpi_new) THEN
      PERFORM kpi_add_day_documents(ARRAY(SELECT x FROM kpi_new r, kpi_document_days(1, r::documents) x));
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM kpi_old) THEN
      PERFORM kpi_add_day_documents(ARRAY(SELECT x FROM kpi_old r, kpi_document_days(-1, r::documents) x));
    END IF;
  ELSIF EXISTS (SELECT 1 FROM kpi_new) THEN
    PERFORM kpi_add_day_documents(ARRAY(
      SELECT x FROM kpi_new r, kpi_document_days(1, r::documents) x
      UNION ALL SELECT x FROM kpi_old r, kpi_document_days(-1, r::documents) x));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION kpi_meetings_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, true, false);
  ELSIF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM kpi_new) THEN
      PERFORM kpi_add_day_meetings(ARRAY(SELECT x FROM kpi_new r, kpi_meeting_days(1, r::meetings) x));
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM kpi_old) THEN
      PERFORM kpi_add_day_meetings(ARRAY(SELECT x FROM kpi_old r, kpi_meeting_days(-1, r::meetings) x));
    END IF;
  ELSIF EXISTS (SELECT 1 FROM kpi_new) THEN
    PERFORM kpi_add_day_meetings(ARRAY(
      SELECT x FROM kpi_new r, kpi_meeting_days(1, r::meetings) x
      UNION ALL SELECT x FROM kpi_old r, kpi_meeting_days(-1, r::meetings) x));
  END IF;
  RETURN NULL;
END
$fn$;

-- A change of the meeting caps reclassifies every meeting.
CREATE OR REPLACE FUNCTION kpi_meeting_caps_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM kpi_rebuild_day_summaries(false, true, false);
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION kpi_dossiers_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, false, true);
  ELSIF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM kpi_new) THEN
      PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_dossier_days(1, ARRAY(SELECT r::dossiers FROM kpi_new r)) x));
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM kpi_old) THEN
      PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_dossier_days(-1, ARRAY(SELECT r::dossiers FROM kpi_old r)) x));
    END IF;
  ELSIF EXISTS (SELECT 1 FROM kpi_new) THEN
    PERFORM kpi_add_day_dossiers(ARRAY(
      SELECT x FROM kpi_dossier_days(1, ARRAY(SELECT r::dossiers FROM kpi_new r)) x
      UNION ALL SELECT x FROM kpi_dossier_days(-1, ARRAY(SELECT r::dossiers FROM kpi_old r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION kpi_procedures_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, false, true);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_procedure_change_days('{}',
      ARRAY(SELECT r::procedures FROM kpi_new r)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_procedure_change_days(
      ARRAY(SELECT r::procedures FROM kpi_old r), '{}') x));
  ELSE
    PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_procedure_change_days(
      ARRAY(SELECT r::procedures FROM kpi_old r), ARRAY(SELECT r::procedures FROM kpi_new r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION kpi_dossier_steps_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, false, true);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_steps_change_days('{}',
      ARRAY(SELECT r::dossier_steps FROM kpi_new r)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_steps_change_days(
      ARRAY(SELECT r::dossier_steps FROM kpi_old r), '{}') x));
  ELSE
    PERFORM kpi_add_day_dossiers(ARRAY(SELECT x FROM kpi_steps_change_days(
      ARRAY(SELECT r::dossier_steps FROM kpi_old r), ARRAY(SELECT r::dossier_steps FROM kpi_new r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

-- The triggers (statement level, with transition tables).
DROP TRIGGER IF EXISTS kpi_documents_ins ON documents;
CREATE TRIGGER kpi_documents_ins AFTER INSERT ON documents REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
DROP TRIGGER IF EXISTS kpi_documents_upd ON documents;
CREATE TRIGGER kpi_documents_upd AFTER UPDATE ON documents REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
DROP TRIGGER IF EXISTS kpi_documents_del ON documents;
CREATE TRIGGER kpi_documents_del AFTER DELETE ON documents REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
DROP TRIGGER IF EXISTS kpi_documents_trunc ON documents;
CREATE TRIGGER kpi_documents_trunc AFTER TRUNCATE ON documents
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
DROP TRIGGER IF EXISTS kpi_meetings_ins ON meetings;
CREATE TRIGGER kpi_meetings_ins AFTER INSERT ON meetings REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
DROP TRIGGER IF EXISTS kpi_meetings_upd ON meetings;
CREATE TRIGGER kpi_meetings_upd AFTER UPDATE ON meetings REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
DROP TRIGGER IF EXISTS kpi_meetings_del ON meetings;
CREATE TRIGGER kpi_meetings_del AFTER DELETE ON meetings REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
DROP TRIGGER IF EXISTS kpi_meetings_trunc ON meetings;
CREATE TRIGGER kpi_meetings_trunc AFTER TRUNCATE ON meetings
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
DROP TRIGGER IF EXISTS kpi_meeting_caps_chg ON kpi_meeting_caps;
CREATE TRIGGER kpi_meeting_caps_chg AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON kpi_meeting_caps
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meeting_caps_trg();
DROP TRIGGER IF EXISTS kpi_dossiers_ins ON dossiers;
CREATE TRIGGER kpi_dossiers_ins AFTER INSERT ON dossiers REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
DROP TRIGGER IF EXISTS kpi_dossiers_upd ON dossiers;
CREATE TRIGGER kpi_dossiers_upd AFTER UPDATE ON dossiers REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
DROP TRIGGER IF EXISTS kpi_dossiers_del ON dossiers;
CREATE TRIGGER kpi_dossiers_del AFTER DELETE ON dossiers REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
DROP TRIGGER IF EXISTS kpi_dossiers_trunc ON dossiers;
CREATE TRIGGER kpi_dossiers_trunc AFTER TRUNCATE ON dossiers
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
DROP TRIGGER IF EXISTS kpi_procedures_ins ON procedures;
CREATE TRIGGER kpi_procedures_ins AFTER INSERT ON procedures REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
DROP TRIGGER IF EXISTS kpi_procedures_upd ON procedures;
CREATE TRIGGER kpi_procedures_upd AFTER UPDATE ON procedures REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
DROP TRIGGER IF EXISTS kpi_procedures_del ON procedures;
CREATE TRIGGER kpi_procedures_del AFTER DELETE ON procedures REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
DROP TRIGGER IF EXISTS kpi_procedures_trunc ON procedures;
CREATE TRIGGER kpi_procedures_trunc AFTER TRUNCATE ON procedures
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
DROP TRIGGER IF EXISTS kpi_dossier_steps_ins ON dossier_steps;
CREATE TRIGGER kpi_dossier_steps_ins AFTER INSERT ON dossier_steps REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
DROP TRIGGER IF EXISTS kpi_dossier_steps_upd ON dossier_steps;
CREATE TRIGGER kpi_dossier_steps_upd AFTER UPDATE ON dossier_steps REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
DROP TRIGGER IF EXISTS kpi_dossier_steps_del ON dossier_steps;
CREATE TRIGGER kpi_dossier_steps_del AFTER DELETE ON dossier_steps REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
DROP TRIGGER IF EXISTS kpi_dossier_steps_trunc ON dossier_steps;
CREATE TRIGGER kpi_dossier_steps_trunc AFTER TRUNCATE ON dossier_steps
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
