// Package dossiers maps portal dossier records (adapters/dvc) to warehouse
// facts: one facts.Dossier with its steps and a sighting, plus warnings
// for what was tolerated. It is pure: no I/O.
//
// The rules are those of dvc.md §1 and §3: dates in Vietnam time with the
// tolerated forms of parseWireTime, flags in every spelling, unknown status
// kept as null with a warning, a missing channel kept as null (counted as in
// person by the indicators) with a warning, the derived fields, and no
// personal data in anything stored: the warehouse holds only the
// allow-listed members of a record (keep.go), in sightings and rejects alike.
package dossiers

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/vntime"
	"chiso/warehouse/facts"
)

// Storage limits: longer text is cut for the fact tables; the sighting's raw
// record keeps the allow-listed members whole.
const (
	MaxKeyLen   = 200 // MaHoSo longer than this is rejected (a cut key would merge dossiers)
	maxCodeLen  = 100 // MaTTHC
	maxActorLen = 300 // step actor (job title and department)
	maxNameLen  = 500 // procedure name
)

// Options say where a record comes from.
type Options struct {
	Unit      string                      // unit_code of the dossier (the connector's unit, default org.self)
	Source    string                      // connector name: dossier.source and sighting source
	SourceKey string                      // sighting key (madonvi, file#index, …)
	Steps     []dvc.Step                  // steps from LayTienDoHoSo/CapNhatTienDoHoSoMC, added to the record's own
	Level     func(maTTHC string) *string // procedure level from the catalogue; nil: left null
}

// Result is a mapped record.
type Result struct {
	Dossier  facts.Dossier
	Steps    []facts.DossierStep
	Sighting facts.DossierSighting
	// ProcedureName is TenTTHC (clipped): a name for a catalogue entry
	// the portal does not describe.
	ProcedureName string
	Warnings      []string
}

// Map decodes and maps one raw record. Errors are *dvc.FieldError values
// naming MaHoSo and the field.
func Map(raw []byte, opt Options) (Result, error) {
	rec, err := dvc.DecodeRecord(raw)
	if err != nil {
		return Result{}, err
	}
	return MapRecord(rec, raw, opt)
}

var procRe = regexp.MustCompile(`^(\d+\.\d+)(\..*)?$`)

// NormalizeProcedure reduces a localised procedure code
// (1.001193.000.00.00.H99, 1.001193.H99) to the national one (1.001193):
// the first two groups. ok is false when code does not look national.
func NormalizeProcedure(code string) (string, bool) {
	c := strings.TrimSpace(code)
	if m := procRe.FindStringSubmatch(c); m != nil {
		return m[1], true
	}
	return c, false
}

type mapper struct {
	id   string
	warn []string
	err  error
}

func (m *mapper) warnf(field, format string, args ...any) {
	m.warn = append(m.warn, field+": "+fmt.Sprintf(format, args...))
}

// time parses a date field; a bad value sets m.err (the record is rejected).
func (m *mapper) time(field string, v dvc.Str) (*time.Time, dateKind) {
	t, kind, placeholder, err := parseWireTime(string(v))
	if err != nil {
		if m.err == nil {
			m.err = &dvc.FieldError{MaHoSo: m.id, Field: field, Msg: err.Error()}
		}
		return nil, dateNone
	}
	if placeholder {
		m.warnf(field, "placeholder value %q read as unknown", clip(v.String(), 40))
	}
	if kind == dateNone {
		return nil, kind
	}
	return &t, kind
}

func (m *mapper) flag(field string, v dvc.Str) bool {
	return m.itemFlag(field, -1, "", v)
}

// itemFlag reads a flag of list item list[i] (i < 0: a top-level field);
// the field name is only built for a warning.
func (m *mapper) itemFlag(list string, i int, name string, v dvc.Str) bool {
	set, ok := parseFlag(string(v))
	if !ok {
		field := list
		if i >= 0 {
			field = fmt.Sprintf("%s[%d].%s", list, i, name)
		}
		m.warnf(field, "%q is not a 0/1 flag; read as 0", clip(v.String(), 40))
	}
	return set
}

