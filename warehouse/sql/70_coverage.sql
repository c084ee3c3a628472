-- Completeness of the facts (issue 16, docs/warehouse.md §Coverage): for
-- every kind of fact, unit, source and month, the records seen, what
-- history expected, whether a successful run of the source's connector
-- covered the month's end, and the verdict. Read by chiso report (the
-- data_complete and gaps of every indicator row), chiso status and chiso
-- coverage; the view coverage is readable by chiso_reader.
--
-- These objects are not named kpi_ (the issue asks for a view named
-- coverage), so chiso_drop_kpi_objects does not drop them: this file drops
-- them itself before it defines them. The view coverage depends on nothing
-- but coverage_at; the function bodies are strings, so the kpi objects
-- they call (kpi_year_back, kpi_unit_members) are looked up when they run.

DROP VIEW IF EXISTS coverage;
DROP FUNCTION IF EXISTS coverage_at(timestamptz);
DROP FUNCTION IF EXISTS coverage_gaps(text, date, date, timestamptz);
DROP FUNCTION IF EXISTS coverage_poisson_below(bigint, double precision);
DROP FUNCTION IF EXISTS coverage_indicator_facts();

-- coverage_indicator_facts says which kinds of fact each indicator counts,
-- and whether its assessment compares with the baseline (cùng kỳ): a gap
-- in one of those kinds, in a month of the period (or of the baseline,
-- for a reduction), makes the indicator incomplete.
CREATE FUNCTION coverage_indicator_facts()
RETURNS TABLE (indicator text, fact text, with_baseline boolean)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT i.id, f.fact, i.id IN ('doc_reduction', 'meeting_reduction')
  FROM kpi_indicators i
  CROSS JOIN LATERAL (VALUES ('documents_out'), ('documents_in'), ('dossiers'), ('meetings')) f(fact)
  WHERE CASE i.source
          WHEN 'meetings' THEN f.fact = 'meetings'
          WHEN 'dossiers' THEN f.fact = 'dossiers'
          WHEN 'documents' THEN CASE
            WHEN i.id IN ('doc_reduction', 'documents_issued', 'electronic_exchange_out_share') THEN f.fact = 'documents_out'
            WHEN i.id = 'electronic_exchange_in_share' THEN f.fact = 'documents_in'
            ELSE f.fact IN ('documents_out', 'documents_in') END
          ELSE false END $$;

