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
	"encoding/json"
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
	MaxKeyLen    = 200  // MaHoSo longer than this is rejected (a cut key would merge dossiers)
	maxCodeLen   = 100  // MaTTHC
	maxActorLen  = 300  // step actor (job title and department)
	maxActionLen = 1000 // step action text
	maxNameLen   = 500  // procedure name
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
func MapRecord(rec dvc.Record, raw []byte, opt Options) (Result, error) {
	m := &mapper{id: rec.MaHoSo.String()}
	if m.id == "" {
		return Result{}, &dvc.FieldError{Field: "MaHoSo", Msg: "missing: a dossier needs its code"}
	}
	if len([]rune(m.id)) > MaxKeyLen {
		return Result{}, &dvc.FieldError{MaHoSo: clip(m.id, 60), Field: "MaHoSo", Msg: fmt.Sprintf("longer than %d characters", MaxKeyLen)}
	}
	// Only the allow-listed members are kept (keep.go), and each of them
	// must be storable text: a record that cannot be stored is rejected
	// alone, naming the field.
	kept, bad := KeepRecord(raw)
	if bad != nil {
		if bad.Field != "MaHoSo" {
			bad.MaHoSo = m.id
		}
		return Result{}, bad
	}
	if kept == nil {
		kept, _ = json.Marshal(map[string]string{"MaHoSo": m.id})
	}
	d := facts.Dossier{UnitCode: opt.Unit, MaHoSo: m.id, Source: opt.Source}

	// Procedure.
	code, national := NormalizeProcedure(rec.MaTTHC.String())
	switch {
	case code == "":
		m.warnf("MaTTHC", "missing: procedure unknown")
	case !national:
		m.warnf("MaTTHC", "%q is not a national procedure code; kept as it is", clip(code, 40))
	}
	d.MaTTHC = clip(code, maxCodeLen)
	if opt.Level != nil && d.MaTTHC != "" {
		d.ProcedureLevel = opt.Level(d.MaTTHC)
	}

	// Channel: missing counts as in person, but stays null so that the
	// gap is visible.
	switch k := rec.KenhThucHien.String(); k {
	case "1":
		d.Channel = ptr("direct")
	case "2":
		d.Channel = ptr("online")
	case "3":
		d.Channel = ptr("postal")
	case "":
		m.warnf("KenhThucHien", "missing: counted as in person")
	default:
		m.warnf("KenhThucHien", "unknown channel %q: counted as in person", clip(k, 20))
	}

	// Status.
	status, ok := parseStatus(string(rec.TrangThaiHoSo))
	if !ok {
		if s := rec.TrangThaiHoSo.String(); s == "" {
			m.warnf("TrangThaiHoSo", "blank: status unknown")
		} else {
			m.warnf("TrangThaiHoSo", "unknown status %q: status unknown", clip(s, 20))
		}
	}

	// Dates.
	submitted, _ := m.time("NgayNopHoSo", rec.NgayNopHoSo)
	received, _ := m.time("NgayTiepNhan", rec.NgayTiepNhan)
	due, dueKind := m.time("NgayHenTra", rec.NgayHenTra)
	ended, _ := m.time("NgayKetThucXuLy", rec.NgayKetThucXuLy)
	returned, _ := m.time("NgayTra", rec.NgayTra)
	refused, _ := m.time("NgayTuChoi", rec.NgayTuChoi)
	updated, _ := m.time("NgayCapNhat", rec.NgayCapNhat)
	if m.err != nil {
		return Result{}, m.err
	}
	if due != nil && dueKind == dateDateOnly {
		// A due date without a time means by the end of that day.
		t := due.Add(24*time.Hour - time.Second)
		due = &t
	}

	// Steps: the record's own and those given by the caller (duplicates
	// of the same time and action collapse).
	wireSteps := append(slices.Clip(rec.QuaTrinhXuLy), opt.Steps...)
	steps := m.steps(wireSteps)

	// Some producers rewrite 5/6/8 as 9: when steps exist, trust them.
	var last *int
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Status != nil {
			last = steps[i].Status
			break
		}
	}
	if last != nil {
		switch {
		case status == nil:
			status = ptr(*last)
			m.warnf("TrangThaiHoSo", "taken from the last step: %d", *last)
		case *status == 9 && (*last == 5 || *last == 6 || *last == 8):
			m.warnf("TrangThaiHoSo", "9 in the record but the last step is %d: trusting the steps", *last)
			status = ptr(*last)
			if *last != 8 && ended != nil {
				m.warnf("NgayKetThucXuLy", "ignored: the steps show the dossier still open (status %d)", *last)
				ended = nil
			}
		}
	}
	d.Status = status

	switch {
	case status != nil && *status == 3:
		// Refused at reception: not received.
		if received != nil {
			m.warnf("NgayTiepNhan", "ignored: the dossier was refused at reception (status 3)")
			received = nil
		}
		if refused == nil {
			m.warnf("NgayTuChoi", "missing for a refused dossier")
		}
	case status != nil && *status == 1 && received != nil:
		m.warnf("NgayTiepNhan", "set on a dossier with status 1 (not accepted yet)")
	case received == nil && status != nil && *status != 1:
		m.warnf("NgayTiepNhan", "missing on a dossier with status %d: not counted as received", *status)
	}
	d.ReceivedAt, d.DueAt, d.ReturnedAt, d.RefusedAt = received, due, returned, refused

	// finished_at: NgayKetThucXuLy, else the first step reaching 9, 10, 8 or 7.
	d.FinishedAt = ended
	if d.FinishedAt == nil && !(status != nil && (*status == 5 || *status == 6)) {
		for _, s := range steps {
			if s.Status != nil && (*s.Status == 9 || *s.Status == 10 || *s.Status == 8 || *s.Status == 7) {
				t := s.At
				d.FinishedAt = &t
				break
			}
		}
	}
	if status != nil && (*status == 9 || *status == 10) && d.FinishedAt == nil {
		m.warnf("NgayKetThucXuLy", "missing on a processed dossier (status %d)", *status)
	}
	if received != nil && d.FinishedAt != nil && d.FinishedAt.Before(*received) {
		m.warnf("NgayKetThucXuLy", "%s is before NgayTiepNhan %s: inconsistent", fmtT(*d.FinishedAt), fmtT(*received))
	}
	if received != nil && returned != nil && returned.Before(*received) {
		m.warnf("NgayTra", "%s is before NgayTiepNhan %s: inconsistent", fmtT(*returned), fmtT(*received))
	}

	// Result method.
	switch h := rec.HinhThuc.String(); h {
	case "0":
		d.ResultMethod = ptr("counter")
	case "1":
		d.ResultMethod = ptr("postal")
	case "":
	default:
		m.warnf("HinhThuc", "unknown result method %q", clip(h, 20))
	}

	// Derived flags.
	d.InputDigitized = m.flag("HoSoCoThanhPhanSoHoa", rec.HoSoCoThanhPhanSoHoa)
	for i, t := range rec.TaiLieuNop {
		const l = "TaiLieuNop"
		if m.itemFlag(l, i, "IsDeleted", t.IsDeleted) {
			continue
		}
		if m.itemFlag(l, i, "DuocSoHoa", t.DuocSoHoa) {
			d.InputDigitized = true
		}
		if m.itemFlag(l, i, "DuocTaiSuDung", t.DuocTaiSuDung) || m.itemFlag(l, i, "DuocLayTuKhoDMQG", t.DuocLayTuKhoDMQG) {
			d.ReusedData = true
		}
	}
	for _, r := range rec.DanhSachGiayToKetQua {
		if u := r.DuongDanTepTinKetQua.String(); u != "" && !strings.EqualFold(u, "null") {
			d.ResultElectronic = true
		}
	}
	if d.Channel != nil && *d.Channel == "online" && status != nil && (*status == 9 || *status == 10) &&
		!d.ResultElectronic && (d.ResultMethod == nil || *d.ResultMethod != "postal") {
		m.warnf("DanhSachGiayToKetQua", "online dossier processed without an electronic result")
	}
	d.Supplements = len(rec.DanhSachHoSoBoSung)

	// The source's update time: NgayCapNhat, else the latest event known.
	if updated == nil {
		for _, t := range []*time.Time{submitted, received, ended, returned, refused} {
			if t != nil && (updated == nil || t.After(*updated)) {
				updated = t
			}
		}
		for _, s := range steps {
			if updated == nil || s.At.After(*updated) {
				t := s.At
				updated = &t
			}
		}
		for _, b := range rec.DanhSachHoSoBoSung {
			for _, v := range []dvc.Str{b.NgayBoSung, b.NgayTiepNhanBoSung} {
				if t, k, _, err := parseWireTime(string(v)); err == nil && k != dateNone && (updated == nil || t.After(*updated)) {
					updated = &t
				}
			}
		}
	}
	d.SourceUpdatedAt = updated

	return Result{
		Dossier:       d,
		Steps:         steps,
		Sighting:      facts.DossierSighting{Source: opt.Source, SourceKey: opt.SourceKey, Raw: kept},
		ProcedureName: clip(rec.TenTTHC.String(), maxNameLen),
		Warnings:      m.warn,
	}, nil
}

// steps maps wire steps: sorted by time, de-duplicated on (time, action),
// without the officer's name. A step whose time cannot be read is dropped
// with a warning (the raw record keeps it).
func (m *mapper) steps(in []dvc.Step) []facts.DossierStep {
	var out []facts.DossierStep
	seen := map[string]bool{}
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
		action := s.NoiDungXuLy.String()
		// Steps fetched apart from the record (LayTienDoHoSo) arrive
		// decoded: a NUL in their text is dropped with a warning (the
		// step still counts; the record's own steps are checked as text
		// by KeepRecord and reject the record).
		if strings.IndexByte(actor+action, 0) >= 0 {
			m.warnf(fmt.Sprintf("QuaTrinhXuLy[%d]", i), "NUL character dropped from the step's text")
			actor, action = strings.ReplaceAll(actor, "\x00", ""), strings.ReplaceAll(action, "\x00", "")
		}
		step := facts.DossierStep{At: t, Status: st, Actor: clip(actor, maxActorLen), Action: clip(action, maxActionLen)}
		key := t.UTC().Format(time.RFC3339Nano) + "\x00" + step.Action
		if seen[key] {
			continue
		}
		seen[key] = true
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
