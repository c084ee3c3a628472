package sync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse/warehousetest"
)

// A backfill that stops on a failed chunk resumes after the last chunk
// that committed; each chunk is a run with its window.
func TestBackfillResumes(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeMeetings(t, filepath.Join(dir, "in"), 2, 150, time.Date(2025, 1, 1, 7, 0, 0, 0, vntime.Location)) // 300 meetings, 1 Jan .. 27 Mar 2025
	cfg := loadConfig(t, writeConfig(t, dir, "dbname=unused", `
  - {name: lich-hop, type: test-json, schedule: "@every 1h", path: in, fail_on: "2025-02-01"}
`))
	job := cfg.Jobs[0]
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location), time.Date(2025, 3, 31, 0, 0, 0, 0, vntime.Location)
	r := NewRunner(nil, newLogger(&logBuffer{}))
	ctx := context.Background()
	var events []string
	report := func(ev ChunkEvent) {
		s := windowString(ev.Window) + " " + ev.Result.Status
		if ev.Earlier {
			s = windowString(ev.Window) + " earlier"
		}
		events = append(events, s)
	}
	count := func(q string) int {
		var n int
		if err := st.DB.Get(&n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}

	err := r.Backfill(ctx, st, job, from, to, report)
	if err == nil || !strings.Contains(err.Error(), "told to fail the chunk of 2025-02-01") {
		t.Fatalf("err = %v", err)
	}
	stream := BackfillStream(from, to)
	if cp, _, _ := st.Checkpoint(ctx, "lich-hop", stream); cp != "2025-01-31" {
		t.Errorf("progress after the failed chunk = %q, want 2025-01-31", cp)
	}
	janMeetings := count(`SELECT count(*) FROM meetings WHERE starts_at < '2025-02-01T00:00:00+07:00'`)
	if janMeetings == 0 || count(`SELECT count(*) FROM meetings`) != janMeetings {
		t.Errorf("after the failed chunk: %d meetings, %d in January", count(`SELECT count(*) FROM meetings`), janMeetings)
	}

	job.Conn.(*jsonConn).FailOn = ""
	if err := r.Backfill(ctx, st, job, from, to, report); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2025-01-01..2025-01-31 partial", // the 37th record is invalid
		"2025-02-01..2025-02-28 failed",
		"2025-01-01..2025-01-31 earlier",
		"2025-02-01..2025-02-28 partial",
		"2025-03-01..2025-03-31 partial",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("chunks:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	var windows []string
	if err := st.DB.Select(&windows, `SELECT window_from || '..' || window_to || ' ' || status FROM sync_runs ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(windows, ",") != "2025-01-01..2025-01-31 partial,2025-02-01..2025-02-28 failed,2025-02-01..2025-02-28 partial,2025-03-01..2025-03-31 partial" {
		t.Errorf("runs: %v", windows)
	}
	if n := count(`SELECT count(*) FROM meetings`) + count(`SELECT count(*) FROM rejects`); n != 300 {
		t.Errorf("meetings + rejects = %d, want 300", n)
	}
	if cp, _, _ := st.Checkpoint(ctx, "lich-hop", stream); cp != "2025-03-31" {
		t.Errorf("progress = %q", cp)
	}
	// The connector got its env back without the window.
	if job.Conn.(*jsonConn).env.Window != nil {
		t.Error("the window stayed on the connector")
	}

	// A completed backfill asked again runs again, converging on the same rows.
	before := dumpTables(t, st)
	events = nil
	if err := r.Backfill(ctx, st, job, from, to, report); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || strings.Contains(strings.Join(events, ","), "earlier") {
		t.Errorf("a completed backfill again: %v", events)
	}
	after := dumpTables(t, st)
	if strings.Join(after["meetings"], "\n") != strings.Join(before["meetings"], "\n") {
		t.Error("re-running the backfill changed the meetings")
	}
}
