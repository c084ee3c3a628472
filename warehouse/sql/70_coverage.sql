-- Completeness of the facts (issue 16, docs/warehouse.md §Coverage): for
-- every kind of fact, unit, source and month, the records seen (kept
-- monthly in coverage_counts by the triggers below), what
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
DROP FUNCTION IF EXISTS coverage_of(timestamptz, text[]);
DROP FUNCTION IF EXISTS coverage_gaps(text, date, date, timestamptz);
DROP FUNCTION IF EXISTS coverage_gaps_of(text[], date, date, timestamptz);
DROP FUNCTION IF EXISTS coverage_gaps_of(text[], date[], date[], timestamptz);
DROP FUNCTION IF EXISTS coverage_roots();
DROP TRIGGER IF EXISTS coverage_counts_documents_ins ON documents;
DROP TRIGGER IF EXISTS coverage_counts_documents_upd ON documents;
DROP TRIGGER IF EXISTS coverage_counts_documents_del ON documents;
DROP TRIGGER IF EXISTS coverage_counts_documents_trunc ON documents;
DROP TRIGGER IF EXISTS coverage_counts_document_sightings_ins ON document_sightings;
DROP TRIGGER IF EXISTS coverage_counts_document_sightings_upd ON document_sightings;
DROP TRIGGER IF EXISTS coverage_counts_document_sightings_del ON document_sightings;
DROP TRIGGER IF EXISTS coverage_counts_document_sightings_trunc ON document_sightings;
DROP TRIGGER IF EXISTS coverage_counts_dossiers_ins ON dossiers;
DROP TRIGGER IF EXISTS coverage_counts_dossiers_upd ON dossiers;
DROP TRIGGER IF EXISTS coverage_counts_dossiers_del ON dossiers;
DROP TRIGGER IF EXISTS coverage_counts_dossiers_trunc ON dossiers;
DROP TRIGGER IF EXISTS coverage_counts_dossier_sightings_ins ON dossier_sightings;
DROP TRIGGER IF EXISTS coverage_counts_dossier_sightings_upd ON dossier_sightings;
DROP TRIGGER IF EXISTS coverage_counts_dossier_sightings_del ON dossier_sightings;
DROP TRIGGER IF EXISTS coverage_counts_dossier_sightings_trunc ON dossier_sightings;
DROP TRIGGER IF EXISTS coverage_counts_meetings_ins ON meetings;
DROP TRIGGER IF EXISTS coverage_counts_meetings_upd ON meetings;
DROP TRIGGER IF EXISTS coverage_counts_meetings_del ON meetings;
DROP TRIGGER IF EXISTS coverage_counts_meetings_trunc ON meetings;
DROP FUNCTION IF EXISTS coverage_documents_trg();
DROP FUNCTION IF EXISTS coverage_document_sightings_trg();
DROP FUNCTION IF EXISTS coverage_dossiers_trg();
DROP FUNCTION IF EXISTS coverage_dossier_sightings_trg();
DROP FUNCTION IF EXISTS coverage_meetings_trg();
DROP FUNCTION IF EXISTS coverage_document_moves(documents[], documents[]);
DROP FUNCTION IF EXISTS coverage_document_sighting_moves(document_sightings[], document_sightings[]);
DROP FUNCTION IF EXISTS coverage_dossier_moves(dossiers[], dossiers[]);
DROP FUNCTION IF EXISTS coverage_dossier_sighting_moves(text[], text[]);
DROP FUNCTION IF EXISTS coverage_dossier_sighting_moves(text[], text[], text[], text[], text[], text[]);
DROP FUNCTION IF EXISTS coverage_meeting_moves(meetings[], meetings[]);
DROP FUNCTION IF EXISTS coverage_rebuild_counts();
DROP FUNCTION IF EXISTS coverage_counts_of();
DROP FUNCTION IF EXISTS coverage_add_counts(coverage_counts[]);
DROP FUNCTION IF EXISTS coverage_document_fact(text, date, date);
DROP FUNCTION IF EXISTS coverage_vn_month(timestamptz);
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

-- The monthly counts (table coverage_counts, migration 00170): for every
-- kind of fact, unit, source and month, the records the source delivered
-- (seen): documents_out by issue month, documents_in by reception (event)
-- month, dossiers by the Vietnam month of reception, meetings by the
-- Vietnam month of their start (not deleted from their feed). A document
-- or dossier counts once per source that has a sighting of it, however
-- many sightings (source keys) of it that source has. Kept exact by
-- statement-level triggers on the facts and their sightings, like the
-- per-day summaries of 40_summaries.sql; coverage_counts_of is the
-- definition (a rebuild writes it, TestCoverageCountsFollowFacts compares
-- the trigger-kept rows with it), so the coverage never scans the facts.

