package register

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// TestHostileCellsConverge (issue 19): bad bytes in cells (NUL, Latin-1
// bytes, a cut UTF-8 sequence, a CESU-encoded surrogate in a .csv; the
// "_x0000_" NUL of an .xlsx) cost one reject per row, naming the file, row
// and field, with the hash of the row; the other rows load. A second run
// changes nothing; once a row is fixed in the file, the next read stores
// it and its reject is gone while the rows still bad keep theirs.
func TestHostileCellsConverge(t *testing.T) {
	base := t.TempDir()
	head := "Số, ký hiệu văn bản;Ngày tháng văn bản;Trích yếu;Người ký\n"
	rows := []string{
		"1/BC-UBND;03/01/2026;Báo cáo tốt;Nguyễn Văn A\n",
		"2/BC-UBND;04/01/2026;Báo cáo NUL\x00 ở giữa;Nguyễn Văn A\n",
		"3/BC-UBND;05/01/2026;Báo cáo;Trần Thị \xff\xfeB\n",
		"4/BC-UBND;06/01/2026;Báo cáo \xc3\x28 quý I;Lê C\n",
		"5/BC-UBND;07/01/2026;Báo cáo \xed\xa0\x80 quý II;Lê C\n",
		"6/BC-UBND;08/01/2026;Dòng tốt;Lê C\n",
	}
	write(t, filepath.Join(base, "a.csv"), head+strings.Join(rows, ""))
	wb := excelize.NewFile()
	for cell, v := range map[string]string{"A1": "Số, ký hiệu văn bản", "B1": "Ngày tháng văn bản", "C1": "Trích yếu",
		"A2": "7/BC-UBND", "B2": "09/01/2026", "C2": "Có NUL_x0000_ trong ô",
		"A3": "8/BC-UBND", "B3": "10/01/2026", "C3": "Dòng tốt"} {
		if err := wb.SetCellStr("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.SaveAs(filepath.Join(base, "b.xlsx")); err != nil {
		t.Fatal(err)
	}
	st := warehousetest.New(t)
	c := newConn(t, "so-di", base, &Connector{Path: ".", Direction: "out"})
	type rejectRow struct {
		Key, Location, Field, Reason, Hash string
		RunID                              int64 `db:"run_id"`
	}
	rejects := func() map[string]rejectRow {
		var rs []rejectRow
		if err := st.DB.Select(&rs, `SELECT source_key AS key, coalesce(location, '') AS location, coalesce(field, '') AS field, reason,
			coalesce(raw_sha256, '') AS hash, run_id FROM rejects`); err != nil {
			t.Fatal(err)
		}
		m := map[string]rejectRow{}
		for _, r := range rs {
			m[r.Key] = r
		}
		return m
	}
	outcome := func(run *warehouse.Run) (status string, rejected int) {
		if err := st.DB.QueryRowx(`SELECT status, rejected FROM sync_runs WHERE id = $1`, run.RunID()).Scan(&status, &rejected); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := map[string]string{ // key → field
		"a.csv#3": "type_and_subject", "a.csv#4": "signer", "a.csv#5": "type_and_subject", "a.csv#6": "type_and_subject",
		"b.xlsx#Sheet1!2": "type_and_subject",
	}

	// Run 1.
	status, rejected := outcome(runSync(t, st, c))
	got := rejects()
	if status != "partial" || rejected != len(want) || len(got) != len(want) {
		t.Errorf("run 1: %s, %d rejected, %d reject rows; want partial, %d", status, rejected, len(got), len(want))
	}
	for key, field := range want {
		r, ok := got[key]
		file, _, _ := strings.Cut(key, "#")
		if !ok || r.Field != field || len(r.Hash) != 64 || !strings.HasPrefix(r.Location, file+": ") || !strings.Contains(r.Reason, file) || !utf8.ValidString(r.Reason) {
			t.Errorf("run 1: reject %s = %+v; want field %s, a hash, the file named", key, r, field)
		}
	}
	if d := docs(t, st, "out"); len(d) != 3 || d["1/BC-UBND"].Subject == nil || d["6/BC-UBND"].Subject == nil || d["8/BC-UBND"].Subject == nil {
		t.Errorf("run 1: documents %v, want rows 1, 6 and 8", d)
	}

	// Run 2: nothing new.
	status, rejected = outcome(runSync(t, st, c))
	if again := rejects(); status != "ok" || rejected != 0 || len(again) != len(want) {
		t.Errorf("run 2: %s, %d rejected, %d reject rows; want ok, 0, %d", status, rejected, len(again), len(want))
	} else {
		for key, r := range got {
			if again[key] != r {
				t.Errorf("run 2 rewrote reject %s", key)
			}
		}
	}

	// Run 3: row 5 (document 4) fixed in the file; the others still bad.
	rows[3] = "4/BC-UBND;06/01/2026;Báo cáo ( quý I;Lê C\n"
	write(t, filepath.Join(base, "a.csv"), head+strings.Join(rows, ""))
	status, rejected = outcome(runSync(t, st, c))
	after := rejects()
	if _, ok := after["a.csv#5"]; ok || len(after) != len(want)-1 {
		t.Errorf("run 3: reject rows %v; want a.csv#5 gone, the other %d kept", keysOf(after), len(want)-1)
	}
	if status != "partial" || rejected != 3 {
		t.Errorf("run 3: %s, %d rejected; want partial, the 3 rows of a.csv still bad", status, rejected)
	}
	if after["b.xlsx#Sheet1!2"] != got["b.xlsx#Sheet1!2"] {
		t.Errorf("run 3 touched the reject of the unchanged b.xlsx")
	}
	if d := docs(t, st, "out"); len(d) != 4 || d["4/BC-UBND"].Subject == nil || *d["4/BC-UBND"].Subject != "Báo cáo ( quý I" {
		t.Errorf("run 3: documents %v, want row 4 stored", d)
	}
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
