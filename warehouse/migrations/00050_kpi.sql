-- +goose Up
-- The indicators of indicators.md as SQL (contracts.md §3): the view kpi
-- and the function kpi_between. Indicators are formulas over the facts
-- computed at query time (architecture.md rule 11). For speed at province
-- scale they sum per-(unit, day) counts (kpi_day_*) that triggers keep in
-- the same transaction as the facts, so the results are always exact; the
-- counts are classified by the same functions as the per-record views that
-- chiso explain lists. Roll-up sums numerators and denominators over the
-- unit tree (a unit, its internal descendants, and the predecessors merged
-- into any of them).

-- Indicator metadata: order in the report, Vietnamese label, unit.
CREATE TABLE kpi_indicators (
    id     text PRIMARY KEY,
    ord    integer NOT NULL UNIQUE,
    label  text NOT NULL,
    unit   text NOT NULL CHECK (unit IN ('%','count')),
    kind   text NOT NULL CHECK (kind IN ('target','info')),
    source text NOT NULL
);
INSERT INTO kpi_indicators (id, ord, label, unit, kind, source) VALUES
 ('doc_reduction', 1, 'Giảm số văn bản hành chính ban hành so với cùng kỳ', '%', 'target', 'documents'),
 ('meeting_reduction', 2, 'Giảm số cuộc họp, hội nghị so với cùng kỳ', '%', 'target', 'meetings'),
 ('meeting_online_share', 3, 'Tỷ lệ cuộc họp trực tuyến, không giấy', '%', 'target', 'meetings'),
 ('dossier_full_online_share', 4, 'Tỷ lệ hồ sơ TTHC xử lý trực tuyến toàn trình', '%', 'target', 'dossiers'),
 ('result_digitized_share', 5, 'Tỷ lệ kết quả giải quyết TTHC được số hóa', '%', 'target', 'dossiers'),
 ('electronic_exchange_share', 6, 'Tỷ lệ văn bản trao đổi với cấp trên dưới dạng điện tử (trừ văn bản mật)', '%', 'target', 'documents'),
 ('meeting_materials_ahead_share', 7, 'Tỷ lệ cuộc họp gửi tài liệu trước ít nhất 01 ngày', '%', 'target', 'meetings'),
 ('meeting_discussion_share', 8, 'Tỷ lệ cuộc họp dành ≥ 70% thời gian thảo luận', '%', 'target', 'meetings'),
 ('meeting_duration_share', 9, 'Tỷ lệ cuộc họp đúng thời lượng quy định', '%', 'target', 'meetings'),
 ('commune_wide_conferences', 10, 'Số hội nghị toàn xã trong năm', 'count', 'target', 'meetings'),
 ('documents_issued', 11, 'Số văn bản hành chính ban hành', 'count', 'info', 'documents'),
 ('meetings_held', 12, 'Số cuộc họp, hội nghị tổ chức', 'count', 'info', 'meetings'),
 ('dossier_online_share', 13, 'Tỷ lệ hồ sơ TTHC tiếp nhận trực tuyến', '%', 'info', 'dossiers'),
 ('dossier_on_time_share', 14, 'Tỷ lệ hồ sơ TTHC giải quyết đúng hạn', '%', 'info', 'dossiers'),
 ('dossier_input_digitized_share', 15, 'Tỷ lệ hồ sơ TTHC có thành phần hồ sơ được số hóa', '%', 'info', 'dossiers'),
 ('dossier_reused_data_share', 16, 'Tỷ lệ hồ sơ TTHC tái sử dụng dữ liệu đã số hóa', '%', 'info', 'dossiers'),
 ('electronic_exchange_out_share', 17, 'Tỷ lệ văn bản gửi cấp trên dưới dạng điện tử (trừ văn bản mật)', '%', 'info', 'documents'),
 ('electronic_exchange_in_share', 18, 'Tỷ lệ văn bản nhận từ cấp trên dưới dạng điện tử (trừ văn bản mật)', '%', 'info', 'documents');

-- Targets (the targets file, loaded by chiso; seeded with the 2026 plan).
-- unit_code '' applies to every unit; a row for a unit overrides it. A
-- period uses the targets of the latest year not after the year it ends in.
CREATE TABLE kpi_targets (
    year       integer NOT NULL,
    unit_code  text NOT NULL DEFAULT '',
    indicator  text NOT NULL REFERENCES kpi_indicators(id),
    op         text NOT NULL CHECK (op IN ('>=','<=','=')),
    target     numeric NOT NULL,
    source     text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, unit_code, indicator)
);
INSERT INTO kpi_targets (year, indicator, op, target, source) VALUES
 (2026, 'doc_reduction', '>=', 15, 'default'),
 (2026, 'meeting_reduction', '>=', 10, 'default'),
 (2026, 'meeting_online_share', '>=', 60, 'default'),
 (2026, 'dossier_full_online_share', '>=', 95, 'default'),
 (2026, 'result_digitized_share', '=', 100, 'default'),
 (2026, 'electronic_exchange_share', '=', 100, 'default'),
 (2026, 'meeting_materials_ahead_share', '=', 100, 'default'),
 (2026, 'meeting_discussion_share', '=', 100, 'default'),
 (2026, 'meeting_duration_share', '=', 100, 'default'),
 (2026, 'commune_wide_conferences', '<=', 3, 'default');

-- Named report periods (config report_periods; these are the defaults).
-- The period id of year Y is id || '-' || Y; from_prev_year puts the start
-- in Y-1 (the Nghị định 09/2019 cut-offs start on 15 December).
CREATE TABLE kpi_report_periods (
    id             text PRIMARY KEY,
    label          text NOT NULL,
    from_md        text NOT NULL CHECK (from_md ~ '^\d\d-\d\d$'),
    to_md          text NOT NULL CHECK (to_md ~ '^\d\d-\d\d$'),
    from_prev_year boolean NOT NULL DEFAULT false,
    ord            integer NOT NULL DEFAULT 0
);
-- The default rows are not seeded here: their one definition is
-- facts.DefaultNamedPeriods, which Store.Migrate writes into an empty table
-- (a warehouse migrated before this changed keeps the rows this migration
-- wrote then, which were the same).

-- Duration caps in half-day sessions per meeting kind.
CREATE TABLE kpi_meeting_caps (
    kind         text PRIMARY KEY,
    cap_sessions integer NOT NULL CHECK (cap_sessions > 0),
    label        text NOT NULL
);
INSERT INTO kpi_meeting_caps (kind, cap_sessions, label) VALUES
 ('quan-triet', 1, 'Quán triệt, triển khai văn bản'),
 ('chuyen-mon', 2, 'Chuyên môn'),
 ('quan-trong', 3, 'Hội nghị quan trọng'),
 ('giao-ban', 1, 'Giao ban'),
 ('giai-quyet-cong-viec', 1, 'Giải quyết công việc'),
 ('tham-muu-tu-van', 1, 'Tham mưu, tư vấn'),
 ('dieu-phoi', 1, 'Điều phối'),
 ('so-ket-tong-ket', 2, 'Sơ kết, tổng kết'),
 ('chuyen-de', 2, 'Chuyên đề'),
 ('tap-huan', 4, 'Tập huấn'),
 ('khac', 2, 'Khác');

