package dossiers

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"chiso/adapters/dvc"
	"chiso/warehouse/facts"
)

// The named steps of MapRecord, in the order it runs them. Each either
// returns what it decided or records a warning on m; only checkKey, keep
// and dates can reject the record.

// checkKey rejects a record without a usable MaHoSo: missing, or longer
// than MaxKeyLen (a cut key would merge dossiers).
func (m *mapper) checkKey() error {
	if m.id == "" {
		return &dvc.FieldError{Field: "MaHoSo", Msg: "missing: a dossier needs its code"}
	}
	if len([]rune(m.id)) > MaxKeyLen {
		return &dvc.FieldError{MaHoSo: clip(m.id, 60), Field: "MaHoSo", Msg: fmt.Sprintf("longer than %d characters", MaxKeyLen)}
	}
	return nil
}

// keep is the raw record the sighting keeps: only the allow-listed members
// (keep.go), each of them storable text; a record that cannot be stored is
// rejected alone, naming the field. With no raw bytes it is the key alone.
func (m *mapper) keep(raw []byte) ([]byte, error) {
	kept, bad := KeepRecord(raw)
	if bad != nil {
		if bad.Field != "MaHoSo" {
			bad.MaHoSo = m.id
		}
		return nil, bad
	}
	if kept == nil {
		kept, _ = json.Marshal(map[string]string{"MaHoSo": m.id})
	}
	return kept, nil
}

// procedure is the national procedure code of MaTTHC (clipped) and its
// level from the catalogue; a missing or local code is kept with a warning.
func (m *mapper) procedure(maTTHC string, level func(string) *string) (string, *string) {
	code, national := NormalizeProcedure(maTTHC)
	switch {
	case code == "":
		m.warnf("MaTTHC", "missing: procedure unknown")
	case !national:
		m.warnf("MaTTHC", "%q is not a national procedure code; kept as it is", clip(code, 40))
	}
	code = clip(code, maxCodeLen)
	if level != nil && code != "" {
		return code, level(code)
	}
	return code, nil
}

// channel reads KenhThucHien: missing or unknown counts as in person, but
// stays null so that the gap is visible.
func (m *mapper) channel(k string) *string {
	switch k {
	case "1":
		return ptr("direct")
	case "2":
		return ptr("online")
	case "3":
		return ptr("postal")
	case "":
		m.warnf("KenhThucHien", "missing: counted as in person")
	default:
		m.warnf("KenhThucHien", "unknown channel %q: counted as in person", clip(k, 20))
	}
	return nil
}

// status reads TrangThaiHoSo; blank or unknown is nil with a warning.
func (m *mapper) status(v dvc.Str) *int {
	status, ok := parseStatus(string(v))
	if !ok {
		if s := v.String(); s == "" {
			m.warnf("TrangThaiHoSo", "blank: status unknown")
		} else {
			m.warnf("TrangThaiHoSo", "unknown status %q: status unknown", clip(s, 20))
		}
	}
	return status
}

// recordDates are the dates of a record (nil: unknown).
type recordDates struct {
	submitted, received, due, ended, returned, refused, updated *time.Time
}

// dates reads the record's dates; a bad one sets m.err. A due date without
// a time means by the end of that day.
func (m *mapper) dates(rec dvc.Record) recordDates {
	var dt recordDates
	var dueKind dateKind
	dt.submitted, _ = m.time("NgayNopHoSo", rec.NgayNopHoSo)
	dt.received, _ = m.time("NgayTiepNhan", rec.NgayTiepNhan)
	dt.due, dueKind = m.time("NgayHenTra", rec.NgayHenTra)
	dt.ended, _ = m.time("NgayKetThucXuLy", rec.NgayKetThucXuLy)
	dt.returned, _ = m.time("NgayTra", rec.NgayTra)
	dt.refused, _ = m.time("NgayTuChoi", rec.NgayTuChoi)
	dt.updated, _ = m.time("NgayCapNhat", rec.NgayCapNhat)
	if dt.due != nil && dueKind == dateDateOnly {
		t := dt.due.Add(24*time.Hour - time.Second)
		dt.due = &t
	}
	return dt
}

