package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// copyExample copies the example config and its files into a temp folder,
// applies edit to chiso.yaml and returns its path and text.
func copyExample(t *testing.T, edit func(string) string) (path, text string) {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("../../configs", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../../configs", p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "chiso.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text = edit(string(b))
	path = filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, text
}

// checkConfigLines runs check-config and returns its stderr lines; it fails
// the test unless the exit code is want.
func checkConfigLines(t *testing.T, path string, want int) []string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"check-config", "-c", path}, &out, &errb); code != want {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, want, out.String(), errb.String())
	}
	return strings.Split(strings.TrimSpace(errb.String()), "\n")
}

// edxml-dir and vxp accept only the commune or one of its internal units
// as unit: a sister commune, the province or an unknown code is a config
// error on the unit's line.
func TestCheckConfigUnitOutsideCommune(t *testing.T) {
	cases := []struct {
		name, unit, frag string
	}{
		{"peer commune", "000.26.31.H99", "is not 000.25.31.H99 or one of its internal units"},
		{"province", "000.00.00.H99", "is not 000.25.31.H99 or one of its internal units"},
		{"unknown code", "999.99.99.H99", "is not 000.25.31.H99 or one of its internal units"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, text := copyExample(t, func(s string) string {
				s = strings.Replace(s, `    unit: "000.25.31.H99"            # the unit the archive`, `    unit: "`+tc.unit+`"            # the unit the archive`, 1)
				return strings.Replace(s, "    unit: \"000.25.31.H99\"\n    request_timeout", "    unit: \""+tc.unit+"\"\n    request_timeout", 1)
			})
			if strings.Count(text, tc.unit) < 2 {
				t.Fatal("example config changed: unit lines not found")
			}
			lines := checkConfigLines(t, path, 1)
			for _, want := range []struct{ key, nth string }{{"connectors[qlvb-archive].unit", "archive"}, {"connectors[truc-vxp].unit", "request_timeout"}} {
				line := unitLine(text, tc.unit, want.nth)
				found := false
				for _, l := range lines {
					if strings.HasPrefix(l, path+":"+line+": "+want.key+": ") && strings.Contains(l, tc.frag) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s:%s: %s: …%s… in\n%s", path, line, want.key, tc.frag, strings.Join(lines, "\n"))
				}
			}
			if len(lines) != 2 {
				t.Errorf("%d lines, want 2:\n%s", len(lines), strings.Join(lines, "\n"))
			}
		})
	}
	// An internal unit of the commune is accepted.
	path, _ := copyExample(t, func(s string) string {
		return strings.Replace(s, `    unit: "000.25.31.H99"            # the unit the archive`, `    unit: "002.25.31.H99"            # the unit the archive`, 1)
	})
	checkConfigLines(t, path, 0)
}

// unitLine is the line number of the unit key set to unit whose line (or
// the next one) contains marker.
func unitLine(text, unit, marker string) string {
	ls := strings.Split(text, "\n")
	for i, l := range ls {
		if strings.Contains(l, "unit: \""+unit+"\"") && (strings.Contains(l, marker) || i+1 < len(ls) && strings.Contains(ls[i+1], marker)) {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}

// check-config reads the procedure catalogue with the reader startup uses:
// a malformed one fails here, at the catalogue's FILE:LINE, not at startup.
func TestCheckConfigProcedureCatalogue(t *testing.T) {
	cases := []struct {
		name, file, body string
		want             string // after "FILE:"; FILE is the catalogue, or chiso.yaml for "@"
	}{
		{"bad level on row 3", "procedures.example.csv", "ma_tthc,ten,muc_do,co_ket_qua,so_ngay\n1.001193,Đăng ký khai sinh,toan_trinh,1,1\n1.000894,Đăng ký kết hôn,muc_do_4,1,3\n",
			`3: muc_do: "muc_do_4" is not toan_trinh, mot_phan or khong`},
		{"days not a number", "procedures.example.csv", "ma_tthc,ten,muc_do,co_ket_qua,so_ngay\n1.001193,Đăng ký khai sinh,toan_trinh,1,một\n",
			`2: so_ngay: "một" is not a number of working days`},
		{"duplicate code", "procedures.example.csv", "ma_tthc,muc_do\n1.1,khong\n1.1,mot_phan\n", "3: ma_tthc: 1.1 already on row 2"},
		{"header without muc_do", "procedures.example.csv", "ma_tthc,ten\n1.1,X\n", "1: muc_do: column missing from the header (want ma_tthc,ten,muc_do,co_ket_qua,so_ngay)"},
		{"yaml catalogue", "procedures.yaml", "- {ma_tthc: '1.1', muc_do: khong}\n- {ma_tthc: '1.2', muc_do: khong, co_ket_qua: 2}\n", `2: co_ket_qua: "2" is not 1 or 0`},
		{"missing file", "", "", "@LINE: procedures: open "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, _ := copyExample(t, func(s string) string {
				switch tc.file {
				case "procedures.yaml":
					return strings.Replace(s, "procedures: procedures.example.csv", "procedures: procedures.yaml", 1)
				case "":
					return strings.Replace(s, "procedures: procedures.example.csv", "procedures: nowhere.csv", 1)
				}
				return s
			})
			cat := filepath.Join(filepath.Dir(path), tc.file)
			if tc.file != "" {
				if err := os.WriteFile(cat, []byte(tc.body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := cat + ":" + tc.want
			if strings.HasPrefix(tc.want, "@") {
				// @LINE: the line of the procedures key in the example config.
				src, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				line := 1 + strings.Count(string(src[:strings.Index(string(src), "\nprocedures:")+1]), "\n")
				want = path + ":" + strings.Replace(tc.want[1:], "LINE", strconv.Itoa(line), 1)
			}
			lines := checkConfigLines(t, path, 1)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
				t.Errorf("got\n%s\nwant one line starting %s", strings.Join(lines, "\n"), want)
			}
		})
	}
}
