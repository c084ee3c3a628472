package register

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/workbook/workbooktest"
	"chiso/warehouse/warehousetest"
)

// TestUncleanCellsRejected (issue 12): a NUL byte or bad UTF-8 in a cell of
// an ordinary register (.csv, and .xlsx where "_x0000_" is how a workbook
// spells NUL) is a reject naming the file, row and column; the other rows
// load and the run ends partial with its rejects (never failed on a
// database error).
func TestUncleanCellsRejected(t *testing.T) {
	base := t.TempDir()
	write(t, filepath.Join(base, "a.csv"), "Số, ký hiệu văn bản;Ngày tháng văn bản;Trích yếu;Người ký\n"+
		"1/BC-UBND;03/01/2026;Báo cáo có NUL\x00 ở giữa;Nguyễn Văn A\n"+
		"2/BC-UBND;04/01/2026;Báo cáo tốt;Trần Thị \xff\xfeB\n"+
		"3/BC-UBND;05/01/2026;Dòng tốt;Lê C\n")
	wb := excelize.NewFile()
	for cell, v := range map[string]string{"A1": "Số, ký hiệu văn bản", "B1": "Ngày tháng văn bản", "C1": "Trích yếu",
		"A2": "4/BC-UBND", "B2": "06/01/2026", "C2": "Có NUL_x0000_ trong ô",
		"A3": "5/BC-UBND", "B3": "07/01/2026", "C3": "Dòng tốt"} {
		if err := wb.SetCellStr("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.SaveAs(filepath.Join(base, "b.xlsx")); err != nil {
		t.Fatal(err)
	}
	st := warehousetest.New(t)
	run := runSync(t, st, newConn(t, "so-di", base, &Connector{Path: ".", Direction: "out"}))
	var status string
	if err := st.DB.Get(&status, `SELECT status FROM sync_runs WHERE id = $1`, run.RunID()); err != nil || status != "partial" {
		t.Fatalf("run %s, %v", status, err)
	}
	var got []string
	if err := st.DB.Select(&got, `SELECT source_key || ' | ' || location || ' | ' || field FROM rejects ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a.csv#2 | a.csv: row 2, column Trích yếu | type_and_subject",
		"a.csv#3 | a.csv: row 3, column Người ký | signer",
		"b.xlsx#Sheet1!2 | b.xlsx: sheet Sheet1: row 2, column Trích yếu | type_and_subject",
	}
	if len(got) != len(want) {
		t.Fatalf("rejects %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reject %d: %q, want %q", i, got[i], want[i])
		}
	}
	if d := docs(t, st, "out"); len(d) != 2 || d["3/BC-UBND"].Subject == nil || d["5/BC-UBND"].Subject == nil {
		t.Errorf("documents %+v, want rows 3 and 5", d)
	}
}

// TestZipBombRejected (issue 19): an .xlsx register that unpacks to 2 GiB
// is refused before anything is extracted, rejected with its location and
// hash, and checkpointed: the next run does not read it again.
func TestZipBombRejected(t *testing.T) {
	base := t.TempDir()
	workbooktest.Bomb(t, filepath.Join(base, "bomb.xlsx"), 2<<30, []string{"Số, ký hiệu văn bản", "Ngày tháng văn bản"})
	st := warehousetest.New(t)
	c := newConn(t, "so-di", base, &Connector{Path: ".", Direction: "out"})
	for run, want := range []int{1, 0} {
		r := runSync(t, st, c)
		var rejected int
		if err := st.DB.Get(&rejected, `SELECT rejected FROM sync_runs WHERE id = $1`, r.RunID()); err != nil || rejected != want {
			t.Errorf("run %d: %d rejects, %v; want %d", run+1, rejected, err, want)
		}
	}
	var reason, location, hash string
	if err := st.DB.QueryRow(`SELECT reason, location, raw_sha256 FROM rejects WHERE source_key = 'bomb.xlsx'`).Scan(&reason, &location, &hash); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, "bomb.xlsx: open workbook: workbook unpacks to more than the limit (268435456 bytes)") || location != "bomb.xlsx" || len(hash) != 64 {
		t.Errorf("reject %q at %q hash %q", reason, location, hash)
	}
}

// TestLinkOutsideFolderNotRead (issue 19): a register folder holding a link
// to a file outside it reads nothing of that file (neither its rows nor its
// bytes in rejects); the link is one counted reject, reported once.
func TestLinkOutsideFolderNotRead(t *testing.T) {
	top := t.TempDir()
	base := filepath.Join(top, "registers")
	write(t, filepath.Join(top, "private", "other.csv"), "Số, ký hiệu văn bản;Ngày tháng văn bản;Trích yếu\n9/BC-UBND;03/01/2026;OUTSIDE-ROOT-SUBJECT\n")
	write(t, filepath.Join(base, "di.csv"), "Số, ký hiệu văn bản;Ngày tháng văn bản;Trích yếu\n1/BC-UBND;03/01/2026;Báo cáo\n")
	if err := os.Symlink(filepath.Join(top, "private", "other.csv"), filepath.Join(base, "link.csv")); err != nil {
		t.Fatal(err)
	}
	st := warehousetest.New(t)
	c := newConn(t, "so-di", base, &Connector{Path: ".", Direction: "out"})
	for run, want := range []int{1, 0} {
		r := runSync(t, st, c)
		var rejected int
		if err := st.DB.Get(&rejected, `SELECT rejected FROM sync_runs WHERE id = $1`, r.RunID()); err != nil || rejected != want {
			t.Errorf("run %d: %d rejects, %v; want %d", run+1, rejected, err, want)
		}
	}
	warehousetest.AssertAbsent(t, "warehouse dump", warehousetest.DumpData(t, st), "OUTSIDE-ROOT-SUBJECT", "9/BC-UBND")
	var reason string
	if err := st.DB.Get(&reason, `SELECT reason FROM rejects WHERE source_key = 'link.csv' AND raw IS NULL`); err != nil ||
		reason != "link.csv: symbolic link to a file outside the connector's path: not read" {
		t.Errorf("reject %q, %v", reason, err)
	}
	if d := docs(t, st, "out"); len(d) != 1 {
		t.Errorf("documents %+v, want di.csv's one", d)
	}
}

// TestRejectKeys (PREAMBLE reject keys): two bad rows with the same bytes
// are two rejects (keyed by file and row, never by content alone); reading
// the changed file again converges on the same reject rows.
func TestRejectKeys(t *testing.T) {
	base := t.TempDir()
	head := "Số, ký hiệu văn bản;Ngày tháng văn bản;Trích yếu\n"
	bad := ";03/01/2026;Thiếu số\n"
	write(t, filepath.Join(base, "di.csv"), head+bad+bad+"1/BC-UBND;03/01/2026;Báo cáo\n")
	st := warehousetest.New(t)
	c := newConn(t, "so-di", base, &Connector{Path: ".", Direction: "out"})
	keys := func() []string {
		var k []string
		if err := st.DB.Select(&k, `SELECT source_key FROM rejects ORDER BY source_key`); err != nil {
			t.Fatal(err)
		}
		return k
	}
	runSync(t, st, c)
	if got := strings.Join(keys(), " "); got != "di.csv#2 di.csv#3" {
		t.Errorf("run 1: reject keys %q, want di.csv#2 di.csv#3", got)
	}
	write(t, filepath.Join(base, "di.csv"), head+bad+bad+"1/BC-UBND;03/01/2026;Báo cáo (sửa)\n")
	runSync(t, st, c)
	if got := strings.Join(keys(), " "); got != "di.csv#2 di.csv#3" {
		t.Errorf("run 2: reject keys %q, want the same two rows", got)
	}
}
