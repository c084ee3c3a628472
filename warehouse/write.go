package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// relationRank orders counterpart relations; the highest wins.
const relationRank = `ARRAY['external','internal','self','lower','peer','higher']`

// UpsertDocument writes one sighting of a logical document and merges it
// into the documents row: medium is electronic when any sighting says so,
// counterparts are the union, known values replace unknown ones, and
// revocations or statuses that arrived before the document apply to it.
func (r *Run) UpsertDocument(ctx context.Context, d Document, s Sighting) error {
	if d.UnitCode == "" || d.DocKey == "" || (d.Direction != "out" && d.Direction != "in") {
		return fmt.Errorf("warehouse: document %q of unit %q: unit, direction and key are required", d.DocKey, d.UnitCode)
	}
	if s.Medium == "" {
		s.Medium = d.Medium
	}
	if d.Medium == "" {
		d.Medium = s.Medium
	}
	if d.Series == "" {
		d.Series = "regular"
	}
	if d.DocType == "" {
		d.DocType = "khac"
	}
	if d.Family == "" {
		d.Family = "unknown"
	}
	seen := s.SeenAt
	if seen.IsZero() {
		seen = time.Now()
	}
	counterparts := d.Counterparts
	if counterparts == nil {
		counterparts = []string{}
	}
	const q = `
WITH sighting AS (
  INSERT INTO document_sightings (source, source_key, unit_code, direction, doc_key, medium, seen_at, run_id)
  VALUES ($19, $20, $1, $2, $3, $12, $21, $22)
  ON CONFLICT (unit_code, direction, doc_key, source, source_key)
  DO UPDATE SET medium = EXCLUDED.medium, seen_at = EXCLUDED.seen_at, run_id = EXCLUDED.run_id
  RETURNING 1)
INSERT INTO documents AS d (unit_code, direction, doc_key, document_id, issuer_code, code_number, code_notation,
  series, doc_type, family, is_secret, medium, issued_on, event_on, counterparts, counterpart_relation,
  subject, priority, revoked, revoked_at, latest_status, latest_status_at, first_seen_run, last_seen_run, updated_at)
SELECT $1, $2, $3, NULLIF($4,''), NULLIF($5,''), NULLIF($6,''), NULLIF($7,''), $8, $9, $10, $11,
  CASE WHEN $12 = 'electronic' OR EXISTS (SELECT 1 FROM document_sightings x WHERE x.unit_code = $1 AND x.direction = $2
       AND x.doc_key = $3 AND x.medium = 'electronic' AND NOT (x.source = $19 AND x.source_key = $20))
       THEN 'electronic' ELSE 'paper' END,
  $13, $14, $15, NULLIF($16,''), NULLIF($17,''), $18,
  EXISTS (SELECT 1 FROM document_revocations v WHERE v.doc_key = $3 AND v.kind = 1),
  (SELECT min(v.at) FROM document_revocations v WHERE v.doc_key = $3 AND v.kind = 1),
  st.status_code, st.status_at, $22, $22, now()
FROM (SELECT 1) one
LEFT JOIN LATERAL (SELECT status_code, status_at FROM document_statuses s WHERE s.doc_key = $3 AND $2 = 'out'
                   ORDER BY status_at DESC, status_code DESC LIMIT 1) st ON true
ON CONFLICT (unit_code, direction, doc_key) DO UPDATE SET
  document_id   = COALESCE(EXCLUDED.document_id, d.document_id),
  issuer_code   = COALESCE(EXCLUDED.issuer_code, d.issuer_code),
  code_number   = COALESCE(EXCLUDED.code_number, d.code_number),
  code_notation = COALESCE(EXCLUDED.code_notation, d.code_notation),
  doc_type      = CASE WHEN EXCLUDED.doc_type <> 'khac' THEN EXCLUDED.doc_type ELSE d.doc_type END,
  family        = CASE WHEN EXCLUDED.family <> 'unknown' THEN EXCLUDED.family ELSE d.family END,
  is_secret     = d.is_secret OR EXCLUDED.is_secret,
  medium        = CASE WHEN d.medium = 'electronic' OR EXCLUDED.medium = 'electronic' THEN 'electronic' ELSE 'paper' END,
  issued_on     = COALESCE(EXCLUDED.issued_on, d.issued_on),
  event_on      = COALESCE(EXCLUDED.event_on, d.event_on),
  counterparts  = ARRAY(SELECT DISTINCT c FROM unnest(d.counterparts || EXCLUDED.counterparts) c ORDER BY c),
  counterpart_relation = (` + relationRank + `)[GREATEST(array_position(` + relationRank + `, d.counterpart_relation),
                                                 array_position(` + relationRank + `, EXCLUDED.counterpart_relation))],
  subject       = COALESCE(EXCLUDED.subject, d.subject),
  priority      = COALESCE(EXCLUDED.priority, d.priority),
  last_seen_run = EXCLUDED.last_seen_run,
  updated_at    = now()`
	if err := r.exec(ctx, q, d.UnitCode, d.Direction, d.DocKey, d.DocumentID, d.IssuerCode, d.CodeNumber, d.CodeNotation,
		d.Series, d.DocType, d.Family, d.IsSecret, d.Medium, d.IssuedOn, d.EventOn, pq.Array(counterparts),
		d.CounterpartRelation, d.Subject, d.Priority, s.Source, s.SourceKey, seen, r.id); err != nil {
		return fmt.Errorf("warehouse: document %s (%s %s): %w", d.DocKey, d.UnitCode, d.Direction, err)
	}
	r.pUpserted++
	return nil
}

