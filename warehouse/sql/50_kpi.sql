-- The indicators of indicators.md (contracts.md §3): the view kpi and the
-- functions kpi_eval and kpi_between. Indicators are formulas over the
-- facts computed at query time (architecture.md rule 11), by summing the
-- per-(unit, day) summaries (40_summaries.sql) over the days of a span
-- and its baseline and over the unit tree (20_units.sql).

-- kpi_standard_spans lists the standard periods of years y1..y2: the year,
-- halves, quarters, months and the named report periods.
CREATE OR REPLACE FUNCTION kpi_standard_spans(y1 integer, y2 integer)
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

-- kpi_periods lists the standard periods of every year with data, and the
-- next year's periods that reach back into the data (nd09 periods start on
-- 15 December of the year before).
CREATE OR REPLACE FUNCTION kpi_periods() RETURNS TABLE (id text, f date, t date, ord bigint)
LANGUAGE sql STABLE AS $$
  WITH bounds AS (
    SELECT min(day) AS lo, max(day) AS hi FROM (
      SELECT day FROM kpi_day_documents WHERE n <> 0
      UNION ALL SELECT day FROM kpi_day_meetings WHERE m_total <> 0
      UNION ALL SELECT day FROM kpi_day_dossiers WHERE n <> 0) AS x)
  SELECT s.id, s.f, s.t, s.ord FROM bounds b,
    kpi_standard_spans(extract(year FROM b.lo)::int, extract(year FROM b.hi)::int + 1) AS s
  WHERE b.lo IS NOT NULL AND (extract(year FROM s.t) <= extract(year FROM b.hi) OR s.f <= b.hi) $$;

