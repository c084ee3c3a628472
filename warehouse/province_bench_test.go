package warehouse_test

import (
	"context"
	"fmt"
	"os"
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

// ingestDossiers writes count dossiers of unit through the batch writer
// (one run, batches of 1,000 as the dvc writer does) and returns the rate
// in dossiers per second.
func ingestDossiers(b *testing.B, st *warehouse.Store, unit, prefix string, count int) float64 {
	b.Helper()
	ctx := context.Background()
	online, level, status := "online", "toan_trinh", 10
	run, err := st.StartRun(ctx, "bench-ingest")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var batch []facts.DossierWrite
	for i := 0; i < count; i++ {
		r := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i%300) * 24 * time.Hour)
		f := r.Add(48 * time.Hour)
		batch = append(batch, facts.DossierWrite{
			Dossier: facts.Dossier{UnitCode: unit, MaHoSo: fmt.Sprintf("%s-%d", prefix, i), MaTTHC: "1.000001", ProcedureLevel: &level,
				Channel: &online, Status: &status, ReceivedAt: &r, FinishedAt: &f, ResultElectronic: i%3 != 0, Source: "bench"},
			Sighting: facts.DossierSighting{Source: "bench", SourceKey: "k"},
		})
		if len(batch) == 1000 {
			if err := run.UpsertDossiers(ctx, batch); err != nil {
				b.Fatal(err)
			}
			if err := run.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := run.UpsertDossiers(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := run.Finish(ctx, nil); err != nil {
		b.Fatal(err)
	}
	return float64(count) / time.Since(start).Seconds()
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
	b.Run("ingest-full-vs-empty", func(b *testing.B) {
		const count = 20000
		empty := warehousetest.New(b)
		if _, err := empty.DB.Exec(`INSERT INTO org_units (code, name, relation) VALUES ('000.001.31.H99', 'Xã 1', 'self')`); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			re := ingestDossiers(b, empty, "000.001.31.H99", fmt.Sprintf("e%d", time.Now().UnixNano()), count)
			rf := ingestDossiers(b, st, "000.001.31.H99", fmt.Sprintf("f%d", time.Now().UnixNano()), count)
			b.ReportMetric(re, "empty-dossiers/s")
			b.ReportMetric(rf, "full-dossiers/s")
			b.ReportMetric(100*rf/re, "full-vs-empty-%")
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
