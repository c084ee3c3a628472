package dvcdir

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const unit = "000.25.31.H99"

func syncOnce(t *testing.T, st *warehouse.Store, c *Connector) (fetched int64) {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, "dvc-export")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx, c.Sync(ctx, run)); err != nil {
		t.Fatal(err)
	}
	return run.TotalFetched
}

func count(t *testing.T, st *warehouse.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFolder(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"online_done_envelope.json", "supplement_open_single.json"} {
		b, err := os.ReadFile(filepath.Join("../../../mapping/dossiers/testdata/cases", name))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "2025", name), string(b))
	}
	write(t, filepath.Join(dir, "bare.json"), `[
 {"MaHoSo":"`+unit+`-A-1","MaTTHC":"1.001193.H99","KenhThucHien":"2","NgayTiepNhan":"01/06/2025 08:00:00","TrangThaiHoSo":"4"},
 {"MaHoSo":"`+unit+`-A-2","MaTTHC":"1.001193","NgayTiepNhan":"2025-06-31","TrangThaiHoSo":"4"}]`)
	write(t, filepath.Join(dir, "broken.json"), `{"data":[{"MaHoSo":"`+unit+`-B-1","TrangThaiHoSo":"2"}, {"MaHoSo": `)
	write(t, filepath.Join(dir, "notes.txt"), "not a payload")

	st := warehousetest.New(t)
	c := New()
	c.Path = dir
	c.SetLogger(slog.New(slog.DiscardHandler))
	if err := c.Validate(connector.Env{Name: "dvc-export", Self: unit}); err != nil {
		t.Fatal(err)
	}
	if n := syncOnce(t, st, c); n != 5 {
		t.Errorf("fetched %d records, want 5", n)
	}
	// 2 samples + A-1 + B-1 (read before the break).
	if n := count(t, st, `SELECT count(*) FROM dossiers WHERE unit_code = $1`, unit); n != 4 {
		t.Errorf("%d dossiers, want 4", n)
	}
	var reason string
	if err := st.DB.Get(&reason, `SELECT reason FROM rejects WHERE source_key LIKE 'bare.json#MaHoSo:`+unit+`-A-2:sha256:%' AND field = 'NgayTiepNhan'`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, unit+"-A-2") || !strings.Contains(reason, "NgayTiepNhan") {
		t.Errorf("reason %q", reason)
	}
	// The broken file: where it stops and its hash, none of its bytes.
	broken, _ := os.ReadFile(filepath.Join(dir, "broken.json"))
	if n := count(t, st, `SELECT count(*) FROM rejects WHERE source_key = 'broken.json' AND raw IS NULL
		AND location = 'broken.json at byte 61' AND raw_sha256 = encode(sha256($1), 'hex')`, broken); n != 1 {
		t.Error("the broken file is not in rejects by location and hash (or its bytes are kept)")
	}
	if n := count(t, st, `SELECT count(*) FROM dossier_sightings WHERE source_key = '2025/online_done_envelope.json' AND raw::text NOT LIKE '%Nguyễn Văn An%'`); n != 1 {
		t.Error("sighting of the envelope file missing or with personal data")
	}

	// Unchanged: nothing read. Touched: nothing read either.
	if n := syncOnce(t, st, c); n != 0 {
		t.Errorf("second run fetched %d", n)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(dir, "bare.json"), later, later)
	if n := syncOnce(t, st, c); n != 0 {
		t.Errorf("touched file re-read: %d", n)
	}
	// Changed: read again, the dossier is updated, not duplicated.
	write(t, filepath.Join(dir, "bare.json"), `[{"MaHoSo":"`+unit+`-A-1","MaTTHC":"1.001193","KenhThucHien":"2","NgayTiepNhan":"01/06/2025 08:00:00","NgayKetThucXuLy":"20250602100000","TrangThaiHoSo":"10"}]`)
	if n := syncOnce(t, st, c); n != 1 {
		t.Errorf("changed file: fetched %d", n)
	}
	if n := count(t, st, `SELECT status FROM dossiers WHERE ma_ho_so = $1`, unit+"-A-1"); n != 10 {
		t.Errorf("status %d after the change", n)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers WHERE unit_code = $1`, unit); n != 4 {
		t.Errorf("%d dossiers after the change, want 4", n)
	}
}
