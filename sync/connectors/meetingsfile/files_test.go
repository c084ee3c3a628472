package meetingsfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/adapters/workbook/workbooktest"
	"chiso/warehouse/warehousetest"
)

// TestUncleanCellsRejected (issue 12): a NUL byte or bad UTF-8 in a cell is
// a reject naming the row and the column (never a database error); the
// other meetings load. Reject keys are relative to the folder.
func TestUncleanCellsRejected(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	csv := "ma,tieu_de,loai,bat_dau,ket_thuc\n" +
		"H1,Họp giao ban có NUL\x00,giao-ban,2026-03-02 08:00,2026-03-02 10:00\n" +
		"H2,Họp \xff\xfe chuyên môn,chuyen-mon,2026-03-03 08:00,2026-03-03 10:00\n" +
		"H3,Họp tốt,giao-ban,2026-03-04 08:00,2026-03-04 10:00\n"
	if err := os.WriteFile(filepath.Join(dir, "lich.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	c := New()
	c.Path = "."
	if err := c.Validate(testEnv(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatalf("sync: %v", err)
	}
	var got []string
	if err := st.DB.Select(&got, `SELECT source_key || ' | ' || location || ' | ' || reason FROM rejects ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"lich.csv#2 | lich.csv#2, column tieu_de | lich.csv: row 2: column tieu_de: NUL byte in the text",
		"lich.csv#3 | lich.csv#3, column tieu_de | lich.csv: row 3: column tieu_de: invalid UTF-8 (save the file as UTF-8)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rejects:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var n int
	if err := st.DB.Get(&n, `SELECT count(*) FROM meetings`); err != nil || n != 1 {
		t.Errorf("meetings %d, %v; want 1", n, err)
	}
}

// TestZipBombRejected (issue 19): a workbook that unpacks to 2 GiB is
// refused at once instead of being inflated until the timeout: rejected
// (no meeting marked deleted), the other file loads, and the next run does
// not read it again while the files are unchanged.
func TestZipBombRejected(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	workbooktest.Bomb(t, filepath.Join(dir, "bomb.xlsx"), 2<<30, []string{"ma", "bat_dau", "ket_thuc"})
	csv := "ma,tieu_de,loai,bat_dau,ket_thuc\nH3,Họp tốt,giao-ban,2026-03-04 08:00,2026-03-04 10:00\n"
	if err := os.WriteFile(filepath.Join(dir, "lich.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	c := New()
	c.Path = "."
	if err := c.Validate(testEnv(dir)); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		id, err := syncOnce(t, st, c)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		var rejected int
		if err := st.DB.Get(&rejected, `SELECT rejected FROM sync_runs WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{1: 1, 2: 0}[run]; rejected != want {
			t.Errorf("run %d: %d rejects, want %d", run, rejected, want)
		}
	}
	var reason string
	if err := st.DB.Get(&reason, `SELECT reason FROM rejects WHERE source_key = 'bomb.xlsx'`); err != nil ||
		!strings.Contains(reason, "bomb.xlsx: workbook unpacks to more than the limit") {
		t.Errorf("reject %q, %v", reason, err)
	}
	var n int
	if err := st.DB.Get(&n, `SELECT count(*) FROM meetings`); err != nil || n != 1 {
		t.Errorf("meetings %d, %v; want 1", n, err)
	}
}
