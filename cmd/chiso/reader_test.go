package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"chiso/warehouse"
)

// syncBuffer is a bytes.Buffer safe for a daemon goroutine and the test.
type syncBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeEmptyConfig writes a config with the example's org directory and
// targets, the embedded warehouse in dir/var/chiso, HTTP on a free port and
// no connectors; it returns the config path and the HTTP address.
func writeEmptyConfig(t *testing.T, dir string) (string, string) {
	t.Helper()
	for _, d := range []string{dir, filepath.Dir(dir)} { // the embedded server may run as the postgres user
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyConfigs(t, dir, nil)
	addr := "127.0.0.1:" + freePort(t)
	cfg := fmt.Sprintf(`warehouse: {data_dir: ./var/chiso}
http: {listen: %q}
org: {self: "000.25.31.H99", directory: org-directory.example.yaml}
targets: targets-2026.yaml
connectors: []
`, addr)
	p := filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, addr
}

// While `chiso run` owns the embedded warehouse (every login needs a
// password), the reading commands attach to it and work, and `chiso reader
// password` prints a password that logs chiso_reader in (read only), while
// a login without it is refused.
func TestReadingCommandsWhileDaemonRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon and its embedded cluster")
	}
	dir := t.TempDir()
	cfg, addr := writeEmptyConfig(t, dir)
	ctx, stop := context.WithCancel(context.Background())
	var dout, derr syncBuffer
	done := make(chan int, 1)
	go func() { done <- dispatch(ctx, []string{"-c", cfg, "run"}, &dout, &derr) }()
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("run exit %d\n%s", code, tail(derr.String(), 2000))
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready:\n%s", tail(derr.String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"status"}, "Warehouse: embedded PostgreSQL"},
		{[]string{"report", "--period", "2026"}, "PHỤ LỤC SỐ LIỆU"},
		{[]string{"report", "--period", "2026", "--format", "json"}, `"id": "doc_reduction"`},
		{[]string{"explain", "--indicator", "electronic_exchange_share", "--period", "2026"}, ""},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), append([]string{"-c", cfg}, c.args...), &out, &errb); code != 0 {
			t.Errorf("%v: exit %d\n%s", c.args, code, errb.String())
			continue
		}
		if !strings.Contains(out.String()+errb.String(), c.want) {
			t.Errorf("%v: no %q in\n%s", c.args, c.want, out.String())
		}
		if !strings.Contains(errb.String(), "attached to the warehouse of a running chiso") {
			t.Errorf("%v did not attach to the daemon's cluster:\n%s", c.args, errb.String())
		}
	}

	killAndWaitRestart(t, filepath.Join(dir, "var/chiso/pg/postmaster.pid"), addr)
	var sout, serr bytes.Buffer
	if code := dispatch(context.Background(), []string{"-c", cfg, "status"}, &sout, &serr); code != 0 {
		t.Fatalf("status after the restart: exit %d\n%s", code, serr.String())
	}
	if !strings.Contains(sout.String(), "Warehouse restarted at ") || !strings.Contains(sout.String(), "after: the PostgreSQL server process (pid ") {
		t.Errorf("status does not show the restart:\n%s", sout.String())
	}

	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"-c", cfg, "reader", "password"}, &out, &errb); code != 0 {
		t.Fatalf("reader password: exit %d\n%s", code, errb.String())
	}
	pw := strings.TrimSpace(out.String())
	if len(pw) != 48 {
		t.Fatalf("reader password %q", pw)
	}
	if strings.Contains(derr.String(), pw) || strings.Contains(errb.String(), pw) {
		t.Error("the reader's password is in a log")
	}
	sock := filepath.Join(dir, "var/chiso/run")
	base := fmt.Sprintf("host=%s port=5432 user=%s dbname=chiso sslmode=disable", sock, warehouse.ReaderRole)
	logins := []struct {
		dsn string
		ok  bool
	}{
		{base, false},
		{base + " password=" + pw, true},
	}
	for _, l := range logins {
		db, _ := sql.Open("postgres", l.dsn)
		var n int
		err := db.QueryRow(`SELECT count(*) FROM org_units`).Scan(&n)
		if (err == nil) != l.ok {
			t.Errorf("%s: %v (%d units)", warehouse.RedactDSN(l.dsn), err, n)
		}
		if l.ok {
			if _, err := db.Exec(`DELETE FROM org_units`); err == nil {
				t.Error("chiso_reader could delete")
			}
		}
		db.Close()
	}
}

// killAndWaitRestart SIGKILLs the postmaster named in pidFile and waits
// until the daemon on addr reports not ready, then ready again.
func killAndWaitRestart(t *testing.T, pidFile, addr string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, want := range []int{503, 200} {
		deadline := time.Now().Add(60 * time.Second)
		for ready() != want {
			if time.Now().After(deadline) {
				t.Fatalf("readyz never answered %d after the kill", want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