-- coverage_vn_month is the Vietnam calendar month of an instant.
CREATE FUNCTION coverage_vn_month(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT date_trunc('month', t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date $$;

-- coverage_document_fact is the kind of fact and month a document counts
-- in: outgoing by issue date, incoming by event (reception) date; no row
-- when that date is unknown.
CREATE FUNCTION coverage_document_fact(direction text, issued_on date, event_on date)
RETURNS TABLE (fact text, month date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE direction WHEN 'out' THEN 'documents_out' ELSE 'documents_in' END,
         date_trunc('month', CASE direction WHEN 'out' THEN issued_on ELSE event_on END)::date
  WHERE direction IN ('out', 'in') AND CASE direction WHEN 'out' THEN issued_on ELSE event_on END IS NOT NULL $$;

-- coverage_counts_of is coverage_counts computed from the facts.
CREATE FUNCTION coverage_counts_of() RETURNS SETOF coverage_counts
LANGUAGE sql STABLE AS $$
  SELECT f.fact, s.unit_code, s.source, f.month, count(DISTINCT d.doc_key)
  FROM document_sightings s
  JOIN documents d ON d.unit_code = s.unit_code AND d.direction = s.direction AND d.doc_key = s.doc_key
  CROSS JOIN LATERAL coverage_document_fact(d.direction, d.issued_on, d.event_on) f
  GROUP BY 1, 2, 3, 4
  UNION ALL
  SELECT 'dossiers', s.unit_code, s.source, coverage_vn_month(d.received_at), count(DISTINCT d.ma_ho_so)
  FROM dossier_sightings s
  JOIN dossiers d ON d.unit_code = s.unit_code AND d.ma_ho_so = s.ma_ho_so
  WHERE d.received_at IS NOT NULL
  GROUP BY 1, 2, 3, 4
  UNION ALL
  SELECT 'meetings', m.unit_code, m.source, coverage_vn_month(m.starts_at), count(*)
  FROM meetings m
  WHERE m.deleted_run IS NULL AND m.starts_at IS NOT NULL
  GROUP BY 1, 2, 3, 4 $$;

-- coverage_add_counts adds signed contributions to coverage_counts (summed
-- per key; additive upserts, so concurrent writers stay exact) and removes
-- the rows they bring to zero.
CREATE FUNCTION coverage_add_counts(p_rows coverage_counts[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  touched coverage_counts[];
BEGIN
  IF cardinality(p_rows) = 0 THEN
    RETURN;
  END IF;
  WITH up AS (
    INSERT INTO coverage_counts AS c (fact, unit_code, source, month, n)
    SELECT r.fact, r.unit_code, r.source, r.month, sum(r.n)::bigint
    FROM unnest(p_rows) r GROUP BY 1, 2, 3, 4 HAVING sum(r.n) <> 0
    ORDER BY 2, 1, 3, 4
    ON CONFLICT (unit_code, fact, source, month) DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING c.*)
  SELECT array_agg(up) FILTER (WHERE up.n = 0) INTO touched FROM up;
  IF touched IS NOT NULL THEN
    DELETE FROM coverage_counts c USING unnest(touched) z
    WHERE c.unit_code = z.unit_code AND c.fact = z.fact AND c.source = z.source AND c.month = z.month AND c.n = 0;
  END IF;
END
$fn$;

-- coverage_rebuild_counts recomputes coverage_counts from the facts (when
-- the kpi files are applied, after a TRUNCATE); writers wait meanwhile.
CREATE FUNCTION coverage_rebuild_counts() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  LOCK TABLE documents, document_sightings, dossiers, dossier_sightings, meetings IN SHARE MODE;
  DELETE FROM coverage_counts;
  INSERT INTO coverage_counts SELECT * FROM coverage_counts_of() WHERE n <> 0;
END
$fn$;

-- The trigger functions. A document (dossier) statement moves the record
-- from its old kind and month to its new one for each source with a
-- sighting of it (the sightings are not changed by the statement); rows
-- whose kind and month did not change are left out first, so an upsert
-- that re-dates nothing costs no lookup. A sightings statement counts a
-- (record, source) that has a sighting now and had none before (+1), or
-- the reverse (-1), in the record's current kind and month; sightings
-- before = now - the statement's new rows + its old rows. A record
-- written after its sighting, or a sighting after its record, is counted
-- by the second statement, in either order. (Two transactions writing the
-- same new record and its sightings at once, sightings first, can miss a
-- source: each sees neither the other's record nor its sightings;
-- coverage_rebuild_counts corrects it. chiso's writers of one connector
-- hold its lock; two connectors delivering the same new document at the
-- same instant are the case left.)
-- coverage_document_moves: the contributions of a documents statement
-- (p_old: the rows before, p_new: after).
CREATE FUNCTION coverage_document_moves(p_old documents[], p_new documents[]) RETURNS SETOF coverage_counts
LANGUAGE sql STABLE AS $$
  WITH n AS (SELECT r.unit_code, r.direction, r.doc_key, f.fact, f.month
             FROM unnest(p_new) r CROSS JOIN LATERAL coverage_document_fact(r.direction, r.issued_on, r.event_on) f),
  o AS (SELECT r.unit_code, r.direction, r.doc_key, f.fact, f.month
        FROM unnest(p_old) r CROSS JOIN LATERAL coverage_document_fact(r.direction, r.issued_on, r.event_on) f),
  moved AS ((SELECT 1 AS sign, * FROM (SELECT * FROM n EXCEPT ALL SELECT * FROM o) a)
            UNION ALL (SELECT -1, * FROM (SELECT * FROM o EXCEPT ALL SELECT * FROM n) b))
  SELECT m.fact, m.unit_code, s.source, m.month, m.sign::bigint
  FROM moved m
  CROSS JOIN LATERAL (SELECT DISTINCT x.source FROM document_sightings x
                      WHERE x.doc_key = m.doc_key AND x.unit_code = m.unit_code AND x.direction = m.direction) s $$;

-- coverage_document_sighting_moves: the contributions of a
-- document_sightings statement.
CREATE FUNCTION coverage_document_sighting_moves(p_old document_sightings[], p_new document_sightings[]) RETURNS SETOF coverage_counts
LANGUAGE sql STABLE AS $$
  WITH p AS (
    SELECT k.unit_code, k.direction, k.doc_key, k.source, sum(k.d) AS delta
    FROM (SELECT r.unit_code, r.direction, r.doc_key, r.source, 1 AS d FROM unnest(p_new) r
          UNION ALL SELECT r.unit_code, r.direction, r.doc_key, r.source, -1 FROM unnest(p_old) r) k
    GROUP BY 1, 2, 3, 4 HAVING sum(k.d) <> 0),
  c AS (
    SELECT p.*, (SELECT count(*) FROM document_sightings x WHERE x.doc_key = p.doc_key AND x.unit_code = p.unit_code
                   AND x.direction = p.direction AND x.source = p.source) AS now_n
    FROM p)
  SELECT f.fact, c.unit_code, c.source, f.month, ((c.now_n > 0)::int - (c.now_n - c.delta > 0)::int)::bigint
  FROM c
  JOIN documents d ON d.doc_key = c.doc_key AND d.direction = c.direction AND d.unit_code = c.unit_code
  CROSS JOIN LATERAL coverage_document_fact(d.direction, d.issued_on, d.event_on) f
  WHERE (c.now_n > 0) <> (c.now_n - c.delta > 0) $$;

-- coverage_dossier_moves: the contributions of a dossiers statement.
CREATE FUNCTION coverage_dossier_moves(p_old dossiers[], p_new dossiers[]) RETURNS SETOF coverage_counts
LANGUAGE sql STABLE AS $$
  WITH n AS (SELECT r.unit_code, r.ma_ho_so, coverage_vn_month(r.received_at) AS month
             FROM unnest(p_new) r WHERE r.received_at IS NOT NULL),
  o AS (SELECT r.unit_code, r.ma_ho_so, coverage_vn_month(r.received_at) AS month
        FROM unnest(p_old) r WHERE r.received_at IS NOT NULL),
  moved AS ((SELECT 1 AS sign, * FROM (SELECT * FROM n EXCEPT ALL SELECT * FROM o) a)
            UNION ALL (SELECT -1, * FROM (SELECT * FROM o EXCEPT ALL SELECT * FROM n) b))
  SELECT 'dossiers'::text, m.unit_code, s.source, m.month, m.sign::bigint
  FROM moved m
  CROSS JOIN LATERAL (SELECT DISTINCT x.source FROM dossier_sightings x
                      WHERE x.unit_code = m.unit_code AND x.ma_ho_so = m.ma_ho_so) s $$;

-- coverage_dossier_sighting_moves: the contributions of a
-- dossier_sightings statement (keys only, as parallel arrays unit_code,
-- ma_ho_so, source of its old and new rows: their raw record is not
-- copied, and unnest reads each array once where subscripts would copy a
-- two-dimensional one per element).
CREATE FUNCTION coverage_dossier_sighting_moves(o_unit text[], o_key text[], o_src text[], n_unit text[], n_key text[], n_src text[])
RETURNS SETOF coverage_counts
LANGUAGE sql STABLE AS $$
  WITH p AS (
    SELECT k.unit_code, k.ma_ho_so, k.source, sum(k.d) AS delta
    FROM (SELECT n.unit_code, n.ma_ho_so, n.source, 1 AS d FROM unnest(n_unit, n_key, n_src) n(unit_code, ma_ho_so, source)
          UNION ALL
          SELECT o.unit_code, o.ma_ho_so, o.source, -1 FROM unnest(o_unit, o_key, o_src) o(unit_code, ma_ho_so, source)) k
    GROUP BY 1, 2, 3 HAVING sum(k.d) <> 0),
  c AS (
    SELECT p.*, (SELECT count(*) FROM dossier_sightings x WHERE x.unit_code = p.unit_code AND x.ma_ho_so = p.ma_ho_so
                   AND x.source = p.source) AS now_n
    FROM p)
  SELECT 'dossiers'::text, c.unit_code, c.source, coverage_vn_month(d.received_at),
         ((c.now_n > 0)::int - (c.now_n - c.delta > 0)::int)::bigint
  FROM c
  JOIN dossiers d ON d.unit_code = c.unit_code AND d.ma_ho_so = c.ma_ho_so
  WHERE d.received_at IS NOT NULL AND (c.now_n > 0) <> (c.now_n - c.delta > 0) $$;

-- coverage_meeting_moves: the contributions of a meetings statement.
CREATE FUNCTION coverage_meeting_moves(p_old meetings[], p_new meetings[]) RETURNS SETOF coverage_counts
LANGUAGE sql STABLE AS $$
  SELECT 'meetings'::text, k.unit_code, k.source, k.month, sum(k.d)::bigint
  FROM (SELECT r.unit_code, r.source, coverage_vn_month(r.starts_at) AS month, 1 AS d
        FROM unnest(p_new) r WHERE r.deleted_run IS NULL AND r.starts_at IS NOT NULL
        UNION ALL
        SELECT r.unit_code, r.source, coverage_vn_month(r.starts_at), -1
        FROM unnest(p_old) r WHERE r.deleted_run IS NULL AND r.starts_at IS NOT NULL) k
  GROUP BY 1, 2, 3, 4 HAVING sum(k.d) <> 0 $$;

-- The trigger functions: the contributions of the rows a statement wrote
-- (cov_new) and of the rows it replaced or removed (cov_old).
CREATE FUNCTION coverage_documents_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM coverage_rebuild_counts();
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_document_moves('{}', ARRAY(SELECT r::documents FROM cov_new r)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_document_moves(ARRAY(SELECT r::documents FROM cov_old r), '{}') x));
  ELSE
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_document_moves(ARRAY(SELECT r::documents FROM cov_old r),
                                                                           ARRAY(SELECT r::documents FROM cov_new r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION coverage_document_sightings_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM coverage_rebuild_counts();
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_document_sighting_moves('{}',
      ARRAY(SELECT r::document_sightings FROM cov_new r)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_document_sighting_moves(
      ARRAY(SELECT r::document_sightings FROM cov_old r), '{}') x));
  ELSE
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_document_sighting_moves(
      ARRAY(SELECT r::document_sightings FROM cov_old r), ARRAY(SELECT r::document_sightings FROM cov_new r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION coverage_dossiers_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM coverage_rebuild_counts();
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_dossier_moves('{}', ARRAY(SELECT r::dossiers FROM cov_new r)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_dossier_moves(ARRAY(SELECT r::dossiers FROM cov_old r), '{}') x));
  ELSE
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_dossier_moves(ARRAY(SELECT r::dossiers FROM cov_old r),
                                                                          ARRAY(SELECT r::dossiers FROM cov_new r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

-- The dossier sightings pass their keys only, as parallel arrays in the
-- order of the key (their raw record is not copied).
CREATE FUNCTION coverage_dossier_sightings_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM coverage_rebuild_counts();
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_dossier_sighting_moves('{}', '{}', '{}',
      ARRAY(SELECT r.unit_code FROM cov_new r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.ma_ho_so FROM cov_new r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.source FROM cov_new r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_dossier_sighting_moves(
      ARRAY(SELECT r.unit_code FROM cov_old r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.ma_ho_so FROM cov_old r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.source FROM cov_old r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      '{}', '{}', '{}') x));
  ELSE
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_dossier_sighting_moves(
      ARRAY(SELECT r.unit_code FROM cov_old r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.ma_ho_so FROM cov_old r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.source FROM cov_old r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.unit_code FROM cov_new r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.ma_ho_so FROM cov_new r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key),
      ARRAY(SELECT r.source FROM cov_new r ORDER BY r.unit_code, r.ma_ho_so, r.source, r.source_key)) x));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION coverage_meetings_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM coverage_rebuild_counts();
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_meeting_moves('{}', ARRAY(SELECT r::meetings FROM cov_new r)) x));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_meeting_moves(ARRAY(SELECT r::meetings FROM cov_old r), '{}') x));
  ELSE
    PERFORM coverage_add_counts(ARRAY(SELECT x FROM coverage_meeting_moves(ARRAY(SELECT r::meetings FROM cov_old r),
                                                                          ARRAY(SELECT r::meetings FROM cov_new r)) x));
  END IF;
  RETURN NULL;
END
$fn$;

-- The triggers (statement level, with transition tables).
CREATE TRIGGER coverage_counts_documents_ins AFTER INSERT ON documents REFERENCING NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_documents_trg();
CREATE TRIGGER coverage_counts_documents_upd AFTER UPDATE ON documents REFERENCING OLD TABLE AS cov_old NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_documents_trg();
CREATE TRIGGER coverage_counts_documents_del AFTER DELETE ON documents REFERENCING OLD TABLE AS cov_old
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_documents_trg();
CREATE TRIGGER coverage_counts_documents_trunc AFTER TRUNCATE ON documents
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_documents_trg();
CREATE TRIGGER coverage_counts_document_sightings_ins AFTER INSERT ON document_sightings REFERENCING NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_document_sightings_trg();
CREATE TRIGGER coverage_counts_document_sightings_upd AFTER UPDATE ON document_sightings REFERENCING OLD TABLE AS cov_old NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_document_sightings_trg();
CREATE TRIGGER coverage_counts_document_sightings_del AFTER DELETE ON document_sightings REFERENCING OLD TABLE AS cov_old
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_document_sightings_trg();
CREATE TRIGGER coverage_counts_document_sightings_trunc AFTER TRUNCATE ON document_sightings
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_document_sightings_trg();
CREATE TRIGGER coverage_counts_dossiers_ins AFTER INSERT ON dossiers REFERENCING NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossiers_trg();
CREATE TRIGGER coverage_counts_dossiers_upd AFTER UPDATE ON dossiers REFERENCING OLD TABLE AS cov_old NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossiers_trg();
CREATE TRIGGER coverage_counts_dossiers_del AFTER DELETE ON dossiers REFERENCING OLD TABLE AS cov_old
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossiers_trg();
CREATE TRIGGER coverage_counts_dossiers_trunc AFTER TRUNCATE ON dossiers
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossiers_trg();
CREATE TRIGGER coverage_counts_dossier_sightings_ins AFTER INSERT ON dossier_sightings REFERENCING NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossier_sightings_trg();
CREATE TRIGGER coverage_counts_dossier_sightings_upd AFTER UPDATE ON dossier_sightings REFERENCING OLD TABLE AS cov_old NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossier_sightings_trg();
CREATE TRIGGER coverage_counts_dossier_sightings_del AFTER DELETE ON dossier_sightings REFERENCING OLD TABLE AS cov_old
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossier_sightings_trg();
CREATE TRIGGER coverage_counts_dossier_sightings_trunc AFTER TRUNCATE ON dossier_sightings
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_dossier_sightings_trg();
CREATE TRIGGER coverage_counts_meetings_ins AFTER INSERT ON meetings REFERENCING NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_meetings_trg();
CREATE TRIGGER coverage_counts_meetings_upd AFTER UPDATE ON meetings REFERENCING OLD TABLE AS cov_old NEW TABLE AS cov_new
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_meetings_trg();
CREATE TRIGGER coverage_counts_meetings_del AFTER DELETE ON meetings REFERENCING OLD TABLE AS cov_old
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_meetings_trg();
CREATE TRIGGER coverage_counts_meetings_trunc AFTER TRUNCATE ON meetings
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_meetings_trg();

-- coverage_roots maps every unit of the directory to the unit its facts
-- are judged in (root): up through the unit it was merged into and the
-- parent of an internal unit, stopping at a unit that is neither, or at a
-- unit of level commune (in a provincial deployment the communes are
-- internal units of the province: each is judged on its own), so a feed
-- stops for the whole commune, and a small internal unit's month is not
-- judged alone.
CREATE FUNCTION coverage_roots() RETURNS TABLE (code text, root text)
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE up(code, cur, depth) AS (
    SELECT u.code, u.code, 0 FROM org_units u
    UNION ALL
    SELECT up.code, coalesce(p.merged_into, CASE WHEN p.relation = 'internal' AND p.level <> 'commune' THEN p.parent_code END), up.depth + 1
    FROM up JOIN org_units p ON p.code = up.cur
    WHERE coalesce(p.merged_into, CASE WHEN p.relation = 'internal' AND p.level <> 'commune' THEN p.parent_code END) IS NOT NULL
      AND up.depth < 20
  )
  SELECT DISTINCT ON (code) code, cur FROM up ORDER BY code, depth DESC $$;

-- coverage_of is the coverage as of the instant at of the roots (units
-- of coverage_roots) p_roots, or of every root when p_roots is NULL (the
-- function coverage_at, the view coverage). One row per kind of fact (documents_out by issue
-- date, documents_in by reception date, dossiers by reception, meetings
-- by start; Vietnam calendar months), root, source and month, from the
-- source's first month with a record (at most five years back) to the
-- month of at. Columns:
--   seen       records of that kind, unit and month the source delivered
--              (coverage_counts of the units rolled up into the root)
--   last_year  seen in the same month a year earlier (NULL when none)
--   median     median of the months with records among the 12 before
--              (NULL with fewer than 3 such months)
--   expected   the lower of last_year and median (NULL: no history)
--   run_covered a successful run (ok, or partial: read with rejects) of
--              the connector finished after the month's end and, if it
--              was a backfill, its window held the month's last day; NULL
--              when the connector never ran for the root (facts loaded
--              otherwise). A run counts for the roots of its commune's
--              tree: its commune is the root or a unit above it, or ''
--              (a writer not scoped to a commune): in a warehouse shared by
--              communes the same connector name is another feed in each.
--   status     open (the month of at: not judged yet), gap, confirmed (a
--              gap an admin confirmed as real, for a commune whose tree
--              holds the root, or '' for all), ok
--   reason     low (seen under threshold × expected, and that unlikely by
--              chance: Poisson probability under significance), no_run,
--              or both
-- The connector of a source is its name after the last ':' (sources are
-- written TYPE:NAME or NAME). The communes a run or a confirmation may
-- speak for are a small closure (each root with the units above it, and
-- ''), joined once: no lookup per month. Without JIT: the estimated cost of
-- the grid (generate_series, window functions) made PostgreSQL compile
-- its expressions with LLVM, seconds for a query that runs in
-- milliseconds (SET jit = off, which also keeps the body from being
-- inlined into its caller's plan).
CREATE FUNCTION coverage_of(at timestamptz, p_roots text[])
RETURNS TABLE (fact text, unit_code text, source text, connector text, month date, seen bigint,
               last_year bigint, median double precision, expected double precision,
               run_covered boolean, last_success timestamptz, status text, reason text,
               confirmed_by text, confirmed_at timestamptz, note text)
LANGUAGE sql STABLE SET jit = off ROWS 5000 AS $$
WITH RECURSIVE roots AS MATERIALIZED (SELECT * FROM coverage_roots()),
settings AS (
  SELECT coalesce((SELECT threshold FROM coverage_settings LIMIT 1), 0.5) AS threshold,
         coalesce((SELECT significance FROM coverage_settings LIMIT 1), 0.001) AS significance,
         date_trunc('month', at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS cur
),
f AS MATERIALIZED (
  SELECT c.fact, coalesce(o.root, c.unit_code) AS unit_code, c.source, c.month, sum(c.n)::bigint AS n
  FROM coverage_counts c LEFT JOIN roots o ON o.code = c.unit_code
  WHERE p_roots IS NULL OR coalesce(o.root, c.unit_code) = ANY (p_roots)
  GROUP BY 1, 2, 3, 4
),
series AS (
  SELECT f.fact, f.unit_code, f.source, greatest(min(f.month), (st.cur - interval '5 years')::date) AS first
  FROM f CROSS JOIN settings st
  WHERE f.month <= st.cur
  GROUP BY 1, 2, 3, st.cur
),
-- the months of each series, materialized so that they are joined with f
-- on all four keys at once (a hash join; joined straight from the
-- generate_series, the month was only a filter after merging on the three
-- others: every month of a series against every other, 20 times the rows
-- at a province's 100 communes)
months AS MATERIALIZED (
  SELECT s.fact, s.unit_code, s.source, g::date AS month
  FROM series s CROSS JOIN settings st
  CROSS JOIN LATERAL generate_series(s.first, st.cur, interval '1 month') g
),
grid AS MATERIALIZED (
  SELECT m.fact, m.unit_code, m.source, regexp_replace(m.source, '^.*:', '') AS connector, m.month, coalesce(f.n, 0) AS seen
  FROM months m
  LEFT JOIN f ON f.fact = m.fact AND f.unit_code = m.unit_code AND f.source = m.source AND f.month = m.month
),
w AS (
  SELECT g.*, lag(g.seen, 12) OVER s AS ly,
         array_agg(g.seen) OVER (s ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING) AS prev
  FROM grid g
  WINDOW s AS (PARTITION BY g.fact, g.unit_code, g.source ORDER BY g.month)
),
-- materialized: expected (and so median) is read by several expressions
-- below, and each would otherwise compute the median again
e AS MATERIALIZED (
  SELECT w.fact, w.unit_code, w.source, w.connector, w.month, w.seen, nullif(w.ly, 0) AS last_year,
         (SELECT CASE WHEN count(*) >= 3 THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY x) END
          FROM unnest(w.prev) x WHERE x > 0) AS median
  FROM w
),
-- above: each root of the grid with itself and every unit above it
-- (parent_code), then '' (an unscoped writer): the communes whose runs and
-- confirmations speak for the root
above(root, code, depth) AS (
  SELECT DISTINCT g.unit_code, g.unit_code, 0 FROM grid g
  UNION ALL
  SELECT a.root, p.parent_code, a.depth + 1 FROM above a JOIN org_units p ON p.code = a.code
  WHERE p.parent_code IS NOT NULL AND a.depth < 20
),
closure AS MATERIALIZED (
  SELECT DISTINCT root, code FROM above UNION SELECT DISTINCT root, '' FROM above
),
conns AS MATERIALIZED (SELECT DISTINCT connector FROM grid),
runs AS MATERIALIZED (
  SELECT a.root, r.connector, r.status, r.finished_at, r.window_from, r.window_to
  FROM closure a JOIN sync_runs r ON r.commune = a.code
  WHERE r.connector IN (SELECT connector FROM conns) AND r.status IN ('ok', 'partial') AND r.finished_at IS NOT NULL
),
last_runs AS (
  SELECT r.root, r.connector,
         max(r.finished_at) FILTER (WHERE r.window_from IS NULL AND r.window_to IS NULL) AS full_success,
         max(r.finished_at) AS last_success
  FROM runs r GROUP BY 1, 2
),
ever AS (  -- the roots and connectors with any run at all (NULL run_covered when none)
  SELECT DISTINCT a.root, r.connector
  FROM closure a JOIN sync_runs r ON r.commune = a.code
  WHERE r.connector IN (SELECT connector FROM conns)
),
-- the months a backfill covered: its window holds the month's last day
-- and it finished after the month's end
backfilled AS (
  SELECT DISTINCT r.root, r.connector, m::date AS month
  FROM runs r CROSS JOIN settings st
  CROSS JOIN LATERAL generate_series(date_trunc('month', greatest(coalesce(r.window_from, '-infinity'), (st.cur - interval '6 years')::date)),
                                     date_trunc('month', least(coalesce(r.window_to, 'infinity'), (r.finished_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)),
                                     interval '1 month') m
  WHERE (r.window_from IS NOT NULL OR r.window_to IS NOT NULL)
    AND r.finished_at >= ((m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
    AND coalesce(r.window_from, '-infinity') <= (m + interval '1 month' - interval '1 day')::date
    AND coalesce(r.window_to, 'infinity') >= (m + interval '1 month' - interval '1 day')::date
),
j AS (
  SELECT e.*, least(e.last_year::double precision, e.median) AS expected, r.last_success,
         CASE WHEN ev.root IS NULL THEN NULL
              ELSE coalesce(r.full_success >= ((e.month + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'), false)
                   OR b.month IS NOT NULL END AS run_covered
  FROM e
  LEFT JOIN ever ev ON ev.root = e.unit_code AND ev.connector = e.connector
  LEFT JOIN last_runs r ON r.root = e.unit_code AND r.connector = e.connector
  LEFT JOIN backfilled b ON b.root = e.unit_code AND b.connector = e.connector AND b.month = e.month
),
conf AS (
  SELECT DISTINCT ON (a.root, c.connector, c.month) a.root, c.connector, c.month, c.confirmed_by, c.confirmed_at, c.note
  FROM closure a JOIN coverage_confirmations c ON c.commune = a.code
  ORDER BY a.root, c.connector, c.month, c.confirmed_at DESC
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
FROM v LEFT JOIN conf c ON c.root = v.unit_code AND c.connector = v.connector AND c.month = v.month
$$;

-- coverage_at is the coverage of every root as of at.
CREATE FUNCTION coverage_at(at timestamptz)
RETURNS TABLE (fact text, unit_code text, source text, connector text, month date, seen bigint,
               last_year bigint, median double precision, expected double precision,
               run_covered boolean, last_success timestamptz, status text, reason text,
               confirmed_by text, confirmed_at timestamptz, note text)
LANGUAGE sql STABLE AS $$ SELECT * FROM coverage_of(at, NULL) $$;

-- The coverage now: one row per kind of fact, unit, source and month.
CREATE VIEW coverage AS SELECT * FROM coverage_at(now());

-- coverage_gaps_of lists, for each unit of p_units (column root) and each
-- span [p_from[i], p_to[i]] (column span = i), the months with a gap (or a
-- confirmed one) behind each of the unit's indicators as of at: months of
-- the span, and for a reduction the months of its baseline (in_baseline).
-- The coverage behind a unit is that of the roots (coverage_roots) its
-- members (kpi_unit_members: the unit, its internal units and merged
-- predecessors) are judged in: a commune's own; for an internal unit, its
-- commune's; for a province, its communes' and its own. The coverage is
-- computed once for all the units and spans (a report reads its period's
-- and its year outlook's, the league table every commune's, at once).
CREATE FUNCTION coverage_gaps_of(p_units text[], p_from date[], p_to date[], at timestamptz)
RETURNS TABLE (root text, span integer, indicator text, in_baseline boolean, fact text, unit_code text, source text,
               connector text, month date, seen bigint, expected double precision, status text, reason text,
               confirmed_by text, confirmed_at timestamptz, note text)
LANGUAGE sql STABLE SET jit = off ROWS 100 AS $$
  WITH r AS MATERIALIZED (SELECT * FROM coverage_roots()),
  wanted AS MATERIALIZED (
    SELECT DISTINCT u.unit AS asked, coalesce(r.root, m.member) AS cov
    FROM unnest(p_units) u(unit)
    CROSS JOIN LATERAL kpi_unit_members(u.unit) m(member)
    LEFT JOIN r ON r.code = m.member
  ),
  c AS MATERIALIZED (
    SELECT * FROM coverage_of(at, (SELECT array_agg(DISTINCT cov) FROM wanted)) c
    WHERE c.status IN ('gap', 'confirmed')
  ),
  sp AS (SELECT s.pfrom, s.pto, s.i::integer AS i FROM unnest(p_from, p_to) WITH ORDINALITY s(pfrom, pto, i))
  SELECT w.asked, sp.i, i.indicator, NOT (c.month <= sp.pto AND (c.month + interval '1 month' - interval '1 day')::date >= sp.pfrom),
         c.fact, c.unit_code, c.source, c.connector, c.month, c.seen, c.expected, c.status, c.reason,
         c.confirmed_by, c.confirmed_at, c.note
  FROM wanted w
  JOIN c ON c.unit_code = w.cov
  JOIN coverage_indicator_facts() i ON i.fact = c.fact
  CROSS JOIN sp
  WHERE (c.month <= sp.pto AND (c.month + interval '1 month' - interval '1 day')::date >= sp.pfrom)
     OR (i.with_baseline AND c.month <= kpi_year_back(sp.pto, true)
         AND (c.month + interval '1 month' - interval '1 day')::date >= kpi_year_back(sp.pfrom, false))
  ORDER BY w.asked, sp.i, i.indicator, c.month, c.connector, c.fact, c.unit_code
$$;

-- coverage_gaps is coverage_gaps_of one unit and one span.
CREATE FUNCTION coverage_gaps(root text, pfrom date, pto date, at timestamptz)
RETURNS TABLE (indicator text, in_baseline boolean, fact text, unit_code text, source text, connector text,
               month date, seen bigint, expected double precision, status text, reason text,
               confirmed_by text, confirmed_at timestamptz, note text)
LANGUAGE sql STABLE AS $$
  SELECT g.indicator, g.in_baseline, g.fact, g.unit_code, g.source, g.connector, g.month, g.seen, g.expected,
         g.status, g.reason, g.confirmed_by, g.confirmed_at, g.note
  FROM coverage_gaps_of(ARRAY[root], ARRAY[pfrom], ARRAY[pto], at) g $$;

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
