package procedures

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	ps, err := ReadFile("../../configs/procedures.example.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 5 || ps[0].MaTTHC != "1.001193" || ps[0].Level != "toan_trinh" || *ps[0].MaxDays != 1 || !ps[0].RequiresResult {
		t.Errorf("got %+v", ps[0])
	}
}

// Every problem is an *Error with the line (and column or key) it is on,
// so that check-config can print FILE:LINE.
func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		line       int
		field, msg string
	}{
		{"bad-level.csv", "ma_tthc,ten,muc_do,co_ket_qua,so_ngay\n1.1,X,muc4,1,2\n", 2, "muc_do", `"muc4" is not toan_trinh, mot_phan or khong`},
		{"no-header.csv", "a,b\n1,2\n", 1, "ma_tthc", "column missing from the header (want ma_tthc,ten,muc_do,co_ket_qua,so_ngay)"},
		{"dup.csv", "ma_tthc,muc_do\n1.1,khong\n1.1,mot_phan\n", 3, "ma_tthc", "1.1 already on row 2"},
		{"bad-quote.csv", "ma_tthc,muc_do\n1.1,khong\n1.2,\"mot_phan\n1.3,khong\n", 3, "", `extraneous or missing " in quoted-field`},
		{"empty.csv", "", 1, "header", "empty file"},
		{"semicolons.csv", "ma_tthc;muc_do;so_ngay\n1.1;khong;2\n1.2;toan_trinh;-1\n", 3, "so_ngay", `"-1" is not a number of working days`},
		{"days.yaml", "- {ma_tthc: '1.1', muc_do: khong}\n- {ma_tthc: '1.2', muc_do: mot_phan, so_ngay: ba}\n", 2, "so_ngay", `"ba" is not a number of working days`},
		{"syntax.yaml", "- ma_tthc: '1.1'\n  muc_do: khong\n- ma_tthc: '1.2\n", 3, "", "found unexpected end of stream"},
		{"type.yaml", "- {ma_tthc: '1.1', muc_do: khong}\n-\n  ma_tthc: [1, 2]\n", 3, "", "cannot unmarshal !!seq into string"},
		{"not-a-list.yaml", "ma_tthc: '1.1'\nmuc_do: khong\n", 1, "", "want a list of procedures (- {ma_tthc: …, muc_do: …})"},
		{"empty-code.yml", "- {ma_tthc: '1.1', muc_do: khong}\n\n- {ma_tthc: ' ', muc_do: khong}\n", 3, "ma_tthc", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(p)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Path != p || e.Line != tc.line || e.Field != tc.field || e.Msg != tc.msg {
				t.Errorf("got %s:%d %q %q, want line %d %q %q", e.Path, e.Line, e.Field, e.Msg, tc.line, tc.field, tc.msg)
			}
		})
	}
	_, err := ReadFile(filepath.Join(dir, "missing.csv"))
	var e *Error
	if !errors.As(err, &e) || e.Line != 0 {
		t.Errorf("missing file: %v", err)
	}
}
