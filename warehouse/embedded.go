package warehouse

import (
	"context"
	"crypto/sha256"
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
	// StateDir holds, when chiso runs as root, the clusters of data_dirs
	// that the postgres user cannot reach (a clone in /root); default
	// /var/lib/chiso/clusters.
	StateDir string
	Logger   *slog.Logger
}

// DefaultStateDir is where a root chiso keeps the cluster of a data_dir
// that the postgres user cannot enter.
const DefaultStateDir = "/var/lib/chiso/clusters"

// ClusterPointerFile, in data_dir, names the cluster directory when it is
// not data_dir/pg (see EmbeddedOptions.StateDir).
const ClusterPointerFile = "pg.location"

// Embedded is a PostgreSQL cluster that chiso runs itself under data_dir.
type Embedded struct {
	DataDir string // the chiso data_dir
	PGData  string // the cluster directory
	SockDir string
	Port    int
	// Relocated: PGData is outside data_dir (named by data_dir/pg.location)
	// because the postgres user cannot reach data_dir.
	Relocated bool
	binDir    string
	owner     bool // we hold the lock and stop the server at Close
	lock      *os.File
	cred      *syscall.Credential
	log       *slog.Logger
	pgopts    string
	listenTCP string
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
// dataDir. Every login needs a password (scram-sha-256): the owner's is
// kept in data_dir/owner.pgpass, chiso_reader's in data_dir/reader.password,
// both generated on first use and 0600; a cluster created with trust
// authentication is migrated on start.
func StartEmbedded(ctx context.Context, dataDir string, opts EmbeddedOptions) (*Embedded, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("warehouse: data_dir %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: data_dir %s: %w", abs, err)
	}
	e := &Embedded{DataDir: abs, Port: opts.Port, log: opts.Logger, listenTCP: opts.ListenTCP}
	if e.Port == 0 {
		e.Port = 5432
	}
	e.setBase(abs)
	if b, err := os.ReadFile(filepath.Join(abs, ClusterPointerFile)); err == nil {
		e.setBase(strings.TrimSpace(string(b)))
		e.Relocated = true
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
		if _, err := os.ReadFile(e.ownerPassFile()); err != nil {
			return nil, fmt.Errorf("warehouse: the owner's password file: %w (run chiso as the OS user that runs the chiso service, e.g. sudo)", err)
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
	if e.cred != nil && !e.Relocated {
		if err := e.placeCluster(opts.StateDir); err != nil {
			return fail(err)
		}
	}
	ownerPW, err := ensureSecretFile(e.ownerPassFile(), pgpassLine, parsePgpass)
	if err != nil {
		return fail(err)
	}
	readerPW, err := ensureSecretFile(filepath.Join(abs, ReaderPassFile), plainLine, parsePlain)
	if err != nil {
		return fail(err)
	}
	for _, d := range []string{e.PGData, e.SockDir} {
		if err := e.serverDir(d); err != nil {
			return fail(err)
		}
	}
	if _, err := os.Stat(filepath.Join(e.PGData, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := e.initdb(ctx, ownerPW, opts.Fast); err != nil {
			return fail(err)
		}
	}
	e.pgopts = fmt.Sprintf("-k %s -p %d -c listen_addresses='%s' -c max_connections=200", e.SockDir, e.Port, opts.ListenTCP)
	if opts.Fast {
		e.pgopts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if tcpOffLoopback(opts.ListenTCP) {
		if err := e.ensureServerCert(); err != nil {
			return fail(fmt.Errorf("warehouse: TLS certificate for listen_tcp: %w", err))
		}
		e.pgopts += " -c ssl=on"
	}
	if err := e.writeServerFile("pg_hba.conf", hbaConf(tcpOffLoopback(opts.ListenTCP))); err != nil {
		return fail(err)
	}
	if e.running(ctx) {
		// A server left by a killed chiso: it reads the new pg_hba.conf.
		if err := e.reload(ctx); err != nil {
			return fail(err)
		}
	} else if err := e.start(ctx); err != nil {
		return fail(err)
	}
	if err := e.secureRoles(ctx, ownerPW, readerPW); err != nil {
		return fail(err)
	}
	if err := e.ping(ctx); err != nil {
		return fail(fmt.Errorf("warehouse: embedded PostgreSQL does not answer: %w", err))
	}
	return e, nil
}

// setBase puts the cluster directory and the socket folder under base.
func (e *Embedded) setBase(base string) {
	e.PGData = filepath.Join(base, "pg")
	e.SockDir = filepath.Join(base, "run")
	if len(e.SockDir) > 90 { // unix socket paths are limited to ~107 bytes
		e.SockDir = filepath.Join(os.TempDir(), fmt.Sprintf("chiso-%x", hashString(base)))
	}
}

// placeCluster keeps the cluster in data_dir when the postgres user can
// reach it; otherwise (a clone in a private home folder, /root/chiso) in
// stateDir/<hash of data_dir>, owned by postgres and 0700, recorded in
// data_dir/pg.location so that every later chiso finds it.
func (e *Embedded) placeCluster(stateDir string) error {
	reachErr := checkTraversable(e.DataDir, e.cred)
	if reachErr == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(e.PGData, "PG_VERSION")); err == nil {
		// The data is there already: moving it is the admin's call.
		return reachErr
	}
	base := filepath.Join(stateDir, fmt.Sprintf("%x", sha256.Sum256([]byte(e.DataDir)))[:16])
	noWay := func(err error) error {
		return fmt.Errorf("%w; the fallback folder %s cannot be used either: %v", reachErr, stateDir, err)
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return noWay(err)
	}
	if err := checkTraversable(filepath.Join(stateDir, "x"), e.cred); err != nil {
		return noWay(err)
	}
	if err := e.serverDir(base); err != nil {
		return noWay(err)
	}
	if err := os.WriteFile(filepath.Join(e.DataDir, ClusterPointerFile), []byte(base+"\n"), 0o644); err != nil {
		return noWay(err)
	}
	e.setBase(base)
	e.Relocated = true
	e.log.Info("the postgres user cannot reach data_dir: the embedded cluster lives in "+base+" (named in data_dir/"+ClusterPointerFile+")", "data_dir", e.DataDir, "cause", reachErr)
	return nil
}

// serverDir creates d (0700) for the server's OS user, and refuses a d
// that someone else owns (the socket folder may be under /tmp).
func (e *Embedded) serverDir(d string) error {
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("warehouse: %s: %w", d, err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	if e.cred != nil {
		uid, gid = int(e.cred.Uid), int(e.cred.Gid)
		if err := os.Chown(d, uid, gid); err != nil {
			return fmt.Errorf("warehouse: chown %s: %w", d, err)
		}
	}
	st, err := os.Lstat(d)
	if err != nil {
		return fmt.Errorf("warehouse: %s: %w", d, err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != uid || !st.IsDir() {
		return fmt.Errorf("warehouse: %s is not a folder of uid %d: remove it", d, uid)
	}
	if err := os.Chmod(d, 0o700); err != nil {
		return fmt.Errorf("warehouse: chmod %s: %w", d, err)
	}
	return nil
}

// initdb creates the cluster with the owner role chiso and its password
// (scram-sha-256 from the first start: never a trusting moment).
func (e *Embedded) initdb(ctx context.Context, ownerPW string, fast bool) error {
	pwfile := filepath.Join(filepath.Dir(e.PGData), ".initdb-pw")
	if err := os.WriteFile(pwfile, []byte(ownerPW+"\n"), 0o600); err != nil {
		return fmt.Errorf("warehouse: initdb: %w", err)
	}
	defer os.Remove(pwfile)
	if e.cred != nil {
		if err := os.Chown(pwfile, int(e.cred.Uid), int(e.cred.Gid)); err != nil {
			return fmt.Errorf("warehouse: initdb: %w", err)
		}
	}
	args := []string{"-D", e.PGData, "-U", "chiso", "--auth=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C.UTF-8"}
	if fast {
		args = append(args, "--no-sync")
	}
	if out, err := e.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("warehouse: initdb %s: %w\n%s", e.PGData, err, out)
	}
	e.log.Info("initialised embedded PostgreSQL", "dir", e.PGData)
	return nil
}

// running reports whether a server runs on the cluster (pg_ctl status).
func (e *Embedded) running(ctx context.Context) bool {
	return e.command(ctx, "pg_ctl", "-D", e.PGData, "status").Run() == nil
}

// start starts the server and waits until it accepts connections. A
// stale postmaster.pid left by a killed server is handled by PostgreSQL.
func (e *Embedded) start(ctx context.Context) error {
	cmd := e.command(ctx, "pg_ctl", "-D", e.PGData, "-w", "-t", "60", "-l", filepath.Join(e.PGData, "server.log"), "-o", e.pgopts, "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		logTail, _ := os.ReadFile(filepath.Join(e.PGData, "server.log"))
		return fmt.Errorf("warehouse: pg_ctl start: %w\n%s\n%s", err, out, tail(string(logTail), 2000))
	}
	return nil
}

func (e *Embedded) ownerPassFile() string { return filepath.Join(e.DataDir, OwnerPassFile) }

// DSN returns a lib/pq connection string for database db over the socket,
// as the owner role; the password comes from data_dir/owner.pgpass.
func (e *Embedded) DSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=chiso dbname=%s sslmode=disable passfile=%s",
		quoteDSNValue(e.SockDir), e.Port, quoteDSNValue(db), quoteDSNValue(e.ownerPassFile()))
}

// ReaderPassword returns chiso_reader's password (data_dir/reader.password).
func (e *Embedded) ReaderPassword() (string, error) {
	p := filepath.Join(e.DataDir, ReaderPassFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("warehouse: %w", err)
	}
	pw := parsePlain(string(b))
	if pw == "" {
		return "", fmt.Errorf("warehouse: %s is empty", p)
	}
	return pw, nil
}

// ReaderDSN returns a DSN for database db as chiso_reader over the socket,
// with the reader's password in it: give it only to a reporting tool.
func (e *Embedded) ReaderDSN(db string) (string, error) {
	pw, err := e.ReaderPassword()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable",
		quoteDSNValue(e.SockDir), e.Port, ReaderRole, quoteDSNValue(pw), quoteDSNValue(db)), nil
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
