package dossiers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/vntime"
	"chiso/warehouse/facts"
)

// Table tests of MapRecord's named steps, one table per step. A case's
// warn is the fields warned about, in order ("" for none).

func fields(warn []string) string {
	var f []string
	for _, w := range warn {
		f = append(f, w[:strings.Index(w, ":")])
	}
	return strings.Join(f, ",")
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func num(p *int) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func vnAt(day, hour int) *time.Time {
	t := time.Date(2026, 3, day, hour, 0, 0, 0, vntime.Location)
	return &t
}

func when(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.In(vntime.Location).Format("02T15")
}

func TestCheckKey(t *testing.T) {
	for _, c := range []struct{ id, field string }{
		{"000.00.25.H99-260301-0001", ""},
		{"", "MaHoSo"},
		{strings.Repeat("x", MaxKeyLen), ""},
		{strings.Repeat("ố", MaxKeyLen+1), "MaHoSo"},
	} {
		err := (&mapper{id: c.id}).checkKey()
		got := ""
		if fe, ok := err.(*dvc.FieldError); ok {
			got = fe.Field
		} else if err != nil {
			t.Fatalf("%q: %T %v", c.id, err, err)
		}
		if got != c.field {
			t.Errorf("checkKey(%.20q…) field %q, want %q", c.id, got, c.field)
		}
	}
}

func TestProcedureStep(t *testing.T) {
	level := func(code string) *string { return ptr("level of " + code) }
	for _, c := range []struct {
		in, code, level, warn string
		lv                    func(string) *string
	}{
		{"1.001193.000.00.00.H99", "1.001193", "level of 1.001193", "", level},
		{"1.001193", "1.001193", "<nil>", "", nil},
		{"", "", "<nil>", "MaTTHC", level},
		{"TTHC-XA-01", "TTHC-XA-01", "level of TTHC-XA-01", "MaTTHC", level},
	} {
		m := &mapper{}
		code, lv := m.procedure(c.in, c.lv)
		if code != c.code || str(lv) != c.level || fields(m.warn) != c.warn {
			t.Errorf("procedure(%q) = %q %s warn %q, want %q %s %q", c.in, code, str(lv), fields(m.warn), c.code, c.level, c.warn)
		}
	}
}

func TestChannelStep(t *testing.T) {
	for _, c := range []struct{ in, want, warn string }{
		{"1", "direct", ""}, {"2", "online", ""}, {"3", "postal", ""},
		{"", "<nil>", "KenhThucHien"}, {"9", "<nil>", "KenhThucHien"},
	} {
		m := &mapper{}
		if got := str(m.channel(c.in)); got != c.want || fields(m.warn) != c.warn {
			t.Errorf("channel(%q) = %s warn %q, want %s %q", c.in, got, fields(m.warn), c.want, c.warn)
		}
	}
}

func TestStatusStep(t *testing.T) {
	for _, c := range []struct{ in, want, warn string }{
		{"4", "4", ""}, {"", "<nil>", "TrangThaiHoSo"}, {"x", "<nil>", "TrangThaiHoSo"},
	} {
		m := &mapper{}
		if got := num(m.status(dvc.Str(c.in))); got != c.want || fields(m.warn) != c.warn {
			t.Errorf("status(%q) = %s warn %q, want %s %q", c.in, got, fields(m.warn), c.want, c.warn)
		}
	}
}

func TestDatesStep(t *testing.T) {
	m := &mapper{id: "A"}
	dt := m.dates(dvc.Record{NgayTiepNhan: "20260302080000", NgayHenTra: "20260310"})
	if m.err != nil || when(dt.received) != "02T08" || dt.due.In(vntime.Location).Format("02T15:04:05") != "10T23:59:59" || dt.ended != nil {
		t.Errorf("dates: received %s due %v ended %v err %v", when(dt.received), dt.due, dt.ended, m.err)
	}
	m = &mapper{id: "A"}
	m.dates(dvc.Record{NgayTra: "not a date"})
	if fe, ok := m.err.(*dvc.FieldError); !ok || fe.Field != "NgayTra" || fe.MaHoSo != "A" {
		t.Errorf("bad NgayTra: err %v, want a FieldError on NgayTra of A", m.err)
	}
}

func TestStatusFromSteps(t *testing.T) {
	step := func(s int) facts.DossierStep { return facts.DossierStep{Status: ptr(s)} }
	for _, c := range []struct {
		name         string
		status       *int
		steps        []facts.DossierStep
		ended        *time.Time
		want, endedW string
		warn         string
	}{
		{"no steps", ptr(9), nil, vnAt(5, 8), "9", "05T08", ""},
		{"steps without status", ptr(9), []facts.DossierStep{{}}, vnAt(5, 8), "9", "05T08", ""},
		{"missing status from the last step", nil, []facts.DossierStep{step(2), step(4)}, nil, "4", "<nil>", "TrangThaiHoSo"},
		{"9 over an open 5", ptr(9), []facts.DossierStep{step(5)}, vnAt(5, 8), "5", "<nil>", "TrangThaiHoSo,NgayKetThucXuLy"},
		{"9 over 8 keeps the end", ptr(9), []facts.DossierStep{step(8)}, vnAt(5, 8), "8", "05T08", "TrangThaiHoSo"},
		{"9 over 10 stays", ptr(9), []facts.DossierStep{step(10)}, nil, "9", "<nil>", ""},
		{"4 stays", ptr(4), []facts.DossierStep{step(9)}, nil, "4", "<nil>", ""},
	} {
		m := &mapper{}
		st, ended := m.statusFromSteps(c.status, c.steps, c.ended)
		if num(st) != c.want || when(ended) != c.endedW || fields(m.warn) != c.warn {
			t.Errorf("%s: status %s ended %s warn %q, want %s %s %q", c.name, num(st), when(ended), fields(m.warn), c.want, c.endedW, c.warn)
		}
	}
}

func TestReceptionStep(t *testing.T) {
	for _, c := range []struct {
		name              string
		status            *int
		received, refused *time.Time
		want, warn        string
	}{
		{"refused at reception drops the reception", ptr(3), vnAt(2, 8), vnAt(2, 9), "<nil>", "NgayTiepNhan"},
		{"refused without NgayTuChoi", ptr(3), nil, nil, "<nil>", "NgayTuChoi"},
		{"not accepted yet but received", ptr(1), vnAt(2, 8), nil, "02T08", "NgayTiepNhan"},
		{"processing without reception", ptr(4), nil, nil, "<nil>", "NgayTiepNhan"},
		{"processing, received", ptr(4), vnAt(2, 8), nil, "02T08", ""},
		{"status unknown, no reception", nil, nil, nil, "<nil>", ""},
	} {
		m := &mapper{}
		if got := when(m.reception(c.status, c.received, c.refused)); got != c.want || fields(m.warn) != c.warn {
			t.Errorf("%s: %s warn %q, want %s %q", c.name, got, fields(m.warn), c.want, c.warn)
		}
	}
}

func TestFinishedStep(t *testing.T) {
	steps := []facts.DossierStep{{At: *vnAt(3, 8), Status: ptr(4)}, {At: *vnAt(4, 8), Status: ptr(7)}, {At: *vnAt(6, 8), Status: ptr(9)}}
	for _, c := range []struct {
		name   string
		status *int
		dt     recordDates
		steps  []facts.DossierStep
		want   string
		warn   string
	}{
		{"NgayKetThucXuLy wins", ptr(9), recordDates{ended: vnAt(5, 8)}, steps, "05T08", ""},
		{"first step reaching 7, 8, 9 or 10", ptr(9), recordDates{}, steps, "04T08", ""},
		{"an open dossier takes no step", ptr(5), recordDates{}, steps, "<nil>", ""},
		{"processed without any", ptr(10), recordDates{}, nil, "<nil>", "NgayKetThucXuLy"},
		{"finished before reception", ptr(9), recordDates{received: vnAt(5, 8), ended: vnAt(4, 8)}, nil, "04T08", "NgayKetThucXuLy"},
		{"returned before reception", ptr(9), recordDates{received: vnAt(5, 8), ended: vnAt(6, 8), returned: vnAt(4, 8)}, nil, "06T08", "NgayTra"},
	} {
		m := &mapper{}
		if got := when(m.finished(c.status, c.dt, c.steps)); got != c.want || fields(m.warn) != c.warn {
			t.Errorf("%s: %s warn %q, want %s %q", c.name, got, fields(m.warn), c.want, c.warn)
		}
	}
}

func TestResultMethodStep(t *testing.T) {
	for _, c := range []struct{ in, want, warn string }{
		{"0", "counter", ""}, {"1", "postal", ""}, {"", "<nil>", ""}, {"2", "<nil>", "HinhThuc"},
	} {
		m := &mapper{}
		if got := str(m.resultMethod(c.in)); got != c.want || fields(m.warn) != c.warn {
			t.Errorf("resultMethod(%q) = %s warn %q, want %s %q", c.in, got, fields(m.warn), c.want, c.warn)
		}
	}
}

func TestDigitizedStep(t *testing.T) {
	for _, c := range []struct {
		name                  string
		rec                   dvc.Record
		input, reused, result bool
		warn                  string
	}{
		{"nothing", dvc.Record{}, false, false, false, ""},
		{"record flag", dvc.Record{HoSoCoThanhPhanSoHoa: "1"}, true, false, false, ""},
		{"a digitized, reused document", dvc.Record{TaiLieuNop: []dvc.SubmittedDoc{{DuocSoHoa: "1", DuocTaiSuDung: "0", DuocLayTuKhoDMQG: "1"}}}, true, true, false, ""},
		{"a deleted document counts for nothing", dvc.Record{TaiLieuNop: []dvc.SubmittedDoc{{IsDeleted: "1", DuocSoHoa: "1", DuocTaiSuDung: "1"}}}, false, false, false, ""},
		{"a bad flag reads as 0", dvc.Record{TaiLieuNop: []dvc.SubmittedDoc{{DuocSoHoa: "maybe"}}}, false, false, false, "TaiLieuNop[0].DuocSoHoa"},
		{"a result file", dvc.Record{DanhSachGiayToKetQua: []dvc.ResultDoc{{DuongDanTepTinKetQua: "null"}, {DuongDanTepTinKetQua: "https://kq/1.pdf"}}}, false, false, true, ""},
		{"a null result path", dvc.Record{DanhSachGiayToKetQua: []dvc.ResultDoc{{DuongDanTepTinKetQua: "NULL"}}}, false, false, false, ""},
	} {
		m := &mapper{}
		in, re, res := m.digitized(c.rec)
		if in != c.input || re != c.reused || res != c.result || fields(m.warn) != c.warn {
			t.Errorf("%s: %v %v %v warn %q, want %v %v %v %q", c.name, in, re, res, fields(m.warn), c.input, c.reused, c.result, c.warn)
		}
	}
}

func TestSourceUpdated(t *testing.T) {
	for _, c := range []struct {
		name  string
		dt    recordDates
		steps []facts.DossierStep
		sup   []dvc.Supplement
		want  string
	}{
		{"NgayCapNhat wins", recordDates{updated: vnAt(1, 8), received: vnAt(9, 8)}, nil, nil, "01T08"},
		{"latest record date", recordDates{submitted: vnAt(2, 8), refused: vnAt(7, 8), received: vnAt(3, 8)}, nil, nil, "07T08"},
		{"a later step", recordDates{received: vnAt(3, 8)}, []facts.DossierStep{{At: *vnAt(8, 9)}}, nil, "08T09"},
		{"a later supplement", recordDates{received: vnAt(3, 8)}, nil, []dvc.Supplement{{NgayBoSung: "20260311100000", NgayTiepNhanBoSung: "bad"}}, "11T10"},
		{"nothing known", recordDates{}, nil, nil, "<nil>"},
	} {
		if got := when(sourceUpdated(c.dt, c.steps, c.sup)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
