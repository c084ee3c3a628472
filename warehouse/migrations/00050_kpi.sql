-- +goose Up
-- The indicators of indicators.md as SQL (contracts.md §3): the view kpi
-- and the function kpi_between. Indicators are formulas over the fact
-- tables computed at query time (architecture.md rule 11): nothing here is
-- a stored copy of a number, so the results are always exact. Roll-up sums
-- numerators and denominators over the unit tree (a unit, its internal
-- descendants, and the predecessors merged into any of them).

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
INSERT INTO kpi_report_periods (id, label, from_md, to_md, from_prev_year, ord) VALUES
 ('bc6t', 'Báo cáo 6 tháng', '01-01', '05-31', false, 1),
 ('bcnam', 'Báo cáo năm', '01-01', '11-30', false, 2),
 ('nd09-6t', 'Báo cáo 6 tháng (chốt số liệu theo Nghị định 09/2019/NĐ-CP)', '12-15', '06-14', true, 3),
 ('nd09-nam', 'Báo cáo năm (chốt số liệu theo Nghị định 09/2019/NĐ-CP)', '12-15', '12-14', true, 4);

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
-- from each step reaching status 5 to the next step. A request still open
-- has no next step and adds nothing.
CREATE FUNCTION kpi_dossier_pause(p_unit text, p_ma text) RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(sum(s.nx - s.at), interval '0')
  FROM (SELECT st.at, st.status, lead(st.at) OVER (ORDER BY st.at) AS nx
        FROM dossier_steps st WHERE st.unit_code = p_unit AND st.ma_ho_so = p_ma) s
  WHERE s.status = 5 AND s.nx IS NOT NULL $$;
-- +goose StatementEnd

-- Per-record classification: kpi and chiso explain both read these views,
-- so the records explain lists are exactly the ones the numbers count.
CREATE VIEW kpi_document_facts AS
SELECT d.unit_code, d.direction, d.doc_key, d.document_id, d.code_number, d.code_notation,
       d.doc_type, d.family, (d.is_secret OR d.series = 'secret') AS secret, d.medium,
       d.issued_on, d.event_on, d.counterpart_relation, d.subject, d.revoked,
       (d.direction = 'out' AND d.family = 'hanh_chinh') AS counts_issued,
       (d.direction = 'out' AND d.family = 'unknown') AS issued_unknown,
       (coalesce(d.counterpart_relation = 'higher', false) AND NOT (d.is_secret OR d.series = 'secret')) AS ex_scope,
       (d.medium = 'electronic') AS electronic,
       (d.counterpart_relation IS NULL AND NOT (d.is_secret OR d.series = 'secret')) AS ex_unknown
FROM documents d;

CREATE VIEW kpi_meeting_facts AS
SELECT m.unit_code, m.source, m.uid, m.title, m.kind, m.scope, m.organized_by_self, m.starts_at,
       m.ends_at, m.sessions, m.online, m.paperless, m.materials_sent_at, m.discussion_minutes,
       m.total_minutes, m.cancelled,
       kpi_vn_date(m.starts_at) AS starts_on,
       (m.organized_by_self AND NOT m.cancelled) AS counted,
       (m.online OR m.paperless) AS online_or_paperless,
       (m.materials_sent_at IS NOT NULL) AS materials_known,
       coalesce(m.materials_sent_at <= m.starts_at - interval '24 hours', false) AS materials_ahead,
       (m.discussion_minutes IS NOT NULL AND m.total_minutes > 0) AS discussion_known,
       coalesce(m.total_minutes > 0 AND m.discussion_minutes * 10 >= m.total_minutes * 7, false) AS discussion_ok,
       c.cap_sessions,
       coalesce(m.sessions <= c.cap_sessions, false) AS duration_ok,
       coalesce(m.scope = 'toan-xa', false) AS commune_wide
FROM meetings m LEFT JOIN kpi_meeting_caps c ON c.kind = m.kind;

