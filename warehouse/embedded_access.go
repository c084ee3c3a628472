package warehouse

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lib/pq"
)

// IsLoopbackHost reports whether host (a name or an IP, as in a listen
// address) stays on this machine. An empty host listens everywhere.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// tcpOffLoopback reports whether a listen_addresses value (comma list)
// reaches beyond this machine.
func tcpOffLoopback(listen string) bool {
	for _, h := range strings.Split(listen, ",") {
		if h = strings.TrimSpace(h); h != "" && !IsLoopbackHost(h) {
			return true
		}
	}
	return false
}

// hbaConf is the pg_hba.conf chiso keeps: every connection, local or TCP,
// authenticates with scram-sha-256; off loopback only over TLS.
func hbaConf(offLoopback bool) string {
	var b strings.Builder
	b.WriteString(`# Written by chiso at every start of the embedded PostgreSQL: edits are lost.
# Every role authenticates with a password (scram-sha-256): the owner role
# chiso with data_dir/` + OwnerPassFile + `, chiso_reader with data_dir/` + ReaderPassFile + `
# (chiso reader password). The socket folder is 0700.
# TYPE   DATABASE  USER  ADDRESS       METHOD
local    all       all                 scram-sha-256
host     all       all   127.0.0.1/32  scram-sha-256
host     all       all   ::1/128       scram-sha-256
`)
	if offLoopback {
		b.WriteString("# warehouse.listen_tcp is not loopback: other hosts connect over TLS only.\n")
		b.WriteString("hostssl  all       all   0.0.0.0/0     scram-sha-256\n")
		b.WriteString("hostssl  all       all   ::/0          scram-sha-256\n")
	}
	return b.String()
}

// bootstrapHBA lets the owner role in over the socket without a password,
// for the moment it takes to set its password (a cluster created with
// --auth=trust by an older chiso, or one whose owner.pgpass was lost). The
// socket folder is 0700, so only the OS user of the server and root reach it.
const bootstrapHBA = "# chiso: temporary, while the owner's password is set\nlocal all chiso trust\n"

// writeServerFile writes a file of the cluster directory, owned by the
// server's OS user, mode 0600.
func (e *Embedded) writeServerFile(name, content string) error {
	p := filepath.Join(e.PGData, name)
	tmp := p + ".chiso-tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return fmt.Errorf("warehouse: write %s: %w", p, err)
	}
	if e.cred != nil {
		if err := os.Chown(tmp, int(e.cred.Uid), int(e.cred.Gid)); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("warehouse: chown %s: %w", p, err)
		}
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("warehouse: write %s: %w", p, err)
	}
	return nil
}

// ensureServerCert generates a self-signed certificate for TLS on
// listen_tcp (server.crt and server.key in the cluster directory, the
// names PostgreSQL reads with ssl=on), unless one is there.
func (e *Embedded) ensureServerCert() error {
	crt := filepath.Join(e.PGData, "server.crt")
	if _, err := os.Stat(crt); err == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host, Organization: []string{"chiso embedded PostgreSQL"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{host, "localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := e.writeServerFile("server.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}))); err != nil {
		return err
	}
	if err := e.writeServerFile("server.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))); err != nil {
		return err
	}
	e.log.Info("generated a self-signed certificate for TLS on warehouse.listen_tcp", "cert", crt)
	return nil
}

// isAuthError reports a refused login (wrong or missing password, no
// pg_hba.conf line), as opposed to a server that does not answer.
func isAuthError(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "28P01" || pe.Code == "28000"
	}
	return false
}

