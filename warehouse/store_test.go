package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

func day(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

func count(t *testing.T, st *warehouse.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func doc(key, medium string) facts.Document {
	return facts.Document{UnitCode: "000.25.31.H99", Direction: "out", DocKey: key, DocType: "bao_cao",
		Family: "hanh_chinh", Medium: medium, IssuedOn: day("2026-03-02"), EventOn: day("2026-03-02"),
		Counterparts: []string{"000.00.00.H99"}, CounterpartRelation: "higher", Subject: "Báo cáo"}
}

// A run that fails half-way leaves no facts, no checkpoint move and a
// failed run record; a later good run commits everything once.
func TestFailedRunLeavesNothing(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)

	run, err := st.StartRun(ctx, "archive")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.UpsertDocument(ctx, doc("K1", "electronic"), facts.Sighting{Source: "edxml-dir", SourceKey: "a.edxml"}); err != nil {
		t.Fatal(err)
	}
	if err := run.SetCheckpoint(ctx, "file:a.edxml", "v1"); err != nil {
		t.Fatal(err)
	}
	run.Fetched(1)
	boom := errors.New("upstream went away")
	if got := run.Finish(ctx, boom); !errors.Is(got, boom) {
		t.Fatalf("Finish returned %v", got)
	}
	if n := count(t, st, `SELECT count(*) FROM documents`); n != 0 {
		t.Errorf("documents after failed run = %d, want 0", n)
	}
	if n := count(t, st, `SELECT count(*) FROM sync_state`); n != 0 {
		t.Errorf("checkpoints after failed run = %d, want 0", n)
	}
	var rec warehouse.RunRecord
	if err := st.DB.Get(&rec, `SELECT id, connector, started_at, finished_at, status, fetched, upserted, rejected, error FROM sync_runs WHERE id = $1`, run.RunID()); err != nil {
		t.Fatal(err)
	}
	if rec.Status != "failed" || rec.Error == nil || *rec.Error != boom.Error() || rec.FinishedAt == nil || rec.Fetched != 0 {
		t.Errorf("run record = %+v", rec)
	}

	run2, _ := st.StartRun(ctx, "archive")
	_ = run2.UpsertDocument(ctx, doc("K1", "electronic"), facts.Sighting{Source: "edxml-dir", SourceKey: "a.edxml"})
	_ = run2.SetCheckpoint(ctx, "file:a.edxml", "v1")
	_ = run2.Reject(ctx, facts.Reject{SourceKey: "bad.edxml", Reason: "From/OrganId: empty", Raw: []byte("<x/>")})
	run2.Fetched(2)
	if err := run2.Finish(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM documents`); n != 1 {
		t.Errorf("documents = %d, want 1", n)
	}
	if v, ok, _ := st.Checkpoint(ctx, "archive", "file:a.edxml"); !ok || v != "v1" {
		t.Errorf("checkpoint = %q %v", v, ok)
	}
	if n := count(t, st, `SELECT count(*) FROM sync_runs WHERE id = $1 AND status = 'partial' AND fetched = 2 AND upserted = 1 AND rejected = 1`, run2.RunID()); n != 1 {
		t.Errorf("second run record not partial with counters")
	}
}

// The same document seen by the register (paper) and the archive
// (electronic), in both orders, is one row, electronic, with two sightings.
func TestOneDocumentManySightings(t *testing.T) {
	ctx := context.Background()
	for _, order := range [][]string{{"register", "archive"}, {"archive", "register"}} {
		st := warehousetest.New(t)
		for _, src := range order {
			run, _ := st.StartRun(ctx, src)
			medium := map[string]string{"register": "paper", "archive": "electronic"}[src]
			d := doc("000.25.31.H99|2026|regular|125/BC-UBND", medium)
			if src == "register" {
				d.Counterparts = []string{"000.26.31.H99"}
				d.CounterpartRelation = "peer"
			}
			if err := run.UpsertDocument(ctx, d, facts.Sighting{Source: src, SourceKey: src + "-1"}); err != nil {
				t.Fatal(err)
			}
			if err := run.Finish(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		var got struct {
			Medium   string `db:"medium"`
			Relation string `db:"counterpart_relation"`
			N        int    `db:"n"`
		}
		if err := st.DB.Get(&got, `SELECT medium, counterpart_relation, cardinality(counterparts) AS n FROM documents`); err != nil {
			t.Fatal(err)
		}
		if got.Medium != "electronic" || got.Relation != "higher" || got.N != 2 {
			t.Errorf("%v: got %+v", order, got)
		}
		if n := count(t, st, `SELECT count(*) FROM document_sightings`); n != 2 {
			t.Errorf("%v: sightings = %d", order, n)
		}
	}
}

// Statuses and revocations that arrive before their document still apply.
func TestStatusAndRevocationBeforeDocument(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	key := "000.25.31.H99|2026|regular|7/TB-UBND"
	run, _ := st.StartRun(ctx, "vxp")
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	must(t, run.ApplyStatus(ctx, facts.DocumentStatus{Target: facts.DocumentRef{DocKey: key}, Reporter: "000.00.00.H99", Code: "03", At: at}))
	must(t, run.ApplyStatus(ctx, facts.DocumentStatus{Target: facts.DocumentRef{DocKey: key}, Reporter: "000.00.00.H99", Code: "01", At: at.Add(-time.Hour)}))
	must(t, run.Revoke(ctx, facts.Revocation{Target: facts.DocumentRef{DocKey: key}, Kind: 1, At: at, SourceKey: "rev.edxml"}))
	must(t, run.UpsertDocument(ctx, doc(key, "electronic"), facts.Sighting{Source: "vxp", SourceKey: "d1"}))
	must(t, run.Finish(ctx, nil))
	var got struct {
		Status  *string `db:"latest_status"`
		Revoked bool    `db:"revoked"`
	}
	must(t, st.DB.Get(&got, `SELECT latest_status, revoked FROM documents WHERE doc_key = $1`, key))
	if got.Status == nil || *got.Status != "03" || !got.Revoked {
		t.Errorf("got status %v revoked %v", got.Status, got.Revoked)
	}
	run2, _ := st.StartRun(ctx, "vxp")
	must(t, run2.ApplyStatus(ctx, facts.DocumentStatus{Target: facts.DocumentRef{DocKey: key}, Reporter: "000.00.00.H99", Code: "06", At: at.Add(time.Hour)}))
	must(t, run2.Finish(ctx, nil))
	must(t, st.DB.Get(&got, `SELECT latest_status, revoked FROM documents WHERE doc_key = $1`, key))
	if *got.Status != "06" {
		t.Errorf("latest status = %s, want 06", *got.Status)
	}
}

func TestDossierLatestUpdateWins(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	s9, s4 := 9, 4
	online := "online"
	newer := time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)
	older := newer.Add(-24 * time.Hour)
	run, _ := st.StartRun(ctx, "dvc")
	must(t, run.UpsertProcedure(ctx, facts.Procedure{MaTTHC: "1.001193", Level: "toan_trinh", RequiresResult: true}))
	must(t, run.UpsertDossier(ctx, facts.Dossier{UnitCode: "000.25.31.H99", MaHoSo: "H1", MaTTHC: "1.001193", Channel: &online, Status: &s9, SourceUpdatedAt: &newer},
		[]facts.DossierStep{{At: newer, Status: &s9}}, facts.DossierSighting{Source: "dvc", SourceKey: "A"}))
	must(t, run.UpsertDossier(ctx, facts.Dossier{UnitCode: "000.25.31.H99", MaHoSo: "H1", MaTTHC: "1.001193", Channel: &online, Status: &s4, SourceUpdatedAt: &older},
		nil, facts.DossierSighting{Source: "dvc-push", SourceKey: "B"}))
	must(t, run.Finish(ctx, nil))
	var status int
	var level string
	must(t, st.DB.QueryRow(`SELECT status, procedure_level FROM dossiers WHERE ma_ho_so = 'H1'`).Scan(&status, &level))
	if status != 9 || level != "toan_trinh" {
		t.Errorf("status %d level %s", status, level)
	}
	if n := count(t, st, `SELECT count(*) FROM dossier_sightings`); n != 2 {
		t.Errorf("sightings = %d, want 2", n)
	}
}

func TestReaderRoleIsReadOnly(t *testing.T) {
	dsn := warehousetest.NewDatabase(t)
	reader, err := warehouse.Open(context.Background(), warehousetest.ReaderDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, table := range []string{"documents", "dossiers", "meetings", "sync_runs", "org_units", "rejects"} {
		if _, err := reader.DB.Exec(`SELECT count(*) FROM ` + table); err != nil {
			t.Errorf("reader cannot read %s: %v", table, err)
		}
	}
	if _, err := reader.DB.Exec(`INSERT INTO org_units (code, name, relation) VALUES ('X', 'x', 'peer')`); err == nil {
		t.Error("reader could insert into org_units")
	}
	if _, err := reader.DB.Exec(`DELETE FROM documents`); err == nil {
		t.Error("reader could delete documents")
	}
	if _, err := reader.DB.Exec(`CREATE TABLE evil (x int)`); err == nil {
		t.Error("reader could create a table")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Odd text survives the batched (array) write unchanged.
func TestDocumentOddText(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	run, _ := st.StartRun(ctx, "register")
	d := doc(`000.25.31.H99|2026|regular|5/QĐ-UBND`, "paper")
	d.Subject = `Quyết định "về" \việc {a,b}, NULL; ' dấu`
	d.Counterparts = []string{"Hội Nông dân, tỉnh", `a"b`, "NULL"}
	d.Priority = nil
	d.DocumentID = ""
	must(t, run.UpsertDocument(ctx, d, facts.Sighting{Source: "register", SourceKey: `so-di.xlsx#Sổ đi!12`}))
	must(t, run.Finish(ctx, nil))
	var got struct {
		Subject string  `db:"subject"`
		Cps     string  `db:"cps"`
		Prio    *int    `db:"priority"`
		DocID   *string `db:"document_id"`
	}
	must(t, st.DB.Get(&got, `SELECT subject, array_to_json(counterparts)::text AS cps, priority, document_id FROM documents`))
	if got.Subject != d.Subject || got.Cps != `["Hội Nông dân, tỉnh","a\"b","NULL"]` || got.Prio != nil || got.DocID != nil {
		t.Errorf("got %+v", got)
	}
}

// A run that writes thousands of documents analyzes the document tables
// once (a first backfill outruns autovacuum, and without statistics the
// status updates scan instead of probing); a small run does not, nor does
// a big run into tables whose statistics already count its rows (in a
// full warehouse ANALYZE costs seconds a run).
func TestBigRunAnalyzesDocumentTables(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		docs, runs, analyzes int
	}{{100, 1, 0}, {2500, 1, 1}, {2500, 2, 1}} {
		st := warehousetest.New(t)
		for r := range tc.runs {
			run, err := st.StartRun(ctx, "archive")
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.docs {
				must(t, run.UpsertDocument(ctx, doc(fmt.Sprintf("K%d-%d", r, i), "electronic"), facts.Sighting{Source: "edxml-dir", SourceKey: fmt.Sprintf("%d-%d.edxml", r, i)}))
				run.Fetched(1)
				if (i+1)%500 == 0 {
					must(t, run.Flush(ctx))
				}
			}
			must(t, run.Finish(ctx, nil))
		}
		if n := count(t, st, `SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'documents'`); n != tc.analyzes {
			t.Errorf("%d runs of %d documents: documents analyzed %d times, want %d", tc.runs, tc.docs, n, tc.analyzes)
		}
		if n := count(t, st, `SELECT count(*) FROM documents`); n != tc.runs*tc.docs {
			t.Errorf("%d runs of %d documents: %d rows", tc.runs, tc.docs, n)
		}
	}
}