-- coverage_poisson_below is P(X <= k) for X ~ Poisson(lambda): how likely
-- a month this low is by chance alone when lambda records were expected.
-- Summed in log space (ln k! as a running sum), so large counts neither
-- overflow nor underflow.
CREATE FUNCTION coverage_poisson_below(k bigint, lambda double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN lambda <= 0 THEN 1.0 ELSE least(1.0, (
    SELECT sum(CASE WHEN l < -700 THEN 0 ELSE exp(l) END)
    FROM (SELECT -lambda + i * ln(lambda) - sum(ln(greatest(i, 1))) OVER (ORDER BY i) AS l
          FROM generate_series(0, k) i) t)) END $$;

-- coverage_at is the coverage as of the instant at (the view coverage is
-- coverage_at(now())). One row per kind of fact (documents_out by issue
-- date, documents_in by reception date, dossiers by reception, meetings
-- by start; Vietnam calendar months), unit, source and month, from the
-- source's first month with a record (at most five years back) to the
-- month of at. The unit is the one the facts' units roll up into first
-- (an internal unit's parent, a merged unit's successor, up to a unit that
-- is neither: the commune): a feed stops for the whole commune, and a
-- small internal unit's month is too small a number to judge alone.
-- Columns:
--   seen       records of that kind, unit and month the source delivered
--   last_year  seen in the same month a year earlier (NULL when none)
--   median     median of the months with records among the 12 before
--              (NULL with fewer than 3 such months)
--   expected   the lower of last_year and median (NULL: no history)
--   run_covered a successful run (ok, or partial: read with rejects) of
--              the connector finished after the month's end and, if it
--              was a backfill, its window held the month's last day; NULL
--              when the connector never ran (facts loaded otherwise)
--   status     open (the month of at: not judged yet), gap, confirmed (a
--              gap an admin confirmed as real), ok
--   reason     low (seen under threshold × expected, and that unlikely by
--              chance: Poisson probability under significance), no_run,
--              or both
-- The connector of a source is its name after the last ':' (sources are
-- written TYPE:NAME or NAME).
CREATE FUNCTION coverage_at(at timestamptz)
RETURNS TABLE (fact text, unit_code text, source text, connector text, month date, seen bigint,
               last_year bigint, median double precision, expected double precision,
               run_covered boolean, last_success timestamptz, status text, reason text,
               confirmed_by text, confirmed_at timestamptz, note text)
LANGUAGE sql STABLE AS $$
WITH RECURSIVE up(code, cur, depth) AS (
  -- each unit of the directory up to the unit it first rolls up into: the
  -- unit it was merged into, the parent of an internal unit
  SELECT u.code, u.code, 0 FROM org_units u
  UNION ALL
  SELECT up.code, coalesce(p.merged_into, CASE WHEN p.relation = 'internal' THEN p.parent_code END), up.depth + 1
  FROM up JOIN org_units p ON p.code = up.cur
  WHERE coalesce(p.merged_into, CASE WHEN p.relation = 'internal' THEN p.parent_code END) IS NOT NULL AND up.depth < 20
),
roots AS (SELECT DISTINCT ON (code) code, cur AS root FROM up ORDER BY code, depth DESC),
settings AS (
  SELECT coalesce((SELECT threshold FROM coverage_settings LIMIT 1), 0.5) AS threshold,
         coalesce((SELECT significance FROM coverage_settings LIMIT 1), 0.001) AS significance,
         date_trunc('month', at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS cur
),
raw AS (
  SELECT 'documents_out'::text AS fact, s.unit_code, s.source, date_trunc('month', d.issued_on)::date AS month, count(DISTINCT d.doc_key) AS n
  FROM document_sightings s
  JOIN documents d ON d.unit_code = s.unit_code AND d.direction = s.direction AND d.doc_key = s.doc_key
  WHERE s.direction = 'out' AND d.issued_on IS NOT NULL
  GROUP BY 1, 2, 3, 4
  UNION ALL
  SELECT 'documents_in', s.unit_code, s.source, date_trunc('month', d.event_on)::date, count(DISTINCT d.doc_key)
  FROM document_sightings s
  JOIN documents d ON d.unit_code = s.unit_code AND d.direction = s.direction AND d.doc_key = s.doc_key
  WHERE s.direction = 'in' AND d.event_on IS NOT NULL
  GROUP BY 1, 2, 3, 4
  UNION ALL
  SELECT 'dossiers', s.unit_code, s.source, date_trunc('month', d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, count(DISTINCT d.ma_ho_so)
  FROM dossier_sightings s
  JOIN dossiers d ON d.unit_code = s.unit_code AND d.ma_ho_so = s.ma_ho_so
  WHERE d.received_at IS NOT NULL
  GROUP BY 1, 2, 3, 4
  UNION ALL
  SELECT 'meetings', m.unit_code, m.source, date_trunc('month', m.starts_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, count(*)
  FROM meetings m
  WHERE m.deleted_run IS NULL
  GROUP BY 1, 2, 3, 4
),
f AS (
  SELECT r.fact, coalesce(o.root, r.unit_code) AS unit_code, r.source, r.month, sum(r.n)::bigint AS n
  FROM raw r LEFT JOIN roots o ON o.code = r.unit_code
  GROUP BY 1, 2, 3, 4
),
series AS (
  SELECT f.fact, f.unit_code, f.source, greatest(min(f.month), (st.cur - interval '5 years')::date) AS first
  FROM f CROSS JOIN settings st
  WHERE f.month <= st.cur
  GROUP BY 1, 2, 3, st.cur
),
grid AS (
  SELECT s.fact, s.unit_code, s.source, regexp_replace(s.source, '^.*:', '') AS connector, g::date AS month, coalesce(f.n, 0) AS seen
  FROM series s CROSS JOIN settings st
  CROSS JOIN LATERAL generate_series(s.first, st.cur, interval '1 month') g
  LEFT JOIN f ON f.fact = s.fact AND f.unit_code = s.unit_code AND f.source = s.source AND f.month = g::date
),
w AS (
  SELECT g.*, lag(g.seen, 12) OVER s AS ly,
         array_agg(g.seen) OVER (s ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING) AS prev
  FROM grid g
  WINDOW s AS (PARTITION BY g.fact, g.unit_code, g.source ORDER BY g.month)
),
e AS (
  SELECT w.fact, w.unit_code, w.source, w.connector, w.month, w.seen, nullif(w.ly, 0) AS last_year,
         (SELECT CASE WHEN count(*) >= 3 THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY x) END
          FROM unnest(w.prev) x WHERE x > 0) AS median
  FROM w
),
runs AS (
  SELECT r.connector,
         max(r.finished_at) FILTER (WHERE r.status IN ('ok', 'partial') AND r.window_from IS NULL AND r.window_to IS NULL) AS full_success,
         max(r.finished_at) FILTER (WHERE r.status IN ('ok', 'partial')) AS last_success
  FROM sync_runs r
  WHERE r.connector IN (SELECT DISTINCT connector FROM grid)
  GROUP BY r.connector
),
j AS (
  SELECT e.*, least(e.last_year::double precision, e.median) AS expected, r.last_success,
         CASE WHEN r.connector IS NULL THEN NULL
              ELSE coalesce(r.full_success >= ((e.month + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'), false)
                   OR EXISTS (SELECT 1 FROM sync_runs b
                              WHERE b.connector = e.connector AND b.status IN ('ok', 'partial')
                                AND (b.window_from IS NOT NULL OR b.window_to IS NOT NULL)
                                AND b.finished_at >= ((e.month + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                                AND coalesce(b.window_from, '-infinity') <= (e.month + interval '1 month' - interval '1 day')::date
                                AND coalesce(b.window_to, 'infinity') >= (e.month + interval '1 month' - interval '1 day')::date) END AS run_covered
  FROM e LEFT JOIN runs r ON r.connector = e.connector
),
v AS (
  SELECT j.*, st.cur,
         j.expected IS NOT NULL AND j.seen < st.threshold * j.expected
           AND coverage_poisson_below(j.seen, j.expected) < st.significance AS low
  FROM j CROSS JOIN settings st
)
SELECT v.fact, v.unit_code, v.source, v.connector, v.month, v.seen, v.last_year, v.median, v.expected,
       v.run_covered, v.last_success,
       CASE WHEN v.month >= v.cur THEN 'open'
            WHEN NOT (v.low OR v.run_covered IS FALSE) THEN 'ok'
            WHEN c.connector IS NOT NULL THEN 'confirmed'
            ELSE 'gap' END AS status,
       CASE WHEN v.month < v.cur THEN nullif(concat_ws(',', CASE WHEN v.low THEN 'low' END, CASE WHEN v.run_covered IS FALSE THEN 'no_run' END), '') END AS reason,
       c.confirmed_by, c.confirmed_at, c.note
FROM v LEFT JOIN coverage_confirmations c ON c.connector = v.connector AND c.month = v.month
$$;

-- The coverage now: one row per kind of fact, unit, source and month.
CREATE VIEW coverage AS SELECT * FROM coverage_at(now());

-- coverage_gaps lists the months with a gap (or a confirmed one) behind
-- each indicator of unit root (rolled up: its internal units and merged
-- predecessors; or the commune an internal unit root belongs to) for the span [pfrom, pto] as of at: months of the span,
-- and for a reduction the months of its baseline (in_baseline).
CREATE FUNCTION coverage_gaps(root text, pfrom date, pto date, at timestamptz)
RETURNS TABLE (indicator text, in_baseline boolean, fact text, unit_code text, source text, connector text,
               month date, seen bigint, expected double precision, status text, reason text,
               confirmed_by text, confirmed_at timestamptz, note text)
LANGUAGE sql STABLE AS $$
  WITH c AS (
    SELECT * FROM coverage_at(at) c
    WHERE c.status IN ('gap', 'confirmed')
      AND (c.unit_code IN (SELECT kpi_unit_members(root)) OR root IN (SELECT kpi_unit_members(c.unit_code)))
  )
  SELECT i.indicator, NOT (c.month <= pto AND (c.month + interval '1 month' - interval '1 day')::date >= pfrom),
         c.fact, c.unit_code, c.source, c.connector, c.month, c.seen, c.expected, c.status, c.reason,
         c.confirmed_by, c.confirmed_at, c.note
  FROM c JOIN coverage_indicator_facts() i ON i.fact = c.fact
  WHERE (c.month <= pto AND (c.month + interval '1 month' - interval '1 day')::date >= pfrom)
     OR (i.with_baseline AND c.month <= kpi_year_back(pto, true)
         AND (c.month + interval '1 month' - interval '1 day')::date >= kpi_year_back(pfrom, false))
  ORDER BY i.indicator, c.month, c.connector, c.fact, c.unit_code
$$;

-- kpi_data_complete is the companion of the view kpi: for each of its
-- rows, whether the facts behind it are complete and the gaps (unconfirmed
-- months) that make it not, as JSON [{source, unit, month, seen, expected,
-- reason}]. When data_complete is false the report shows met as NULL.
CREATE VIEW kpi_data_complete AS
WITH c AS MATERIALIZED (SELECT * FROM coverage_at(now()) c WHERE c.status = 'gap')
SELECT k.period, k.period_from, k.period_to, k.unit_code, k.indicator,
       g.gaps IS NULL AS data_complete, coalesce(g.gaps, '[]'::jsonb) AS gaps
FROM kpi k
LEFT JOIN LATERAL (
  SELECT jsonb_agg(jsonb_build_object('source', c.connector, 'unit', c.unit_code, 'month', to_char(c.month, 'YYYY-MM'),
                                      'seen', c.seen, 'expected', round(c.expected::numeric, 1), 'reason', c.reason)
                   ORDER BY c.month, c.connector, c.unit_code) AS gaps
  FROM c JOIN coverage_indicator_facts() i ON i.fact = c.fact AND i.indicator = k.indicator
  WHERE (c.unit_code IN (SELECT kpi_unit_members(k.unit_code)) OR k.unit_code IN (SELECT kpi_unit_members(c.unit_code)))
    AND ((c.month <= k.period_to AND (c.month + interval '1 month' - interval '1 day')::date >= k.period_from)
         OR (i.with_baseline AND c.month <= kpi_year_back(k.period_to, true)
             AND (c.month + interval '1 month' - interval '1 day')::date >= kpi_year_back(k.period_from, false)))
) g ON true;