-- late_on: the first Vietnam date on whose end the dossier counts as late
-- (Quyết định 766): judged at the end of a period P, a dossier received in
-- P is late when late_on <= the end of P. 'infinity' = finished on time,
-- '-infinity' = two or more supplement requests, null = no deadline known.
CREATE VIEW kpi_dossier_facts AS
SELECT d.unit_code, d.ma_ho_so, d.ma_tthc, d.channel, d.status, d.received_at, d.due_at,
       d.finished_at, d.returned_at, d.result_method, d.input_digitized, d.result_electronic,
       d.reused_data, d.supplements,
       coalesce(d.procedure_level, p.level) AS level,
       kpi_vn_date(d.received_at) AS received_on,
       kpi_vn_date(d.finished_at) AS finished_on,
       (coalesce(d.procedure_level, p.level) IS NULL) AS level_unknown,
       coalesce(d.channel = 'online' AND coalesce(d.procedure_level, p.level) = 'toan_trinh'
                AND (d.finished_at IS NULL OR d.result_electronic OR d.result_method = 'postal'), false) AS full_online,
       (coalesce(d.status IN (9, 10), false) AND coalesce(p.requires_result, true)) AS result_scope,
       coalesce(d.status NOT IN (3, 7), true) AS on_time_scope,
       dl.deadline,
       CASE WHEN d.supplements >= 2 THEN '-infinity'::date
            WHEN dl.deadline IS NULL THEN NULL
            WHEN d.finished_at IS NOT NULL AND d.finished_at <= dl.deadline THEN 'infinity'::date
            ELSE kpi_vn_date(dl.deadline) END AS late_on
