-- Per-record classification: kpi (through the summaries) and chiso
-- explain both rest on these views, so the records explain lists are
-- exactly the ones the numbers count. kpi_document_facts.received_by is
-- the evidence that dated an incoming document (migration 00090).
CREATE OR REPLACE VIEW kpi_document_facts AS
SELECT d.unit_code, d.direction, d.doc_key, d.document_id, d.code_number, d.code_notation,
       d.doc_type, d.family, c.secret, d.medium,
       d.issued_on, d.event_on, d.counterpart_relation, d.subject, d.revoked,
       c.counts_issued, c.issued_unknown, c.ex_scope, c.electronic, c.ex_unknown,
       d.received_by
FROM documents d
CROSS JOIN LATERAL kpi_document_class(d.direction, d.family, d.is_secret, d.series, d.medium, d.counterpart_relation) c;

CREATE OR REPLACE VIEW kpi_meeting_facts AS
SELECT m.unit_code, m.source, m.uid, m.title, m.kind, m.scope, m.organized_by_self, m.starts_at,
       m.ends_at, m.sessions, m.online, m.paperless, m.materials_sent_at, m.discussion_minutes,
       m.total_minutes, m.cancelled, m.deleted_run,
       kpi_vn_date(m.starts_at) AS starts_on,
       c.counted, c.online_or_paperless, c.materials_known, c.materials_ahead,
       c.discussion_known, c.discussion_ok, mc.cap_sessions, c.duration_ok, c.commune_wide
FROM meetings m LEFT JOIN kpi_meeting_caps mc ON mc.kind = m.kind
CROSS JOIN LATERAL kpi_meeting_class(m.organized_by_self, m.cancelled, m.deleted_run, m.online, m.paperless,
  m.starts_at, m.materials_sent_at, m.discussion_minutes, m.total_minutes, m.sessions, mc.cap_sessions, m.scope) c;

CREATE OR REPLACE VIEW kpi_dossier_facts AS
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