// ApplyStatus records a status report and moves the outgoing document's
// latest_status forward (the history per recipient stays in document_statuses).
func (r *Run) ApplyStatus(ctx context.Context, st DocumentStatus) error {
	if st.Target.DocKey == "" {
		return fmt.Errorf("warehouse: status %s from %s: no target document", st.Code, st.Reporter)
	}
	if err := r.exec(ctx, `INSERT INTO document_statuses (doc_key, reporter, status_code, status_at, document_id, description, source_key, run_id)
		VALUES ($1, $2, $3, $4, NULLIF($5,''), NULLIF($6,''), $7, $8) ON CONFLICT DO NOTHING`,
		st.Target.DocKey, st.Reporter, st.Code, st.At, st.Target.DocumentID, st.Description, st.SourceKey, r.id); err != nil {
		return fmt.Errorf("warehouse: status %s of %s: %w", st.Code, st.Target.DocKey, err)
	}
	if err := r.exec(ctx, `UPDATE documents SET latest_status = $2, latest_status_at = $3, updated_at = now()
		WHERE doc_key = $1 AND direction = 'out' AND (latest_status_at IS NULL OR latest_status_at <= $3)`,
		st.Target.DocKey, st.Code, st.At); err != nil {
		return fmt.Errorf("warehouse: status %s of %s: %w", st.Code, st.Target.DocKey, err)
	}
	r.pUpserted++
	return nil
}

// Revoke records a revocation, update or replacement; a revocation (kind 1)
// marks the target revoked in every unit and direction (it still counts as
// issued).
func (r *Run) Revoke(ctx context.Context, v Revocation) error {
	if v.Target.DocKey == "" {
		return fmt.Errorf("warehouse: revocation %s: no target document", v.SourceKey)
	}
	if err := r.exec(ctx, `INSERT INTO document_revocations (doc_key, kind, at, document_id, reason, source_key, run_id)
		VALUES ($1, $2, $3, NULLIF($4,''), NULLIF($5,''), $6, $7)
		ON CONFLICT (doc_key, kind, source_key) DO UPDATE SET at = EXCLUDED.at, reason = EXCLUDED.reason, run_id = EXCLUDED.run_id`,
		v.Target.DocKey, v.Kind, v.At, v.Target.DocumentID, v.Reason, v.SourceKey, r.id); err != nil {
		return fmt.Errorf("warehouse: revocation of %s: %w", v.Target.DocKey, err)
	}
	if v.Kind == 1 {
		if err := r.exec(ctx, `UPDATE documents SET revoked = true, revoked_at = COALESCE(revoked_at, $2), updated_at = now() WHERE doc_key = $1`,
			v.Target.DocKey, v.At); err != nil {
			return fmt.Errorf("warehouse: revocation of %s: %w", v.Target.DocKey, err)
		}
	}
	r.pUpserted++
	return nil
}

