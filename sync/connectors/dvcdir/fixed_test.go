package dvcdir

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"chiso/sync/connector"
	"chiso/warehouse/warehousetest"
)

// A file whose bad record is fixed later leaves no reject behind; its
// records that are still bad stay rejected, once each.
func TestFixedRecordClearsItsReject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "xuat.json")
	bad := `[
 {"MaHoSo":"` + unit + `-F-1","MaTTHC":"1.001193","NgayTiepNhan":"2025-06-31","TrangThaiHoSo":"4"},
 {"MaHoSo":"` + unit + `-F-2","MaTTHC":"1.001193","NgayTiepNhan":"2025-06-32","TrangThaiHoSo":"4"}]`
	write(t, path, bad)

	st := warehousetest.New(t)
	c := New()
	c.Path = dir
	c.SetLogger(slog.New(slog.DiscardHandler))
	if err := c.Validate(connector.Env{Name: "dvc-export", Self: unit}); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, st, c)
	if n := count(t, st, `SELECT count(*) FROM rejects WHERE connector = 'dvc-export'`); n != 2 {
		t.Fatalf("%d rejects after the bad file, want 2", n)
	}

	fixed := `[
 {"MaHoSo":"` + unit + `-F-1","MaTTHC":"1.001193","NgayTiepNhan":"2025-06-30","TrangThaiHoSo":"4"},
 {"MaHoSo":"` + unit + `-F-2","MaTTHC":"1.001193","NgayTiepNhan":"2025-06-32","TrangThaiHoSo":"4"}]`
	write(t, path, fixed)
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, st, c)
	if n := count(t, st, `SELECT count(*) FROM dossiers WHERE ma_ho_so = $1`, unit+"-F-1"); n != 1 {
		t.Errorf("fixed record: %d dossiers, want 1", n)
	}
	if n := count(t, st, `SELECT count(*) FROM rejects WHERE connector = 'dvc-export'`); n != 1 {
		t.Errorf("%d rejects after the fix, want 1 (the record still bad)", n)
	}
	if n := count(t, st, `SELECT count(*) FROM rejects WHERE connector = 'dvc-export' AND reason LIKE '%F-2%'`); n != 1 {
		t.Errorf("the record still bad: %d rejects naming it, want 1", n)
	}
}
