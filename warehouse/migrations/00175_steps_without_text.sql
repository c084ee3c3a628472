-- +goose Up
-- A processing step's text (NoiDungXuLy: what the officer wrote was done,
-- often with the applicant's name, ID number or phone) is no longer kept
-- anywhere: mapping/dossiers keeps neither the member in a raw record nor
-- the text in dossier_steps (docs/du-lieu-ca-nhan.md). This removes what
-- earlier versions stored:
--
-- 1. dossier_steps.action goes, and with it the key (unit_code, ma_ho_so,
--    at, action): steps are keyed by their dossier and time, one step per
--    instant. Of the steps that shared a dossier and a time, the last in
--    the old key order (action) stays. That is the only one of them the
--    indicators read: the supplement pause (kpi_dossier_pause) runs from a
--    status-5 step to the next step in key order, so of steps sharing a
--    time only the last one can add anything (the others' next step is at
--    the same time). The pauses, and so every indicator and per-day
--    summary, are unchanged; the DELETE runs the steps' triggers, which
--    keep the summaries as they are (TestStepsWithoutTextMigration).
-- 2. NoiDungXuLy goes from the steps (QuaTrinhXuLy items) of the raw
--    records in dossier_sightings (jsonb), and from the rejects' raw
--    records (bytea holding JSON: a dossier record, or a pushed step),
--    whichever connector wrote them. raw_sha256 stays the hash of the
--    original bytes.

DELETE FROM dossier_steps s
USING (SELECT unit_code, ma_ho_so, at, action,
              row_number() OVER (PARTITION BY unit_code, ma_ho_so, at ORDER BY action DESC) AS rn
       FROM dossier_steps) d
WHERE d.rn > 1 AND s.unit_code = d.unit_code AND s.ma_ho_so = d.ma_ho_so AND s.at = d.at AND s.action = d.action;

ALTER TABLE dossier_steps DROP CONSTRAINT dossier_steps_pkey;
ALTER TABLE dossier_steps DROP COLUMN action;
ALTER TABLE dossier_steps ADD PRIMARY KEY (unit_code, ma_ho_so, at);

-- chiso_strip_step_text removes NoiDungXuLy (in any case, as the mapping
-- matches member names) from an object.
-- +goose StatementBegin
CREATE FUNCTION chiso_strip_step_text(o jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(o) IS DISTINCT FROM 'object' THEN o ELSE
    (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(o) AS e(k, v) WHERE lower(k) <> 'noidungxuly') END
$$;
-- +goose StatementEnd

-- chiso_strip_record_text removes it from a record's QuaTrinhXuLy items
-- (and from the record itself: a pushed step is a record of its own).
-- +goose StatementBegin
CREATE FUNCTION chiso_strip_record_text(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(r) IS DISTINCT FROM 'object' THEN r ELSE
    (SELECT coalesce(jsonb_object_agg(k, CASE WHEN lower(k) = 'quatrinhxuly' AND jsonb_typeof(v) = 'array' THEN
       (SELECT coalesce(jsonb_agg(chiso_strip_step_text(x) ORDER BY i), '[]'::jsonb)
        FROM jsonb_array_elements(v) WITH ORDINALITY AS a(x, i))
       ELSE v END), '{}'::jsonb)
     FROM jsonb_each(r) AS e(k, v) WHERE lower(k) <> 'noidungxuly') END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION chiso_strip_try_jsonb(b bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN convert_from(b, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
-- +goose StatementEnd

UPDATE dossier_sightings SET raw = chiso_strip_record_text(raw)
WHERE raw IS NOT NULL AND raw::text ILIKE '%noidungxuly%';

WITH r AS (SELECT id, chiso_strip_try_jsonb(raw) AS j FROM rejects WHERE raw IS NOT NULL)
UPDATE rejects x SET raw = convert_to(chiso_strip_record_text(r.j)::text, 'UTF8')
FROM r WHERE x.id = r.id AND r.j::text ILIKE '%noidungxuly%';

DROP FUNCTION chiso_strip_try_jsonb(bytea);
DROP FUNCTION chiso_strip_record_text(jsonb);
DROP FUNCTION chiso_strip_step_text(jsonb);

-- +goose Down
-- The texts stay at their source, not here: the column comes back empty.
ALTER TABLE dossier_steps DROP CONSTRAINT dossier_steps_pkey;
ALTER TABLE dossier_steps ADD COLUMN action text NOT NULL DEFAULT '';
ALTER TABLE dossier_steps ADD PRIMARY KEY (unit_code, ma_ho_so, at, action);