// UpsertDossier writes a dossier, its steps and its sighting. The record
// with the latest source update wins; an older copy only adds its sighting.
func (r *Run) UpsertDossier(ctx context.Context, d Dossier, steps []DossierStep, s DossierSighting) error {
	if d.UnitCode == "" || d.MaHoSo == "" {
		return fmt.Errorf("warehouse: dossier %q of unit %q: unit and MaHoSo are required", d.MaHoSo, d.UnitCode)
	}
	if err := r.exec(ctx, `
INSERT INTO dossiers AS x (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at,
  finished_at, returned_at, refused_at, result_method, input_digitized, result_electronic, reused_data,
  supplements, source, source_updated_at, first_seen_run, last_seen_run, updated_at)
VALUES ($1, $2, NULLIF($3,''),
  COALESCE($4, (SELECT p.level FROM procedures p WHERE p.ma_tthc = NULLIF($3,'') AND p.level IN ('toan_trinh','mot_phan'))),
  $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, now())
ON CONFLICT (unit_code, ma_ho_so) DO UPDATE SET
  ma_tthc = EXCLUDED.ma_tthc, procedure_level = COALESCE(EXCLUDED.procedure_level, x.procedure_level),
  channel = EXCLUDED.channel, status = EXCLUDED.status, received_at = EXCLUDED.received_at,
  due_at = EXCLUDED.due_at, finished_at = EXCLUDED.finished_at, returned_at = EXCLUDED.returned_at,
  refused_at = EXCLUDED.refused_at, result_method = EXCLUDED.result_method,
  input_digitized = EXCLUDED.input_digitized, result_electronic = EXCLUDED.result_electronic,
  reused_data = EXCLUDED.reused_data, supplements = EXCLUDED.supplements, source = EXCLUDED.source,
  source_updated_at = EXCLUDED.source_updated_at, last_seen_run = EXCLUDED.last_seen_run, updated_at = now()
WHERE x.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL OR EXCLUDED.source_updated_at >= x.source_updated_at`,
		d.UnitCode, d.MaHoSo, d.MaTTHC, d.ProcedureLevel, d.Channel, d.Status, d.ReceivedAt, d.DueAt,
		d.FinishedAt, d.ReturnedAt, d.RefusedAt, d.ResultMethod, d.InputDigitized, d.ResultElectronic, d.ReusedData,
		d.Supplements, d.Source, d.SourceUpdatedAt, r.id); err != nil {
		return fmt.Errorf("warehouse: dossier %s: %w", d.MaHoSo, err)
	}
	for _, st := range steps {
		if err := r.exec(ctx, `INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status, actor, action) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (unit_code, ma_ho_so, at, action) DO UPDATE SET status = EXCLUDED.status, actor = EXCLUDED.actor`,
			d.UnitCode, d.MaHoSo, st.At, st.Status, st.Actor, st.Action); err != nil {
			return fmt.Errorf("warehouse: dossier %s step at %s: %w", d.MaHoSo, st.At.Format(time.RFC3339), err)
		}
	}
	if s.Source != "" {
		var raw any
		if len(s.Raw) > 0 {
			raw = string(s.Raw)
		}
		if err := r.exec(ctx, `INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so, raw, seen_at, run_id)
			VALUES ($1, $2, $3, $4, $5, now(), $6)
			ON CONFLICT (unit_code, ma_ho_so, source, source_key) DO UPDATE SET raw = EXCLUDED.raw, seen_at = now(), run_id = EXCLUDED.run_id`,
			s.Source, s.SourceKey, d.UnitCode, d.MaHoSo, raw, r.id); err != nil {
			return fmt.Errorf("warehouse: dossier %s sighting: %w", d.MaHoSo, err)
		}
	}
	r.pUpserted++
	return nil
}

