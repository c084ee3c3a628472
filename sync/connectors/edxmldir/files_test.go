package edxmldir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/warehouse/warehousetest"
)

// TestUnreadableCheckpointRetried (issue 19): a file once unreadable is
// checkpointed "size:mtime:unreadable"; fixed with chmod (same size and
// mtime), the next run reads it instead of skipping it on the quick check.
func TestUnreadableCheckpointRetried(t *testing.T) {
	st := warehousetest.New(t)
	root := t.TempDir()
	p := write(t, root, "2025/11/in.edxml", incoming(t, "Kế hoạch chuyển đổi số năm 2026"))
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// The warehouse as a run left it when the file could not be opened.
	ctx := context.Background()
	run, err := st.StartRun(ctx, "qlvb-archive")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SetCheckpoint(ctx, "file:2025/11/in.edxml", fmt.Sprintf("%d:%d:unreadable", info.Size(), info.ModTime().UnixNano())); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx, nil); err != nil {
		t.Fatal(err)
	}
	o := syncOnce(t, st, newConn(t, root, nil))
	if docs := docRows(t, st); len(docs) != 1 || o.stats.Parsed != 1 || o.stats.Skipped != 0 {
		t.Fatalf("documents %d, stats %+v: want the fixed file read", len(docs), o.stats)
	}
	var cp string
	if err := st.DB.Get(&cp, `SELECT checkpoint FROM sync_state WHERE stream = 'file:2025/11/in.edxml'`); err != nil || strings.HasSuffix(cp, ":unreadable") {
		t.Errorf("checkpoint %q, %v: want the content hash", cp, err)
	}
}

// TestLinksStayInsideArchive (issue 19): a link to a file outside the
// archive is not read and none of its bytes reach the warehouse; link
// loops and dangling links are counted rejects; a link inside the archive
// is read. Each is reported once.
func TestLinksStayInsideArchive(t *testing.T) {
	st := warehousetest.New(t)
	top := t.TempDir()
	root := filepath.Join(top, "archive")
	secret := filepath.Join(top, "etc", "chiso.env")
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("CHISO_DB_PASSWORD=s3cr3t-passw0rd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write(t, root, "2025/11/in.edxml", incoming(t, "Kế hoạch chuyển đổi số năm 2026"))
	for link, target := range map[string]string{
		"2025/11/env.edxml":      secret,
		"2025/11/env-rel.edxml":  "../../../etc/chiso.env",
		"2025/11/loop.edxml":     "loop.edxml",
		"2025/11/dangling.edxml": "gone.edxml",
		"2025/12/copy.edxml":     "../11/in.edxml",
	} {
		p := filepath.Join(root, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	c := newConn(t, root, nil)
	o := syncOnce(t, st, c)
	if o.rej != 4 || o.stats.Problems != 4 || o.stats.Parsed != 2 {
		t.Errorf("run 1: rejected %d stats %+v; want 4 rejects (2 outside, loop, dangling) and 2 parsed", o.rej, o.stats)
	}
	var dump string
	if err := st.DB.Get(&dump, `SELECT coalesce(string_agg(source_key || ' ' || reason || ' ' || coalesce(encode(raw, 'escape'), '<no raw>'), E'\n' ORDER BY source_key), '') FROM rejects`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, "s3cr3t") || strings.Contains(dump, "CHISO_DB_PASSWORD") {
		t.Errorf("the outside file reached rejects:\n%s", dump)
	}
	for _, want := range []string{"2025/11/env.edxml: symbolic link to a file outside", "2025/11/env-rel.edxml: symbolic link to a file outside",
		"2025/11/loop.edxml: symbolic link loop", "2025/11/dangling.edxml: symbolic link to nothing"} {
		if !strings.Contains(dump, want) {
			t.Errorf("rejects lack %q:\n%s", want, dump)
		}
	}
	if strings.Count(dump, "<no raw>") != 4 {
		t.Errorf("rejects keep bytes:\n%s", dump)
	}
	// Reported once: nothing new on the next run.
	if o = syncOnce(t, st, c); o.rej != 0 || o.fetch != 0 || o.stats.KnownProblems != 4 {
		t.Errorf("run 2: rejected %d fetched %d stats %+v; want nothing new", o.rej, o.fetch, o.stats)
	}
}
