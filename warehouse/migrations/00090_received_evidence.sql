-- +goose Up
-- Incoming documents are dated by the evidence they carry, never by the
-- time a file system or chiso saw a file (issue 12). Each sighting of an
-- incoming document keeps what it says of the arrival (received_at) and
-- the evidence it rests on (received_by); a status package 01/03 that the
-- document's unit sent is evidence too. The document's event_on is the
-- date of the best evidence present, in this order:
--   trace       a TraceHeader of its arrival at one of our units
--   status      a status 01 (đã đến) or 03 (đã tiếp nhận) from its unit
--   axis        the national axis's created_time of the package
--   register    the register's "Ngày đến"
--   issue_date  its date of issue, when nothing better is known
-- and within one kind the earliest. The writers recompute it from the
-- stored sightings and statuses whenever one of them is written, so the
-- date does not depend on the order the sources arrived in.
ALTER TABLE document_sightings
    ADD COLUMN received_at timestamptz,
    ADD COLUMN received_by text CHECK (received_by IN ('trace', 'axis', 'register', 'issue_date'));
ALTER TABLE documents
    ADD COLUMN received_by text CHECK (received_by IN ('trace', 'status', 'axis', 'register', 'issue_date'));
ALTER TABLE document_statuses
    ADD COLUMN undated boolean NOT NULL DEFAULT false;

-- document_evidence_rank orders the evidence that dates an incoming
-- document (1 best). warehouse.ReceivedEvidence lists the same order.
CREATE FUNCTION document_evidence_rank(by text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_position(ARRAY['trace', 'status', 'axis', 'register', 'issue_date'], by) $$;

-- document_received calls kpi_vn_date, which the kpi files define since
-- 00100 (it is not there when migrating up again after 00100's Down).
SET LOCAL check_function_bodies = off;

-- +goose StatementBegin
-- document_received is the best evidence of the arrival of the incoming
-- document (p_doc_key, p_unit): its Vietnam date and its kind. No row
-- when nothing carries evidence (documents written before this migration
-- until their sources are read again).
CREATE FUNCTION document_received(p_doc_key text, p_unit text)
RETURNS TABLE (received_on date, received_by text)
LANGUAGE sql STABLE AS $$
  SELECT kpi_vn_date(e.at), e.by
  FROM (SELECT x.received_at AS at, x.received_by AS by
        FROM document_sightings x
        WHERE x.doc_key = p_doc_key AND x.unit_code = p_unit AND x.direction = 'in'
          AND x.received_by IS NOT NULL AND x.received_at IS NOT NULL
        UNION ALL
        SELECT s.status_at, 'status'
        FROM document_statuses s
        WHERE s.doc_key = p_doc_key AND s.reporter = p_unit AND s.status_code IN ('01', '03') AND NOT s.undated) e
  ORDER BY document_evidence_rank(e.by), e.at
  LIMIT 1 $$;
-- +goose StatementEnd

-- chiso explain lists the evidence that dated each incoming document.
-- (Migrating up again after 00100's Down there is no kpi to extend: the
-- kpi files define the view.)
-- +goose StatementBegin
DO $do$ BEGIN
IF to_regproc('kpi_document_class') IS NOT NULL THEN
CREATE OR REPLACE VIEW kpi_document_facts AS
SELECT d.unit_code, d.direction, d.doc_key, d.document_id, d.code_number, d.code_notation,
       d.doc_type, d.family, c.secret, d.medium,
       d.issued_on, d.event_on, d.counterpart_relation, d.subject, d.revoked,
       c.counts_issued, c.issued_unknown, c.ex_scope, c.electronic, c.ex_unknown,
       d.received_by
FROM documents d
CROSS JOIN LATERAL kpi_document_class(d.direction, d.family, d.is_secret, d.series, d.medium, d.counterpart_relation) c;
END IF;
END $do$;
-- +goose StatementEnd

-- Sightings written before this migration carry no evidence. The files of
-- the archives and registers that wrote incoming documents are read again
-- by their next sync (their file checkpoints go), which records it; an
-- incoming document keeps its old date until then.
DELETE FROM sync_state s
USING (SELECT DISTINCT source FROM document_sightings WHERE direction = 'in') src
WHERE starts_with(s.stream, 'file:')
  AND src.source IN ('edxml-dir:' || s.connector, 'register-file:' || s.connector);

-- +goose Down
-- (Since 00100 the view is the kpi files' and 00100's Down has dropped it.)
-- +goose StatementBegin
DO $do$ BEGIN
IF to_regproc('kpi_document_class') IS NOT NULL THEN
DROP VIEW kpi_document_facts;
CREATE VIEW kpi_document_facts AS
SELECT d.unit_code, d.direction, d.doc_key, d.document_id, d.code_number, d.code_notation,
       d.doc_type, d.family, c.secret, d.medium,
       d.issued_on, d.event_on, d.counterpart_relation, d.subject, d.revoked,
       c.counts_issued, c.issued_unknown, c.ex_scope, c.electronic, c.ex_unknown
FROM documents d
CROSS JOIN LATERAL kpi_document_class(d.direction, d.family, d.is_secret, d.series, d.medium, d.counterpart_relation) c;
END IF;
END $do$;
-- +goose StatementEnd
DROP FUNCTION document_received(text, text);
DROP FUNCTION document_evidence_rank(text);
ALTER TABLE document_statuses DROP COLUMN undated;
ALTER TABLE documents DROP COLUMN received_by;
ALTER TABLE document_sightings DROP COLUMN received_by, DROP COLUMN received_at;
