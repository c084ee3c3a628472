package meetings

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
)

func renderRows(rows []FileRow, bad []RowError) string {
	var b strings.Builder
	opt := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format("2006-01-02 15:04")
	}
	for _, r := range rows {
		disc := "-"
		if r.PhutThaoLuan != nil {
			disc = fmt.Sprint(*r.PhutThaoLuan)
		}
		fmt.Fprintf(&b, "row %d %s %q loai=%s pham_vi=%s %s → %s all_day=%v online=%v paperless=%v huy=%v vai_tro=%s don_vi=%s materials=%s discussion=%s\n",
			r.Row, r.Ma, r.TieuDe, r.Loai, r.PhamVi, r.BatDau.Format("2006-01-02 15:04"), r.KetThuc.Format("2006-01-02 15:04"),
			r.AllDay, r.TrucTuyen, r.KhongGiay, r.Huy, r.VaiTro, r.DonVi, opt(r.GuiTaiLieu), disc)
	}
	for _, e := range bad {
		fmt.Fprintf(&b, "reject %s (ma=%q) raw=%s\n", strings.TrimPrefix(e.Error(), "testdata/file/"), e.Ma, e.Raw)
	}
	return b.String()
}

// Each file of testdata/file has a golden <file>.expected.txt.
func TestReadFileGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/file/*.*")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".txt") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			rows, bad, err := ReadFile(f, "", vntime.Location)
			if err != nil {
				t.Fatal(err)
			}
			got := renderRows(rows, bad)
			path := f + ".expected.txt"
			if *update {
				_ = os.WriteFile(path, []byte(got), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs.\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
	if n == 0 {
		t.Fatal("no meetings files")
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	noHeader := filepath.Join(dir, "no-header.csv")
	os.WriteFile(noHeader, []byte("a,b,c\n1,2,3\n"), 0o644)
	cases := []struct{ path, sheet, want string }{
		{noHeader, "", "no header row with the columns ma, bat_dau, ket_thuc"},
		{filepath.Join(dir, "missing.csv"), "", "no such file"},
		{filepath.Join(dir, "x.ods"), "", "unsupported extension"},
		{"testdata/file/lich-hop.xlsx", "Sheet9", `sheet "Sheet9" not found (sheets: Lịch họp)`},
	}
	for _, c := range cases {
		_, _, err := ReadFile(c.path, c.sheet, vntime.Location)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("%s: error %v, want it to name the file and say %q", c.path, err, c.want)
		}
	}
}

func TestParseFlag(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "0": false, "có": true, "Có": true, "không": false, "x": true, "X": true, "": false, "TRUE": true} {
		got, err := ParseFlag(in)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseFlag("có lẽ"); err == nil {
		t.Error(`"có lẽ": want an error`)
	}
}
