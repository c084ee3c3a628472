package sync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func startDaemon(t *testing.T, st *warehouse.Store, cfgPath string, logs *logBuffer) *Daemon {
	t.Helper()
	d, err := NewDaemon(Options{Store: st, ConfigPath: cfgPath, Config: loadConfig(t, cfgPath), Logger: newLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countRuns(t *testing.T, st *warehouse.Store, connector string) int {
	t.Helper()
	var n int
	if err := st.DB.Get(&n, `SELECT count(*) FROM sync_runs WHERE connector = $1`, connector); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two daemons on one warehouse, several schedule periods: every tick of
// every connector is run exactly once.
func TestTwoDaemonsRunEachTickOnce(t *testing.T) {
	dsn := warehousetest.NewDatabase(t)
	dir := t.TempDir()
	for _, n := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		writeMeetings(t, filepath.Join(dir, n), 2, 20, time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC))
	}
	cfgPath := writeConfig(t, dir, dsn, `
  - {name: lich-a, type: test-json, schedule: "@every 1s", path: a}
  - {name: lich-b, type: test-json, schedule: "@every 1s", path: b, delay: 5ms}
`)
	ctx := context.Background()
	var daemons []*Daemon
	var stores []*warehouse.Store
	for i := 0; i < 2; i++ {
		st, err := warehouse.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stores = append(stores, st)
		daemons = append(daemons, startDaemon(t, st, cfgPath, &logBuffer{}))
	}
	time.Sleep(4500 * time.Millisecond)
	for _, d := range daemons {
		if err := d.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	st := stores[0]
	for _, name := range []string{"lich-a", "lich-b"} {
		var starts []time.Time
		if err := st.DB.Select(&starts, `SELECT started_at FROM sync_runs WHERE connector = $1 ORDER BY started_at`, name); err != nil {
			t.Fatal(err)
		}
		off := offset(name, time.Second)
		ticks := map[int64]int{}
		for _, s := range starts {
			ticks[(s.UnixNano()-int64(off))/int64(time.Second)]++
		}
		for tick, n := range ticks {
			if n != 1 {
				t.Errorf("%s: %d runs for the tick at %s", name, n, time.Unix(0, tick*int64(time.Second)+int64(off)).Format(time.RFC3339Nano))
			}
		}
		if len(starts) < 4 {
			t.Errorf("%s: only %d runs in 4.5 s of @every 1s", name, len(starts))
		}
		// A run cut by its 1 s timeout (the default for @every 1s) on a
		// loaded machine, or by the Stop above, is not what this test is
		// about; any other failure is.
		var bad []string
		if err := st.DB.Select(&bad, `SELECT status || ': ' || coalesce(error, '') FROM sync_runs
			WHERE connector = $1 AND status NOT IN ('ok','partial') AND coalesce(error, '') NOT LIKE '%timed out after%'
			AND coalesce(error, '') NOT LIKE '%chiso is stopping%'`, name); err != nil {
			t.Fatal(err)
		}
		if len(bad) != 0 {
			t.Errorf("%s: %d runs not ok: %q", name, len(bad), bad)
		}
		// Both daemons tried every tick: the loser counted a skip each time.
		skips := 0
		for _, d := range daemons {
			body := metricsText(t, d.Metrics())
			for _, reason := range []string{"locked", "served"} {
				var v int
				fmt.Sscan(metricValue(body, `chiso_sync_skipped_total{connector="`+name+`",reason="`+reason+`"}`), &v)
				skips += v
			}
		}
		if skips < len(starts)-1 {
			t.Errorf("%s: %d runs but only %d skips over two daemons", name, len(starts), skips)
		}
	}
	var meetings int
	_ = st.DB.Get(&meetings, `SELECT count(*) FROM meetings`)
	if meetings != 2*(40-1) {
		t.Errorf("meetings = %d, want %d", meetings, 2*39)
	}
}

// A broken config sent to a running daemon is refused: the old config keeps
// running, and the error is in the response, the log and the metrics.
func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeMeetings(t, filepath.Join(dir, "a"), 1, 5, time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC))
	good := `
  - {name: lich-a, type: test-json, schedule: "@every 1s", path: a}
`
	cfgPath := writeConfig(t, dir, "dbname=unused", good)
	var logs logBuffer
	d := startDaemon(t, st, cfgPath, &logs)
	defer d.Stop()
	base := "http://" + d.Addr().String()
	waitFor(t, "a first run", 5*time.Second, func() bool { return countRuns(t, st, "lich-a") >= 1 })

	writeConfig(t, dir, "dbname=unused", `
  - {name: lich-a, type: test-json, schedule: "@every 1s", path: a, colour: blue}
  - {name: lich-b, type: test-json, schedule: "every minute", path: a}
`)
	code, body := httpPost(t, base+"/-/reload")
	if code != 400 {
		t.Fatalf("reload of a broken config: %d %s", code, body)
	}
	for _, want := range []string{"chiso.yaml:", "connectors[lich-a].colour", "connectors[lich-b].schedule", "the running config stays in use"} {
		if !strings.Contains(body, want) {
			t.Errorf("reload response lacks %q:\n%s", want, body)
		}
	}
	_, metrics := httpGet(t, base+"/metrics")
	if v := metricValue(metrics, "chiso_config_last_reload_successful"); v != "0" {
		t.Errorf("chiso_config_last_reload_successful = %q after a failed reload", v)
	}
	if !strings.Contains(logs.String(), "config reload failed") || !strings.Contains(logs.String(), "colour") {
		t.Errorf("the log lacks the reload error:\n%s", logs.String())
	}
	// Still running the old config, still healthy.
	n := countRuns(t, st, "lich-a")
	waitFor(t, "runs after the failed reload", 5*time.Second, func() bool { return countRuns(t, st, "lich-a") >= n+2 })
	if countRuns(t, st, "lich-b") != 0 || len(d.Config().Jobs) != 1 {
		t.Error("the broken config was applied")
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := httpGet(t, base+path); code != 200 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if code, _ := httpGet(t, base+"/-/reload"); code != 405 {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}

	// A fixed config is applied; the new connector is caught up at once.
	writeConfig(t, dir, "dbname=unused", good+`  - {name: lich-b, type: test-json, schedule: "@every 1h", path: a}
`)
	if code, body := httpPost(t, base+"/-/reload"); code != 200 {
		t.Fatalf("reload of a good config: %d %s", code, body)
	}
	_, metrics = httpGet(t, base+"/metrics")
	if v := metricValue(metrics, "chiso_config_last_reload_successful"); v != "1" {
		t.Errorf("chiso_config_last_reload_successful = %q after a good reload", v)
	}
	waitFor(t, "the new connector's catch-up run", 5*time.Second, func() bool { return countRuns(t, st, "lich-b") == 1 })
}

// Stopping cancels running syncs: what they flushed stays, the open batch
// rolls back, the run is recorded failed with the reason, Stop returns.
func TestStopCancelsRunningSyncs(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeMeetings(t, filepath.Join(dir, "a"), 1, 400, time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC))
	cfgPath := writeConfig(t, dir, "dbname=unused", `
  - {name: slow, type: test-json, schedule: "@every 1h", path: a, delay: 5ms, flush: 30}
`)
	d := startDaemon(t, st, cfgPath, &logBuffer{})
	waitFor(t, "a flushed batch", 10*time.Second, func() bool {
		_, ok, _ := st.Checkpoint(context.Background(), "slow", "file:lich-000.json")
		return ok
	})
	stopped := make(chan error)
	go func() { stopped <- d.Stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
	var run struct {
		Status string `db:"status"`
		Error  string `db:"error"`
	}
	if err := st.DB.Get(&run, `SELECT status, error FROM sync_runs WHERE connector = 'slow'`); err != nil {
		t.Fatal(err)
	}
	if run.Status != "failed" || !strings.Contains(run.Error, "chiso is stopping") {
		t.Errorf("run: %+v", run)
	}
	cp, _, _ := st.Checkpoint(context.Background(), "slow", "file:lich-000.json")
	var meetings, rejects int
	_ = st.DB.Get(&meetings, `SELECT count(*) FROM meetings`)
	_ = st.DB.Get(&rejects, `SELECT count(*) FROM rejects`)
	var done int
	fmt.Sscan(cp, &done)
	if done%30 != 0 || done == 400 || meetings+rejects != done {
		t.Errorf("checkpoint %d, %d meetings + %d rejects: the data and the checkpoint disagree", done, meetings, rejects)
	}
}