// MapRecord maps a decoded record; raw is its wire bytes (for the sighting).
// The rules run as named steps, in this order (warnings keep it): the key,
// the kept members, procedure, channel, status, dates, steps, the status
// the steps show, reception, finish, result method, derived flags, the
// source's update time.
func MapRecord(rec dvc.Record, raw []byte, opt Options) (Result, error) {
	m := &mapper{id: rec.MaHoSo.String()}
	if err := m.checkKey(); err != nil {
		return Result{}, err
	}
	kept, err := m.keep(raw)
	if err != nil {
		return Result{}, err
	}
	d := facts.Dossier{UnitCode: opt.Unit, MaHoSo: m.id, Source: opt.Source}
	d.MaTTHC, d.ProcedureLevel = m.procedure(rec.MaTTHC.String(), opt.Level)
	d.Channel = m.channel(rec.KenhThucHien.String())
	status := m.status(rec.TrangThaiHoSo)
	dt := m.dates(rec)
	if m.err != nil {
		return Result{}, m.err
	}
	// Steps: the record's own and those given by the caller (steps of
	// the same time collapse, the last given wins).
	steps := m.steps(append(slices.Clip(rec.QuaTrinhXuLy), opt.Steps...))
	status, dt.ended = m.statusFromSteps(status, steps, dt.ended)
	d.Status = status
	dt.received = m.reception(status, dt.received, dt.refused)
	d.ReceivedAt, d.DueAt, d.ReturnedAt, d.RefusedAt = dt.received, dt.due, dt.returned, dt.refused
	d.FinishedAt = m.finished(status, dt, steps)
	d.ResultMethod = m.resultMethod(rec.HinhThuc.String())
	d.InputDigitized, d.ReusedData, d.ResultElectronic = m.digitized(rec)
	if d.Channel != nil && *d.Channel == "online" && status != nil && (*status == 9 || *status == 10) &&
		!d.ResultElectronic && (d.ResultMethod == nil || *d.ResultMethod != "postal") {
		m.warnf("DanhSachGiayToKetQua", "online dossier processed without an electronic result")
	}
	d.Supplements = len(rec.DanhSachHoSoBoSung)
	d.SourceUpdatedAt = sourceUpdated(dt, steps, rec.DanhSachHoSoBoSung)

	return Result{
		Dossier:       d,
		Steps:         steps,
		Sighting:      facts.DossierSighting{Source: opt.Source, SourceKey: opt.SourceKey, Raw: kept},
		ProcedureName: clip(rec.TenTTHC.String(), maxNameLen),
		Warnings:      m.warn,
	}, nil
}

// steps maps wire steps: sorted by time, one step per instant (steps of
// the same time collapse into the last given: a step sent again, by the
// record and by LayTienDoHoSo, or a later correction), without the
// officer's name and without the step's text (NoiDungXuLy, free text that
// may name the applicant: never read). A step whose time cannot be read
// is dropped with a warning.
func (m *mapper) steps(in []dvc.Step) []facts.DossierStep {
	var out []facts.DossierStep
	at := map[int64]int{} // UnixNano -> index in out
	for i, s := range in {
		v := s.ThoiDiemXuLy
		if v.String() == "" {
			v = s.NgayBatDau
		}
		t, kind, _, err := parseWireTime(string(v))
		if err != nil || kind == dateNone {
			m.warnf(fmt.Sprintf("QuaTrinhXuLy[%d].ThoiDiemXuLy", i), "step without a readable time %q: dropped", clip(v.String(), 40))
			continue
		}
		st, ok := parseStatus(string(s.TrangThai))
		if !ok && s.TrangThai.String() != "" {
			m.warnf(fmt.Sprintf("QuaTrinhXuLy[%d].TrangThai", i), "unknown status %q", clip(s.TrangThai.String(), 20))
		}
		actor := strings.TrimSpace(s.ChucDanh.String())
		if dep := s.PhongBanXuLy.String(); dep != "" {
			if actor != "" {
				actor += " - "
			}
			actor += dep
		}
		// Steps fetched apart from the record (LayTienDoHoSo) arrive
		// decoded: a NUL in their text is dropped with a warning (the
		// step still counts; the record's own steps are checked as text
		// by KeepRecord and reject the record).
		if strings.IndexByte(actor, 0) >= 0 {
			m.warnf(fmt.Sprintf("QuaTrinhXuLy[%d]", i), "NUL character dropped from the step's text")
			actor = strings.ReplaceAll(actor, "\x00", "")
		}
		step := facts.DossierStep{At: t, Status: st, Actor: clip(actor, maxActorLen)}
		if j, dup := at[t.UnixNano()]; dup {
			out[j] = step
			continue
		}
		at[t.UnixNano()] = len(out)
		out = append(out, step)
	}
	slices.SortStableFunc(out, func(a, b facts.DossierStep) int { return a.At.Compare(b.At) })
	return out
}

// NeedsSteps reports whether the steps of a record (fetched separately)
// could change what is derived from it: the record has none, and its status
// is unknown or 9 (which may hide 5/6/8), or it is finished without
// NgayKetThucXuLy.
func NeedsSteps(rec dvc.Record) bool {
	if len(rec.QuaTrinhXuLy) > 0 {
		return false
	}
	st, ok := parseStatus(string(rec.TrangThaiHoSo))
	if !ok || *st == 9 {
		return true
	}
	switch *st {
	case 7, 8, 10:
		return rec.NgayKetThucXuLy.String() == ""
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func fmtT(t time.Time) string { return t.In(vntime.Location).Format("2006-01-02 15:04:05") }
