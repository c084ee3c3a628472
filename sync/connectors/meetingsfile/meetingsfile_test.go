package meetingsfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/adapters/meetings/meetingssim"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

func testEnv(dir string) connector.Env {
	org := orgdir.New([]orgdir.Unit{
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: "self"},
		{Code: "002.25.31.H99", Name: "Phòng Văn hóa - Xã hội", Parent: "000.25.31.H99", Relation: "internal"},
		{Code: "001.25.31.H99", Name: "Văn phòng HĐND và UBND xã", Parent: "000.25.31.H99", Relation: "internal"},
		{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: "higher"},
	})
	return connector.Env{Name: "so-hop", BaseDir: dir, Self: "000.25.31.H99", Org: org}
}

func syncOnce(t *testing.T, st *warehouse.Store, c *Connector) (int64, error) {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, "so-hop")
	if err != nil {
		t.Fatal(err)
	}
	return run.RunID(), run.Finish(ctx, c.Sync(ctx, run))
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The CSV and XLSX examples of the adapter, loaded from one folder: good
// rows become meetings, bad rows go to rejects naming file, row and column;
// an unchanged folder writes nothing; a row removed from a file is marked
// deleted with the run.
func TestSyncFolder(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	copyFile(t, "../../../adapters/meetings/testdata/file/lich-hop.csv", filepath.Join(dir, "lich-hop.csv"))
	copyFile(t, "../../../adapters/meetings/testdata/file/lich-hop.xlsx", filepath.Join(dir, "lich-hop.xlsx"))
	os.WriteFile(filepath.Join(dir, "~$lich-hop.xlsx"), []byte("Excel lock file"), 0o644)
	c := New()
	c.Path = "."
	if err := c.Validate(testEnv(dir)); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	type row struct {
		UID       string `db:"uid"`
		Unit      string `db:"unit_code"`
		Organised bool   `db:"organized_by_self"`
		Cancelled bool   `db:"cancelled"`
		Sessions  int    `db:"sessions"`
		Deleted   *int64 `db:"deleted_run"`
	}
	load := func() map[string]row {
		var rows []row
		if err := st.DB.Select(&rows, `SELECT uid, unit_code, organized_by_self, cancelled, sessions, deleted_run FROM meetings WHERE source = 'so-hop'`); err != nil {
			t.Fatal(err)
		}
		out := map[string]row{}
		for _, r := range rows {
			out[r.UID] = r
		}
		return out
	}
	m := load()
	// CSV: 6 good rows; XLSX: X-01, X-02 (X-03 has an unknown kind, X-04 no end).
	if len(m) != 8 {
		t.Fatalf("meetings: %d, want 8: %v", len(m), m)
	}
	checks := []struct {
		uid, unit          string
		organised, cancels bool
		sessions           int
	}{
		{"H-003", "002.25.31.H99", true, false, 4},
		{"H-004", "000.25.31.H99", false, false, 1},
		{"H-005", "000.25.31.H99", true, true, 1},
		{"X-02", "001.25.31.H99", true, false, 2},
	}
	for _, ck := range checks {
		r := m[ck.uid]
		if r.Unit != ck.unit || r.Organised != ck.organised || r.Cancelled != ck.cancels || r.Sessions != ck.sessions {
			t.Errorf("%s: %+v, want unit %s organised %v cancelled %v sessions %d", ck.uid, r, ck.unit, ck.organised, ck.cancels, ck.sessions)
		}
	}
	var reasons []string
	st.DB.Select(&reasons, `SELECT reason FROM rejects WHERE connector = 'so-hop' ORDER BY reason`)
	if len(reasons) != 8 {
		t.Fatalf("rejects: %d, want 8: %v", len(reasons), reasons)
	}
	joined := strings.Join(reasons, "\n")
	for _, want := range []string{"lich-hop.csv: row 8: column bat_dau:", "lich-hop.xlsx: row 6: column loai: unknown kind \"hop-mat\"", "lich-hop.xlsx: row 7: column ket_thuc: empty"} {
		if !strings.Contains(joined, want) {
			t.Errorf("rejects lack %q:\n%s", want, joined)
		}
	}

	run2, err := syncOnce(t, st, c)
	if err != nil {
		t.Fatal(err)
	}
	var fetched int
	st.DB.Get(&fetched, `SELECT fetched FROM sync_runs WHERE id = $1`, run2)
	if fetched != 0 {
		t.Errorf("unchanged files: run read %d records, want 0", fetched)
	}

	// H-005 removed from the CSV.
	b, _ := os.ReadFile(filepath.Join(dir, "lich-hop.csv"))
	var kept [][]byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("H-005;")) {
			kept = append(kept, line)
		}
	}
	os.WriteFile(filepath.Join(dir, "lich-hop.csv"), bytes.Join(kept, nil), 0o644)
	run3, err := syncOnce(t, st, c)
	if err != nil {
		t.Fatal(err)
	}
	m = load()
	if d := m["H-005"].Deleted; d == nil || *d != run3 {
		t.Errorf("H-005 removed: deleted_run %v, want %d", d, run3)
	}
	if d := m["H-006"].Deleted; d != nil {
		t.Error("a rejected row was marked deleted")
	}
	if d := m["H-001"].Deleted; d != nil {
		t.Error("H-001 still in the file but marked deleted")
	}
}

