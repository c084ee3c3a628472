package procedures

import (
	"os"
	"path/filepath"
	"strings"
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
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"bad-level.csv", "ma_tthc,ten,muc_do,co_ket_qua,so_ngay\n1.1,X,muc4,1,2\n", "row 2: muc_do"},
		{"no-header.csv", "a,b\n1,2\n", "column ma_tthc missing"},
		{"dup.csv", "ma_tthc,muc_do\n1.1,khong\n1.1,mot_phan\n", "row 3: ma_tthc: 1.1 already on row 2"},
		{"days.yaml", "- {ma_tthc: '1.2', muc_do: mot_phan, so_ngay: ba}\n", "so_ngay"},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
