package warehouse_test

import (
	"context"
	"os"
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

// As root the server runs as the postgres user: a closed parent folder is
// reported clearly instead of initdb's bare "permission denied".
func TestEmbeddedClosedParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	parent, err := os.MkdirTemp("", "chiso-closed-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(parent)
	os.Chmod(parent, 0o700)
	_, err = warehouse.StartEmbedded(context.Background(), parent+"/data", warehouse.EmbeddedOptions{Exclusive: true, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "chmod o+x "+parent) {
		t.Fatalf("err = %v", err)
	}
}
