package workbook_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"chiso/adapters/workbook"
	"chiso/adapters/workbook/workbooktest"
)

// TestBombRefused: a workbook that unpacks to 2 GiB is refused at once,
// before any part is extracted; a small real one opens and its sheet reads.
func TestBombRefused(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.xlsx")
	t0 := time.Now()
	onDisk := workbooktest.Bomb(t, bomb, 2<<30, []string{"Số, ký hiệu văn bản", "Ngày tháng văn bản"})
	t.Logf("bomb: %d bytes on disk for 2 GiB unpacked, made in %v", onDisk, time.Since(t0))
	if onDisk > 16<<20 {
		t.Fatalf("bomb is %d bytes on disk", onDisk)
	}
	t0 = time.Now()
	_, err := workbook.Open(bomb, 0)
	if !errors.Is(err, workbook.ErrTooLarge) {
		t.Fatalf("Open(bomb) = %v, want ErrTooLarge", err)
	}
	t.Logf("refused in %v: %v", time.Since(t0), err)

	small := filepath.Join(dir, "small.xlsx")
	workbooktest.Bomb(t, small, 2<<20, []string{"ma", "bat_dau"})
	f, err := workbook.Open(small, 0)
	if err != nil {
		t.Fatalf("Open(small) = %v", err)
	}
	defer f.Close()
	rows, err := f.Rows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Error() != nil || n < 1000 {
		t.Errorf("small workbook: %d rows, %v", n, rows.Error())
	}
}
