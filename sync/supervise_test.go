package sync

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"chiso/warehouse"
)

// The daemon supervises the embedded PostgreSQL it owns: SIGKILL of the
// postmaster makes /readyz and /healthz answer 503 with the cause, the
// server is restarted, /readyz is 200 again, the restart and its cause are
// in data_dir/restarts.log, and the next sync succeeds.
func TestDaemonRestartsDeadWarehouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own cluster")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "chiso-super-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // the server may run as postgres
		t.Fatal(err)
	}
	e, err := warehouse.StartEmbedded(ctx, filepath.Join(dir, "data"), warehouse.EmbeddedOptions{Exclusive: true, Fast: true, Port: 57000 + os.Getpid()%1000})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	if err := e.EnsureDatabase(ctx, "chiso"); err != nil {
		t.Fatal(err)
	}
	st, err := warehouse.Open(ctx, e.DSN("chiso"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	m := filepath.Join(dir, "m")
	if err := os.Mkdir(m, 0o755); err != nil {
		t.Fatal(err)
	}
	writeMeetings(t, m, 1, 5, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	cfgPath := writeConfig(t, dir, "unused", `
  - {name: lich, type: test-json, schedule: "@every 1s", path: m}
`)
	var logs logBuffer
	d, err := NewDaemon(Options{Store: st, ConfigPath: cfgPath, Config: loadConfig(t, cfgPath), Logger: newLogger(&logs),
		Warehouse: e, SuperviseEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	base := fmt.Sprintf("http://127.0.0.1:%d", d.Addr().(*net.TCPAddr).Port)
	waitFor(t, "a first ok run", 20*time.Second, func() bool { return countOK(st) >= 1 })

	pidFile, err := os.ReadFile(filepath.Join(e.PGData, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	// A pool full of idle connections, as a busy daemon has.
	var conns []*sql.Conn
	for i := 0; i < 8; i++ {
		c, err := st.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// First the pool notices (warehouse unreachable), then the supervisor
	// (the cause, naming the dead pid), on both endpoints.
	cause := fmt.Sprintf("pid %d", pid)
	waitFor(t, "healthz 503 naming the dead server", 10*time.Second, func() bool {
		code, body := httpGet(t, base+"/healthz")
		return code == 503 && strings.Contains(body, cause)
	})
	if code, body := httpGet(t, base+"/readyz"); code != 503 || !strings.Contains(body, cause) {
		t.Errorf("readyz while down: %d %q", code, body)
	}
	// Once the supervisor reports the server up, the very next readyz is
	// 200: no pooled connection of the dead server is left to fail.
	waitFor(t, "healthz 200 again", 60*time.Second, func() bool { code, _ := httpGet(t, base+"/healthz"); return code == 200 })
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("readyz after the restart: %d %s", code, body)
	}
	restarts, err := e.Restarts(10)
	if err != nil || len(restarts) != 1 || !strings.Contains(restarts[0].Cause, fmt.Sprintf("pid %d", pid)) || restarts[0].At.Before(killed) {
		t.Fatalf("restarts.log: %+v, %v", restarts, err)
	}
	waitFor(t, "an ok run after the restart", 20*time.Second, func() bool { return countOKSince(st, restarts[0].At) >= 1 })
	if !strings.Contains(logs.String(), "the embedded PostgreSQL died; restarting it") || !strings.Contains(logs.String(), "the embedded PostgreSQL was restarted") {
		t.Errorf("log lacks the restart:\n%s", logs.String())
	}
	_, metrics := httpGet(t, base+"/metrics")
	if metricValue(metrics, "chiso_warehouse_restarts_total") != "1" || metricValue(metrics, "chiso_warehouse_up") != "1" {
		t.Errorf("metrics: restarts %q up %q", metricValue(metrics, "chiso_warehouse_restarts_total"), metricValue(metrics, "chiso_warehouse_up"))
	}
}

func countOK(st *warehouse.Store) int {
	var n int
	_ = st.DB.Get(&n, `SELECT count(*) FROM sync_runs WHERE connector = 'lich' AND status = 'ok'`)
	return n
}

func countOKSince(st *warehouse.Store, at time.Time) int {
	var n int
	_ = st.DB.Get(&n, `SELECT count(*) FROM sync_runs WHERE connector = 'lich' AND status = 'ok' AND started_at > $1`, at)
	return n
}
