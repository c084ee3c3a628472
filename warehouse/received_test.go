package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"chiso/adapters/vntime"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// evidence is one source telling something of an incoming document's
// arrival: a sighting, or a status package.
type evidence struct {
	name     string
	sighting *facts.Sighting
	status   *facts.DocumentStatus
}

const ourUnit = "000.25.31.H99"

func vnAt(m time.Month, d, h int) time.Time {
	return time.Date(2026, m, d, h, 0, 0, 0, vntime.Location)
}

// The sources of one document (issued 10 February 2026), each dating its
// arrival differently; and statuses that must date nothing.
var sources = map[string]evidence{
	"issue": {name: "issue", sighting: &facts.Sighting{Source: "edxml-dir:qlvb", SourceKey: "copy/a.edxml", Medium: "electronic",
		SeenAt: vnAt(12, 1, 9), ReceivedAt: vnAt(2, 10, 0), ReceivedBy: facts.ReceivedByIssueDate}},
	"register": {name: "register", sighting: &facts.Sighting{Source: "register-file:so-den", SourceKey: "so-den.xlsx#1!7", Medium: "paper",
		ReceivedAt: vnAt(2, 16, 0), ReceivedBy: facts.ReceivedByRegister}},
	"axis": {name: "axis", sighting: &facts.Sighting{Source: "vxp:truc", SourceKey: "65f0c0ffee", Medium: "electronic",
		SeenAt: vnAt(2, 13, 10), ReceivedAt: vnAt(2, 13, 10), ReceivedBy: facts.ReceivedByAxis}},
	"status": {name: "status", status: &facts.DocumentStatus{Reporter: ourUnit, Code: "03", At: vnAt(2, 12, 9), SourceKey: "st.edxml"}},
	"trace": {name: "trace", sighting: &facts.Sighting{Source: "edxml-dir:qlvb", SourceKey: "2026/2/a.edxml", Medium: "electronic",
		SeenAt: vnAt(12, 1, 9), ReceivedAt: vnAt(2, 11, 8), ReceivedBy: facts.ReceivedByTrace}},
	// Statuses that are no evidence of our arrival: another unit's, a later
	// code, one without its own Timestamp.
	"peer status":    {name: "peer status", status: &facts.DocumentStatus{Reporter: "000.26.31.H99", Code: "01", At: vnAt(1, 5, 9), SourceKey: "p.edxml"}},
	"status 05":      {name: "status 05", status: &facts.DocumentStatus{Reporter: ourUnit, Code: "05", At: vnAt(1, 6, 9), SourceKey: "s5.edxml"}},
	"undated status": {name: "undated status", status: &facts.DocumentStatus{Reporter: ourUnit, Code: "01", At: vnAt(1, 7, 0), Undated: true, SourceKey: "u.edxml"}},
}

func permutations(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{append([]string{}, xs...)}
	}
	var out [][]string
	for i := range xs {
		rest := append(append([]string{}, xs[:i]...), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{xs[i]}, p...))
		}
	}
	return out
}

// An incoming document is dated by the best evidence present — the trace
// of its arrival, a status 01/03 its unit sent, the axis's created time,
// the register's "Ngày đến", its date of issue — whatever the order in
// which its sources arrive (one run each, or all in one batch), and the
// per-day summaries follow every change.
func TestReceivedEvidenceAnyOrder(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	for _, tc := range []struct {
		rule    string
		sources []string
		on      string
		by      string
	}{
		{"trace", []string{"issue", "register", "axis", "status", "trace"}, "2026-02-11", facts.ReceivedByTrace},
		{"status", []string{"issue", "register", "axis", "status"}, "2026-02-12", facts.ReceivedByStatus},
		{"axis", []string{"issue", "register", "axis"}, "2026-02-13", facts.ReceivedByAxis},
		{"register", []string{"issue", "register"}, "2026-02-16", facts.ReceivedByRegister},
		{"issue date", []string{"issue"}, "2026-02-10", facts.ReceivedByIssueDate},
		{"no evidence in these statuses", []string{"peer status", "issue", "status 05", "undated status"}, "2026-02-10", facts.ReceivedByIssueDate},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			orders := permutations(tc.sources)
			for i, order := range orders {
				key := fmt.Sprintf("000.00.00.H99|2026|regular|%s-%d/UBND-VP", strings.ReplaceAll(tc.rule, " ", "-"), i)
				for _, name := range order {
					run, err := st.StartRun(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					write(t, run, key, sources[name])
					must(t, run.Finish(ctx, nil))
				}
				checkReceived(t, st, key, tc.on, tc.by, strings.Join(order, " → "))
			}
			// All sources in one batch.
			key := fmt.Sprintf("000.00.00.H99|2026|regular|%s-batch/UBND-VP", strings.ReplaceAll(tc.rule, " ", "-"))
			run, err := st.StartRun(ctx, "all")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range orders[len(orders)-1] {
				write(t, run, key, sources[name])
			}
			must(t, run.Finish(ctx, nil))
			checkReceived(t, st, key, tc.on, tc.by, "one batch")
		})
	}
	var diff []string
	if err := st.DB.SelectContext(ctx, &diff, kpiSummaryDiff); err != nil {
		t.Fatal(err)
	}
	for _, d := range diff {
		t.Errorf("summaries: %s", d)
	}
	// explain names the evidence of each incoming document.
	recs, _, err := st.Explain(ctx, "electronic_exchange_in_share", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), ourUnit, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for _, r := range recs {
		if r.DatedBy != nil {
			byKey[r.Key] = *r.DatedBy
		}
	}
	if len(recs) == 0 || byKey["000.00.00.H99|2026|regular|axis-0/UBND-VP"] != facts.ReceivedByAxis ||
		byKey["000.00.00.H99|2026|regular|trace-batch/UBND-VP"] != facts.ReceivedByTrace {
		t.Errorf("explain dated_by = %v (%d records)", byKey, len(recs))
	}
}

