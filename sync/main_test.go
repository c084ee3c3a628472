package sync

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"

	"chiso/sync/config"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const orgDirectory = `units:
  - {code: "000.25.31.H99", name: "UBND xã Yên Định", relation: self}
  - {code: "000.00.00.H99", name: "UBND tỉnh Bắc Ninh", relation: higher}
`

// writeConfig writes org.yaml and chiso.yaml (warehouse at dsn, HTTP on a
// free loopback port) with the given connectors: YAML list items.
func writeConfig(t testing.TB, dir, dsn, connectors string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(orgDirectory), 0o644); err != nil {
		t.Fatal(err)
	}
	if dsn == "unused" { // the tests that bring their own store: any DSN the driver can parse
		dsn = "host=/nonexistent dbname=unused"
	}
	body := fmt.Sprintf(`warehouse: {dsn: %q}
http: {listen: "127.0.0.1:0"}
org: {self: "000.25.31.H99", directory: org.yaml}
connectors:
%s`, dsn, connectors)
	p := filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadConfig(t testing.TB, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// logBuffer is a goroutine-safe log sink for assertions on log lines.
type logBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// dumpTables returns the content of the fact and state tables, without
// the columns that name runs or times of writing, sorted: two warehouses
// that hold the same facts dump the same.
func dumpTables(t testing.TB, st *warehouse.Store) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"meetings": `SELECT (to_jsonb(m) - ARRAY['first_seen_run','last_seen_run','updated_at','deleted_run','deleted_at'])::text FROM meetings m`,
		"rejects":  `SELECT jsonb_build_object('connector', connector, 'source_key', source_key, 'reason', reason, 'raw', encode(raw, 'hex'))::text FROM rejects`,
		"sync_state": `SELECT jsonb_build_object('connector', connector, 'stream', stream, 'checkpoint', checkpoint)::text
			FROM sync_state WHERE stream <> '` + warehouse.TickStream + `'`,
	}
	out := map[string][]string{}
	for table, q := range queries {
		var rows []string
		if err := st.DB.Select(&rows, q+` ORDER BY 1`); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		out[table] = rows
	}
	return out
}

func httpGet(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func httpPost(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue returns the value of the sample whose line starts with
// prefix (name{labels}) in a /metrics body, or "" if absent.
func metricValue(body, prefix string) string {
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix+" ") {
			return strings.TrimPrefix(line, prefix+" ")
		}
	}
	return ""
}

var _ = context.Background
