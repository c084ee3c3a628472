package sync

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/sync/config"
	"chiso/warehouse/warehousetest"
)

func metricsText(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func jobByName(t *testing.T, cfg *config.Config, name string) *config.ConnectorConfig {
	t.Helper()
	for _, j := range cfg.Jobs {
		if j.Name == name {
			return j
		}
	}
	t.Fatalf("no connector %s", name)
	return nil
}

// Every outcome is recorded once: the run row, the metrics, the log.
func TestRunConnectorRecordsOutcome(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	day0 := time.Date(2026, 1, 5, 8, 0, 0, 0, vntime.Location)
	for _, d := range []struct {
		name       string
		files, per int
	}{{"ten", 1, 10}, {"forty", 1, 40}} {
		p := filepath.Join(dir, d.name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		writeMeetings(t, p, d.files, d.per, day0)
	}
	cfg := loadConfig(t, writeConfig(t, dir, "dbname=unused", `
  - {name: ok, type: test-json, schedule: "@every 1h", path: ten}
  - {name: partial, type: test-json, schedule: "@every 1h", path: forty}
  - {name: failed, type: test-json, schedule: "@every 1h", path: ten, fail: "upstream answered 503"}
  - {name: failed-after-flush, type: test-json, schedule: "@every 1h", path: forty, flush: 25, fail: "upstream answered 503"}
  - {name: panics, type: test-json, schedule: "@every 1h", path: ten, panic: true}
  - {name: slow, type: test-json, schedule: "@every 1h", timeout: 150ms, path: ten, delay: 40ms}
`))
	tests := []struct {
		name         string
		wantStatus   string
		wantErr      string
		wantMeetings int // committed for this connector
		wantRejects  int
	}{
		{"ok", "ok", "", 10, 0},
		{"partial", "partial", "", 39, 1},
		{"failed", "failed", "upstream answered 503", 0, 0},
		{"failed-after-flush", "failed", "upstream answered 503", 25, 0}, // the first batch committed, the rest rolled back
		{"panics", "failed", "panic: test-json: told to panic", 0, 0},
		{"slow", "failed", "timed out after 150ms", 0, 0},
	}
	var logs logBuffer
	r := NewRunner(nil, newLogger(&logs))
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.RunConnector(ctx, st, jobByName(t, cfg, tt.name))
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			var row struct {
				Status string  `db:"status"`
				Error  *string `db:"error"`
				Done   bool    `db:"done"`
			}
			if err := st.DB.Get(&row, `SELECT status, error, finished_at IS NOT NULL AS done FROM sync_runs WHERE connector = $1`, tt.name); err != nil {
				t.Fatal(err)
			}
			if row.Status != tt.wantStatus || !row.Done {
				t.Errorf("sync_runs: status %s finished %v, want %s", row.Status, row.Done, tt.wantStatus)
			}
			if tt.wantErr != "" && (row.Error == nil || !strings.Contains(*row.Error, tt.wantErr)) {
				t.Errorf("sync_runs.error = %v, want %q", row.Error, tt.wantErr)
			}
			var meetings, rejects int
			_ = st.DB.Get(&meetings, `SELECT count(*) FROM meetings WHERE source = $1`, tt.name)
			_ = st.DB.Get(&rejects, `SELECT count(*) FROM rejects WHERE connector = $1`, tt.name)
			if meetings != tt.wantMeetings || rejects != tt.wantRejects {
				t.Errorf("committed %d meetings, %d rejects; want %d, %d", meetings, rejects, tt.wantMeetings, tt.wantRejects)
			}
			body := metricsText(t, r.Metrics)
			if v := metricValue(body, `chiso_sync_runs_total{connector="`+tt.name+`",status="`+tt.wantStatus+`"}`); v != "1" {
				t.Errorf("runs_total = %q", v)
			}
			if tt.wantStatus != "failed" {
				if v := metricValue(body, `chiso_sync_last_success_timestamp_seconds{connector="`+tt.name+`"}`); v == "" || v == "0" {
					t.Errorf("last success = %q", v)
				}
			}
		})
	}
	body := metricsText(t, r.Metrics)
	for prefix, want := range map[string]string{
		`chiso_sync_records_upserted_total{connector="partial"}`:            "39",
		`chiso_sync_records_rejected_total{connector="partial"}`:            "1",
		`chiso_sync_records_fetched_total{connector="partial"}`:             "40",
		`chiso_sync_records_upserted_total{connector="failed-after-flush"}`: "25",
		`chiso_sync_run_duration_seconds_count{connector="slow"}`:           "1",
	} {
		if v := metricValue(body, prefix); v != want {
			t.Errorf("%s = %q, want %s", prefix, v, want)
		}
	}
	if !strings.Contains(logs.String(), "stack=") || !strings.Contains(logs.String(), `msg="run failed" connector=panics`) {
		t.Errorf("log lacks the panic stack or the outcome line:\n%s", logs.String())
	}
}

// A skipped run (another process holds the lock) is counted, not recorded.
func TestRunConnectorSkippedIsNotAFailure(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, writeConfig(t, dir, "dbname=unused", `
  - {name: c1, type: test-json, schedule: "@every 1h", path: in}
`))
	ctx := context.Background()
	lock, err := st.TryConnectorLock(ctx, "c1")
	if err != nil || lock == nil {
		t.Fatalf("lock: %v", err)
	}
	r := NewRunner(nil, newLogger(&logBuffer{}))
	err = r.RunConnector(ctx, st, jobByName(t, cfg, "c1"))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	lock.Release()
	var n int
	_ = st.DB.Get(&n, `SELECT count(*) FROM sync_runs`)
	body := metricsText(t, r.Metrics)
	if n != 0 || metricValue(body, `chiso_sync_skipped_total{connector="c1",reason="locked"}`) != "1" ||
		metricValue(body, `chiso_sync_runs_total{connector="c1",status="failed"}`) != "" {
		t.Errorf("runs recorded %d; metrics:\n%s", n, body)
	}
	if err := r.RunConnector(ctx, st, jobByName(t, cfg, "c1")); err != nil {
		t.Fatalf("after release: %v", err)
	}
}
