package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DossierWrite is one dossier with its steps and sighting, for UpsertDossiers.
type DossierWrite struct {
	Dossier  Dossier
	Steps    []DossierStep
	Sighting DossierSighting
}

type dossierRow struct {
	UnitCode         string     `json:"unit_code"`
	MaHoSo           string     `json:"ma_ho_so"`
	MaTTHC           string     `json:"ma_tthc"`
	ProcedureLevel   *string    `json:"procedure_level"`
	Channel          *string    `json:"channel"`
	Status           *int       `json:"status"`
	ReceivedAt       *time.Time `json:"received_at"`
	DueAt            *time.Time `json:"due_at"`
	FinishedAt       *time.Time `json:"finished_at"`
	ReturnedAt       *time.Time `json:"returned_at"`
	RefusedAt        *time.Time `json:"refused_at"`
	ResultMethod     *string    `json:"result_method"`
	InputDigitized   bool       `json:"input_digitized"`
	ResultElectronic bool       `json:"result_electronic"`
	ReusedData       bool       `json:"reused_data"`
	Supplements      int        `json:"supplements"`
	Source           string     `json:"source"`
	SourceUpdatedAt  *time.Time `json:"source_updated_at"`
}

type stepRow struct {
	UnitCode string    `json:"unit_code"`
	MaHoSo   string    `json:"ma_ho_so"`
	At       time.Time `json:"at"`
	Status   *int      `json:"status"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
}

type sightingRow struct {
	Source    string          `json:"source"`
	SourceKey string          `json:"source_key"`
	UnitCode  string          `json:"unit_code"`
	MaHoSo    string          `json:"ma_ho_so"`
	Raw       json.RawMessage `json:"raw"`
}

// UpsertDossiers writes a batch of dossiers in three statements (dossiers,
// steps, sightings) with the rules of UpsertDossier: the record with the
// latest source update wins, an older copy only adds its sighting and steps,
// the procedure level comes from the catalogue when the record has none.
// Within the batch, copies of one dossier collapse to the latest.
func (r *Run) UpsertDossiers(ctx context.Context, batch []DossierWrite) error {
	if len(batch) == 0 {
		return nil
	}
	rows := make([]dossierRow, 0, len(batch))
	at := map[[2]string]int{}
	var steps []stepRow
	stepSeen := map[string]bool{}
	var sightings []sightingRow
	sightAt := map[[4]string]int{}
	for _, w := range batch {
		d := w.Dossier
		if d.UnitCode == "" || d.MaHoSo == "" {
			return fmt.Errorf("warehouse: dossier %q of unit %q: unit and MaHoSo are required", d.MaHoSo, d.UnitCode)
		}
		row := dossierRow{d.UnitCode, d.MaHoSo, d.MaTTHC, d.ProcedureLevel, d.Channel, d.Status, d.ReceivedAt, d.DueAt,
			d.FinishedAt, d.ReturnedAt, d.RefusedAt, d.ResultMethod, d.InputDigitized, d.ResultElectronic, d.ReusedData,
			d.Supplements, d.Source, d.SourceUpdatedAt}
		k := [2]string{d.UnitCode, d.MaHoSo}
		if i, dup := at[k]; dup {
			prev := rows[i].SourceUpdatedAt
			if prev == nil || d.SourceUpdatedAt == nil || !d.SourceUpdatedAt.Before(*prev) {
				rows[i] = row
			}
		} else {
			at[k] = len(rows)
			rows = append(rows, row)
		}
		for _, s := range w.Steps {
			sk := d.UnitCode + "\x00" + d.MaHoSo + "\x00" + s.At.UTC().Format(time.RFC3339Nano) + "\x00" + s.Action
			if stepSeen[sk] {
				continue
			}
			stepSeen[sk] = true
			steps = append(steps, stepRow{d.UnitCode, d.MaHoSo, s.At, s.Status, s.Actor, s.Action})
		}
		if s := w.Sighting; s.Source != "" {
			raw := json.RawMessage("null")
			if len(s.Raw) > 0 && json.Valid(s.Raw) {
				raw = s.Raw
			}
			sr := sightingRow{s.Source, s.SourceKey, d.UnitCode, d.MaHoSo, raw}
			sk := [4]string{d.UnitCode, d.MaHoSo, s.Source, s.SourceKey}
			if i, dup := sightAt[sk]; dup {
				sightings[i] = sr
			} else {
				sightAt[sk] = len(sightings)
				sightings = append(sightings, sr)
			}
		}
	}
	tx, err := r.Tx(ctx)
	if err != nil {
		return err
	}
	js, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("warehouse: dossiers: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO dossiers AS x (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at,
  finished_at, returned_at, refused_at, result_method, input_digitized, result_electronic, reused_data,
  supplements, source, source_updated_at, first_seen_run, last_seen_run, updated_at)
SELECT r.unit_code, r.ma_ho_so, NULLIF(r.ma_tthc,''), COALESCE(r.procedure_level, p.level), r.channel, r.status,
  r.received_at, r.due_at, r.finished_at, r.returned_at, r.refused_at, r.result_method, r.input_digitized,
  r.result_electronic, r.reused_data, r.supplements, r.source, r.source_updated_at, $2, $2, now()
FROM jsonb_to_recordset($1::jsonb) AS r(unit_code text, ma_ho_so text, ma_tthc text, procedure_level text, channel text,
  status smallint, received_at timestamptz, due_at timestamptz, finished_at timestamptz, returned_at timestamptz,
  refused_at timestamptz, result_method text, input_digitized boolean, result_electronic boolean, reused_data boolean,
  supplements integer, source text, source_updated_at timestamptz)
LEFT JOIN procedures p ON p.ma_tthc = NULLIF(r.ma_tthc,'') AND p.level IN ('toan_trinh','mot_phan')
ON CONFLICT (unit_code, ma_ho_so) DO UPDATE SET
  ma_tthc = EXCLUDED.ma_tthc, procedure_level = COALESCE(EXCLUDED.procedure_level, x.procedure_level),
  channel = EXCLUDED.channel, status = EXCLUDED.status, received_at = EXCLUDED.received_at,
  due_at = EXCLUDED.due_at, finished_at = EXCLUDED.finished_at, returned_at = EXCLUDED.returned_at,
  refused_at = EXCLUDED.refused_at, result_method = EXCLUDED.result_method,
  input_digitized = EXCLUDED.input_digitized, result_electronic = EXCLUDED.result_electronic,
  reused_data = EXCLUDED.reused_data, supplements = EXCLUDED.supplements, source = EXCLUDED.source,
  source_updated_at = EXCLUDED.source_updated_at, last_seen_run = EXCLUDED.last_seen_run, updated_at = now()
WHERE x.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL OR EXCLUDED.source_updated_at >= x.source_updated_at`,
		string(js), r.id); err != nil {
		return fmt.Errorf("warehouse: dossiers batch of %d: %w", len(rows), err)
	}
	if len(steps) > 0 {
		js, err := json.Marshal(steps)
		if err != nil {
			return fmt.Errorf("warehouse: dossier steps: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status, actor, action)
SELECT r.unit_code, r.ma_ho_so, r.at, r.status, r.actor, r.action
FROM jsonb_to_recordset($1::jsonb) AS r(unit_code text, ma_ho_so text, at timestamptz, status smallint, actor text, action text)
ON CONFLICT (unit_code, ma_ho_so, at, action) DO UPDATE SET status = EXCLUDED.status, actor = EXCLUDED.actor`, string(js)); err != nil {
			return fmt.Errorf("warehouse: dossier steps batch of %d: %w", len(steps), err)
		}
	}
	if len(sightings) > 0 {
		js, err := json.Marshal(sightings)
		if err != nil {
			return fmt.Errorf("warehouse: dossier sightings: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so, raw, seen_at, run_id)
SELECT r.source, r.source_key, r.unit_code, r.ma_ho_so, r.raw, now(), $2
FROM jsonb_to_recordset($1::jsonb) AS r(source text, source_key text, unit_code text, ma_ho_so text, raw jsonb)
ON CONFLICT (unit_code, ma_ho_so, source, source_key) DO UPDATE SET raw = EXCLUDED.raw, seen_at = now(), run_id = EXCLUDED.run_id`,
			string(js), r.id); err != nil {
			return fmt.Errorf("warehouse: dossier sightings batch of %d: %w", len(sightings), err)
		}
	}
	r.CountUpserted(len(batch))
	return nil
}

