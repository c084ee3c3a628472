package dossiers

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/vntime"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// outcome is one mapped record of a case file.
type outcome struct {
	res Result
	err error
}

// mapFile maps every record of a payload file.
func mapFile(t *testing.T, path string) []outcome {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []outcome
	_, err = dvc.DecodePayload(f, func(i int, raw json.RawMessage) error {
		res, err := Map(raw, Options{Unit: "000.25.31.H99", Source: "test", SourceKey: filepath.Base(path)})
		out = append(out, outcome{res, err})
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// golden renders outcomes as the golden text: one JSON line per record.
func golden(outs []outcome) []byte {
	var b bytes.Buffer
	for _, o := range outs {
		var line any
		if o.err != nil {
			line = map[string]string{"error": o.err.Error()}
		} else {
			type step struct {
				At     string `json:"at"`
				Status *int   `json:"status"`
				Actor  string `json:"actor"`
			}
			steps := []step{}
			for _, s := range o.res.Steps {
				steps = append(steps, step{*rfc(&s.At), s.Status, s.Actor})
			}
			line = struct {
				Summary  Summary         `json:"summary"`
				Steps    []step          `json:"steps"`
				Sighting [2]string       `json:"sighting"`
				Raw      json.RawMessage `json:"raw"`
			}{Summarize(o.res), steps, [2]string{o.res.Sighting.Source, o.res.Sighting.SourceKey}, o.res.Sighting.Raw}
		}
		j, err := json.Marshal(line)
		if err != nil {
			panic(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestGolden maps every testdata/cases/*.json and compares with its
// .golden file. A new regression case is a new pair of files
// (go test -run TestGolden -update writes the .golden; review it).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/cases/*.json")
	if len(files) < 20 {
		t.Fatalf("expected the edge-case files, found %d", len(files))
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			got := golden(mapFile(t, in))
			gp := strings.TrimSuffix(in, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(gp, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\ngot:\n%s\nwant:\n%s", in, gp, got, want)
			}
		})
	}
}

func hasWarning(r Result, field, part string) bool {
	for _, w := range r.Warnings {
		if strings.HasPrefix(w, field+":") && strings.Contains(w, part) {
			return true
		}
	}
	return false
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("20060102150405", s, vntime.Location)
	if err != nil {
		panic(err)
	}
	return t
}

func eqTime(p *time.Time, s string) bool { return p != nil && p.Equal(at(s)) }

// TestEdgeCases states, per case of dvc.md §3, what the mapping must do:
// the golden files pin the whole output, these checks say why.
func TestEdgeCases(t *testing.T) {
	cases := []struct {
		file  string
		check func(t *testing.T, o []outcome)
	}{
		{"online_done_envelope", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if *d.Channel != "online" || *d.Status != 10 || !d.InputDigitized || !d.ResultElectronic || d.ReusedData || *d.ResultMethod != "counter" {
				t.Errorf("dossier %+v", d)
			}
			if !eqTime(d.ReceivedAt, "20250304093000") || d.ReceivedAt.UTC().Hour() != 2 {
				t.Errorf("received_at %v: wire times are Vietnam time", d.ReceivedAt)
			}
		}},
		{"not_received_status1", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if d.ReceivedAt != nil || *d.Status != 1 || len(o[0].res.Warnings) != 0 {
				t.Errorf("status 1 without reception: %+v %v", d, o[0].res.Warnings)
			}
		}},
		{"refused_status3", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if d.ReceivedAt != nil || !eqTime(d.RefusedAt, "20250304100000") || d.FinishedAt != nil {
				t.Errorf("refused: %+v", d)
			}
		}},
		{"date_formats_tolerated", func(t *testing.T, o []outcome) {
			for _, x := range o {
				if x.err != nil {
					t.Fatal(x.err)
				}
				d := x.res.Dossier
				if !eqTime(d.FinishedAt, "20250305101500") {
					t.Errorf("%s finished_at %v", d.MaHoSo, d.FinishedAt)
				}
				if !eqTime(d.ReturnedAt, "20250305143000") && !eqTime(d.ReturnedAt, "20250305000000") {
					t.Errorf("%s returned_at %v", d.MaHoSo, d.ReturnedAt)
				}
			}
			if d := o[0].res.Dossier; !eqTime(d.DueAt, "20250305235959") || !eqTime(d.ReceivedAt, "20250304093000") {
				t.Errorf("dd/MM/yyyy: due %v received %v", d.DueAt, d.ReceivedAt)
			}
			if d := o[1].res.Dossier; !eqTime(d.ReceivedAt, "20250304000000") || *d.Status != 10 {
				t.Errorf("8-digit date / numeric values: %+v", d)
			}
		}},
		{"date_bad_month", wantErr("NgayTiepNhan")},
		{"date_ambiguous_year", wantErr("NgayKetThucXuLy")},
		{"date_words", wantErr("NgayTra")},
		{"object_in_scalar", wantErr("NgayTiepNhan")},
		{"key_missing", wantErr("MaHoSo")},
		{"key_too_long", wantErr("MaHoSo")},
		{"due_empty", func(t *testing.T, o []outcome) {
			if o[0].res.Dossier.DueAt != nil {
				t.Error("due_at should be null (on time falls back to the catalogue)")
			}
		}},
		{"status_unknown", func(t *testing.T, o []outcome) {
			if len(o) != 4 {
				t.Fatalf("%d records", len(o))
			}
			for _, x := range o {
				if x.err != nil || x.res.Dossier.Status != nil || !hasWarning(x.res, "TrangThaiHoSo", "unknown") {
					t.Errorf("%s: status %v warnings %v err %v", x.res.Dossier.MaHoSo, x.res.Dossier.Status, x.res.Warnings, x.err)
				}
			}
		}},
		{"duplicate_two_agencies", func(t *testing.T, o []outcome) {
			a, b := o[0].res.Dossier, o[1].res.Dossier
			if a.MaHoSo != b.MaHoSo || !b.SourceUpdatedAt.After(*a.SourceUpdatedAt) {
				t.Errorf("the later copy must carry the later update: %v %v", a.SourceUpdatedAt, b.SourceUpdatedAt)
			}
		}},
		{"withdrawn_status7", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if *d.Status != 7 || !eqTime(d.FinishedAt, "20250304150000") {
				t.Errorf("finished_at from the step reaching 7: %v", d.FinishedAt)
			}
		}},
		{"spans_periods", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if d.ReceivedAt.Year() != 2025 || d.FinishedAt.Year() != 2026 {
				t.Errorf("%v %v", d.ReceivedAt, d.FinishedAt)
			}
		}},
		{"supplements_several", func(t *testing.T, o []outcome) {
			if o[0].res.Dossier.Supplements != 2 {
				t.Errorf("supplements %d", o[0].res.Dossier.Supplements)
			}
		}},
		{"channel_missing", func(t *testing.T, o []outcome) {
			for _, x := range o[:3] {
				if x.res.Dossier.Channel != nil || !hasWarning(x.res, "KenhThucHien", "in person") {
					t.Errorf("%s: %v %v", x.res.Dossier.MaHoSo, x.res.Dossier.Channel, x.res.Warnings)
				}
			}
			if d := o[3].res.Dossier; *d.Channel != "postal" || *d.ResultMethod != "postal" {
				t.Errorf("numeric 3: %+v", d)
			}
		}},
		{"online_without_electronic_result", func(t *testing.T, o []outcome) {
			if o[0].res.Dossier.ResultElectronic || !hasWarning(o[0].res, "DanhSachGiayToKetQua", "without an electronic result") {
				t.Errorf("%+v %v", o[0].res.Dossier, o[0].res.Warnings)
			}
		}},
		{"deleted_items", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if d.InputDigitized || d.ReusedData {
				t.Errorf("deleted items must not count: %+v", d)
			}
		}},
		{"flags_mixed", func(t *testing.T, o []outcome) {
			want := []struct{ dig, reuse bool }{{true, true}, {true, true}, {true, false}, {false, false}}
			for i, x := range o {
				d := x.res.Dossier
				if d.InputDigitized != want[i].dig || d.ReusedData != want[i].reuse {
					t.Errorf("%s: digitized %v reused %v, want %v", d.MaHoSo, d.InputDigitized, d.ReusedData, want[i])
				}
			}
			if !hasWarning(o[3].res, "HoSoCoThanhPhanSoHoa", "not a 0/1 flag") || !hasWarning(o[3].res, "TaiLieuNop[0].DuocSoHoa", "not a 0/1 flag") {
				t.Errorf("warnings %v", o[3].res.Warnings)
			}
		}},
		{"end_before_reception", func(t *testing.T, o []outcome) {
			if !hasWarning(o[0].res, "NgayKetThucXuLy", "inconsistent") || o[0].res.Dossier.FinishedAt == nil {
				t.Errorf("%v", o[0].res.Warnings)
			}
		}},
		{"placeholders", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if o[0].err != nil || d.DueAt != nil || d.RefusedAt != nil || d.ReturnedAt != nil || d.ResultMethod != nil {
				t.Errorf("%v %+v", o[0].err, d)
			}
			for _, f := range []string{"NgayHenTra", "NgayNopHoSo", "NgayTuChoi", "NgayTra", "NgayKetThucXuLy"} {
				if !hasWarning(o[0].res, f, "placeholder") {
					t.Errorf("no placeholder warning for %s: %v", f, o[0].res.Warnings)
				}
			}
		}},
		{"long_text", func(t *testing.T, o []outcome) {
			r := o[0].res
			if n := len([]rune(r.ProcedureName)); n != maxNameLen {
				t.Errorf("procedure name cut to %d runes", n)
			}
			if !bytes.Contains(r.Sighting.Raw, []byte(strings.Repeat("Thủ tục ", 200))) {
				t.Error("the raw record must keep the long procedure name whole")
			}
			if bytes.Contains(r.Sighting.Raw, []byte("Ý kiến xử lý")) || bytes.Contains(r.Sighting.Raw, []byte("NoiDungXuLy")) {
				t.Error("the raw record keeps the step's text")
			}
		}},
		{"status9_hides_supplement", func(t *testing.T, o []outcome) {
			d := o[0].res.Dossier
			if *d.Status != 5 || d.FinishedAt != nil {
				t.Errorf("status %v finished %v", *d.Status, d.FinishedAt)
			}
		}},
		{"status9_hides_stopped", func(t *testing.T, o []outcome) {
			r := o[0].res
			if *r.Dossier.Status != 8 || !eqTime(r.Dossier.FinishedAt, "20250306110000") || len(r.Steps) != 2 {
				t.Errorf("status %v finished %v steps %d", *r.Dossier.Status, r.Dossier.FinishedAt, len(r.Steps))
			}
		}},
		{"procedure_localised", func(t *testing.T, o []outcome) {
			want := []string{"1.001193", "2.000986", "TTHC-LOCAL-7", ""}
			for i, x := range o {
				if x.res.Dossier.MaTTHC != want[i] {
					t.Errorf("%d: %q want %q", i, x.res.Dossier.MaTTHC, want[i])
				}
			}
		}},
		{"personal_data", func(t *testing.T, o []outcome) {
			r := o[0].res
			for _, s := range []string{"Nguyễn Văn An", "027090001234", "0912000111", "an@example.vn", "Lê Văn Cường", "Phạm Thị Dung"} {
				if bytes.Contains(r.Sighting.Raw, []byte(s)) {
					t.Errorf("raw keeps personal data %q", s)
				}
				if strings.Contains(r.Steps[0].Actor, s) {
					t.Errorf("step actor keeps a name")
				}
			}
			if !bytes.Contains(r.Sighting.Raw, []byte(`"ChucDanh":"Công chức"`)) {
				t.Errorf("raw lost the job title: %s", r.Sighting.Raw)
			}
		}},
		{"steps_bad_time", func(t *testing.T, o []outcome) {
			r := o[0].res
			if len(r.Steps) != 1 || !eqTime(r.Dossier.FinishedAt, "20250305101500") || !hasWarning(r, "QuaTrinhXuLy[0].ThoiDiemXuLy", "dropped") {
				t.Errorf("%+v %v", r.Steps, r.Warnings)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			c.check(t, mapFile(t, "testdata/cases/"+c.file+".json"))
		})
	}
}

func wantErr(field string) func(t *testing.T, o []outcome) {
	return func(t *testing.T, o []outcome) {
		var fe *dvc.FieldError
		if !errors.As(o[0].err, &fe) || fe.Field != field {
			t.Fatalf("want an error naming %s, got %v", field, o[0].err)
		}
		if field != "MaHoSo" && !strings.Contains(fe.Error(), "000.25.31.H99-") {
			t.Errorf("error must name MaHoSo: %v", fe)
		}
	}
}

func TestParseWireTime(t *testing.T) {
	cases := []struct {
		in      string
		want    string // yyyyMMddHHmmss in Vietnam time; "" = none
		ph, bad bool
	}{
		{"20250304093000", "20250304093000", false, false},
		{" 20250304093000 ", "20250304093000", false, false},
		{"20250230093000", "", false, true}, // 30 February
		{"20250304250000", "", false, true},
		{"2025030409300", "", false, true}, // 13 digits
		{"04/03/2025 09:30:00", "20250304093000", false, false},
		{"4/3/2025", "20250304000000", false, false},
		{"04/03/25", "", false, true},
		{"13/13/2025", "", false, true},
		{"2025-03-04T02:30:00Z", "20250304093000", false, false},
		{"2025-03-04T09:30:00+07:00", "20250304093000", false, false},
		{"2025-03-04T09:30:00", "20250304093000", false, false},
		{"20250304", "20250304000000", false, false},
		{"", "", false, false},
		{"null", "", true, false},
		{"00000000000000", "", true, false},
		{"19000101000000", "", true, false},
		{"99991231235959", "", true, false},
		{"2.025030409e+13", "", false, true},
		{"Thứ Ba", "", false, true},
	}
	for _, c := range cases {
		tm, kind, ph, err := parseWireTime(c.in)
		if (err != nil) != c.bad || ph != c.ph {
			t.Errorf("%q: err %v placeholder %v", c.in, err, ph)
			continue
		}
		got := ""
		if kind != dateNone {
			got = tm.In(vntime.Location).Format("20060102150405")
		}
		if got != c.want {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
	}
}

func TestParseFlag(t *testing.T) {
	cases := []struct {
		in      string
		set, ok bool
	}{
		{"1", true, true}, {"0", false, true}, {"true", true, true}, {"True", true, true}, {"FALSE", false, true},
		{"", false, true}, {"2", true, true}, {"0.0", false, true}, {"có", true, true}, {"không", false, true}, {"maybe", false, false},
	}
	for _, c := range cases {
		if set, ok := parseFlag(c.in); set != c.set || ok != c.ok {
			t.Errorf("%q: %v %v", c.in, set, ok)
		}
	}
}

func TestKeepRecord(t *testing.T) {
	cases := []struct{ name, in, want, bad string }{
		{"only allowed members", `{"MaHoSo":"A","ChuHoSo":"X","TrichYeuHoSo":"y","SoDienThoai":"0912","x":{"MaHoSo":"n"}}`, `{"MaHoSo":"A"}`, ""},
		{"case of names as encoding/json", `{"mahoso":"A","MATTHC":"1.1","Ma\u0054THC":"1.2"}`, `{"MaHoSo":"A","MaTTHC":"1.1","MaTTHC":"1.2"}`, ""},
		{"object in place of a scalar dropped", `{"MaHoSo":"A","MaTTHC":{"ChuHoSo":"X"},"NgayTiepNhan":["x"]}`, `{"MaHoSo":"A"}`, ""},
		{"list items filtered, numbers kept", `{"TaiLieuNop":[{"TenTepDinhKem":"CCCD.pdf","DuocSoHoa":"1"},"x",{"IsDeleted":true}]}`,
			`{"TaiLieuNop":[{"DuocSoHoa":"1"},null,{"IsDeleted":true}]}`, ""},
		{"result URL kept as presence", `{"DanhSachGiayToKetQua":[{"TenGiayTo":"KS","DuongDanTepTinKetQua":"https://x/An.pdf"},{"DuongDanTepTinKetQua":" null "},{"DuongDanTepTinKetQua":null}]}`,
			`{"DanhSachGiayToKetQua":[{"DuongDanTepTinKetQua":"[url]"},{"DuongDanTepTinKetQua":""},{"DuongDanTepTinKetQua":null}]}`, ""},
		{"steps without names", `{"QuaTrinhXuLy":[{"NguoiXuLy":"N","ChucDanh":"C","ThoiDiemXuLy":"20250101000000"}]}`,
			`{"QuaTrinhXuLy":[{"ChucDanh":"C","ThoiDiemXuLy":"20250101000000"}]}`, ""},
		{"supplements without their text", `{"DanhSachHoSoBoSung":[{"NoiDungBoSung":"CCCD của ông A","NguoiYeuCauBoSung":"B","NgayBoSung":"20250101"}],"DanhSachLePhi":[{"a":1}]}`,
			`{"DanhSachHoSoBoSung":[{"NgayBoSung":"20250101"}]}`, ""},
		{"NUL in a kept field", `{"MaHoSo":"A","TenTTHC":"a\u0000b"}`, `{"MaHoSo":"A","TenTTHC":"a\u0000b"}`, "TenTTHC"},
		{"lone surrogate in a list item", `{"QuaTrinhXuLy":[{},{"ChucDanh":"x\ud800"}]}`, `{"QuaTrinhXuLy":[{},{"ChucDanh":"x\ud800"}]}`, "QuaTrinhXuLy[1].ChucDanh"},
		{"steps without their text", `{"QuaTrinhXuLy":[{"NoiDungXuLy":"Đã gọi bà Lê Thị B, 0912345678","noidungxuly":"x","NguoiXuLy":"C","ChucDanh":"Công chức","PhongBanXuLy":"Một cửa","ThoiDiemXuLy":"20250101","TrangThai":"2"}]}`,
			`{"QuaTrinhXuLy":[{"ChucDanh":"Công chức","PhongBanXuLy":"Một cửa","ThoiDiemXuLy":"20250101","TrangThai":"2"}]}`, ""},
		{"bad text in a step's text is harmless", `{"QuaTrinhXuLy":[{"NoiDungXuLy":"x\u0000\ud800","TrangThai":"2"}]}`, `{"QuaTrinhXuLy":[{"TrangThai":"2"}]}`, ""},
		{"surrogate pair is text", `{"TenTTHC":"\ud83d\ude00"}`, `{"TenTTHC":"\ud83d\ude00"}`, ""},
		{"bad text in a dropped field is harmless", `{"MaHoSo":"A","ChuHoSo":"\u0000\udc00"}`, `{"MaHoSo":"A"}`, ""},
		{"bad UTF-8 in a kept field", "{\"MaTTHC\":\"1.\xff\"}", "{\"MaTTHC\":\"1.\xff\"}", "MaTTHC"},
		{"not an object", `["MaHoSo"]`, ``, ""},
		{"truncated", `{"MaHoSo":"A","ChuHoSo":"Nguy`, ``, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, bad := KeepRecord([]byte(c.in))
			if string(got) != c.want {
				t.Errorf("kept %s, want %s", got, c.want)
			}
			if got != nil && !json.Valid(got) {
				t.Errorf("invalid output %s", got)
			}
			switch {
			case c.bad == "" && bad != nil:
				t.Errorf("unexpected problem %v", bad)
			case c.bad != "" && (bad == nil || bad.Field != c.bad):
				t.Errorf("problem %v, want one naming %s", bad, c.bad)
			}
		})
	}
}

// TestKeptMapsTheSame maps every case file, then maps again what was kept
// of each record: the dossier must be the same (the push receiver re-maps
// stored records when steps arrive), and nothing personal may be kept.
func TestKeptMapsTheSame(t *testing.T) {
	files, _ := filepath.Glob("testdata/cases/*.json")
	if len(files) == 0 {
		t.Fatal("no case files")
	}
	for _, f := range files {
		for i, o := range mapFile(t, f) {
			if o.err != nil {
				continue
			}
			again, err := Map(o.res.Sighting.Raw, Options{Unit: "000.25.31.H99", Source: "test", SourceKey: filepath.Base(f)})
			if err != nil {
				t.Errorf("%s#%d: kept record does not map: %v", f, i, err)
				continue
			}
			a, b := Summarize(o.res), Summarize(again)
			a.Warnings, b.Warnings = nil, nil
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) || len(o.res.Steps) != len(again.Steps) {
				t.Errorf("%s#%d: kept record maps differently:\n%s\n%s", f, i, ja, jb)
			}
			for _, bad := range []string{"ChuHoSo", "SoGiayTo", "TrichYeu", "NguoiXuLy", "DienThoai", "Email", "DiaChi", "DinhDanh", "MaDoiTuong"} {
				if bytes.Contains(bytes.ToLower(o.res.Sighting.Raw), bytes.ToLower([]byte(bad))) {
					t.Errorf("%s#%d: kept record holds %s: %s", f, i, bad, o.res.Sighting.Raw)
				}
			}
		}
	}
}

func BenchmarkMap(b *testing.B) {
	raw, err := os.ReadFile("testdata/cases/personal_data.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Map(raw, Options{Unit: "u", Source: "s"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFetchedStepText: a step fetched apart from its record arrives
// decoded; a NUL in its text is dropped with a warning, the step counts.
func TestFetchedStepText(t *testing.T) {
	raw := []byte(`{"MaHoSo":"A","MaTTHC":"1.001193","KenhThucHien":"2","NgayTiepNhan":"20250601080000","TrangThaiHoSo":"4"}`)
	steps := []dvc.Step{{ChucDanh: "Công\x00 chức", ThoiDiemXuLy: "20250601080000", NoiDungXuLy: "Tiếp\x00 nhận", TrangThai: "2"}}
	res, err := Map(raw, Options{Unit: "u", Source: "s", Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 1 || res.Steps[0].Actor != "Công chức" {
		t.Errorf("steps %+v", res.Steps)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "NUL character dropped") {
		t.Errorf("no warning: %v", res.Warnings)
	}
}
