package vxp_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/vntime"
	"chiso/adapters/vxp/vxpsim"
	"chiso/mapping/documents"
	"chiso/sync/connector"
	"chiso/sync/connectors/edxmldir"
	"chiso/sync/connectors/vxp"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// An incoming package with no trace of its arrival is dated by the axis's
// own created_time, which beats the date of issue that a copy of the same
// package in the QLVB archive offers (its files' mtimes, the time of the
// copy, count for nothing); a trace of the arrival in the archive's copy
// beats the axis. The result is the same whichever source is read first.
func TestAxisTimeDatesIncoming(t *testing.T) {
	ctx := context.Background()
	corpus := edxmlgen.Corpus(seed, unit, 2025, edxmlgen.WithScale(scale))
	// The axis's created time of each incoming document (the simulator's
	// inbox is built from the same corpus).
	want := map[string]struct{ on, by string }{}
	for _, m := range edxmlgen.Inbox(corpus) {
		if m.Kind == edxmlgen.KindDocument {
			want[docKey(m.Doc)] = struct{ on, by string }{m.At.In(vntime.Location).Format(time.DateOnly), facts.ReceivedByAxis}
		}
	}
	// The archive's copy of every fifth incoming document carries the trace
	// of its arrival, two days after its issue.
	n := 0
	for i, d := range corpus {
		if d.Direction != "in" || !d.OnAxis() {
			continue
		}
		if n++; n%5 == 0 {
			corpus[i].ArrivedAt = d.IssuedAt.AddDate(0, 0, 2)
			want[docKey(d)] = struct{ on, by string }{corpus[i].ArrivedAt.Format(time.DateOnly), facts.ReceivedByTrace}
		}
	}
	archive := t.TempDir()
	if _, err := edxmlgen.WriteArchive(archive, corpus, edxmlgen.WriteOptions{MaxAttachment: 128}); err != nil {
		t.Fatal(err)
	}
	copyTime := time.Date(2026, 12, 1, 9, 30, 0, 0, vntime.Location)
	if err := filepath.Walk(archive, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		return os.Chtimes(p, copyTime, copyTime)
	}); err != nil {
		t.Fatal(err)
	}
	syncArchive := func(st *warehouse.Store) {
		c := edxmldir.New()
		c.Path = archive
		env := connector.Env{Name: "qlvb-archive", Self: unit, Org: directory(), Location: vntime.Location}
		if err := c.Validate(env); err != nil {
			t.Fatal(err)
		}
		run, err := st.StartRun(ctx, "qlvb-archive")
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Finish(ctx, c.Sync(ctx, run)); err != nil {
			t.Fatal(err)
		}
	}
	syncAxis := func(st *warehouse.Store) {
		_, url := newSim(t, vxpsim.Faults{})
		if err := syncOnce(ctx, st, newConn(t, url, vxp.ModeObserver, "s3cr3t")); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		order []func(*warehouse.Store)
		trace bool // the archive was read: traces count
	}{
		{"axis only", []func(*warehouse.Store){syncAxis}, false},
		{"axis, then the copied archive", []func(*warehouse.Store){syncAxis, syncArchive}, true},
		{"copied archive, then the axis", []func(*warehouse.Store){syncArchive, syncAxis}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := warehousetest.New(t)
			for _, sync := range tc.order {
				sync(st)
			}
			var rows []struct {
				Key string  `db:"doc_key"`
				On  string  `db:"event_on"`
				By  *string `db:"received_by"`
			}
			if err := st.DB.Select(&rows, `SELECT doc_key, to_char(event_on, 'YYYY-MM-DD') AS event_on, received_by
				FROM documents WHERE direction = 'in'`); err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(want) {
				t.Errorf("%d incoming documents, want %d", len(rows), len(want))
			}
			by := map[string]int{}
			for _, r := range rows {
				w, ok := want[r.Key]
				if !ok {
					t.Errorf("unexpected incoming document %s", r.Key)
					continue
				}
				if w.by == facts.ReceivedByTrace && !tc.trace {
					w.by = facts.ReceivedByAxis
					for _, m := range edxmlgen.Inbox(corpus) {
						if m.Kind == edxmlgen.KindDocument && docKey(m.Doc) == r.Key {
							w.on = m.At.In(vntime.Location).Format(time.DateOnly)
						}
					}
				}
				got := "<nil>"
				if r.By != nil {
					got = *r.By
				}
				by[got]++
				if got != w.by || r.On != w.on {
					t.Errorf("%s: received %s by %s, want %s by %s", r.Key, r.On, got, w.on, w.by)
				}
			}
			t.Logf("incoming documents by evidence: %v", by)
			if by[facts.ReceivedByAxis] == 0 || (tc.trace && by[facts.ReceivedByTrace] == 0) {
				t.Errorf("evidence %v: the fixture does not exercise both rules", by)
			}
		})
	}
}

func docKey(d edxmlgen.DocSpec) string {
	return documents.DocKey(d.IssuerCode, strconv.Itoa(d.IssuedOn.Year()), documents.SeriesRegular, d.Number, d.Notation)
}