// ProcedureCodes lists the ma_tthc of the procedure catalogue.
func (s *Store) ProcedureCodes(ctx context.Context) (map[string]bool, error) {
	var codes []string
	if err := s.DB.SelectContext(ctx, &codes, `SELECT ma_tthc FROM procedures`); err != nil {
		return nil, fmt.Errorf("warehouse: procedure codes: %w", err)
	}
	out := make(map[string]bool, len(codes))
	for _, c := range codes {
		out[c] = true
	}
	return out, nil
}

// DossierSource returns what a dossier was last built from: the raw record
// of its latest sighting (personal data already stripped; found is false
// when there is none) and its stored steps (also when found is false: steps
// may arrive before their record).
func (r *Run) DossierSource(ctx context.Context, unit, maHoSo string) (raw []byte, steps []DossierStep, found bool, err error) {
	tx, err := r.Tx(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	var s sql.NullString
	err = tx.GetContext(ctx, &s, `SELECT raw::text FROM dossier_sightings WHERE unit_code = $1 AND ma_ho_so = $2 AND raw IS NOT NULL
		ORDER BY seen_at DESC, source, source_key LIMIT 1`, unit, maHoSo)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, nil, false, fmt.Errorf("warehouse: dossier %s: %w", maHoSo, err)
	default:
		raw, found = []byte(s.String), true
	}
	rows, err := tx.QueryxContext(ctx, `SELECT at, status, COALESCE(actor,''), COALESCE(action,'') FROM dossier_steps
		WHERE unit_code = $1 AND ma_ho_so = $2 ORDER BY at, action`, unit, maHoSo)
	if err != nil {
		return nil, nil, false, fmt.Errorf("warehouse: dossier %s steps: %w", maHoSo, err)
	}
	defer rows.Close()
	for rows.Next() {
		var st DossierStep
		var status sql.NullInt64
		if err := rows.Scan(&st.At, &status, &st.Actor, &st.Action); err != nil {
			return nil, nil, false, err
		}
		if status.Valid {
			v := int(status.Int64)
			st.Status = &v
		}
		steps = append(steps, st)
	}
	return raw, steps, found, rows.Err()
}

// UpsertDossierSteps writes steps of a dossier whose record has not arrived.
func (r *Run) UpsertDossierSteps(ctx context.Context, unit, maHoSo string, steps []DossierStep) error {
	if len(steps) == 0 {
		return nil
	}
	rows := make([]stepRow, len(steps))
	for i, s := range steps {
		rows[i] = stepRow{unit, maHoSo, s.At, s.Status, s.Actor, s.Action}
	}
	js, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	return r.exec(ctx, `
INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status, actor, action)
SELECT r.unit_code, r.ma_ho_so, r.at, r.status, r.actor, r.action
FROM jsonb_to_recordset($1::jsonb) AS r(unit_code text, ma_ho_so text, at timestamptz, status smallint, actor text, action text)
ON CONFLICT (unit_code, ma_ho_so, at, action) DO UPDATE SET status = EXCLUDED.status, actor = EXCLUDED.actor`, string(js))
}
