package warehouse_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// provinceBenchWarehouse is kpiBenchWarehouse as a provincial deployment:
// the province is the root (self, level province), its communes internal
// units of level commune (the league table's rows).
func provinceBenchWarehouse(b *testing.B) (*warehouse.Store, int) {
	st, n := kpiBenchWarehouse(b)
	for _, q := range []string{
		`UPDATE org_units SET relation = 'self', level = 'province' WHERE code = '000.00.00.H99'`,
		`UPDATE org_units SET relation = 'internal', level = 'commune' WHERE relation = 'self' AND code <> '000.00.00.H99'`,
	} {
		if _, err := st.DB.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	return st, n
}

// The ingest load: what one commune's daemon writes in a sync, the same
// into the full warehouse and into an empty one. A commune's dossiers are
// spread over its four units, the 200 procedures of the catalogue and the
// days of 2026 up to the bench's clock, with the due dates, statuses,
// channels and supplement steps of a portal's export; its documents over
// the same units, both directions and the same days. Batches are those of
// the connectors: dossiers in batches of 1,000, each committed (the dvc
// writer), documents committed every 500 (edxml-dir's flushEvery; the run
// writes them in statements of its own batch size).
const (
	ingestCount        = 20000
	ingestDossierBatch = 1000
	ingestDocFlush     = 500
)

// ingestUnits are the units of commune 1 of the bench warehouse.
var ingestUnits = []string{"000.001.31.H99", "001.001.31.H99", "002.001.31.H99", "003.001.31.H99"}

// ingestDay is the reception (or issue) time of the i-th record: a day of
// 2026 before 1 December, scattered as a portal's export is.
func ingestDay(i int) time.Time {
	return time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC).Add(time.Duration(i*7919%334)*24*time.Hour + time.Duration(i%9)*time.Hour)
}

// ingestLoad is one kind of ingest: open starts a run on a store and
// returns the writer of its k-th committed batch (records k*size up to
// (k+1)*size, keys made unique by prefix) and the end of the run.
type ingestLoad struct {
	name string // what is counted ("dossiers", "documents")
	size int    // records per committed batch
	open func(b *testing.B, st *warehouse.Store, prefix string) (batch func(k int), finish func())
}

