package sync

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// TestHelperDaemon is not a test: it is the daemon process that
// TestKilledDaemonConverges starts (os.Args[0] -test.run=TestHelperDaemon),
// doing what `chiso run` does with an external warehouse: SIGTERM/SIGINT
// stop it cleanly, SIGHUP reloads the config.
func TestHelperDaemon(t *testing.T) {
	path := os.Getenv("CHISO_HELPER_DAEMON")
	if path == "" {
		t.Skip("helper process of TestKilledDaemonConverges")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	cfg := loadConfig(t, path)
	st, err := warehouse.Open(ctx, cfg.Warehouse.DSN.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := newLogger(os.Stderr)
	d, err := NewDaemon(Options{Store: st, ConfigPath: path, Config: cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = d.Reload(ctx) // the daemon logs the outcome
		}
	}()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
	os.Exit(0)
}

// A daemon killed (SIGKILL) at random points and restarted, again and
// again, ends with the same warehouse as one uninterrupted run.
func TestKilledDaemonConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemon processes")
	}
	const files, per = 16, 150
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	total := writeMeetings(t, filepath.Join(dir, "in"), files, per, time.Date(2025, 1, 2, 7, 30, 0, 0, time.UTC))
	// The daemons read slowly (a delay per record) so that the kills land
	// mid-sync; the reference reads the same records at full speed.
	connectors := `
  - {name: lich-hop, type: test-json, schedule: "@every 2s", path: in, flush: 40, delay: 2ms}
`
	// The reference: one uninterrupted run on its own database.
	refDir := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, "in"), filepath.Join(refDir, "in")); err != nil {
		t.Fatal(err)
	}
	ref := warehousetest.New(t)
	refCfg := loadConfig(t, writeConfig(t, refDir, "dbname=unused", strings.Replace(connectors, "delay: 2ms", "delay: 0s", 1)))
	job := *refCfg.Jobs[0]
	job.Timeout = time.Minute
	if err := NewRunner(nil, newLogger(&logBuffer{})).RunConnector(context.Background(), ref, &job); err != nil {
		t.Fatal(err)
	}
	want := dumpTables(t, ref)
	if len(want["meetings"])+len(want["rejects"]) != total {
		t.Fatalf("the reference run holds %d meetings + %d rejects of %d records", len(want["meetings"]), len(want["rejects"]), total)
	}

	dsn := warehousetest.NewDatabase(t)
	cfgPath := writeConfig(t, dir, dsn, connectors)
	st, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logPath := filepath.Join(dir, "daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDaemon$", "-test.v")
		cmd.Env = append(os.Environ(), "CHISO_HELPER_DAEMON="+cfgPath)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	done := func() int { // records whose checkpoint committed
		cps, err := st.Checkpoints(context.Background(), "lich-hop", "file:")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range cps {
			k, _ := strconv.Atoi(v)
			n += k
		}
		return n
	}

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	kills := 0
	var progress []int
	for kills < 12 {
		cmd := start()
		time.Sleep(time.Duration(150+rng.Intn(650)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		kills++
		progress = append(progress, done())
	}
	t.Logf("killed %d times; committed records after each kill: %v of %d", kills, progress, total)
	if progress[len(progress)-1] == total || progress[0] == 0 && progress[len(progress)-1] == 0 {
		t.Errorf("the kills did not land mid-sync (progress %v of %d): adjust the record delay", progress, total)
	}

	// The last daemon runs to the end; meanwhile a broken config sent by
	// SIGHUP is refused and the daemon goes on with the running one.
	cmd := start()
	good, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := os.WriteFile(cfgPath, append(good, []byte("bogus_key: 1\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(40 * time.Second)
	for done() < total {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			b, _ := os.ReadFile(logPath)
			t.Fatalf("the last daemon did not finish: %d of %d records\n%s", done(), total, tail(string(b), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let the run that committed the last checkpoint finish, then stop.
	waitFor(t, "the last run to finish", 10*time.Second, func() bool {
		var running int
		_ = st.DB.Get(&running, `SELECT count(*) FROM sync_runs WHERE status = 'running' AND id > (SELECT max(id) FROM sync_runs WHERE status <> 'running')`)
		return running == 0
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("daemon exit after SIGTERM: %v\n%s", err, tail(string(b), 4000))
	}
	logText, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logText), "config reload failed") || !strings.Contains(string(logText), "bogus_key") {
		t.Errorf("the SIGHUP reload error is not in the log")
	}

	got := dumpTables(t, st)
	for table, rows := range want {
		if strings.Join(got[table], "\n") != strings.Join(rows, "\n") {
			t.Errorf("%s differs from the uninterrupted run: %d rows, want %d%s", table, len(got[table]), len(rows), firstDiff(got[table], rows))
		}
	}
	var runs struct {
		Total, Failed, Running int
	}
	_ = st.DB.QueryRow(`SELECT count(*), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'running') FROM sync_runs`).Scan(&runs.Total, &runs.Failed, &runs.Running)
	t.Logf("sync_runs: %d runs, %d failed (interrupted), %d left running by the last kill", runs.Total, runs.Failed, runs.Running)
}

func firstDiff(got, want []string) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return fmt.Sprintf("\nfirst difference at row %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