-- +goose StatementBegin
-- kpi_vn_date is the Vietnam calendar date of a timestamp (UTC+7, no DST).
CREATE FUNCTION kpi_vn_date(ts timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::date $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_vn_start is the first instant of a Vietnam calendar date.
CREATE FUNCTION kpi_vn_start(d date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (d::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_year_back maps a date to the same date one year earlier (cùng kỳ):
-- 29 Feb becomes 28 Feb; when is_end, the last day of February stays the
-- last day of February, so the month 2025-02 compares with all of 2024-02.
CREATE FUNCTION kpi_year_back(d date, is_end boolean) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN d IS NULL OR NOT isfinite(d) THEN d
    WHEN is_end AND extract(month FROM d) = 2 AND extract(month FROM d + 1) = 3
      THEN (date_trunc('month', d - interval '1 year') + interval '1 month' - interval '1 day')::date
    ELSE (d - interval '1 year')::date END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_md_date is the date MM-DD of year y; 02-29 of a common year is 28 Feb.
CREATE FUNCTION kpi_md_date(y integer, md text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT make_date(y, split_part(md, '-', 1)::int,
    least(split_part(md, '-', 2)::int,
      extract(day FROM (make_date(y, split_part(md, '-', 1)::int, 1) + interval '1 month' - interval '1 day'))::int)) $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_add_workdays adds n working days (Monday–Friday; public holidays are
-- not known to chiso) to ts; a start on a weekend counts from Friday.
CREATE FUNCTION kpi_add_workdays(ts timestamptz, n integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ts + make_interval(days => n + 2 * ((w.d5 - 1 + n) / 5) - (w.dow - w.d5))
  FROM (SELECT extract(isodow FROM ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS dow,
               least(extract(isodow FROM ts AT TIME ZONE 'Asia/Ho_Chi_Minh')::int, 5) AS d5) w $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_dossier_pause is the time a dossier spent waiting for supplements:
-- from each step reaching status 5 to the next step (steps in the order of
-- their key: time, then action). A request still open has no next step and
-- adds nothing. kpi_steps_pause is the same over any set of steps.
CREATE FUNCTION kpi_dossier_pause(p_unit text, p_ma text) RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(sum(s.nx - s.at), interval '0')
  FROM (SELECT st.at, st.status, lead(st.at) OVER (ORDER BY st.at, st.action) AS nx
        FROM dossier_steps st WHERE st.unit_code = p_unit AND st.ma_ho_so = p_ma) s
  WHERE s.status = 5 AND s.nx IS NOT NULL $$;
-- +goose StatementEnd

-- The classification of one record, shared by the per-record views below
-- (which kpi_eval's summaries and chiso explain read) and by the triggers
-- that keep the per-day summaries: one definition, so the numbers and the
-- records explain lists cannot drift apart.

-- +goose StatementBegin
CREATE FUNCTION kpi_document_class(direction text, family text, is_secret boolean, series text,
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
-- +goose StatementEnd

-- +goose StatementBegin
-- A meeting counts when the unit organised it, it was not cancelled and it
-- is still in its calendar feed (deleted_run IS NULL).
CREATE FUNCTION kpi_meeting_class(organized_by_self boolean, cancelled boolean, deleted_run bigint,
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
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_dossier_class classifies a dossier given its procedure (pr_*) and
-- its supplement pause (only read when due_at is null and the procedure
-- has max_days: callers compute it only then).
--
-- late_on: the first Vietnam date on whose end the dossier counts as late
-- (Quyết định 766): judged at the end of a period P, a dossier received in
-- P is late when late_on <= the end of P. 'infinity' = finished on time,
-- '-infinity' = two or more supplement requests, null = no deadline known.
CREATE FUNCTION kpi_dossier_class(channel text, status smallint, received_at timestamptz, due_at timestamptz,
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
-- +goose StatementEnd

-- Per-record classification: kpi (through the summaries) and chiso
-- explain both rest on these views, so the records explain lists are
-- exactly the ones the numbers count.
CREATE VIEW kpi_document_facts AS
SELECT d.unit_code, d.direction, d.doc_key, d.document_id, d.code_number, d.code_notation,
       d.doc_type, d.family, c.secret, d.medium,
       d.issued_on, d.event_on, d.counterpart_relation, d.subject, d.revoked,
       c.counts_issued, c.issued_unknown, c.ex_scope, c.electronic, c.ex_unknown
FROM documents d
CROSS JOIN LATERAL kpi_document_class(d.direction, d.family, d.is_secret, d.series, d.medium, d.counterpart_relation) c;

CREATE VIEW kpi_meeting_facts AS
SELECT m.unit_code, m.source, m.uid, m.title, m.kind, m.scope, m.organized_by_self, m.starts_at,
       m.ends_at, m.sessions, m.online, m.paperless, m.materials_sent_at, m.discussion_minutes,
       m.total_minutes, m.cancelled, m.deleted_run,
       kpi_vn_date(m.starts_at) AS starts_on,
       c.counted, c.online_or_paperless, c.materials_known, c.materials_ahead,
       c.discussion_known, c.discussion_ok, mc.cap_sessions, c.duration_ok, c.commune_wide
FROM meetings m LEFT JOIN kpi_meeting_caps mc ON mc.kind = m.kind
CROSS JOIN LATERAL kpi_meeting_class(m.organized_by_self, m.cancelled, m.deleted_run, m.online, m.paperless,
  m.starts_at, m.materials_sent_at, m.discussion_minutes, m.total_minutes, m.sessions, mc.cap_sessions, m.scope) c;

CREATE VIEW kpi_dossier_facts AS
SELECT d.unit_code, d.ma_ho_so, d.ma_tthc, d.channel, d.status, d.received_at, d.due_at,
       d.finished_at, d.returned_at, d.result_method, d.input_digitized, d.result_electronic,
       d.reused_data, d.supplements, c.level,
       kpi_vn_date(d.received_at) AS received_on,
       kpi_vn_date(d.finished_at) AS finished_on,
       c.level_unknown, c.full_online, c.result_scope, c.on_time_scope, c.deadline, c.late_on
FROM dossiers d
LEFT JOIN procedures p ON p.ma_tthc = d.ma_tthc
CROSS JOIN LATERAL kpi_dossier_class(d.channel, d.status, d.received_at, d.due_at, d.finished_at,
  d.result_method, d.result_electronic, d.supplements, d.procedure_level, p.level, p.requires_result, p.max_days,
  CASE WHEN d.due_at IS NULL AND p.max_days IS NOT NULL AND d.received_at IS NOT NULL
       THEN kpi_dossier_pause(d.unit_code, d.ma_ho_so) END) c;

-- Per-(unit, day) summaries: the counts every indicator sums, kept exact
-- by statement-level triggers on the fact tables in the same transaction
-- as the facts (each statement adds the contribution of its new rows and
-- subtracts that of its old rows; additive upserts stay exact when several
-- writers touch the same day). kpi_eval sums days of a span over the unit
-- tree instead of reading every fact; kpi_*_facts stay the per-record
-- truth that explain lists. n counts the records behind a row (0 = empty).
--
-- kpi_day_documents: outgoing documents by issue date (n, issued*) and
-- documents exchanged with higher agencies or with an unknown counterpart
-- by event date (ex*).
CREATE TABLE kpi_day_documents (
    unit_code      text NOT NULL,
    day            date NOT NULL,
    n              bigint NOT NULL DEFAULT 0,
    issued         bigint NOT NULL DEFAULT 0,
    issued_unknown bigint NOT NULL DEFAULT 0,
    ex_den         bigint NOT NULL DEFAULT 0,
    ex_num         bigint NOT NULL DEFAULT 0,
    exo_den        bigint NOT NULL DEFAULT 0,
    exo_num        bigint NOT NULL DEFAULT 0,
    ex_missing     bigint NOT NULL DEFAULT 0,
    exo_missing    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_code, day)
);
-- kpi_day_meetings: counted meetings by Vietnam start date.
CREATE TABLE kpi_day_meetings (
    unit_code     text NOT NULL,
    day           date NOT NULL,
    m_total       bigint NOT NULL DEFAULT 0,
    m_online      bigint NOT NULL DEFAULT 0,
    m_mat_den     bigint NOT NULL DEFAULT 0,
    m_mat_num     bigint NOT NULL DEFAULT 0,
    m_disc_den    bigint NOT NULL DEFAULT 0,
    m_disc_num    bigint NOT NULL DEFAULT 0,
    m_dur_num     bigint NOT NULL DEFAULT 0,
    m_dur_missing bigint NOT NULL DEFAULT 0,
    m_wide        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_code, day)
);
-- kpi_day_dossiers: dossiers by Vietnam reception date and late_on (the
-- date a dossier in the on-time denominator becomes late; 'infinity' for
-- every other dossier) (d_recv … d_ot_missing), and settled dossiers with a
-- result document by finishing date (d_fin, d_fin_elec; late_on 'infinity').
CREATE TABLE kpi_day_dossiers (
    unit_code         text NOT NULL,
    day               date NOT NULL,
    late_on           date NOT NULL,
    n                 bigint NOT NULL DEFAULT 0,
    d_recv            bigint NOT NULL DEFAULT 0,
    d_full            bigint NOT NULL DEFAULT 0,
    d_level_missing   bigint NOT NULL DEFAULT 0,
    d_online          bigint NOT NULL DEFAULT 0,
    d_channel_missing bigint NOT NULL DEFAULT 0,
    d_input           bigint NOT NULL DEFAULT 0,
    d_reused          bigint NOT NULL DEFAULT 0,
    d_ot_den          bigint NOT NULL DEFAULT 0,
    d_ot_missing      bigint NOT NULL DEFAULT 0,
    d_fin             bigint NOT NULL DEFAULT 0,
    d_fin_elec        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_code, day, late_on)
);
-- Dossiers of a procedure, for the procedures trigger.
CREATE INDEX dossiers_ma_tthc ON dossiers (ma_tthc);

-- +goose StatementBegin
-- kpi_day_documents_sql is the upsert that adds to kpi_day_documents the
-- contribution of the rows of %s (a query giving sign (+1 or -1) and the
-- columns of documents).
CREATE FUNCTION kpi_day_documents_sql() RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT $q$
WITH r AS (%s),
rc AS (
  SELECT r.sign, r.unit_code, r.direction, r.issued_on, r.event_on, c.*
  FROM r CROSS JOIN LATERAL kpi_document_class(r.direction, r.family, r.is_secret, r.series, r.medium, r.counterpart_relation) c),
x AS (
  SELECT sign, unit_code, issued_on AS day, 1 AS n, counts_issued::int AS issued, issued_unknown::int AS issued_unknown,
         0 AS ex_den, 0 AS ex_num, 0 AS exo_den, 0 AS exo_num, 0 AS ex_missing, 0 AS exo_missing
  FROM rc WHERE direction = 'out' AND issued_on IS NOT NULL
  UNION ALL
  SELECT sign, unit_code, event_on, 1, 0, 0, ex_scope::int, (ex_scope AND electronic)::int,
         (ex_scope AND direction = 'out')::int, (ex_scope AND electronic AND direction = 'out')::int,
         ex_unknown::int, (ex_unknown AND direction = 'out')::int
  FROM rc WHERE event_on IS NOT NULL AND (ex_scope OR ex_unknown)),
g AS (
  SELECT unit_code, day, sum(sign * n) AS n, sum(sign * issued) AS issued, sum(sign * issued_unknown) AS issued_unknown,
         sum(sign * ex_den) AS ex_den, sum(sign * ex_num) AS ex_num, sum(sign * exo_den) AS exo_den,
         sum(sign * exo_num) AS exo_num, sum(sign * ex_missing) AS ex_missing, sum(sign * exo_missing) AS exo_missing
  FROM x GROUP BY unit_code, day)
INSERT INTO kpi_day_documents AS s (unit_code, day, n, issued, issued_unknown, ex_den, ex_num, exo_den, exo_num, ex_missing, exo_missing)
SELECT * FROM g
WHERE (n, issued, issued_unknown, ex_den, ex_num, exo_den, exo_num, ex_missing, exo_missing) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
ORDER BY unit_code, day
ON CONFLICT (unit_code, day) DO UPDATE SET
  n = s.n + EXCLUDED.n, issued = s.issued + EXCLUDED.issued, issued_unknown = s.issued_unknown + EXCLUDED.issued_unknown,
  ex_den = s.ex_den + EXCLUDED.ex_den, ex_num = s.ex_num + EXCLUDED.ex_num, exo_den = s.exo_den + EXCLUDED.exo_den,
  exo_num = s.exo_num + EXCLUDED.exo_num, ex_missing = s.ex_missing + EXCLUDED.ex_missing,
  exo_missing = s.exo_missing + EXCLUDED.exo_missing
$q$ $f$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_day_meetings_sql: the same for meetings (%s gives sign and the
-- columns of meetings); the duration cap is the current kpi_meeting_caps.
CREATE FUNCTION kpi_day_meetings_sql() RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT $q$
WITH r AS (%s),
g AS (
  SELECT r.unit_code, kpi_vn_date(r.starts_at) AS day, sum(r.sign) AS m_total,
         sum(r.sign * c.online_or_paperless::int) AS m_online, sum(r.sign * c.materials_known::int) AS m_mat_den,
         sum(r.sign * c.materials_ahead::int) AS m_mat_num, sum(r.sign * c.discussion_known::int) AS m_disc_den,
         sum(r.sign * c.discussion_ok::int) AS m_disc_num, sum(r.sign * c.duration_ok::int) AS m_dur_num,
         sum(r.sign * (mc.cap_sessions IS NULL)::int) AS m_dur_missing, sum(r.sign * c.commune_wide::int) AS m_wide
  FROM r LEFT JOIN kpi_meeting_caps mc ON mc.kind = r.kind
  CROSS JOIN LATERAL kpi_meeting_class(r.organized_by_self, r.cancelled, r.deleted_run, r.online, r.paperless,
    r.starts_at, r.materials_sent_at, r.discussion_minutes, r.total_minutes, r.sessions, mc.cap_sessions, r.scope) c
  WHERE c.counted
  GROUP BY 1, 2)
INSERT INTO kpi_day_meetings AS s (unit_code, day, m_total, m_online, m_mat_den, m_mat_num, m_disc_den, m_disc_num, m_dur_num, m_dur_missing, m_wide)
SELECT * FROM g
WHERE (m_total, m_online, m_mat_den, m_mat_num, m_disc_den, m_disc_num, m_dur_num, m_dur_missing, m_wide) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
ORDER BY unit_code, day
ON CONFLICT (unit_code, day) DO UPDATE SET
  m_total = s.m_total + EXCLUDED.m_total, m_online = s.m_online + EXCLUDED.m_online,
  m_mat_den = s.m_mat_den + EXCLUDED.m_mat_den, m_mat_num = s.m_mat_num + EXCLUDED.m_mat_num,
  m_disc_den = s.m_disc_den + EXCLUDED.m_disc_den, m_disc_num = s.m_disc_num + EXCLUDED.m_disc_num,
  m_dur_num = s.m_dur_num + EXCLUDED.m_dur_num, m_dur_missing = s.m_dur_missing + EXCLUDED.m_dur_missing,
  m_wide = s.m_wide + EXCLUDED.m_wide
$q$ $f$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_day_dossiers_sql: the same for dossiers; %s gives sign, the columns
-- of dossiers, then pr_level, pr_requires_result, pr_max_days (the
-- procedure to classify with) and pause (null when not needed).
CREATE FUNCTION kpi_day_dossiers_sql() RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT $q$
WITH r AS (%s),
rc AS (
  SELECT r.sign, r.unit_code, r.received_at, r.finished_at, r.channel, r.input_digitized, r.reused_data,
         r.result_electronic, c.*
  FROM r CROSS JOIN LATERAL kpi_dossier_class(r.channel, r.status, r.received_at, r.due_at, r.finished_at,
    r.result_method, r.result_electronic, r.supplements, r.procedure_level, r.pr_level, r.pr_requires_result,
    r.pr_max_days, r.pause) c),
x AS (
  SELECT sign, unit_code, kpi_vn_date(received_at) AS day,
         coalesce(CASE WHEN on_time_scope AND late_on <> 'infinity' THEN late_on END, 'infinity') AS late_on,
         1 AS d_recv, full_online::int AS d_full, level_unknown::int AS d_level_missing,
         coalesce(channel = 'online', false)::int AS d_online, (channel IS NULL)::int AS d_channel_missing,
         input_digitized::int AS d_input, reused_data::int AS d_reused,
         (on_time_scope AND late_on IS NOT NULL)::int AS d_ot_den, (on_time_scope AND late_on IS NULL)::int AS d_ot_missing,
         0 AS d_fin, 0 AS d_fin_elec
  FROM rc WHERE received_at IS NOT NULL
  UNION ALL
  SELECT sign, unit_code, kpi_vn_date(finished_at), 'infinity', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, result_electronic::int
  FROM rc WHERE result_scope AND finished_at IS NOT NULL),
g AS (
  SELECT unit_code, day, late_on, sum(sign) AS n, sum(sign * d_recv) AS d_recv, sum(sign * d_full) AS d_full,
         sum(sign * d_level_missing) AS d_level_missing, sum(sign * d_online) AS d_online,
         sum(sign * d_channel_missing) AS d_channel_missing, sum(sign * d_input) AS d_input,
         sum(sign * d_reused) AS d_reused, sum(sign * d_ot_den) AS d_ot_den, sum(sign * d_ot_missing) AS d_ot_missing,
         sum(sign * d_fin) AS d_fin, sum(sign * d_fin_elec) AS d_fin_elec
  FROM x GROUP BY 1, 2, 3)
INSERT INTO kpi_day_dossiers AS s (unit_code, day, late_on, n, d_recv, d_full, d_level_missing, d_online, d_channel_missing,
                                   d_input, d_reused, d_ot_den, d_ot_missing, d_fin, d_fin_elec)
SELECT * FROM g
WHERE (n, d_recv, d_full, d_level_missing, d_online, d_channel_missing, d_input, d_reused, d_ot_den, d_ot_missing, d_fin, d_fin_elec)
      <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
ORDER BY unit_code, day, late_on
ON CONFLICT (unit_code, day, late_on) DO UPDATE SET
  n = s.n + EXCLUDED.n, d_recv = s.d_recv + EXCLUDED.d_recv, d_full = s.d_full + EXCLUDED.d_full,
  d_level_missing = s.d_level_missing + EXCLUDED.d_level_missing, d_online = s.d_online + EXCLUDED.d_online,
  d_channel_missing = s.d_channel_missing + EXCLUDED.d_channel_missing, d_input = s.d_input + EXCLUDED.d_input,
  d_reused = s.d_reused + EXCLUDED.d_reused, d_ot_den = s.d_ot_den + EXCLUDED.d_ot_den,
  d_ot_missing = s.d_ot_missing + EXCLUDED.d_ot_missing, d_fin = s.d_fin + EXCLUDED.d_fin,
  d_fin_elec = s.d_fin_elec + EXCLUDED.d_fin_elec
$q$ $f$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_dossier_rows_sql: the source query of kpi_day_dossiers_sql for the
-- dossiers of relation %2$s (filtered by %3$s) with sign %1$s, classified
-- with the current procedures and steps.
CREATE FUNCTION kpi_dossier_rows_sql(sign integer, rel text, cond text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT format($q$SELECT %1$s AS sign, d.*, p.level AS pr_level, p.requires_result AS pr_requires_result,
       p.max_days AS pr_max_days,
       CASE WHEN d.due_at IS NULL AND p.max_days IS NOT NULL AND d.received_at IS NOT NULL
            THEN kpi_dossier_pause(d.unit_code, d.ma_ho_so) END AS pause
FROM %2$s d LEFT JOIN procedures p ON p.ma_tthc = d.ma_tthc WHERE %3$s$q$, sign, rel, cond) $f$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_rebuild_day_summaries recomputes the summaries from the facts (after
-- a TRUNCATE or a change of the meeting caps); writers wait meanwhile.
CREATE FUNCTION kpi_rebuild_day_summaries(p_documents boolean, p_meetings boolean, p_dossiers boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF p_documents THEN
    LOCK TABLE documents IN SHARE MODE;
    DELETE FROM kpi_day_documents;
    EXECUTE format(kpi_day_documents_sql(), 'SELECT 1 AS sign, d.* FROM documents d');
  END IF;
  IF p_meetings THEN
    LOCK TABLE meetings, kpi_meeting_caps IN SHARE MODE;
    DELETE FROM kpi_day_meetings;
    EXECUTE format(kpi_day_meetings_sql(), 'SELECT 1 AS sign, m.* FROM meetings m');
  END IF;
  IF p_dossiers THEN
    LOCK TABLE dossiers, procedures, dossier_steps IN SHARE MODE;
    DELETE FROM kpi_day_dossiers;
    EXECUTE format(kpi_day_dossiers_sql(), kpi_dossier_rows_sql(1, 'dossiers', 'true'));
  END IF;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION kpi_documents_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
CREATE FUNCTION kpi_meetings_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
CREATE FUNCTION kpi_meeting_caps_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM kpi_rebuild_day_summaries(false, true, false);
  RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION kpi_dossiers_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
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

-- +goose StatementBegin
-- A change of a procedure's level, requires_result or max_days moves its
-- dossiers: subtract them classified with the old procedure, add them with
-- the new one.
CREATE FUNCTION kpi_procedures_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_old text := CASE WHEN TG_OP = 'INSERT' THEN '(SELECT * FROM procedures WHERE false)' ELSE 'kpi_old' END;
  v_new text := CASE WHEN TG_OP = 'DELETE' THEN '(SELECT * FROM procedures WHERE false)' ELSE 'kpi_new' END;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, false, true);
    RETURN NULL;
  END IF;
  EXECUTE format(kpi_day_dossiers_sql(), format($q$
    WITH chg AS (
      SELECT coalesce(o.ma_tthc, n.ma_tthc) AS ma_tthc,
             o.level AS o_level, o.requires_result AS o_req, o.max_days AS o_max,
             n.level AS n_level, n.requires_result AS n_req, n.max_days AS n_max
      FROM %1$s o FULL JOIN %2$s n ON n.ma_tthc = o.ma_tthc
      WHERE (o.level, o.requires_result, o.max_days) IS DISTINCT FROM (n.level, n.requires_result, n.max_days))
    SELECT v.sign, d.*, v.pr_level, v.pr_requires_result, v.pr_max_days,
           CASE WHEN d.due_at IS NULL AND v.pr_max_days IS NOT NULL AND d.received_at IS NOT NULL
                THEN kpi_dossier_pause(d.unit_code, d.ma_ho_so) END AS pause
    FROM chg JOIN dossiers d ON d.ma_tthc = chg.ma_tthc
    CROSS JOIN LATERAL (VALUES (-1, chg.o_level, chg.o_req, chg.o_max), (1, chg.n_level, chg.n_req, chg.n_max))
      AS v(sign, pr_level, pr_requires_result, pr_max_days)$q$, v_old, v_new));
  RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A change of a dossier's steps changes its supplement pause: subtract the
-- dossier classified with the steps before the statement, add it with the
-- steps after.
CREATE FUNCTION kpi_dossier_steps_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_old text := CASE WHEN TG_OP = 'INSERT' THEN '(SELECT * FROM dossier_steps WHERE false)' ELSE 'kpi_old' END;
  v_new text := CASE WHEN TG_OP = 'DELETE' THEN '(SELECT * FROM dossier_steps WHERE false)' ELSE 'kpi_new' END;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM kpi_rebuild_day_summaries(false, false, true);
    RETURN NULL;
  END IF;
  EXECUTE format(kpi_day_dossiers_sql(), format($q$
    WITH aff AS (
      SELECT unit_code, ma_ho_so FROM %1$s AS o UNION SELECT unit_code, ma_ho_so FROM %2$s AS n),
    st_after AS (
      SELECT st.unit_code, st.ma_ho_so, st.at, st.action, st.status
      FROM dossier_steps st JOIN aff ON aff.unit_code = st.unit_code AND aff.ma_ho_so = st.ma_ho_so),
    st_before AS (
      (SELECT * FROM st_after
       EXCEPT ALL SELECT unit_code, ma_ho_so, at, action, status FROM %2$s AS n)
      UNION ALL SELECT unit_code, ma_ho_so, at, action, status FROM %1$s AS o),
    pauses AS (
      SELECT 1 AS sign, unit_code, ma_ho_so, coalesce(sum(nx - at) FILTER (WHERE status = 5 AND nx IS NOT NULL), interval '0') AS pause
      FROM (SELECT s.*, lead(at) OVER (PARTITION BY unit_code, ma_ho_so ORDER BY at, action) AS nx FROM st_after s) s GROUP BY 2, 3
      UNION ALL
      SELECT -1, unit_code, ma_ho_so, coalesce(sum(nx - at) FILTER (WHERE status = 5 AND nx IS NOT NULL), interval '0')
      FROM (SELECT s.*, lead(at) OVER (PARTITION BY unit_code, ma_ho_so ORDER BY at, action) AS nx FROM st_before s) s GROUP BY 2, 3
      UNION ALL  -- a dossier whose steps all went (or all came) has an empty side
      SELECT sg.sign, aff.unit_code, aff.ma_ho_so, interval '0' FROM aff, (VALUES (1), (-1)) AS sg(sign)
      WHERE NOT EXISTS (SELECT 1 FROM st_after a WHERE a.unit_code = aff.unit_code AND a.ma_ho_so = aff.ma_ho_so AND sg.sign = 1)
        AND NOT EXISTS (SELECT 1 FROM st_before b WHERE b.unit_code = aff.unit_code AND b.ma_ho_so = aff.ma_ho_so AND sg.sign = -1))
    SELECT pa.sign, d.*, p.level AS pr_level, p.requires_result AS pr_requires_result, p.max_days AS pr_max_days,
           CASE WHEN d.due_at IS NULL AND p.max_days IS NOT NULL AND d.received_at IS NOT NULL THEN pa.pause END AS pause
    FROM pauses pa JOIN dossiers d ON d.unit_code = pa.unit_code AND d.ma_ho_so = pa.ma_ho_so
    LEFT JOIN procedures p ON p.ma_tthc = d.ma_tthc$q$, v_old, v_new));
  RETURN NULL;
END
$fn$;
-- +goose StatementEnd

CREATE TRIGGER kpi_documents_ins AFTER INSERT ON documents REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
CREATE TRIGGER kpi_documents_upd AFTER UPDATE ON documents REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
CREATE TRIGGER kpi_documents_del AFTER DELETE ON documents REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
CREATE TRIGGER kpi_documents_trunc AFTER TRUNCATE ON documents
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_documents_trg();
CREATE TRIGGER kpi_meetings_ins AFTER INSERT ON meetings REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
CREATE TRIGGER kpi_meetings_upd AFTER UPDATE ON meetings REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
CREATE TRIGGER kpi_meetings_del AFTER DELETE ON meetings REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
CREATE TRIGGER kpi_meetings_trunc AFTER TRUNCATE ON meetings
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meetings_trg();
CREATE TRIGGER kpi_meeting_caps_chg AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON kpi_meeting_caps
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_meeting_caps_trg();
CREATE TRIGGER kpi_dossiers_ins AFTER INSERT ON dossiers REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
CREATE TRIGGER kpi_dossiers_upd AFTER UPDATE ON dossiers REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
CREATE TRIGGER kpi_dossiers_del AFTER DELETE ON dossiers REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
CREATE TRIGGER kpi_dossiers_trunc AFTER TRUNCATE ON dossiers
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossiers_trg();
CREATE TRIGGER kpi_procedures_ins AFTER INSERT ON procedures REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
CREATE TRIGGER kpi_procedures_upd AFTER UPDATE ON procedures REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
CREATE TRIGGER kpi_procedures_del AFTER DELETE ON procedures REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
CREATE TRIGGER kpi_procedures_trunc AFTER TRUNCATE ON procedures
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_procedures_trg();
CREATE TRIGGER kpi_dossier_steps_ins AFTER INSERT ON dossier_steps REFERENCING NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
CREATE TRIGGER kpi_dossier_steps_upd AFTER UPDATE ON dossier_steps REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
CREATE TRIGGER kpi_dossier_steps_del AFTER DELETE ON dossier_steps REFERENCING OLD TABLE AS kpi_old
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();
CREATE TRIGGER kpi_dossier_steps_trunc AFTER TRUNCATE ON dossier_steps
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_dossier_steps_trg();

-- Facts already in the warehouse when this migration runs.
SELECT kpi_rebuild_day_summaries(true, true, true);

-- The reporting tree: root = every self or internal unit that was not
-- merged away; member = the root, its internal descendants, and the
-- predecessors merged into any of them (with their internal descendants).
CREATE VIEW kpi_unit_edges AS
SELECT code AS child, parent_code AS parent FROM org_units
 WHERE relation = 'internal' AND parent_code IS NOT NULL AND merged_into IS NULL
UNION ALL
SELECT code, merged_into FROM org_units WHERE merged_into IS NOT NULL;

CREATE VIEW kpi_unit_closure AS
WITH RECURSIVE c(root, member) AS (
    SELECT code, code FROM org_units WHERE relation IN ('self', 'internal') AND merged_into IS NULL
  UNION
    SELECT c.root, e.child FROM c JOIN kpi_unit_edges e ON e.parent = c.member
)
SELECT root, member FROM c;

-- +goose StatementBegin
-- kpi_unit_members lists a unit and everything that rolls up into it.
CREATE FUNCTION kpi_unit_members(p_root text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE c(member) AS (
      SELECT p_root
    UNION
      SELECT e.child FROM c JOIN kpi_unit_edges e ON e.parent = c.member
  ) SELECT member FROM c $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_standard_spans lists the standard periods of years y1..y2: the year,
-- halves, quarters, months and the named report periods.
CREATE FUNCTION kpi_standard_spans(y1 integer, y2 integer)
RETURNS TABLE (id text, f date, t date, ord bigint)
LANGUAGE sql STABLE AS $$
  SELECT s.id, s.f, s.t, row_number() OVER (ORDER BY y, s.k, s.o, s.f)
  FROM generate_series(y1, y2) AS y,
  LATERAL (
      SELECT y::text AS id, make_date(y, 1, 1) AS f, make_date(y, 12, 31) AS t, 1 AS k, 0 AS o
    UNION ALL
      SELECT y || '-H' || h, make_date(y, 6*h - 5, 1),
             (make_date(y, 6*h - 5, 1) + interval '6 months' - interval '1 day')::date, 2, h
      FROM generate_series(1, 2) AS h
    UNION ALL
      SELECT y || '-Q' || q, make_date(y, 3*q - 2, 1),
             (make_date(y, 3*q - 2, 1) + interval '3 months' - interval '1 day')::date, 3, q
      FROM generate_series(1, 4) AS q
    UNION ALL
      SELECT y || '-' || lpad(m::text, 2, '0'), make_date(y, m, 1),
             (make_date(y, m, 1) + interval '1 month' - interval '1 day')::date, 4, m
      FROM generate_series(1, 12) AS m
    UNION ALL
      SELECT rp.id || '-' || y,
             kpi_md_date(CASE WHEN rp.from_prev_year THEN y - 1 ELSE y END, rp.from_md),
             kpi_md_date(y, rp.to_md), 5, rp.ord
      FROM kpi_report_periods rp
  ) AS s $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_periods lists the standard periods of every year with data, and the
-- next year's periods that reach back into the data (nd09 periods start on
-- 15 December of the year before).
CREATE FUNCTION kpi_periods() RETURNS TABLE (id text, f date, t date, ord bigint)
LANGUAGE sql STABLE AS $$
  WITH bounds AS (
    SELECT min(day) AS lo, max(day) AS hi FROM (
      SELECT day FROM kpi_day_documents WHERE n <> 0
      UNION ALL SELECT day FROM kpi_day_meetings WHERE m_total <> 0
      UNION ALL SELECT day FROM kpi_day_dossiers WHERE n <> 0) AS x)
  SELECT s.id, s.f, s.t, s.ord FROM bounds b,
    kpi_standard_spans(extract(year FROM b.lo)::int, extract(year FROM b.hi)::int + 1) AS s
  WHERE b.lo IS NOT NULL AND (extract(year FROM s.t) <= extract(year FROM b.hi) OR s.f <= b.hi) $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_eval computes every indicator for the spans (p_ids, p_from, p_to),
-- or for kpi_periods() when p_ids is null, for the unit p_root (rolled
-- up), or for every root of the tree when p_root is null. It sums the
-- per-day summaries over the days of each span and its baseline and over
-- the unit tree, so it reads a few rows per unit and day, never the facts.
CREATE FUNCTION kpi_eval(p_ids text[], p_from date[], p_to date[], p_root text)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
-- JIT off: the planner's estimates for the span expansion are far too
-- high, and compiling the query costs seconds where running it costs ms.
LANGUAGE plpgsql STABLE SET jit = off SET work_mem = '64MB' AS $fn$
DECLARE
  v_members text[];
  v_lo date := '-infinity';
  v_hi date := 'infinity';
  v_uf text := '';
  v_closure text := 'SELECT root, member FROM kpi_unit_closure';
  v_req text;
  v_today date := kpi_vn_date(now());
BEGIN
  IF p_root IS NOT NULL THEN
    SELECT array_agg(m) INTO v_members FROM kpi_unit_members(p_root) AS m;
    v_uf := ' AND unit_code = ANY($4)';
    v_closure := 'SELECT $7::text AS root, m AS member FROM unnest($4::text[]) AS m';
  END IF;
  IF p_ids IS NOT NULL THEN
    IF array_length(p_ids, 1) IS DISTINCT FROM array_length(p_from, 1)
       OR array_length(p_ids, 1) IS DISTINCT FROM array_length(p_to, 1) THEN
      RAISE EXCEPTION 'kpi_eval: p_ids, p_from and p_to must have the same length';
    END IF;
  ELSE
    SELECT array_agg(s.id ORDER BY s.ord), array_agg(s.f ORDER BY s.ord), array_agg(s.t ORDER BY s.ord)
      INTO p_ids, p_from, p_to FROM kpi_periods() AS s;
    IF p_ids IS NULL THEN
      RETURN;
    END IF;
  END IF;
  v_req := 'SELECT s.id, s.f, s.t, s.ord FROM unnest($1::text[], $2::date[], $3::date[]) WITH ORDINALITY AS s(id, f, t, ord)';
  SELECT min(kpi_year_back(f, false)), max(t) INTO v_lo, v_hi FROM unnest(p_from, p_to) AS s(f, t);

  RETURN QUERY EXECUTE format($q$
WITH
closure AS (%2$s),
req AS (%3$s),
ev AS (  -- the spans to sum over: the requested ones and their baselines
  SELECT f, t FROM req
  UNION
  SELECT kpi_year_back(f, false), kpi_year_back(t, true) FROM req),
evd AS (
  SELECT ev.f, ev.t, g::date AS day FROM ev, generate_series(ev.f::timestamp, ev.t::timestamp, interval '1 day') AS g),
roots AS (SELECT DISTINCT root FROM closure),
sa AS (
  SELECT evd.f, evd.t, cl.root, sum(a.issued)::bigint AS issued, sum(a.issued_unknown)::bigint AS issued_unknown,
         sum(a.ex_den)::bigint AS ex_den, sum(a.ex_num)::bigint AS ex_num,
         sum(a.exo_den)::bigint AS exo_den, sum(a.exo_num)::bigint AS exo_num,
         sum(a.ex_missing)::bigint AS ex_missing, sum(a.exo_missing)::bigint AS exo_missing
  FROM kpi_day_documents a JOIN closure cl ON cl.member = a.unit_code JOIN evd ON evd.day = a.day
  WHERE a.day BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2, 3),
sc AS (
  SELECT evd.f, evd.t, cl.root, sum(c.m_total)::bigint AS m_total, sum(c.m_online)::bigint AS m_online,
         sum(c.m_mat_den)::bigint AS m_mat_den, sum(c.m_mat_num)::bigint AS m_mat_num,
         sum(c.m_disc_den)::bigint AS m_disc_den, sum(c.m_disc_num)::bigint AS m_disc_num,
         sum(c.m_dur_num)::bigint AS m_dur_num, sum(c.m_dur_missing)::bigint AS m_dur_missing, sum(c.m_wide)::bigint AS m_wide
  FROM kpi_day_meetings c JOIN closure cl ON cl.member = c.unit_code JOIN evd ON evd.day = c.day
  WHERE c.day BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2, 3),
sd AS (
  SELECT evd.f, evd.t, cl.root, sum(dx.d_recv)::bigint AS d_recv, sum(dx.d_full)::bigint AS d_full,
         sum(dx.d_level_missing)::bigint AS d_level_missing, sum(dx.d_online)::bigint AS d_online,
         sum(dx.d_channel_missing)::bigint AS d_channel_missing, sum(dx.d_input)::bigint AS d_input,
         sum(dx.d_reused)::bigint AS d_reused, sum(dx.d_ot_den)::bigint AS d_ot_den, sum(dx.d_ot_missing)::bigint AS d_ot_missing,
         (sum(dx.d_ot_den) FILTER (WHERE dx.late_on <= least(evd.t, $8)))::bigint AS d_late,
         sum(dx.d_fin)::bigint AS d_fin, sum(dx.d_fin_elec)::bigint AS d_fin_elec
  FROM kpi_day_dossiers dx JOIN closure cl ON cl.member = dx.unit_code JOIN evd ON evd.day = dx.day
  WHERE dx.day BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2, 3),
tot AS (
  SELECT r.id, r.f, r.t, r.ord, ro.root,
         coalesce(sa.issued, 0) AS issued, coalesce(sa.issued_unknown, 0) AS issued_unknown,
         coalesce(ba.issued, 0) AS b_issued, coalesce(ba.issued_unknown, 0) AS b_issued_unknown,
         coalesce(sa.ex_den, 0) AS ex_den, coalesce(sa.ex_num, 0) AS ex_num,
         coalesce(sa.exo_den, 0) AS exo_den, coalesce(sa.exo_num, 0) AS exo_num,
         coalesce(sa.ex_missing, 0) AS ex_missing, coalesce(sa.exo_missing, 0) AS exo_missing,
         coalesce(sc.m_total, 0) AS m_total, coalesce(bc.m_total, 0) AS b_m_total,
         coalesce(sc.m_online, 0) AS m_online, coalesce(sc.m_mat_den, 0) AS m_mat_den,
         coalesce(sc.m_mat_num, 0) AS m_mat_num, coalesce(sc.m_disc_den, 0) AS m_disc_den,
         coalesce(sc.m_disc_num, 0) AS m_disc_num, coalesce(sc.m_dur_num, 0) AS m_dur_num,
         coalesce(sc.m_dur_missing, 0) AS m_dur_missing, coalesce(sc.m_wide, 0) AS m_wide,
         coalesce(sd.d_recv, 0) AS d_recv, coalesce(sd.d_full, 0) AS d_full,
         coalesce(sd.d_level_missing, 0) AS d_level_missing, coalesce(sd.d_online, 0) AS d_online,
         coalesce(sd.d_channel_missing, 0) AS d_channel_missing, coalesce(sd.d_input, 0) AS d_input,
         coalesce(sd.d_reused, 0) AS d_reused, coalesce(sd.d_ot_den, 0) AS d_ot_den,
         coalesce(sd.d_ot_missing, 0) AS d_ot_missing, coalesce(sd.d_late, 0) AS d_late,
         coalesce(sd.d_fin, 0) AS d_fin, coalesce(sd.d_fin_elec, 0) AS d_fin_elec
  FROM req r CROSS JOIN roots ro
  LEFT JOIN sa ON sa.f = r.f AND sa.t = r.t AND sa.root = ro.root
  LEFT JOIN sa ba ON ba.f = kpi_year_back(r.f, false) AND ba.t = kpi_year_back(r.t, true) AND ba.root = ro.root
  LEFT JOIN sc ON sc.f = r.f AND sc.t = r.t AND sc.root = ro.root
  LEFT JOIN sc bc ON bc.f = kpi_year_back(r.f, false) AND bc.t = kpi_year_back(r.t, true) AND bc.root = ro.root
  LEFT JOIN sd ON sd.f = r.f AND sd.t = r.t AND sd.root = ro.root),
ind_rows AS (
  SELECT r.id, r.f, r.t, r.ord, r.root, x.ind, x.num, x.den, x.miss, x.kind,
         CASE WHEN x.kind = 'count' THEN x.num::numeric
              ELSE round(100.0 * x.num / nullif(x.den, 0), 2) END AS value
  FROM tot r CROSS JOIN LATERAL (VALUES
    ('doc_reduction', r.b_issued - r.issued, r.b_issued, r.issued_unknown + r.b_issued_unknown, 'reduction'),
    ('meeting_reduction', r.b_m_total - r.m_total, r.b_m_total, 0::bigint, 'reduction'),
    ('meeting_online_share', r.m_online, r.m_total, 0::bigint, 'share'),
    ('dossier_full_online_share', r.d_full, r.d_recv, r.d_level_missing, 'share'),
    ('result_digitized_share', r.d_fin_elec, r.d_fin, 0::bigint, 'share'),
    ('electronic_exchange_share', r.ex_num, r.ex_den, r.ex_missing, 'share'),
    ('meeting_materials_ahead_share', r.m_mat_num, r.m_mat_den, r.m_total - r.m_mat_den, 'share'),
    ('meeting_discussion_share', r.m_disc_num, r.m_disc_den, r.m_total - r.m_disc_den, 'share'),
    ('meeting_duration_share', r.m_dur_num, r.m_total, r.m_dur_missing, 'share'),
    ('commune_wide_conferences', r.m_wide, NULL::bigint, 0::bigint, 'count'),
    ('documents_issued', r.issued, NULL::bigint, r.issued_unknown, 'count'),
    ('meetings_held', r.m_total, NULL::bigint, 0::bigint, 'count'),
    ('dossier_online_share', r.d_online, r.d_recv, r.d_channel_missing, 'share'),
    ('dossier_on_time_share', r.d_ot_den - r.d_late, r.d_ot_den, r.d_ot_missing, 'share'),
    ('dossier_input_digitized_share', r.d_input, r.d_recv, 0::bigint, 'share'),
    ('dossier_reused_data_share', r.d_reused, r.d_recv, 0::bigint, 'share'),
    ('electronic_exchange_out_share', r.exo_num, r.exo_den, r.exo_missing, 'share'),
    ('electronic_exchange_in_share', r.ex_num - r.exo_num, r.ex_den - r.exo_den, r.ex_missing - r.exo_missing, 'share')
  ) AS x(ind, num, den, miss, kind))
SELECT rw.id, rw.f, rw.t, rw.root, rw.ind, rw.num, rw.den, rw.miss, rw.value,
       CASE WHEN rw.kind = 'count' THEN 'count' ELSE '%%' END,
       tg.op, tg.target,
       CASE WHEN rw.value IS NULL OR tg.target IS NULL THEN NULL
            WHEN tg.op = '>=' THEN rw.value >= tg.target
            WHEN tg.op = '<=' THEN rw.value <= tg.target
            ELSE rw.value = tg.target END
FROM ind_rows rw
JOIN kpi_indicators i ON i.id = rw.ind
LEFT JOIN LATERAL (
  SELECT kt.op, kt.target FROM kpi_targets kt
  WHERE kt.indicator = rw.ind AND kt.year <= extract(year FROM rw.t) AND kt.unit_code IN ('', rw.root)
  ORDER BY kt.year DESC, (kt.unit_code <> '') DESC LIMIT 1) AS tg ON true
ORDER BY rw.ord, rw.root, i.ord
$q$, v_uf, v_closure, v_req)
  USING p_ids, p_from, p_to, v_members, v_lo, v_hi, p_root, v_today;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_between: every indicator of every root unit for the span [p_from, p_to].
CREATE FUNCTION kpi_between(p_from date, p_to date)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_eval(ARRAY[p_from::text || '..' || p_to::text], ARRAY[p_from], ARRAY[p_to], NULL) $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- kpi_between for one unit (rolled up); reads only that unit tree's facts.
CREATE FUNCTION kpi_between(p_from date, p_to date, p_unit text)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_eval(ARRAY[p_from::text || '..' || p_to::text], ARRAY[p_from], ARRAY[p_to], p_unit) $$;
-- +goose StatementEnd

-- The standard periods of every year with data, every root unit: one
-- kpi_eval per period, so a filter on period (WHERE period = '2026')
-- reaches kpi_periods() and only that period is computed.
CREATE VIEW kpi AS
SELECT p.id AS period, p.f AS period_from, p.t AS period_to, k.unit_code, k.indicator, k.numerator,
       k.denominator, k.missing, k.value, k.unit, k.op, k.target, k.met
FROM kpi_periods() AS p
CROSS JOIN LATERAL kpi_eval(ARRAY[p.id], ARRAY[p.f], ARRAY[p.t], NULL) AS k;

-- +goose Down
-- Since 00100 the functions, views and triggers are the kpi files' and
-- 00100's Down has dropped them: IF EXISTS.
DROP VIEW IF EXISTS kpi;
DROP FUNCTION IF EXISTS kpi_between(date, date, text);
DROP FUNCTION IF EXISTS kpi_between(date, date);
DROP FUNCTION IF EXISTS kpi_eval(text[], date[], date[], text);
DROP FUNCTION IF EXISTS kpi_periods();
DROP FUNCTION IF EXISTS kpi_standard_spans(integer, integer);
DROP FUNCTION IF EXISTS kpi_unit_members(text);
DROP VIEW IF EXISTS kpi_unit_closure;
DROP VIEW IF EXISTS kpi_unit_edges;
DROP TRIGGER IF EXISTS kpi_documents_ins ON documents;
DROP TRIGGER IF EXISTS kpi_documents_upd ON documents;
DROP TRIGGER IF EXISTS kpi_documents_del ON documents;
DROP TRIGGER IF EXISTS kpi_documents_trunc ON documents;
DROP TRIGGER IF EXISTS kpi_meetings_ins ON meetings;
DROP TRIGGER IF EXISTS kpi_meetings_upd ON meetings;
DROP TRIGGER IF EXISTS kpi_meetings_del ON meetings;
DROP TRIGGER IF EXISTS kpi_meetings_trunc ON meetings;
DROP TRIGGER IF EXISTS kpi_meeting_caps_chg ON kpi_meeting_caps;
DROP TRIGGER IF EXISTS kpi_dossiers_ins ON dossiers;
DROP TRIGGER IF EXISTS kpi_dossiers_upd ON dossiers;
DROP TRIGGER IF EXISTS kpi_dossiers_del ON dossiers;
DROP TRIGGER IF EXISTS kpi_dossiers_trunc ON dossiers;
DROP TRIGGER IF EXISTS kpi_procedures_ins ON procedures;
DROP TRIGGER IF EXISTS kpi_procedures_upd ON procedures;
DROP TRIGGER IF EXISTS kpi_procedures_del ON procedures;
DROP TRIGGER IF EXISTS kpi_procedures_trunc ON procedures;
DROP TRIGGER IF EXISTS kpi_dossier_steps_ins ON dossier_steps;
DROP TRIGGER IF EXISTS kpi_dossier_steps_upd ON dossier_steps;
DROP TRIGGER IF EXISTS kpi_dossier_steps_del ON dossier_steps;
DROP TRIGGER IF EXISTS kpi_dossier_steps_trunc ON dossier_steps;
DROP FUNCTION IF EXISTS kpi_dossier_steps_trg();
DROP FUNCTION IF EXISTS kpi_procedures_trg();
DROP FUNCTION IF EXISTS kpi_dossiers_trg();
DROP FUNCTION IF EXISTS kpi_meeting_caps_trg();
DROP FUNCTION IF EXISTS kpi_meetings_trg();
DROP FUNCTION IF EXISTS kpi_documents_trg();
DROP FUNCTION IF EXISTS kpi_rebuild_day_summaries(boolean, boolean, boolean);
DROP FUNCTION IF EXISTS kpi_dossier_rows_sql(integer, text, text);
DROP FUNCTION IF EXISTS kpi_day_dossiers_sql();
DROP FUNCTION IF EXISTS kpi_day_meetings_sql();
DROP FUNCTION IF EXISTS kpi_day_documents_sql();
DROP INDEX IF EXISTS dossiers_ma_tthc;
DROP TABLE IF EXISTS kpi_day_dossiers, kpi_day_meetings, kpi_day_documents;
DROP VIEW IF EXISTS kpi_dossier_facts;
DROP VIEW IF EXISTS kpi_meeting_facts;
DROP VIEW IF EXISTS kpi_document_facts;
DROP FUNCTION IF EXISTS kpi_dossier_class(text, smallint, timestamptz, timestamptz, timestamptz, text, boolean, integer, text, text, boolean, integer, interval);
DROP FUNCTION IF EXISTS kpi_meeting_class(boolean, boolean, bigint, boolean, boolean, timestamptz, timestamptz, integer, integer, integer, integer, text);
DROP FUNCTION IF EXISTS kpi_document_class(text, text, boolean, text, text, text);
DROP FUNCTION IF EXISTS kpi_dossier_pause(text, text);
DROP FUNCTION IF EXISTS kpi_add_workdays(timestamptz, integer);
DROP FUNCTION IF EXISTS kpi_md_date(integer, text);
DROP FUNCTION IF EXISTS kpi_year_back(date, boolean);
DROP FUNCTION IF EXISTS kpi_vn_start(date);
DROP FUNCTION IF EXISTS kpi_vn_date(timestamptz);
DROP TABLE IF EXISTS kpi_meeting_caps, kpi_report_periods, kpi_targets, kpi_indicators;