FROM dossiers d
LEFT JOIN procedures p ON p.ma_tthc = d.ma_tthc
CROSS JOIN LATERAL (SELECT CASE
    WHEN d.due_at IS NOT NULL THEN d.due_at
    WHEN p.max_days IS NULL OR d.received_at IS NULL THEN NULL
    ELSE kpi_add_workdays(d.received_at, p.max_days) + kpi_dossier_pause(d.unit_code, d.ma_ho_so)
  END AS deadline) dl;

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
-- kpi_eval computes every indicator for the spans (p_ids, p_from, p_to),
-- or for the standard spans of every year with data when p_ids is null,
-- for the unit p_root (rolled up), or for every root of the tree when
-- p_root is null. With a root, only that tree's facts are read (indexes on
-- unit_code and the date columns), so one commune answers in milliseconds.
CREATE FUNCTION kpi_eval(p_ids text[], p_from date[], p_to date[], p_root text)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
-- JIT off: the planner's estimates for the span expansion are far too
-- high, and compiling the query costs seconds where running it costs ms.
LANGUAGE plpgsql STABLE SET jit = off AS $fn$
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
    SELECT min(kpi_year_back(f, false)), max(t) INTO v_lo, v_hi FROM unnest(p_from, p_to) AS s(f, t);
    v_req := 'SELECT s.id, s.f, s.t, s.ord FROM unnest($1::text[], $2::date[], $3::date[]) WITH ORDINALITY AS s(id, f, t, ord)';
  ELSE
    -- Every year with data, and the next year's periods that reach back
    -- into the data (nd09 periods start on 15 December of the year before).
    v_req := 'SELECT s.id, s.f, s.t, s.ord FROM bounds b,
                kpi_standard_spans(extract(year FROM b.lo)::int, extract(year FROM b.hi)::int + 1) AS s
              WHERE b.lo IS NOT NULL AND (extract(year FROM s.t) <= extract(year FROM b.hi) OR s.f <= b.hi)';
  END IF;

  RETURN QUERY EXECUTE format($q$
WITH
closure AS (%2$s),
a AS (  -- outgoing documents by issue date
  SELECT unit_code, issued_on AS day,
         count(*) FILTER (WHERE counts_issued) AS issued,
         count(*) FILTER (WHERE issued_unknown) AS issued_unknown
  FROM kpi_document_facts
  WHERE direction = 'out' AND issued_on BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2),
b AS (  -- documents exchanged with higher agencies by event date
  SELECT unit_code, event_on AS day,
         count(*) FILTER (WHERE ex_scope) AS ex_den,
         count(*) FILTER (WHERE ex_scope AND electronic) AS ex_num,
         count(*) FILTER (WHERE ex_scope AND direction = 'out') AS exo_den,
         count(*) FILTER (WHERE ex_scope AND electronic AND direction = 'out') AS exo_num,
         count(*) FILTER (WHERE ex_unknown) AS ex_missing,
         count(*) FILTER (WHERE ex_unknown AND direction = 'out') AS exo_missing
  FROM kpi_document_facts
  WHERE event_on BETWEEN $5 AND $6 AND (ex_scope OR ex_unknown) %1$s
  GROUP BY 1, 2),
c AS (  -- meetings organised (not cancelled) by start date
  SELECT unit_code, starts_on AS day,
         count(*) AS m_total,
         count(*) FILTER (WHERE online_or_paperless) AS m_online,
         count(*) FILTER (WHERE materials_known) AS m_mat_den,
         count(*) FILTER (WHERE materials_ahead) AS m_mat_num,
         count(*) FILTER (WHERE discussion_known) AS m_disc_den,
         count(*) FILTER (WHERE discussion_ok) AS m_disc_num,
         count(*) FILTER (WHERE duration_ok) AS m_dur_num,
         count(*) FILTER (WHERE cap_sessions IS NULL) AS m_dur_missing,
         count(*) FILTER (WHERE commune_wide) AS m_wide
  FROM kpi_meeting_facts
  WHERE counted AND starts_at >= kpi_vn_start($5) AND starts_at < kpi_vn_start($6 + 1) %1$s
  GROUP BY 1, 2),
dx AS (  -- dossiers by reception date (and, for late ones, the date they became late)
  SELECT unit_code, received_on AS day,
         CASE WHEN on_time_scope AND late_on <> 'infinity' THEN late_on END AS late_on,
         count(*) AS d_recv,
         count(*) FILTER (WHERE full_online) AS d_full,
         count(*) FILTER (WHERE level_unknown) AS d_level_missing,
         count(*) FILTER (WHERE channel = 'online') AS d_online,
         count(*) FILTER (WHERE channel IS NULL) AS d_channel_missing,
         count(*) FILTER (WHERE input_digitized) AS d_input,
         count(*) FILTER (WHERE reused_data) AS d_reused,
         count(*) FILTER (WHERE on_time_scope AND late_on IS NOT NULL) AS d_ot_den,
         count(*) FILTER (WHERE on_time_scope AND late_on IS NULL) AS d_ot_missing
  FROM kpi_dossier_facts
  WHERE received_at >= kpi_vn_start($5) AND received_at < kpi_vn_start($6 + 1) %1$s
  GROUP BY 1, 2, 3),
e AS (  -- dossiers settled (status 9 or 10) by finishing date
  SELECT unit_code, finished_on AS day,
         count(*) AS d_fin,
         count(*) FILTER (WHERE result_electronic) AS d_fin_elec
  FROM kpi_dossier_facts
  WHERE result_scope AND finished_at >= kpi_vn_start($5) AND finished_at < kpi_vn_start($6 + 1) %1$s
  GROUP BY 1, 2),
bounds AS (
  SELECT min(day) AS lo, max(day) AS hi FROM (
    SELECT day FROM a UNION ALL SELECT day FROM b UNION ALL SELECT day FROM c
    UNION ALL SELECT day FROM dx UNION ALL SELECT day FROM e) AS x),
req AS (%3$s),
ev AS (  -- the spans to sum over: the requested ones and their baselines
  SELECT f, t FROM req
  UNION
  SELECT kpi_year_back(f, false), kpi_year_back(t, true) FROM req),
evd AS (
  SELECT ev.f, ev.t, g::date AS day FROM ev, generate_series(ev.f::timestamp, ev.t::timestamp, interval '1 day') AS g),
roots AS (SELECT DISTINCT root FROM closure),
sa AS (
  SELECT evd.f, evd.t, cl.root, sum(a.issued)::bigint AS issued, sum(a.issued_unknown)::bigint AS issued_unknown
  FROM a JOIN closure cl ON cl.member = a.unit_code JOIN evd ON evd.day = a.day
  GROUP BY 1, 2, 3),
sb AS (
  SELECT evd.f, evd.t, cl.root, sum(b.ex_den)::bigint AS ex_den, sum(b.ex_num)::bigint AS ex_num,
         sum(b.exo_den)::bigint AS exo_den, sum(b.exo_num)::bigint AS exo_num,
         sum(b.ex_missing)::bigint AS ex_missing, sum(b.exo_missing)::bigint AS exo_missing
  FROM b JOIN closure cl ON cl.member = b.unit_code JOIN evd ON evd.day = b.day
  GROUP BY 1, 2, 3),
sc AS (
  SELECT evd.f, evd.t, cl.root, sum(c.m_total)::bigint AS m_total, sum(c.m_online)::bigint AS m_online,
         sum(c.m_mat_den)::bigint AS m_mat_den, sum(c.m_mat_num)::bigint AS m_mat_num,
         sum(c.m_disc_den)::bigint AS m_disc_den, sum(c.m_disc_num)::bigint AS m_disc_num,
         sum(c.m_dur_num)::bigint AS m_dur_num, sum(c.m_dur_missing)::bigint AS m_dur_missing, sum(c.m_wide)::bigint AS m_wide
  FROM c JOIN closure cl ON cl.member = c.unit_code JOIN evd ON evd.day = c.day
  GROUP BY 1, 2, 3),
sd AS (
  SELECT evd.f, evd.t, cl.root, sum(dx.d_recv)::bigint AS d_recv, sum(dx.d_full)::bigint AS d_full,
         sum(dx.d_level_missing)::bigint AS d_level_missing, sum(dx.d_online)::bigint AS d_online,
         sum(dx.d_channel_missing)::bigint AS d_channel_missing, sum(dx.d_input)::bigint AS d_input,
         sum(dx.d_reused)::bigint AS d_reused, sum(dx.d_ot_den)::bigint AS d_ot_den, sum(dx.d_ot_missing)::bigint AS d_ot_missing,
         (sum(dx.d_ot_den) FILTER (WHERE dx.late_on <= least(evd.t, $8)))::bigint AS d_late
  FROM dx JOIN closure cl ON cl.member = dx.unit_code JOIN evd ON evd.day = dx.day
  GROUP BY 1, 2, 3),
se AS (
  SELECT evd.f, evd.t, cl.root, sum(e.d_fin)::bigint AS d_fin, sum(e.d_fin_elec)::bigint AS d_fin_elec
  FROM e JOIN closure cl ON cl.member = e.unit_code JOIN evd ON evd.day = e.day
  GROUP BY 1, 2, 3),
tot AS (
  SELECT r.id, r.f, r.t, r.ord, ro.root,
         coalesce(sa.issued, 0) AS issued, coalesce(sa.issued_unknown, 0) AS issued_unknown,
         coalesce(ba.issued, 0) AS b_issued, coalesce(ba.issued_unknown, 0) AS b_issued_unknown,
         coalesce(sb.ex_den, 0) AS ex_den, coalesce(sb.ex_num, 0) AS ex_num,
         coalesce(sb.exo_den, 0) AS exo_den, coalesce(sb.exo_num, 0) AS exo_num,
         coalesce(sb.ex_missing, 0) AS ex_missing, coalesce(sb.exo_missing, 0) AS exo_missing,
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
         coalesce(se.d_fin, 0) AS d_fin, coalesce(se.d_fin_elec, 0) AS d_fin_elec
  FROM req r CROSS JOIN roots ro
  LEFT JOIN sa ON sa.f = r.f AND sa.t = r.t AND sa.root = ro.root
  LEFT JOIN sa ba ON ba.f = kpi_year_back(r.f, false) AND ba.t = kpi_year_back(r.t, true) AND ba.root = ro.root
  LEFT JOIN sb ON sb.f = r.f AND sb.t = r.t AND sb.root = ro.root
  LEFT JOIN sc ON sc.f = r.f AND sc.t = r.t AND sc.root = ro.root
  LEFT JOIN sc bc ON bc.f = kpi_year_back(r.f, false) AND bc.t = kpi_year_back(r.t, true) AND bc.root = ro.root
  LEFT JOIN sd ON sd.f = r.f AND sd.t = r.t AND sd.root = ro.root
  LEFT JOIN se ON se.f = r.f AND se.t = r.t AND se.root = ro.root),
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

-- The standard periods of every year with data, every root unit.
CREATE VIEW kpi AS SELECT * FROM kpi_eval(NULL, NULL, NULL, NULL);

-- +goose Down
DROP VIEW kpi;
DROP FUNCTION kpi_between(date, date, text);
DROP FUNCTION kpi_between(date, date);
DROP FUNCTION kpi_eval(text[], date[], date[], text);
DROP FUNCTION kpi_standard_spans(integer, integer);
DROP FUNCTION kpi_unit_members(text);
DROP VIEW kpi_unit_closure;
DROP VIEW kpi_unit_edges;
DROP VIEW kpi_dossier_facts;
DROP VIEW kpi_meeting_facts;
DROP VIEW kpi_document_facts;
DROP FUNCTION kpi_dossier_pause(text, text);
DROP FUNCTION kpi_add_workdays(timestamptz, integer);
DROP FUNCTION kpi_md_date(integer, text);
DROP FUNCTION kpi_year_back(date, boolean);
DROP FUNCTION kpi_vn_start(date);
DROP FUNCTION kpi_vn_date(timestamptz);
DROP TABLE kpi_meeting_caps, kpi_report_periods, kpi_targets, kpi_indicators;