// dossierLoad writes dossiers as the dvc writer does: one UpsertDossiers
// of ingestDossierBatch records, then Flush.
var dossierLoad = ingestLoad{name: "dossiers", size: ingestDossierBatch, open: func(b *testing.B, st *warehouse.Store, prefix string) (func(int), func()) {
	ctx := context.Background()
	run, err := st.StartRun(ctx, "dvc")
	if err != nil {
		b.Fatal(err)
	}
	channels := []string{"online", "online", "direct", "postal"}
	levels := []string{"toan_trinh", "mot_phan"}
	batch := make([]facts.DossierWrite, 0, ingestDossierBatch)
	write := func(k int) {
		batch = batch[:0]
		for i := k * ingestDossierBatch; i < (k+1)*ingestDossierBatch; i++ {
			key := fmt.Sprintf("%s-%06d", prefix, i)
			r := ingestDay(i)
			status := 10
			switch i % 10 {
			case 0:
				status = 4
			case 1:
				status = 9
			}
			d := facts.Dossier{UnitCode: ingestUnits[i%len(ingestUnits)], MaHoSo: key, MaTTHC: fmt.Sprintf("1.%06d", 1+i%200),
				Channel: &channels[i%len(channels)], Status: &status, ReceivedAt: &r,
				InputDigitized: i%3 != 0, ResultElectronic: i%4 != 0, ReusedData: i%5 == 0, Source: "dvc"}
			if i%7 == 0 {
				d.ProcedureLevel = &levels[i%2]
			}
			if i%13 != 0 {
				due := r.Add(7 * 24 * time.Hour)
				d.DueAt = &due
			}
			if status != 4 {
				f := r.Add(time.Duration(i%9) * 24 * time.Hour)
				d.FinishedAt = &f
			}
			w := facts.DossierWrite{Dossier: d,
				Sighting: facts.DossierSighting{Source: "dvc", SourceKey: key, Raw: []byte(fmt.Sprintf(`{"MaHoSo":%q,"TrangThaiHoSo":"%d"}`, key, status))}}
			if i%31 == 0 { // a supplement request and its answer
				five, six := 5, 6
				w.Dossier.Supplements = 1
				w.Steps = []facts.DossierStep{{At: r.Add(24 * time.Hour), Status: &five, Actor: "Công chức một cửa"},
					{At: r.Add(72 * time.Hour), Status: &six, Actor: "Công chức một cửa"}}
			}
			batch = append(batch, w)
		}
		if err := run.UpsertDossiers(ctx, batch); err != nil {
			b.Fatal(err)
		}
		if err := run.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return write, func() { finishRun(b, run) }
}}

// documentLoad writes documents as edxml-dir does: UpsertDocument for each,
// Flush every ingestDocFlush.
var documentLoad = ingestLoad{name: "documents", size: ingestDocFlush, open: func(b *testing.B, st *warehouse.Store, prefix string) (func(int), func()) {
	ctx := context.Background()
	run, err := st.StartRun(ctx, "edxml-dir")
	if err != nil {
		b.Fatal(err)
	}
	types := []string{"cong_van", "quyet_dinh", "bao_cao", "ke_hoach", "thong_bao", "to_trinh", "giay_moi"}
	families := []string{"hanh_chinh", "hanh_chinh", "hanh_chinh", "qppl", "unknown"}
	relations := []string{"higher", "lower", "peer", "higher", ""}
	write := func(k int) {
		for i := k * ingestDocFlush; i < (k+1)*ingestDocFlush; i++ {
			on := ingestDay(i).Truncate(24 * time.Hour)
			d := facts.Document{UnitCode: ingestUnits[i%len(ingestUnits)], Direction: "out", DocKey: fmt.Sprintf("%s-%06d", prefix, i),
				DocType: types[i%len(types)], Family: families[i%len(families)], IsSecret: i%97 == 0, Medium: "electronic",
				IssuedOn: &on, EventOn: &on, CounterpartRelation: relations[i%len(relations)], CodeNumber: fmt.Sprint(i), CodeNotation: "UBND"}
			s := facts.Sighting{Source: "edxml-dir", SourceKey: fmt.Sprintf("%s/%06d.edxml", prefix, i), SeenAt: on.Add(10 * time.Hour)}
			if i%3 == 0 {
				d.Direction = "in"
				s.ReceivedAt, s.ReceivedBy = on.Add(9*time.Hour), facts.ReceivedByTrace
			}
			if i%5 == 0 {
				d.Medium = "paper"
			}
			if err := run.UpsertDocument(ctx, d, s); err != nil {
				b.Fatal(err)
			}
		}
		if err := run.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return write, func() { finishRun(b, run) }
}}

func finishRun(b *testing.B, run *warehouse.Run) {
	if err := run.Finish(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
}

// copyDirectory gives to the org directory and the procedure catalogue of
// from, so that an empty warehouse classifies the ingested records as the
// full one does.
func copyDirectory(b *testing.B, from, to *warehouse.Store) {
	b.Helper()
	for _, t := range []string{"org_units", "procedures"} {
		var rows string
		if err := from.DB.Get(&rows, `SELECT coalesce(json_agg(t), '[]')::text FROM `+t+` t`); err != nil {
			b.Fatal(err)
		}
		if _, err := to.DB.Exec(`INSERT INTO `+t+` SELECT * FROM json_populate_recordset(NULL::`+t+`, $1::json)`, rows); err != nil {
			b.Fatal(err)
		}
	}
}

// ingestFullVsEmpty writes ingestCount records of load into the full
// warehouse and into a fresh empty one with the same directory (newEmpty),
// one run in each, their batches interleaved (empty first, then full first,
// in turn) so that the load of the shared machine falls on both alike. The
// rate of each is a batch's records over its median batch time (a median:
// the other engineers' work comes in bursts that a sum would charge to
// whichever side ran then); the mean rates are reported too.
func ingestFullVsEmpty(b *testing.B, full *warehouse.Store, newEmpty func() *warehouse.Store, load ingestLoad) {
	empty := newEmpty()
	copyDirectory(b, full, empty)
	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	writeEmpty, finishEmpty := load.open(b, empty, "e"+tag)
	writeFull, finishFull := load.open(b, full, "f"+tag)
	var inEmpty, inFull []time.Duration
	timed := func(write func(int), k int, into *[]time.Duration) {
		t := time.Now()
		write(k)
		*into = append(*into, time.Since(t))
	}
	for k := range ingestCount / load.size {
		if k%2 == 0 {
			timed(writeEmpty, k, &inEmpty)
			timed(writeFull, k, &inFull)
		} else {
			timed(writeFull, k, &inFull)
			timed(writeEmpty, k, &inEmpty)
		}
	}
	finishEmpty()
	finishFull()
	re, rf := float64(load.size)/median(inEmpty).Seconds(), float64(load.size)/median(inFull).Seconds()
	b.ReportMetric(re, "empty-"+load.name+"/s")
	b.ReportMetric(rf, "full-"+load.name+"/s")
	b.ReportMetric(100*rf/re, "full-vs-empty-%")
	b.ReportMetric(100*sum(inEmpty).Seconds()/sum(inFull).Seconds(), "full-vs-empty-mean-%")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// BenchmarkProvince measures the provincial targets of issue 17 at
// CHISO_BENCH_COMMUNES communes (make bench; 100 = a province): the league
// table of a year (target < 1 s), one commune's report of a year (< 0.5 s),
// and the rate of writing dossiers into the full warehouse against an
// empty one (target ≥ 80 %, reported as full-vs-empty-%).
func BenchmarkProvince(b *testing.B) {
	st, n := provinceBenchWarehouse(b)
	ctx := context.Background()
	now := benchNow()
	b.Run(fmt.Sprintf("league-year-%d-communes", n), func(b *testing.B) {
		for b.Loop() {
			l, err := report.BuildLeague(ctx, st, report.LeagueOptions{Period: "2026", Unit: "000.00.00.H99", Now: now})
			if err != nil {
				b.Fatal(err)
			}
			if len(l.Members) != n {
				b.Fatalf("%d communes in the league, want %d", len(l.Members), n)
			}
		}
	})
	b.Run("report-one-commune-year", func(b *testing.B) {
		for b.Loop() {
			if _, err := report.Build(ctx, st, report.Options{Period: "2026", Unit: "000.001.31.H99", Now: now}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("coverage-gaps-one-commune-year", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.CoverageGaps(ctx, "000.001.31.H99", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("coverage-at-whole-warehouse", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Coverage(ctx, now, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ingest-dossiers-full-vs-empty", func(b *testing.B) {
		for b.Loop() {
			ingestFullVsEmpty(b, st, func() *warehouse.Store { return warehousetest.New(b) }, dossierLoad)
		}
	})
	b.Run("ingest-documents-full-vs-empty", func(b *testing.B) {
		for b.Loop() {
			ingestFullVsEmpty(b, st, func() *warehouse.Store { return warehousetest.New(b) }, documentLoad)
		}
	})
}

// benchNow is the clock of the province benchmark: CHISO_BENCH_NOW
// (RFC 3339), else 2 December 2026, inside the year (estimates, the
// year-end outlook and the coverage all computed).
func benchNow() time.Time {
	if t, err := time.Parse(time.RFC3339, os.Getenv("CHISO_BENCH_NOW")); err == nil {
		return t
	}
	return time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
}