// UpsertProcedure writes a catalogue entry and fills the procedure level of
// dossiers that did not know it.
func (r *Run) UpsertProcedure(ctx context.Context, p Procedure) error {
	if p.MaTTHC == "" {
		return fmt.Errorf("warehouse: procedure without ma_tthc")
	}
	if err := r.exec(ctx, `INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days, source, updated_at)
		VALUES ($1, NULLIF($2,''), NULLIF($3,''), $4, $5, $6, now())
		ON CONFLICT (ma_tthc) DO UPDATE SET name = COALESCE(EXCLUDED.name, procedures.name), level = COALESCE(EXCLUDED.level, procedures.level),
		  requires_result = EXCLUDED.requires_result, max_days = COALESCE(EXCLUDED.max_days, procedures.max_days),
		  source = EXCLUDED.source, updated_at = now()
		WHERE procedures.source IS DISTINCT FROM 'file' OR EXCLUDED.source = 'file'`,
		p.MaTTHC, p.Name, p.Level, p.RequiresResult, p.MaxDays, p.Source); err != nil {
		return fmt.Errorf("warehouse: procedure %s: %w", p.MaTTHC, err)
	}
	if p.Level == "toan_trinh" || p.Level == "mot_phan" {
		if err := r.exec(ctx, `UPDATE dossiers SET procedure_level = p.level FROM procedures p
			WHERE dossiers.ma_tthc = $1 AND p.ma_tthc = $1 AND p.level IN ('toan_trinh','mot_phan') AND dossiers.procedure_level IS NULL`, p.MaTTHC); err != nil {
			return fmt.Errorf("warehouse: procedure %s: %w", p.MaTTHC, err)
		}
	}
	r.pUpserted++
	return nil
}

// UpsertMeeting writes one meeting occurrence.
func (r *Run) UpsertMeeting(ctx context.Context, m Meeting) error {
	if m.UnitCode == "" || m.UID == "" || m.Source == "" {
		return fmt.Errorf("warehouse: meeting %q: unit, source and uid are required", m.UID)
	}
	if err := r.exec(ctx, `
INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions,
  online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled, first_seen_run, last_seen_run, updated_at)
VALUES ($1, $2, $3, $4, NULLIF($5,''), NULLIF($6,''), $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, now())
ON CONFLICT (unit_code, source, uid) DO UPDATE SET title = EXCLUDED.title, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
  organized_by_self = EXCLUDED.organized_by_self, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
  sessions = EXCLUDED.sessions, online = EXCLUDED.online, paperless = EXCLUDED.paperless,
  materials_sent_at = EXCLUDED.materials_sent_at, discussion_minutes = EXCLUDED.discussion_minutes,
  total_minutes = EXCLUDED.total_minutes, cancelled = EXCLUDED.cancelled, last_seen_run = EXCLUDED.last_seen_run, updated_at = now()`,
		m.UnitCode, m.Source, m.UID, m.Title, m.Kind, m.Scope, m.OrganizedBySelf, m.StartsAt, m.EndsAt, m.Sessions,
		m.Online, m.Paperless, m.MaterialsSentAt, m.DiscussionMinutes, m.TotalMinutes, m.Cancelled, r.id); err != nil {
		return fmt.Errorf("warehouse: meeting %s: %w", m.UID, err)
	}
	r.pUpserted++
	return nil
}