func write(t *testing.T, run *warehouse.Run, key string, e evidence) {
	t.Helper()
	ctx := context.Background()
	if e.status != nil {
		s := *e.status
		s.Target = facts.DocumentRef{DocKey: key}
		must(t, run.ApplyStatus(ctx, s))
		return
	}
	d := facts.Document{UnitCode: ourUnit, Direction: "in", DocKey: key, IssuerCode: "000.00.00.H99", DocType: "cong_van",
		Family: "hanh_chinh", Medium: e.sighting.Medium, IssuedOn: day("2026-02-10"), EventOn: day(e.sighting.ReceivedAt.Format(time.DateOnly)),
		Counterparts: []string{"000.00.00.H99"}, CounterpartRelation: "higher", Subject: "Về việc triển khai"}
	must(t, run.UpsertDocument(ctx, d, *e.sighting))
}

func checkReceived(t *testing.T, st *warehouse.Store, key, on, by, order string) {
	t.Helper()
	var got struct {
		On string  `db:"event_on"`
		By *string `db:"received_by"`
	}
	if err := st.DB.Get(&got, `SELECT to_char(event_on, 'YYYY-MM-DD') AS event_on, received_by FROM documents
		WHERE doc_key = $1 AND direction = 'in' AND unit_code = $2`, key, ourUnit); err != nil {
		t.Fatalf("%s: %v", order, err)
	}
	if got.On != on || got.By == nil || *got.By != by {
		gotBy := "<nil>"
		if got.By != nil {
			gotBy = *got.By
		}
		t.Errorf("%s: received %s by %s, want %s by %s", order, got.On, gotBy, on, by)
	}
}

// Migration 00090 makes the archives and registers that wrote incoming
// documents read their files again (their file checkpoints go), so that
// the evidence of the documents written before it is recorded; other
// checkpoints stay.
func TestMigrationRereadsDocumentFiles(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	p, err := goose.NewProvider(goose.DialectPostgres, st.DB.DB, warehouse.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 80); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `
		INSERT INTO document_sightings (source, source_key, unit_code, direction, doc_key, medium, seen_at) VALUES
		  ('edxml-dir:qlvb', '2026/1/a.edxml', '000.25.31.H99', 'in', 'k1', 'electronic', now()),
		  ('register-file:so-den', 'so-den.csv#1!5', '000.25.31.H99', 'in', 'k1', 'paper', now()),
		  ('register-file:so-di', 'so-di.csv#1!5', '000.25.31.H99', 'out', 'k2', 'paper', now());
		INSERT INTO sync_state (connector, stream, checkpoint) VALUES
		  ('qlvb', 'file:2026/1/a.edxml', '1:2:abc'), ('so-den', 'file:so-den.csv', '1:2:abc'), ('so-den', 'config', 'fp'),
		  ('so-di', 'file:so-di.csv', '1:2:abc'), ('ho-so', 'file:x.json', '1:2:abc'), ('axis', 'doc:65f0', 'stored')`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := st.DB.Select(&left, `SELECT connector || ' ' || stream FROM sync_state ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(left, ", "), "axis doc:65f0, ho-so file:x.json, so-den config, so-di file:so-di.csv"; got != want {
		t.Errorf("checkpoints after the migration: %s, want %s", got, want)
	}
}
