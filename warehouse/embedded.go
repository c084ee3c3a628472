package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // PostgreSQL driver
)

// EmbeddedOptions tune the embedded cluster.
type EmbeddedOptions struct {
	// Exclusive makes Start fail when another chiso process already owns
	// data_dir (chiso run). Without it a second process attaches to the
	// running cluster as a client (chiso report, status while the daemon runs).
	Exclusive bool
	// Fast turns off fsync and friends: for tests only.
	Fast bool
	// Port is the socket's port number; 0 means 5432. TCP stays off unless
	// ListenTCP is set.
	Port      int
	ListenTCP string
	Logger    *slog.Logger
}

// Embedded is a PostgreSQL cluster that chiso runs itself under data_dir.
type Embedded struct {
	DataDir string // the chiso data_dir
	PGData  string // the cluster directory
	SockDir string
	Port    int
	binDir  string
	owner   bool // we hold the lock and stop the server at Close
	lock    *os.File
	cred    *syscall.Credential
	log     *slog.Logger
}

// ErrNoBinaries tells the admin which package to install.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install the Debian package postgresql (apt-get install postgresql-15), or set warehouse.dsn to an existing server")

// FindBinaries returns the directory holding initdb, pg_ctl and postgres.
func FindBinaries() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(r))
		}
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return pgVersion(versions[i]) > pgVersion(versions[j]) })
	dirs = append(dirs, versions...)
	dirs = append(dirs, "/usr/local/pgsql/bin", "/usr/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin")
	for _, d := range dirs {
		ok := true
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if st, err := os.Stat(filepath.Join(d, b)); err != nil || st.IsDir() {
				ok = false
				break
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// StartEmbedded starts (initialising on first use) the cluster under
// dataDir and creates the database dbName if missing.
func StartEmbedded(ctx context.Context, dataDir string, opts EmbeddedOptions) (*Embedded, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("warehouse: data_dir %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: data_dir %s: %w", abs, err)
	}
	e := &Embedded{DataDir: abs, PGData: filepath.Join(abs, "pg"), Port: opts.Port, log: opts.Logger}
	if e.Port == 0 {
		e.Port = 5432
	}
	e.SockDir = filepath.Join(abs, "run")
	if len(e.SockDir) > 90 { // unix socket paths are limited to ~107 bytes
		e.SockDir = filepath.Join(os.TempDir(), fmt.Sprintf("chiso-%x", hashString(abs)))
	}

	lock, err := os.OpenFile(filepath.Join(abs, "chiso.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("warehouse: lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(lock.Name())
		lock.Close()
		holder := strings.TrimSpace(string(b))
		if opts.Exclusive {
			return nil, fmt.Errorf("warehouse: data_dir %s is in use by another chiso process (pid %s); stop it first or use another data_dir", abs, holder)
		}
		if err := e.ping(ctx); err != nil {
			return nil, fmt.Errorf("warehouse: data_dir %s is locked by chiso pid %s but its PostgreSQL does not answer: %w", abs, holder, err)
		}
		e.log.Info("attached to the warehouse of a running chiso", "data_dir", abs, "pid", holder)
		return e, nil
	}
	_ = lock.Truncate(0)
	_, _ = lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	e.lock, e.owner = lock, true

	fail := func(err error) (*Embedded, error) {
		e.release()
		return nil, err
	}
	if e.binDir, err = FindBinaries(); err != nil {
		return fail(fmt.Errorf("warehouse: %w", err))
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres system user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("warehouse: running as root needs the 'postgres' system user (created by the Debian postgresql packages): %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		e.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if e.cred != nil {
		if err := checkTraversable(abs, e.cred); err != nil {
			return fail(err)
		}
	}
	for _, d := range []string{e.PGData, e.SockDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fail(fmt.Errorf("warehouse: %s: %w", d, err))
		}
		if e.cred != nil {
			if err := os.Chown(d, int(e.cred.Uid), int(e.cred.Gid)); err != nil {
				return fail(fmt.Errorf("warehouse: chown %s: %w", d, err))
			}
		}
	}
	if _, err := os.Stat(filepath.Join(e.PGData, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		args := []string{"-D", e.PGData, "-U", "chiso", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"}
		if opts.Fast {
			args = append(args, "--no-sync")
		}
		if out, err := e.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
			return fail(fmt.Errorf("warehouse: initdb %s: %w\n%s", e.PGData, err, out))
		}
		e.log.Info("initialised embedded PostgreSQL", "dir", e.PGData)
	}
	if e.ping(ctx) != nil {
		listen := opts.ListenTCP
		pgopts := fmt.Sprintf("-k %s -p %d -c listen_addresses='%s' -c max_connections=200", e.SockDir, e.Port, listen)
		if opts.Fast {
			pgopts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		}
		// A server left by a killed chiso is still running or left a stale
		// postmaster.pid; pg_ctl handles the stale file itself.
		cmd := e.command(ctx, "pg_ctl", "-D", e.PGData, "-w", "-t", "60", "-l", filepath.Join(e.PGData, "server.log"), "-o", pgopts, "start")
		if out, err := cmd.CombinedOutput(); err != nil {
			logTail, _ := os.ReadFile(filepath.Join(e.PGData, "server.log"))
			return fail(fmt.Errorf("warehouse: pg_ctl start: %w\n%s\n%s", err, out, tail(string(logTail), 2000)))
		}
	}
	if err := e.ping(ctx); err != nil {
		return fail(fmt.Errorf("warehouse: embedded PostgreSQL does not answer: %w", err))
	}
	return e, nil
}

// DSN returns a lib/pq connection string for database db over the socket.
func (e *Embedded) DSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=chiso dbname=%s sslmode=disable", e.SockDir, e.Port, db)
}

// EnsureDatabase creates db if it does not exist.
func (e *Embedded) EnsureDatabase(ctx context.Context, db string) error {
	conn, err := sql.Open("postgres", e.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(db)); err != nil {
		return fmt.Errorf("warehouse: create database %s: %w", db, err)
	}
	return nil
}

// Owner reports whether this process started (and will stop) the server.
func (e *Embedded) Owner() bool { return e.owner }

// Stop stops the server if this process owns it, and releases the lock.
func (e *Embedded) Stop() error {
	if !e.owner {
		return nil
	}
	defer e.release()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := e.command(ctx, "pg_ctl", "-D", e.PGData, "-w", "-m", "fast", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("warehouse: pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

func (e *Embedded) release() {
	if e.lock != nil {
		_ = syscall.Flock(int(e.lock.Fd()), syscall.LOCK_UN)
		e.lock.Close()
		e.lock = nil
	}
	e.owner = false
}

func (e *Embedded) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(e.binDir, name), args...)
	cmd.Dir = e.PGData
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	// Own process group: a Ctrl-C on chiso must not kill the server mid-write;
	// chiso stops it cleanly instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: e.cred}
	return cmd
}

func (e *Embedded) ping(ctx context.Context) error {
	conn, err := sql.Open("postgres", e.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return conn.PingContext(pctx)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// checkTraversable tells the admin early, and clearly, when the postgres
// user cannot reach data_dir because a parent folder is closed to others.
func checkTraversable(dir string, cred *syscall.Credential) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("warehouse: %s: %w", d, err)
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		mode := st.Mode().Perm()
		if ok {
			allowed := mode&0o001 != 0 ||
				(sys.Uid == cred.Uid && mode&0o100 != 0) ||
				(sys.Gid == cred.Gid && mode&0o010 != 0)
			if !allowed {
				return fmt.Errorf("warehouse: the embedded PostgreSQL runs as the postgres user, which cannot enter %s (mode %v) on the way to data_dir %s: allow it (chmod o+x %s) or put data_dir elsewhere", d, mode, dir, d)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