// secureRoles connects as the owner and sets the owner's and
// chiso_reader's passwords (as SCRAM verifiers), migrating a cluster that
// trusted every local connection: when the owner cannot log in, the
// socket lets it in without a password just long enough to set it.
func (e *Embedded) secureRoles(ctx context.Context, ownerPW, readerPW string) error {
	conn, err := e.connectOwner(ctx, time.Second)
	if isAuthError(err) {
		e.log.Warn("the owner role cannot log in with data_dir/"+OwnerPassFile+" (a cluster created with trust authentication by an older chiso, or a lost password file): setting its password", "cluster", e.PGData)
		if err := e.writeServerFile("pg_hba.conf", bootstrapHBA); err != nil {
			return err
		}
		if err := e.reload(ctx); err != nil {
			return err
		}
		conn, err = e.connectOwner(ctx, 10*time.Second)
	}
	if err != nil {
		return fmt.Errorf("warehouse: connect to the embedded PostgreSQL as chiso: %w", err)
	}
	defer conn.Close()
	for _, r := range []struct{ role, pw, extra string }{
		{"chiso", ownerPW, ""},
		{ReaderRole, readerPW, " NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20"},
	} {
		v, err := scramVerifier(r.pw)
		if err != nil {
			return fmt.Errorf("warehouse: password of %s: %w", r.role, err)
		}
		if r.role == ReaderRole {
			if _, err := conn.ExecContext(ctx, `DO $$ BEGIN
			  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chiso_reader') THEN
			    CREATE ROLE chiso_reader LOGIN;
			  END IF; END $$`); err != nil {
				return fmt.Errorf("warehouse: create %s: %w", r.role, err)
			}
		}
		// The verifier is a literal: utility statements take no parameters.
		if _, err := conn.ExecContext(ctx, "ALTER ROLE "+quoteIdent(r.role)+" LOGIN"+r.extra+" PASSWORD "+pq.QuoteLiteral(v)); err != nil {
			return fmt.Errorf("warehouse: set the password of %s: %w", r.role, err)
		}
	}
	if err := e.writeServerFile("pg_hba.conf", hbaConf(tcpOffLoopback(e.listenTCP))); err != nil {
		return err
	}
	var before time.Time
	if err := conn.QueryRowContext(ctx, `SELECT pg_conf_load_time()`).Scan(&before); err != nil {
		return fmt.Errorf("warehouse: reload pg_hba.conf: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_reload_conf()`); err != nil {
		return fmt.Errorf("warehouse: reload pg_hba.conf: %w", err)
	}
	return e.waitConfLoaded(ctx, before)
}

// waitConfLoaded waits until the postmaster has read its configuration
// again after before (pg_reload_conf only signals it): until then a new
// connection could still be let in by the old pg_hba.conf.
func (e *Embedded) waitConfLoaded(ctx context.Context, before time.Time) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := e.connectOwner(ctx, 5*time.Second)
		if err != nil {
			return fmt.Errorf("warehouse: after reloading pg_hba.conf: %w", err)
		}
		var loaded time.Time
		err = conn.QueryRowContext(ctx, `SELECT pg_conf_load_time()`).Scan(&loaded)
		conn.Close()
		if err != nil {
			return fmt.Errorf("warehouse: after reloading pg_hba.conf: %w", err)
		}
		if loaded.After(before) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("warehouse: the embedded PostgreSQL did not reload pg_hba.conf within 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connectOwner returns a one-connection pool logged in as chiso to
// database postgres, retrying for up to wait while a reload of
// pg_hba.conf takes effect.
func (e *Embedded) connectOwner(ctx context.Context, wait time.Duration) (*sql.DB, error) {
	deadline := time.Now().Add(wait)
	for {
		db, err := sql.Open("postgres", e.DSN("postgres"))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = db.PingContext(cctx)
		cancel()
		if err == nil {
			return db, nil
		}
		db.Close()
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reload makes the server read pg_hba.conf again (SIGHUP via pg_ctl).
func (e *Embedded) reload(ctx context.Context) error {
	if out, err := e.command(ctx, "pg_ctl", "-D", e.PGData, "reload").CombinedOutput(); err != nil {
		return fmt.Errorf("warehouse: pg_ctl reload: %w: %s", err, out)
	}
	return nil
}