// The simulator's CSV loads completely: one meeting per generated occurrence.
func TestSyncSimulatorCSV(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	if _, err := meetingssim.WriteFiles(dir, meetingssim.Options{Seed: 9}); err != nil {
		t.Fatal(err)
	}
	c := New()
	c.Path = "001.25.31.H99.csv"
	c.Unit = "001.25.31.H99"
	if err := c.Validate(testEnv(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, cal := range meetingssim.Generate(meetingssim.Options{Seed: 9}) {
		if cal.Unit == "001.25.31.H99" {
			want = len(cal.Occurrences)
		}
	}
	var n, rejects int
	st.DB.Get(&n, `SELECT count(*) FROM meetings WHERE unit_code = '001.25.31.H99'`)
	st.DB.Get(&rejects, `SELECT count(*) FROM rejects`)
	if n != want || rejects != 0 {
		t.Errorf("meetings %d (want %d), rejects %d", n, want, rejects)
	}
}

// A file that is no longer a readable meetings file (here: no header) is
// rejected naming it, instead of failing the connector on every run; its
// meetings are unknown, so none is marked deleted.
func TestSyncUnreadableFileRejected(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.csv"), []byte("ma,tieu_de,loai,bat_dau,ket_thuc\nH1,Họp,giao-ban,2026-03-04 08:00,2026-03-04 10:00\n"), 0o644)
	c := New()
	c.Path = "x.csv"
	if err := c.Validate(testEnv(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a;b\n1;2\n"), 0o644)
	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatalf("error %v", err)
	}
	var reason string
	if err := st.DB.Get(&reason, `SELECT reason FROM rejects WHERE source_key = 'x.csv'`); err != nil || !strings.Contains(reason, "x.csv: no header row") {
		t.Errorf("reject %q, %v", reason, err)
	}
	var deleted int
	if err := st.DB.Get(&deleted, `SELECT count(*) FROM meetings WHERE deleted_run IS NOT NULL`); err != nil || deleted != 0 {
		t.Errorf("%d meetings marked deleted, %v", deleted, err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct{ path, unit, want string }{
		{"", "", "path: required"},
		{"lich.ods", "", "path:"},
		{"lich.csv", "000.00.00.H99", "unit:"},
		{"lich.csv", "", ""},
		{"folder", "002.25.31.H99", ""},
	}
	for _, c := range cases {
		conn := New()
		conn.Path, conn.Unit = c.path, c.unit
		err := conn.Validate(testEnv(t.TempDir()))
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("path %q unit %q: error %v, want %q", c.path, c.unit, err, c.want)
		}
	}
}