-- kpi_eval computes every indicator for the spans (p_ids, p_from, p_to),
-- or for kpi_periods() when p_ids is null, for each unit of p_roots
-- (rolled up), or for every root of the tree when p_roots is null. It sums
-- the per-day summaries over the days of each span and its baseline, per
-- member unit first, then over the unit tree, so it reads a few rows per
-- unit and day, never the facts, and a row of a unit under many roots (a
-- commune's unit under the commune and the province) is summed once. One
-- statement serves many roots at once (the league table: the province and
-- every commune).
CREATE OR REPLACE FUNCTION kpi_eval(p_ids text[], p_from date[], p_to date[], p_roots text[])
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
-- JIT off: the planner's estimates for the span expansion are far too
-- high, and compiling the query costs seconds where running it costs ms.
LANGUAGE plpgsql STABLE SET jit = off SET work_mem = '64MB' AS $fn$
DECLARE
  v_members text[];
  v_cl_root text[];
  v_cl_member text[];
  v_lo date := '-infinity';
  v_hi date := 'infinity';
  v_uf text := '';
  v_closure text := 'SELECT root, member FROM kpi_unit_closure';
  v_req text;
  v_today date := kpi_vn_date(now());
BEGIN
  IF p_roots IS NOT NULL THEN
    SELECT array_agg(r), array_agg(m) INTO v_cl_root, v_cl_member
      FROM (SELECT DISTINCT r FROM unnest(p_roots) AS r) AS rs, LATERAL kpi_unit_members(rs.r) AS m;
    SELECT array_agg(DISTINCT m) INTO v_members FROM unnest(v_cl_member) AS m;
    v_uf := ' AND unit_code = ANY($4)';
    v_closure := 'SELECT c.root, c.member FROM unnest($7::text[], $9::text[]) AS c(root, member)';
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
ua AS (  -- per member unit first, then over the tree (sa)
  SELECT evd.f, evd.t, a.unit_code AS member, sum(a.issued) AS issued, sum(a.issued_unknown) AS issued_unknown,
         sum(a.ex_den) AS ex_den, sum(a.ex_num) AS ex_num, sum(a.exo_den) AS exo_den, sum(a.exo_num) AS exo_num,
         sum(a.ex_missing) AS ex_missing, sum(a.exo_missing) AS exo_missing
  FROM kpi_day_documents a JOIN evd ON evd.day = a.day
  WHERE a.day BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2, 3),
sa AS (
  SELECT a.f, a.t, cl.root, sum(a.issued)::bigint AS issued, sum(a.issued_unknown)::bigint AS issued_unknown,
         sum(a.ex_den)::bigint AS ex_den, sum(a.ex_num)::bigint AS ex_num,
         sum(a.exo_den)::bigint AS exo_den, sum(a.exo_num)::bigint AS exo_num,
         sum(a.ex_missing)::bigint AS ex_missing, sum(a.exo_missing)::bigint AS exo_missing
  FROM ua a JOIN closure cl ON cl.member = a.member
  GROUP BY 1, 2, 3),
uc AS (
  SELECT evd.f, evd.t, c.unit_code AS member, sum(c.m_total) AS m_total, sum(c.m_online) AS m_online,
         sum(c.m_mat_den) AS m_mat_den, sum(c.m_mat_num) AS m_mat_num, sum(c.m_disc_den) AS m_disc_den,
         sum(c.m_disc_num) AS m_disc_num, sum(c.m_dur_num) AS m_dur_num, sum(c.m_dur_missing) AS m_dur_missing,
         sum(c.m_wide) AS m_wide
  FROM kpi_day_meetings c JOIN evd ON evd.day = c.day
  WHERE c.day BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2, 3),
sc AS (
  SELECT c.f, c.t, cl.root, sum(c.m_total)::bigint AS m_total, sum(c.m_online)::bigint AS m_online,
         sum(c.m_mat_den)::bigint AS m_mat_den, sum(c.m_mat_num)::bigint AS m_mat_num,
         sum(c.m_disc_den)::bigint AS m_disc_den, sum(c.m_disc_num)::bigint AS m_disc_num,
         sum(c.m_dur_num)::bigint AS m_dur_num, sum(c.m_dur_missing)::bigint AS m_dur_missing, sum(c.m_wide)::bigint AS m_wide
  FROM uc c JOIN closure cl ON cl.member = c.member
  GROUP BY 1, 2, 3),
ud AS (
  SELECT evd.f, evd.t, dx.unit_code AS member, sum(dx.d_recv) AS d_recv, sum(dx.d_full) AS d_full,
         sum(dx.d_level_missing) AS d_level_missing, sum(dx.d_online) AS d_online,
         sum(dx.d_channel_missing) AS d_channel_missing, sum(dx.d_input) AS d_input,
         sum(dx.d_reused) AS d_reused, sum(dx.d_ot_den) AS d_ot_den, sum(dx.d_ot_missing) AS d_ot_missing,
         sum(dx.d_ot_den) FILTER (WHERE kpi_dossier_late(dx.late_on, evd.t, $8)) AS d_late,
         sum(dx.d_fin) AS d_fin, sum(dx.d_fin_elec) AS d_fin_elec
  FROM kpi_day_dossiers dx JOIN evd ON evd.day = dx.day
  WHERE dx.day BETWEEN $5 AND $6 %1$s
  GROUP BY 1, 2, 3),
sd AS (
  SELECT dx.f, dx.t, cl.root, sum(dx.d_recv)::bigint AS d_recv, sum(dx.d_full)::bigint AS d_full,
         sum(dx.d_level_missing)::bigint AS d_level_missing, sum(dx.d_online)::bigint AS d_online,
         sum(dx.d_channel_missing)::bigint AS d_channel_missing, sum(dx.d_input)::bigint AS d_input,
         sum(dx.d_reused)::bigint AS d_reused, sum(dx.d_ot_den)::bigint AS d_ot_den, sum(dx.d_ot_missing)::bigint AS d_ot_missing,
         sum(dx.d_late)::bigint AS d_late, sum(dx.d_fin)::bigint AS d_fin, sum(dx.d_fin_elec)::bigint AS d_fin_elec
  FROM ud dx JOIN closure cl ON cl.member = dx.member
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
  USING p_ids, p_from, p_to, v_members, v_lo, v_hi, v_cl_root, v_today, v_cl_member;
END
$fn$;

-- kpi_eval for one unit p_root (rolled up), or every root when null.
CREATE OR REPLACE FUNCTION kpi_eval(p_ids text[], p_from date[], p_to date[], p_root text)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_eval(p_ids, p_from, p_to, CASE WHEN p_root IS NULL THEN NULL ELSE ARRAY[p_root] END) $$;

-- kpi_between: every indicator of every root unit for the span [p_from, p_to].
CREATE OR REPLACE FUNCTION kpi_between(p_from date, p_to date)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_eval(ARRAY[p_from::text || '..' || p_to::text], ARRAY[p_from], ARRAY[p_to], NULL::text[]) $$;

-- kpi_between for one unit (rolled up); reads only that unit tree's facts.
CREATE OR REPLACE FUNCTION kpi_between(p_from date, p_to date, p_unit text)
RETURNS TABLE (period text, period_from date, period_to date, unit_code text, indicator text,
               numerator bigint, denominator bigint, missing bigint, value numeric,
               unit text, op text, target numeric, met boolean)
LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_eval(ARRAY[p_from::text || '..' || p_to::text], ARRAY[p_from], ARRAY[p_to], p_unit) $$;

-- The standard periods of every year with data, every root unit: one
-- kpi_eval per period, so a filter on period (WHERE period = '2026')
-- reaches kpi_periods() and only that period is computed.
CREATE OR REPLACE VIEW kpi AS
SELECT p.id AS period, p.f AS period_from, p.t AS period_to, k.unit_code, k.indicator, k.numerator,
       k.denominator, k.missing, k.value, k.unit, k.op, k.target, k.met
FROM kpi_periods() AS p
CROSS JOIN LATERAL kpi_eval(ARRAY[p.id], ARRAY[p.f], ARRAY[p.t], NULL::text[]) AS k;

