package warehouse

import (
	"context"
	"fmt"
	"time"

	"chiso/warehouse/facts"
)

// relationRank orders counterpart relations; the highest wins.
const relationRank = `ARRAY['external','internal','self','lower','peer','higher']`

// UpsertDossier writes a dossier, its steps and its sighting. The record
// with the latest source update wins; an older copy only adds its sighting.
func (r *Run) UpsertDossier(ctx context.Context, d facts.Dossier, steps []facts.DossierStep, s facts.DossierSighting) error {
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
`+dossierConflict,
		d.UnitCode, d.MaHoSo, d.MaTTHC, d.ProcedureLevel, d.Channel, d.Status, d.ReceivedAt, d.DueAt,
		d.FinishedAt, d.ReturnedAt, d.RefusedAt, d.ResultMethod, d.InputDigitized, d.ResultElectronic, d.ReusedData,
		d.Supplements, d.Source, d.SourceUpdatedAt, r.id); err != nil {
		return fmt.Errorf("warehouse: dossier %s: %w", d.MaHoSo, err)
	}
	for _, st := range steps {
		if err := r.exec(ctx, `INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status, actor) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (unit_code, ma_ho_so, at) DO UPDATE SET status = EXCLUDED.status, actor = EXCLUDED.actor`,
			d.UnitCode, d.MaHoSo, st.At, st.Status, st.Actor); err != nil {
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
func (r *Run) UpsertProcedure(ctx context.Context, p facts.Procedure) error {
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
func (r *Run) UpsertMeeting(ctx context.Context, m facts.Meeting) error {
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