// statusFromSteps trusts the steps over the record's status: a missing
// status is the last step's; some producers rewrite 5/6/8 as 9, so a 9
// whose last step is 5, 6 or 8 becomes that (and an end date of a dossier
// the steps show still open, 5 or 6, is dropped).
func (m *mapper) statusFromSteps(status *int, steps []facts.DossierStep, ended *time.Time) (*int, *time.Time) {
	var last *int
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Status != nil {
			last = steps[i].Status
			break
		}
	}
	if last == nil {
		return status, ended
	}
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
	return status, ended
}

// reception is the reception time to store: none for a dossier refused at
// reception (status 3); warnings where the status and NgayTiepNhan disagree.
func (m *mapper) reception(status *int, received, refused *time.Time) *time.Time {
	switch {
	case status != nil && *status == 3:
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
	return received
}

// finished is finished_at: NgayKetThucXuLy, else (unless the dossier is
// open, 5 or 6) the first step reaching 9, 10, 8 or 7; warnings for a
// processed dossier without it and for dates before the reception.
func (m *mapper) finished(status *int, dt recordDates, steps []facts.DossierStep) *time.Time {
	fin := dt.ended
	if fin == nil && !(status != nil && (*status == 5 || *status == 6)) {
		for _, s := range steps {
			if s.Status != nil && (*s.Status == 9 || *s.Status == 10 || *s.Status == 8 || *s.Status == 7) {
				t := s.At
				fin = &t
				break
			}
		}
	}
	if status != nil && (*status == 9 || *status == 10) && fin == nil {
		m.warnf("NgayKetThucXuLy", "missing on a processed dossier (status %d)", *status)
	}
	if dt.received != nil && fin != nil && fin.Before(*dt.received) {
		m.warnf("NgayKetThucXuLy", "%s is before NgayTiepNhan %s: inconsistent", fmtT(*fin), fmtT(*dt.received))
	}
	if dt.received != nil && dt.returned != nil && dt.returned.Before(*dt.received) {
		m.warnf("NgayTra", "%s is before NgayTiepNhan %s: inconsistent", fmtT(*dt.returned), fmtT(*dt.received))
	}
	return fin
}

// resultMethod reads HinhThuc: 0 at the counter, 1 by post, blank unknown.
func (m *mapper) resultMethod(h string) *string {
	switch h {
	case "0":
		return ptr("counter")
	case "1":
		return ptr("postal")
	case "":
	default:
		m.warnf("HinhThuc", "unknown result method %q", clip(h, 20))
	}
	return nil
}

// digitized derives the flags of digitization: input digitized (the
// record's flag or a kept input document digitized), data reused (a kept
// input document reused or taken from the national data store), and an
// electronic result (a result document with a file path).
func (m *mapper) digitized(rec dvc.Record) (input, reused, result bool) {
	input = m.flag("HoSoCoThanhPhanSoHoa", rec.HoSoCoThanhPhanSoHoa)
	for i, t := range rec.TaiLieuNop {
		const l = "TaiLieuNop"
		if m.itemFlag(l, i, "IsDeleted", t.IsDeleted) {
			continue
		}
		if m.itemFlag(l, i, "DuocSoHoa", t.DuocSoHoa) {
			input = true
		}
		if m.itemFlag(l, i, "DuocTaiSuDung", t.DuocTaiSuDung) || m.itemFlag(l, i, "DuocLayTuKhoDMQG", t.DuocLayTuKhoDMQG) {
			reused = true
		}
	}
	for _, r := range rec.DanhSachGiayToKetQua {
		if u := r.DuongDanTepTinKetQua.String(); u != "" && !strings.EqualFold(u, "null") {
			result = true
		}
	}
	return input, reused, result
}

// sourceUpdated is the source's update time: NgayCapNhat, else the latest
// event known (a record date, a step, a supplement's dates).
func sourceUpdated(dt recordDates, steps []facts.DossierStep, supplements []dvc.Supplement) *time.Time {
	updated := dt.updated
	if updated != nil {
		return updated
	}
	for _, t := range []*time.Time{dt.submitted, dt.received, dt.ended, dt.returned, dt.refused} {
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
	for _, b := range supplements {
		for _, v := range []dvc.Str{b.NgayBoSung, b.NgayTiepNhanBoSung} {
			if t, k, _, err := parseWireTime(string(v)); err == nil && k != dateNone && (updated == nil || t.After(*updated)) {
				updated = &t
			}
		}
	}
	return updated
}
