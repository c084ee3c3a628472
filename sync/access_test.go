package sync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// chiso_reader cannot take a connector's advisory lock (in any of its
// forms), so a reporting tool cannot stop the writers: the connector runs.
func TestReaderCannotBlockConnector(t *testing.T) {
	dsn := warehousetest.NewDatabase(t)
	st, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reader, err := warehouse.Open(context.Background(), warehousetest.ReaderDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	dir := t.TempDir()
	p := filepath.Join(dir, "m")
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	writeMeetings(t, p, 1, 5, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	cfg := loadConfig(t, writeConfig(t, dir, dsn, `
  - {name: lich, type: test-json, schedule: "@every 1h", path: m}
`))
	key := warehouse.LockKey("", "lich")
	ctx := context.Background()
	conn, err := reader.DB.Conn(ctx) // one session, as a hostile tool would hold it
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`SELECT pg_advisory_lock($1)`,
		`SELECT pg_try_advisory_lock($1)`,
		`SELECT pg_advisory_lock_shared($1)`,
		`SELECT pg_try_advisory_lock_shared($1)`,
		`SELECT pg_advisory_xact_lock($1)`,
		`SELECT pg_advisory_lock(727274, ($1::bigint % 1000)::int)`,
	} {
		_, err := conn.ExecContext(ctx, q, key)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("reader: %s: err = %v, want permission denied", q, err)
		}
	}
	r := NewRunner(nil, newLogger(&logBuffer{}))
	if err := r.RunConnector(ctx, st, jobByName(t, cfg, "lich")); err != nil {
		t.Fatalf("connector: %v", err)
	}
	var status string
	if err := st.DB.Get(&status, `SELECT status FROM sync_runs WHERE connector = 'lich'`); err != nil || status != "ok" {
		t.Errorf("run status %q, %v", status, err)
	}
}
