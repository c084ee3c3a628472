// Package warehousetest starts the real embedded PostgreSQL for tests: one
// cluster per test binary (started on first use), a fresh migrated database
// per test, cloned from a template so that each costs milliseconds.
//
//	func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }
//	func TestX(t *testing.T) { st := warehousetest.New(t); ... }
package warehousetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lib/pq"

	"chiso/warehouse"
)

var (
	once     sync.Once
	cluster  *warehouse.Embedded
	startErr error
	dir      string
	seq      atomic.Int64
	tmplMu   sync.Mutex
)

// Main runs the tests and stops the cluster afterwards, if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "warehousetest:", err)
		}
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}

func start() {
	d, err := os.MkdirTemp("", "chiso-pg-")
	if err != nil {
		startErr = err
		return
	}
	if err := os.Chmod(d, 0o755); err != nil {
		startErr = err
		return
	}
	dir = d
	ctx := context.Background()
	cluster, startErr = warehouse.StartEmbedded(ctx, d, warehouse.EmbeddedOptions{Exclusive: true, Fast: true})
	if startErr != nil {
		return
	}
	if startErr = cluster.EnsureDatabase(ctx, "chiso_template"); startErr != nil {
		return
	}
	st, err := warehouse.Open(ctx, cluster.DSN("chiso_template"))
	if err != nil {
		startErr = err
		return
	}
	defer st.Close()
	startErr = st.Migrate(ctx)
}

// Cluster returns the running test cluster (starting it if needed).
func Cluster(t testing.TB) *warehouse.Embedded {
	t.Helper()
	once.Do(start)
	if startErr != nil {
		t.Fatalf("warehousetest: embedded PostgreSQL: %v", startErr)
	}
	return cluster
}

// NewDatabase creates a fresh migrated database and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := Cluster(t)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), seq.Add(1))
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// CREATE DATABASE … TEMPLATE needs the template idle; serialise clones.
	tmplMu.Lock()
	_, err = admin.Exec(`CREATE DATABASE "` + name + `" TEMPLATE chiso_template`)
	tmplMu.Unlock()
	if err != nil {
		t.Fatalf("warehousetest: create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("postgres", c.DSN("postgres"))
		if err == nil {
			_, _ = a.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
			a.Close()
		}
	})
	return c.DSN(name)
}

// New returns a Store on a fresh migrated database, closed at test end.
func New(t testing.TB) *warehouse.Store {
	t.Helper()
	st, err := warehouse.Open(context.Background(), NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ReaderDSN returns the DSN of the database that dsn (from NewDatabase)
// names, logged in as chiso_reader with its password.
func ReaderDSN(t testing.TB, dsn string) string {
	t.Helper()
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Cluster(t).ReaderDSN(cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
