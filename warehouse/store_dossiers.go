package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"chiso/warehouse/facts"
)

// UpsertDossiers writes a batch of dossiers in three statements (dossiers,
// steps, sightings) with the rules of UpsertDossier: the record with the
// latest source update wins, an older copy only adds its sighting and steps,
// the procedure level comes from the catalogue when the record has none.
// Within the batch, copies of one dossier collapse to the latest.
//
// Each statement takes its rows as one PostgreSQL array per column
// (unnest), encoded below without reflection: one round
// trip per table, nothing for the server to parse but the values
// themselves.
func (r *Run) UpsertDossiers(ctx context.Context, batch []facts.DossierWrite) error {
	if len(batch) == 0 {
		return nil
	}
	b := getDossierBatch()
	defer putDossierBatch(b)
	if err := b.collect(batch); err != nil {
		return err
	}
	tx, err := r.Tx(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, upsertDossiersSQL, append(b.dossierArgs(), r.id)...); err != nil {
		return fmt.Errorf("warehouse: dossiers batch of %d: %w", len(b.rows), err)
	}
	if len(b.steps) > 0 {
		if _, err := tx.ExecContext(ctx, upsertStepsSQL, b.stepArgs(b.steps)...); err != nil {
			return fmt.Errorf("warehouse: dossier steps batch of %d: %w", len(b.steps), err)
		}
	}
	if len(b.sightings) > 0 {
		if _, err := tx.ExecContext(ctx, upsertSightingsSQL, append(b.sightingArgs(), r.id)...); err != nil {
			return fmt.Errorf("warehouse: dossier sightings batch of %d: %w", len(b.sightings), err)
		}
	}
	r.CountUpserted(len(batch))
	return nil
}

// dossierConflict is the rule both dossier writes (UpsertDossier and
// UpsertDossiers) end with: the record with the latest source update wins,
// the catalogue's procedure level is kept when the record has none.
const dossierConflict = `
ON CONFLICT (unit_code, ma_ho_so) DO UPDATE SET
  ma_tthc = EXCLUDED.ma_tthc, procedure_level = COALESCE(EXCLUDED.procedure_level, x.procedure_level),
  channel = EXCLUDED.channel, status = EXCLUDED.status, received_at = EXCLUDED.received_at,
  due_at = EXCLUDED.due_at, finished_at = EXCLUDED.finished_at, returned_at = EXCLUDED.returned_at,
  refused_at = EXCLUDED.refused_at, result_method = EXCLUDED.result_method,
  input_digitized = EXCLUDED.input_digitized, result_electronic = EXCLUDED.result_electronic,
  reused_data = EXCLUDED.reused_data, supplements = EXCLUDED.supplements, source = EXCLUDED.source,
  source_updated_at = EXCLUDED.source_updated_at, last_seen_run = EXCLUDED.last_seen_run, updated_at = now()
WHERE x.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL OR EXCLUDED.source_updated_at >= x.source_updated_at`

const upsertDossiersSQL = `
INSERT INTO dossiers AS x (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at,
  finished_at, returned_at, refused_at, result_method, input_digitized, result_electronic, reused_data,
  supplements, source, source_updated_at, first_seen_run, last_seen_run, updated_at)
SELECT r.unit_code, r.ma_ho_so, NULLIF(r.ma_tthc,''), COALESCE(r.procedure_level, p.level), r.channel, r.status,
  r.received_at, r.due_at, r.finished_at, r.returned_at, r.refused_at, r.result_method, r.input_digitized,
  r.result_electronic, r.reused_data, r.supplements, r.source, r.source_updated_at, $19, $19, now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::timestamptz[],
  $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::boolean[],
  $14::boolean[], $15::boolean[], $16::integer[], $17::text[], $18::timestamptz[])
  AS r(unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at, finished_at, returned_at,
  refused_at, result_method, input_digitized, result_electronic, reused_data, supplements, source, source_updated_at)
LEFT JOIN procedures p ON p.ma_tthc = NULLIF(r.ma_tthc,'') AND p.level IN ('toan_trinh','mot_phan')
` + dossierConflict

const upsertStepsSQL = `
INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status, actor)
SELECT r.unit_code, r.ma_ho_so, r.at, r.status, r.actor
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::smallint[], $5::text[])
  AS r(unit_code, ma_ho_so, "at", status, actor)
ON CONFLICT (unit_code, ma_ho_so, at) DO UPDATE SET status = EXCLUDED.status, actor = EXCLUDED.actor`

