package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/warehouse"
)

// Two chiso processes on one data_dir: a second owner is refused with a
// clear error, a second client attaches to the running server.
func TestEmbeddedLock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own cluster")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "chiso-lock-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	defer os.RemoveAll(dir)
	first, err := warehouse.StartEmbedded(ctx, dir, warehouse.EmbeddedOptions{Exclusive: true, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop()
	if !first.Owner() {
		t.Fatal("first process does not own the cluster")
	}
	if _, err := warehouse.StartEmbedded(ctx, dir, warehouse.EmbeddedOptions{Exclusive: true}); err == nil || !strings.Contains(err.Error(), "in use by another chiso process") {
		t.Fatalf("second owner: err = %v", err)
	}
	client, err := warehouse.StartEmbedded(ctx, dir, warehouse.EmbeddedOptions{})
	if err != nil {
		t.Fatalf("second client: %v", err)
	}
	if client.Owner() {
		t.Error("client claims ownership")
	}
	if err := first.EnsureDatabase(ctx, "chiso"); err != nil {
		t.Fatal(err)
	}
	st, err := warehouse.Open(ctx, client.DSN("chiso"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// As root the server runs as the postgres user. A data_dir under a
// private folder (a clone in /root, 0700) keeps its cluster in the state
// folder instead, named by data_dir/pg.location: it starts, keeps its data
// across restarts, and clients attach to it. Where the state folder cannot
// be used either, the error says what to do.
func TestEmbeddedPrivateParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	ctx := context.Background()
	private := tempDir(t, "chiso-private-")
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(private, "chiso", "var", "chiso")
	state := tempDir(t, "chiso-state-")
	opts := warehouse.EmbeddedOptions{StateDir: state}
	e := startCluster(t, dataDir, opts)
	if !e.Relocated || !strings.HasPrefix(e.PGData, state+"/") || !strings.HasPrefix(e.SockDir, state+"/") {
		t.Fatalf("cluster %s, socket %s: want them under %s", e.PGData, e.SockDir, state)
	}
	ptr, err := os.ReadFile(filepath.Join(dataDir, warehouse.ClusterPointerFile))
	if err != nil || strings.TrimSpace(string(ptr)) != filepath.Dir(e.PGData) {
		t.Fatalf("pointer %q, %v; cluster %s", ptr, err, e.PGData)
	}
	if st, err := os.Stat(filepath.Dir(e.PGData)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("cluster folder: %v %v, want 0700", st.Mode().Perm(), err)
	}
	checkSecured(t, e)
	if err := e.EnsureDatabase(ctx, "chiso"); err != nil {
		t.Fatal(err)
	}
	st, err := warehouse.Open(ctx, e.DSN("chiso"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	client, err := warehouse.StartEmbedded(ctx, dataDir, warehouse.EmbeddedOptions{StateDir: state, Port: e.Port})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	if client.PGData != e.PGData || client.Owner() {
		t.Fatalf("client: cluster %s, owner %v", client.PGData, client.Owner())
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	again := startCluster(t, dataDir, opts)
	st, err = warehouse.Open(ctx, again.DSN("chiso"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var v int
	if err := st.DB.Get(&v, `SELECT v FROM kept`); err != nil || v != 42 || again.PGData != e.PGData {
		t.Errorf("after a restart: %d, %v (cluster %s)", v, err, again.PGData)
	}

	// No way: the state folder is closed too.
	closed := tempDir(t, "chiso-closed-")
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = warehouse.StartEmbedded(ctx, filepath.Join(private, "other"), warehouse.EmbeddedOptions{Exclusive: true, Fast: true, StateDir: filepath.Join(closed, "state")})
	if err == nil || !strings.Contains(err.Error(), "chmod o+x "+private) || !strings.Contains(err.Error(), "fallback folder "+filepath.Join(closed, "state")) {
		t.Fatalf("err = %v", err)
	}
}
