package edxmldir

import (
	"context"
	"strings"
	"testing"

	"chiso/adapters/edxml"
	"chiso/warehouse/warehousetest"
)

// TestFileOverItsTimeShare: a file that cannot be parsed within its share
// of the run's time is rejected and checkpointed, so the next run does not
// read it again. The share is made to run out at once for one file (the
// parser's side of the budget is tested in adapters/edxml).
func TestFileOverItsTimeShare(t *testing.T) {
	st := warehousetest.New(t)
	root := t.TempDir()
	write(t, root, "2025/11/slow.edxml", incoming(t, "Kế hoạch quá chậm để đọc"))
	write(t, root, "2025/11/ok.edxml", readGolden(t, "valid/sample_edoc_new.edxml"))
	old := fileContext
	t.Cleanup(func() { fileContext = old })
	fileContext = func(ctx context.Context, rel string) (context.Context, context.CancelFunc) {
		fctx, cancel := context.WithCancelCause(ctx)
		if rel == "2025/11/slow.edxml" {
			cancel(edxml.ErrTimeBudget)
		}
		return fctx, func() { cancel(context.Canceled) }
	}
	c := newConn(t, root, nil)

	o := syncOnce(t, st, c)
	if o.stats.Parsed != 1 || o.rej != 1 || o.status != "partial" {
		t.Fatalf("run 1: parsed %d, rejected %d, status %s; want 1, 1, partial", o.stats.Parsed, o.rej, o.status)
	}
	var key, reason string
	if err := st.DB.QueryRowx(`SELECT source_key, reason FROM rejects`).Scan(&key, &reason); err != nil {
		t.Fatal(err)
	}
	if key != "2025/11/slow.edxml" || !strings.Contains(reason, "not parsed within its share of the run's time") {
		t.Errorf("reject %s: %s", key, reason)
	}
	cps, err := st.Checkpoints(context.Background(), "qlvb-archive", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 2 {
		t.Errorf("checkpoints %v, want both files", cps)
	}

	o = syncOnce(t, st, c)
	if o.stats.Skipped != 2 || o.stats.Parsed+o.stats.Rejected != 0 {
		t.Errorf("run 2: %+v, want both files skipped", o.stats)
	}
}