// The raw records travel as one JSON array ($5), zipped with the key
// arrays: no escaping on the way, one parse on arrival.
const upsertSightingsSQL = `
INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so, raw, seen_at, run_id)
SELECT r.source, r.source_key, r.unit_code, r.ma_ho_so, NULLIF(r.raw, 'null'::jsonb), now(), $6
FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), jsonb_array_elements($5::jsonb))
  AS r(source, source_key, unit_code, ma_ho_so, raw)
ON CONFLICT (unit_code, ma_ho_so, source, source_key) DO UPDATE SET raw = EXCLUDED.raw, seen_at = now(), run_id = EXCLUDED.run_id`

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
func (r *Run) DossierSource(ctx context.Context, unit, maHoSo string) (raw []byte, steps []facts.DossierStep, found bool, err error) {
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
	rows, err := tx.QueryxContext(ctx, `SELECT at, status, COALESCE(actor,'') FROM dossier_steps
		WHERE unit_code = $1 AND ma_ho_so = $2 ORDER BY at`, unit, maHoSo)
	if err != nil {
		return nil, nil, false, fmt.Errorf("warehouse: dossier %s steps: %w", maHoSo, err)
	}
	defer rows.Close()
	for rows.Next() {
		var st facts.DossierStep
		var status sql.NullInt64
		if err := rows.Scan(&st.At, &status, &st.Actor); err != nil {
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
func (r *Run) UpsertDossierSteps(ctx context.Context, unit, maHoSo string, steps []facts.DossierStep) error {
	if len(steps) == 0 {
		return nil
	}
	b := getDossierBatch()
	defer putDossierBatch(b)
	rows := make([]stepRow, len(steps))
	for i, s := range steps {
		rows[i] = stepRow{unit, maHoSo, s}
	}
	if err := r.exec(ctx, upsertStepsSQL, b.stepArgs(rows)...); err != nil {
		return fmt.Errorf("warehouse: dossier %s steps: %w", maHoSo, err)
	}
	return nil
}

// dossierBatch holds one batch's rows after de-duplication and the column
// arrays sent for them; batches are reused so that a long pull does not
// allocate new buffers for each batch.
type dossierBatch struct {
	rows      []facts.Dossier
	at        map[[2]string]int
	steps     []stepRow
	stepAt    map[stepKey]int // index in steps
	sightings []sightingRow
	sightAt   map[[4]string]int
	cols      [18]pgArray
}

type stepRow struct {
	unit, ma string
	facts.DossierStep
}

// stepKey is the key of dossier_steps: one step per dossier and instant.
type stepKey struct {
	unit, ma string
	at       int64 // UnixNano
}

type sightingRow struct {
	source, key, unit, ma string
	raw                   []byte // nil: SQL NULL
}

// freeBatches keeps a few batches for reuse (a sync.Pool would drop them at
// every garbage collection, which a pull triggers often).
var freeBatches struct {
	sync.Mutex
	list []*dossierBatch
}

func getDossierBatch() *dossierBatch {
	freeBatches.Lock()
	defer freeBatches.Unlock()
	if n := len(freeBatches.list); n > 0 {
		b := freeBatches.list[n-1]
		freeBatches.list = freeBatches.list[:n-1]
		return b
	}
	return &dossierBatch{at: map[[2]string]int{}, stepAt: map[stepKey]int{}, sightAt: map[[4]string]int{}}
}

func putDossierBatch(b *dossierBatch) {
	clear(b.at)
	clear(b.stepAt)
	clear(b.sightAt)
	clear(b.rows)
	clear(b.steps)
	clear(b.sightings)
	b.rows, b.steps, b.sightings = b.rows[:0], b.steps[:0], b.sightings[:0]
	for i := range b.cols {
		if cap(b.cols[i].buf) > 8<<20 { // do not keep an outsized buffer
			b.cols[i].buf = nil
		}
	}
	freeBatches.Lock()
	defer freeBatches.Unlock()
	if len(freeBatches.list) < 4 {
		freeBatches.list = append(freeBatches.list, b)
	}
}

// collect checks and de-duplicates a batch: the latest copy of a dossier
// wins, steps collapse on their time (the last given wins, as in the
// mapping and as a later write does), the last sighting of a key wins.
func (b *dossierBatch) collect(batch []facts.DossierWrite) error {
	for _, w := range batch {
		d := w.Dossier
		if d.UnitCode == "" || d.MaHoSo == "" {
			return fmt.Errorf("warehouse: dossier %q of unit %q: unit and MaHoSo are required", d.MaHoSo, d.UnitCode)
		}
		k := [2]string{d.UnitCode, d.MaHoSo}
		if i, dup := b.at[k]; dup {
			prev := b.rows[i].SourceUpdatedAt
			if prev == nil || d.SourceUpdatedAt == nil || !d.SourceUpdatedAt.Before(*prev) {
				b.rows[i] = d
			}
		} else {
			b.at[k] = len(b.rows)
			b.rows = append(b.rows, d)
		}
		for _, s := range w.Steps {
			sk := stepKey{d.UnitCode, d.MaHoSo, s.At.UnixNano()}
			if i, dup := b.stepAt[sk]; dup {
				b.steps[i] = stepRow{d.UnitCode, d.MaHoSo, s}
				continue
			}
			b.stepAt[sk] = len(b.steps)
			b.steps = append(b.steps, stepRow{d.UnitCode, d.MaHoSo, s})
		}
		if s := w.Sighting; s.Source != "" {
			var raw []byte
			if len(s.Raw) > 0 && json.Valid(s.Raw) && storableJSON(s.Raw) {
				raw = s.Raw
			}
			sr := sightingRow{s.Source, s.SourceKey, d.UnitCode, d.MaHoSo, raw}
			sk := [4]string{d.UnitCode, d.MaHoSo, s.Source, s.SourceKey}
			if i, dup := b.sightAt[sk]; dup {
				b.sightings[i] = sr
			} else {
				b.sightAt[sk] = len(b.sightings)
				b.sightings = append(b.sightings, sr)
			}
		}
	}
	return nil
}

func (b *dossierBatch) dossierArgs() []any {
	c := &b.cols
	for i := range 18 {
		c[i].start()
	}
	for _, d := range b.rows {
		c[0].text(d.UnitCode)
		c[1].text(d.MaHoSo)
		c[2].text(d.MaTTHC)
		c[3].textPtr(d.ProcedureLevel)
		c[4].textPtr(d.Channel)
		c[5].intPtr(d.Status)
		c[6].time(d.ReceivedAt)
		c[7].time(d.DueAt)
		c[8].time(d.FinishedAt)
		c[9].time(d.ReturnedAt)
		c[10].time(d.RefusedAt)
		c[11].textPtr(d.ResultMethod)
		c[12].bool(d.InputDigitized)
		c[13].bool(d.ResultElectronic)
		c[14].bool(d.ReusedData)
		c[15].int(d.Supplements)
		c[16].text(d.Source)
		c[17].time(d.SourceUpdatedAt)
	}
	args := make([]any, 18, 19)
	for i := range 18 {
		args[i] = c[i].end()
	}
	return args
}

func (b *dossierBatch) stepArgs(steps []stepRow) []any {
	c := &b.cols
	for i := range 5 {
		c[i].start()
	}
	for _, s := range steps {
		c[0].text(s.unit)
		c[1].text(s.ma)
		at := s.At
		c[2].time(&at)
		c[3].intPtr(s.Status)
		c[4].text(s.Actor)
	}
	args := make([]any, 5)
	for i := range 5 {
		args[i] = c[i].end()
	}
	return args
}

func (b *dossierBatch) sightingArgs() []any {
	c := &b.cols
	for i := range 4 {
		c[i].start()
	}
	raws := append(c[4].buf[:0], '[')
	for i, s := range b.sightings {
		c[0].text(s.source)
		c[1].text(s.key)
		c[2].text(s.unit)
		c[3].text(s.ma)
		if i > 0 {
			raws = append(raws, ',')
		}
		switch {
		case s.raw == nil:
			raws = append(raws, "null"...)
		case !utf8.Valid(s.raw):
			raws = append(raws, bytes.ToValidUTF8(s.raw, []byte("\uFFFD"))...)
		default:
			raws = append(raws, s.raw...)
		}
	}
	c[4].buf = append(raws, ']')
	args := make([]any, 5, 6)
	for i := range 4 {
		args[i] = c[i].end()
	}
	args[4] = c[4].buf
	return args
}

// storableJSON is the last line for a sighting's raw record (the mapping
// rejects a record whose kept text cannot be stored, naming the field):
// bad UTF-8 is replaced when the batch is sent; a NUL or lone surrogate
// escape, which jsonb refuses, drops the raw record rather than fail the
// batch.
func storableJSON(raw []byte) bool {
	if !utf8.Valid(raw) {
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	return facts.JSONTextProblem(raw) == ""
}
