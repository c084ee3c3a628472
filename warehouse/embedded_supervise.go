package warehouse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RestartsFile, in data_dir, lists the restarts of the embedded server by
// a supervising `chiso run`: one line each, RFC 3339 time, a tab, the cause.
const RestartsFile = "restarts.log"

// Check returns nil while the server process named in postmaster.pid
// runs, else why it does not (the process is gone, or a zombie that
// nobody reaped).
func (e *Embedded) Check() error {
	b, err := os.ReadFile(filepath.Join(e.PGData, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("the PostgreSQL server is not running (no postmaster.pid)")
	}
	if err != nil {
		return fmt.Errorf("postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return fmt.Errorf("postmaster.pid names no process (%q)", first)
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("the PostgreSQL server process (pid %d) is gone%s", pid, e.lastServerLog())
	}
	// Linux: a killed server whose parent has not reaped it yet is a
	// zombie, and a recycled pid is another program.
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(stat)
		if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
			comm := s[strings.IndexByte(s, '(')+1 : i]
			if state := s[i+2]; state == 'Z' || state == 'X' {
				return fmt.Errorf("the PostgreSQL server process (pid %d) died%s", pid, e.lastServerLog())
			}
			if comm != "postgres" && comm != "postmaster" {
				return fmt.Errorf("the PostgreSQL server process (pid %d) is gone: that pid now runs %q%s", pid, comm, e.lastServerLog())
			}
		}
	}
	return nil
}

// lastServerLog returns "; server.log: <last line>" or "".
func (e *Embedded) lastServerLog() string {
	b, err := os.ReadFile(filepath.Join(e.PGData, "server.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(tail(string(b), 4000)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return ""
	}
	if len(last) > 300 {
		last = last[:300]
	}
	return "; last line of server.log: " + last
}

// Restart starts the server again after it died; it fails while the dead
// server's processes still hold its shared memory (retry later).
func (e *Embedded) Restart(ctx context.Context) error {
	if !e.owner {
		return errors.New("warehouse: only the chiso process that started the embedded PostgreSQL restarts it")
	}
	if e.Check() == nil {
		return nil
	}
	if err := e.start(ctx); err != nil {
		return err
	}
	return e.ping(ctx)
}

// RecordRestart appends a restart and its cause to data_dir/restarts.log.
func (e *Embedded) RecordRestart(at time.Time, cause string) error {
	f, err := os.OpenFile(filepath.Join(e.DataDir, RestartsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	cause = strings.Join(strings.Fields(cause), " ")
	if _, err := fmt.Fprintf(f, "%s\t%s\n", at.Format(time.RFC3339), cause); err != nil {
		f.Close()
		return fmt.Errorf("warehouse: %w", err)
	}
	return f.Close()
}

// ServerRestart is one line of data_dir/restarts.log.
type ServerRestart struct {
	At    time.Time
	Cause string
}

// Restarts returns the last n restarts recorded in data_dir, oldest first.
func (e *Embedded) Restarts(n int) ([]ServerRestart, error) {
	f, err := os.Open(filepath.Join(e.DataDir, RestartsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	defer f.Close()
	var out []ServerRestart
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		at, cause, ok := strings.Cut(sc.Text(), "\t")
		t, err := time.Parse(time.RFC3339, at)
		if !ok || err != nil {
			continue
		}
		out = append(out, ServerRestart{At: t, Cause: cause})
		if len(out) > n {
			out = out[1:]
		}
	}
	return out, sc.Err()
}
