package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"chiso/warehouse"
)

// tempDir returns a folder that the postgres user can enter (the cluster
// runs as postgres when the tests run as root), removed at test end.
func tempDir(t *testing.T, pattern string) string {
	t.Helper()
	d, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func startCluster(t *testing.T, dataDir string, opts warehouse.EmbeddedOptions) *warehouse.Embedded {
	t.Helper()
	opts.Exclusive, opts.Fast = true, true
	if opts.Port == 0 {
		opts.Port = 56000 + os.Getpid()%1000
	}
	e, err := warehouse.StartEmbedded(context.Background(), dataDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	return e
}

func connect(dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`SELECT 1`)
	return err
}

// Nobody logs in without a password: chiso_reader without its credential
// or with a wrong one is refused, so is the owner without owner.pgpass;
// the credential files are 0600, the socket folder 0700, and pg_hba.conf
// trusts no one.
func TestEmbeddedNeedsPasswords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own cluster")
	}
	dir := tempDir(t, "chiso-auth-")
	e := startCluster(t, dir, warehouse.EmbeddedOptions{})
	checkSecured(t, e)
}

func checkSecured(t *testing.T, e *warehouse.Embedded) {
	t.Helper()
	for _, f := range []string{warehouse.OwnerPassFile, warehouse.ReaderPassFile} {
		st, err := os.Stat(filepath.Join(e.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(e.SockDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("socket folder %s: %v %v, want 0700", e.SockDir, st.Mode().Perm(), err)
	}
	hba, err := os.ReadFile(filepath.Join(e.PGData, "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(hba), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") && f[len(f)-1] != "scram-sha-256" {
			t.Errorf("pg_hba.conf line %q: want scram-sha-256", line)
		}
	}
	pw, err := e.ReaderPassword()
	if err != nil {
		t.Fatal(err)
	}
	sock := "host=" + e.SockDir + " port=" + strconv.Itoa(e.Port) + " dbname=postgres sslmode=disable "
	readerDSN, err := e.ReaderDSN("postgres")
	if err != nil {
		t.Fatal(err)
	}
	wrong := pw[:len(pw)-1] + "0"
	if wrong == pw {
		wrong = pw[:len(pw)-1] + "1"
	}
	cases := []struct {
		name, dsn string
		ok        bool
	}{
		{"reader without password", sock + "user=chiso_reader", false},
		{"reader with a wrong password", sock + "user=chiso_reader password=" + wrong, false},
		{"reader with the owner's file", sock + "user=chiso_reader passfile=" + filepath.Join(e.DataDir, warehouse.OwnerPassFile), false},
		{"owner without password", sock + "user=chiso", false},
		{"owner with the reader's password", sock + "user=chiso password=" + pw, false},
		{"superuser postgres", sock + "user=postgres", false},
		{"reader with its password", readerDSN, true},
		{"owner with owner.pgpass", e.DSN("postgres"), true},
	}
	for _, c := range cases {
		err := connect(c.dsn)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok %v", c.name, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "password") && !strings.Contains(err.Error(), "authentication") {
			t.Errorf("%s: refused for another reason: %v", c.name, err)
		}
	}
	otherUser(t, e, pw)
}

// otherUser: another OS user (nobody) cannot reach the cluster, even
// knowing chiso_reader's password: the socket folder is closed to it.
func otherUser(t *testing.T, e *warehouse.Embedded, readerPW string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Log("not root: cannot switch to another OS user; the socket folder mode was checked")
		return
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	bin, err := warehouse.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"chiso_reader", "chiso"} {
		cmd := exec.Command(filepath.Join(bin, "psql"), "-h", e.SockDir, "-p", strconv.Itoa(e.Port), "-U", u, "-d", "postgres", "-w", "-c", "SELECT 1")
		cmd.Env = []string{"PGPASSWORD=" + readerPW, "PGPASSFILE=" + filepath.Join(e.DataDir, warehouse.OwnerPassFile), "PATH=/usr/bin:/bin"}
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("nobody connected as %s:\n%s", u, out)
			continue
		}
		if !strings.Contains(string(out), "Permission denied") {
			t.Errorf("nobody as %s: refused for another reason: %v\n%s", u, err, out)
		}
	}
}

// A cluster that an older chiso created with --auth=trust is migrated on
// start: pg_hba.conf rewritten, the owner's and the reader's passwords set.
func TestEmbeddedMigratesTrustCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own cluster")
	}
	dir := tempDir(t, "chiso-trust-")
	bin, err := warehouse.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	pg := filepath.Join(dir, "pg")
	if err := os.Mkdir(pg, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", pg, "-U", "chiso", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	cmd.Dir = pg
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(pg, uid, gid); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb --auth=trust: %v\n%s", err, out)
	}
	e := startCluster(t, dir, warehouse.EmbeddedOptions{})
	checkSecured(t, e)
}

// nonLoopbackIP returns an IPv4 address of this machine that is not
// loopback, or "".
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// warehouse.listen_tcp: TCP logins need the password (scram-sha-256);
// off loopback, a client from another address gets in over TLS only
// (chiso generated a self-signed certificate), never in clear text.
func TestEmbeddedTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own clusters")
	}
	ip := nonLoopbackIP()
	if ip == "" {
		t.Log("this machine has no non-loopback IPv4 address: the logins from another address are not tried")
	}
	type login struct {
		host, ssl string
		withPW    bool
		ok        bool
	}
	cases := []struct {
		listen string
		cert   bool
		logins []login
	}{
		{"127.0.0.1", false, []login{
			{"127.0.0.1", "disable", false, false},
			{"127.0.0.1", "disable", true, true},
		}},
		{"0.0.0.0", true, []login{
			{"127.0.0.1", "disable", true, true}, // loopback: as with the socket
			{ip, "disable", true, false},         // another address in clear text: refused
			{ip, "require", false, false},
			{ip, "require", true, true},
		}},
	}
	for i, c := range cases {
		t.Run(c.listen, func(t *testing.T) {
			port := 58000 + os.Getpid()%500 + i
			e := startCluster(t, tempDir(t, "chiso-tcp-"), warehouse.EmbeddedOptions{ListenTCP: c.listen, Port: port})
			if _, err := os.Stat(filepath.Join(e.PGData, "server.crt")); (err == nil) != c.cert {
				t.Errorf("server.crt: %v, want present %v", err, c.cert)
			}
			pw, err := e.ReaderPassword()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range c.logins {
				if l.host == "" {
					continue
				}
				dsn := fmt.Sprintf("host=%s port=%d user=chiso_reader dbname=postgres sslmode=%s connect_timeout=5", l.host, port, l.ssl)
				if l.withPW {
					dsn += " password=" + pw
				}
				err := connect(dsn)
				if (err == nil) != l.ok {
					t.Errorf("%s sslmode=%s password %v: err = %v, want ok %v", l.host, l.ssl, l.withPW, err, l.ok)
				}
			}
		})
	}
}
