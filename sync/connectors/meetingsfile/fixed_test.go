package meetingsfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/warehouse/warehousetest"
)

// TestFixedRowRejectGone (issue 19): a bad row, once fixed in the file, is
// stored by the next run and its reject is gone; a row still bad keeps
// its one reject; an unchanged run rewrites nothing.
func TestFixedRowRejectGone(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	head := "ma,tieu_de,loai,bat_dau,ket_thuc\n"
	h1 := "H1,Họp giao ban có NUL\x00,giao-ban,2026-03-02 08:00,2026-03-02 10:00\n"
	h2 := "H2,Họp \xc3\x28 chuyên môn,chuyen-mon,2026-03-03 08:00,2026-03-03 10:00\n"
	h3 := "H3,Họp tốt,giao-ban,2026-03-04 08:00,2026-03-04 10:00\n"
	path := filepath.Join(dir, "lich.csv")
	save := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	save(head + h1 + h2 + h3)
	c := New()
	c.Path = "."
	if err := c.Validate(testEnv(dir)); err != nil {
		t.Fatal(err)
	}
	state := func() (keys string, meetings int) {
		var k []string
		if err := st.DB.Select(&k, `SELECT source_key FROM rejects ORDER BY source_key`); err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Get(&meetings, `SELECT count(*) FROM meetings`); err != nil {
			t.Fatal(err)
		}
		return strings.Join(k, " "), meetings
	}
	for i, step := range []struct {
		file, keys string
		meetings   int
	}{
		{head + h1 + h2 + h3, "lich.csv#2 lich.csv#3", 1},
		{head + h1 + h2 + h3, "lich.csv#2 lich.csv#3", 1}, // unchanged
		{head + h1 + strings.Replace(h2, "\xc3\x28", "(", 1) + h3, "lich.csv#2", 2},
	} {
		save(step.file)
		if _, err := syncOnce(t, st, c); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if keys, n := state(); keys != step.keys || n != step.meetings {
			t.Errorf("run %d: rejects %q, %d meetings; want %q, %d", i+1, keys, n, step.keys, step.meetings)
		}
	}
}
