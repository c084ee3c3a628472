package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// partitionedFacts are the fact tables partitioned by year in
// BenchmarkPartition, with the year each is keyed by: the date its
// indicators count a record on (a dossier's Vietnam reception date, a
// document's event date, which is the issue date of an outgoing one, a
// meeting's Vietnam start), 0 when it has none. A partitioned table's
// primary key must hold the partition key, so yr joins each fact key.
var partitionedFacts = []struct{ table, key, year string }{
	{"documents", "unit_code, direction, doc_key", `COALESCE(extract(year FROM event_on), 0)`},
	{"dossiers", "unit_code, ma_ho_so", `COALESCE(extract(year FROM received_at AT TIME ZONE 'Asia/Ho_Chi_Minh'), 0)`},
	{"meetings", "unit_code, source, uid", `COALESCE(extract(year FROM starts_at AT TIME ZONE 'Asia/Ho_Chi_Minh'), 0)`},
}

// cloneDatabase copies st's database (CREATE DATABASE … TEMPLATE, a file
// copy: no second generation) and returns a store on the copy, dropped at
// the end; st's connections are closed for the copy and st is reopened.
func cloneDatabase(b *testing.B, st *warehouse.Store) (*warehouse.Store, *warehouse.Store) {
	b.Helper()
	ctx := context.Background()
	var name string
	if err := st.DB.Get(&name, `SELECT current_database()`); err != nil {
		b.Fatal(err)
	}
	st.Close()
	c := warehousetest.Cluster(b)
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	clone := name + "_part"
	if _, err := admin.Exec(`CREATE DATABASE "` + clone + `" TEMPLATE "` + name + `"`); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if a, err := sql.Open("postgres", c.DSN("postgres")); err == nil {
			_, _ = a.Exec(`DROP DATABASE IF EXISTS "` + clone + `" WITH (FORCE)`)
			a.Close()
		}
	})
	flat, err := warehouse.Open(ctx, c.DSN(name))
	if err != nil {
		b.Fatal(err)
	}
	part, err := warehouse.Open(ctx, c.DSN(clone))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { flat.Close(); part.Close() })
	return flat, part
}

// partitionFacts turns the fact tables of st into tables partitioned by
// year (2025, 2026 and a default partition), with the same columns plus yr,
// the same indexes (yr added to the primary key) and the same rows, then
// applies the kpi SQL again (its functions take the tables' row types)
// and rebuilds the summaries.
func partitionFacts(b *testing.B, st *warehouse.Store) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	exec := func(q string) {
		if _, err := st.DB.ExecContext(ctx, q); err != nil {
			b.Fatalf("partition: %v\n%s", err, q)
		}
	}
	exec(`SELECT chiso_drop_kpi_objects()`)
	for _, f := range partitionedFacts {
		var indexes []string
		if err := st.DB.Select(&indexes, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1
			AND indexname <> $1 || '_pkey' ORDER BY indexname`, f.table); err != nil {
			b.Fatal(err)
		}
		flat := f.table + "_flat"
		exec(`ALTER TABLE ` + f.table + ` RENAME TO ` + flat)
		exec(`CREATE TABLE ` + f.table + ` (LIKE ` + flat + ` INCLUDING DEFAULTS INCLUDING CONSTRAINTS, yr smallint NOT NULL DEFAULT 0) PARTITION BY LIST (yr)`)
		for _, y := range []string{"2025", "2026"} {
			exec(fmt.Sprintf(`CREATE TABLE %s_%s PARTITION OF %s FOR VALUES IN (%s)`, f.table, y, f.table, y))
		}
		exec(fmt.Sprintf(`CREATE TABLE %s_other PARTITION OF %s DEFAULT`, f.table, f.table))
		exec(fmt.Sprintf(`INSERT INTO %s SELECT t.*, %s FROM %s t`, f.table, f.year, flat))
		exec(fmt.Sprintf(`DROP TABLE %s CASCADE`, flat))
		exec(fmt.Sprintf(`ALTER TABLE %s ADD PRIMARY KEY (%s, yr)`, f.table, f.key))
		for _, def := range indexes {
			// "CREATE INDEX name ON public.table USING …": the name is free again.
			exec(strings.Replace(def, " ON public."+flat+" ", " ON public."+f.table+" ", 1))
		}
	}
	exec(`DELETE FROM kpi_sql_applied`)
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	exec(`ANALYZE`)
	b.Logf("partitioned documents, dossiers and meetings by year in %s", time.Since(start).Round(time.Millisecond))
}

// ingestSQL writes count dossiers of commune 1 in statements of
// ingestDossierBatch rows (each its own transaction, with the summary
// triggers), keyed as the table is: with yr in the conflict target when
// partitioned. It is the dossiers writer's statement reduced to its
// columns that the kpi reads: the writer itself cannot write a partitioned
// table (its ON CONFLICT names the fact key, which no longer has a unique
// index of its own). It returns the time of each statement.
func ingestSQL(b *testing.B, st *warehouse.Store, partitioned bool, prefix string, k int) time.Duration {
	b.Helper()
	cols, vals, key := "", "", "unit_code, ma_ho_so"
	if partitioned {
		cols, vals, key = ", yr", ", extract(year FROM r AT TIME ZONE 'Asia/Ho_Chi_Minh')", key+", yr"
	}
	q := fmt.Sprintf(`INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, due_at, finished_at,
	        input_digitized, result_electronic, reused_data%s)
	 SELECT format('%%s.001.31.H99', lpad((i %% 4)::text, 3, '0')), '%s-' || i, '1.' || lpad((1 + i %% 200)::text, 6, '0'),
	        (ARRAY['online','online','direct','postal'])[1 + i %% 4],
	        CASE WHEN i %% 10 = 0 THEN 4 WHEN i %% 10 = 1 THEN 9 ELSE 10 END,
	        r, CASE WHEN i %% 13 = 0 THEN NULL ELSE r + interval '7 days' END,
	        CASE WHEN i %% 10 = 0 THEN NULL ELSE r + (i %% 9) * interval '1 day' END,
	        i %% 3 <> 0, i %% 4 <> 0, i %% 5 = 0%s
	 FROM generate_series($1::int, $2::int) i,
	      LATERAL (SELECT TIMESTAMPTZ '2026-01-01 08:00+07' + (i::bigint * 7919 %% 334)::int * interval '1 day' + (i %% 9) * interval '1 hour' AS r) x
	 ON CONFLICT (%s) DO UPDATE SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at`, cols, prefix, vals, key)
	t := time.Now()
	if _, err := st.DB.Exec(q, k*ingestDossierBatch, (k+1)*ingestDossierBatch-1); err != nil {
		b.Fatal(err)
	}
	return time.Since(t)
}

// BenchmarkPartition measures partitioning the fact tables by year (issue
// 17, architecture.md): the same province-scale warehouse (CHISO_BENCH_COMMUNES,
// 100 = a province) as it is and with documents, dossiers and meetings
// partitioned by year, side by side: a commune's report of the current
// year, the league table of the year, the rebuild of the per-day summaries
// and the ingest of a commune's 20,000 dossiers (interleaved batches). Each
// sub-benchmark reports flat and partitioned and their ratio (partitioned
// time over flat time, %: below 100 partitioning helps).
func BenchmarkPartition(b *testing.B) {
	st, n := provinceBenchWarehouse(b)
	flat, part := cloneDatabase(b, st)
	partitionFacts(b, part)
	ctx := context.Background()
	now := benchNow()
	compare := func(b *testing.B, unit string, run func(st *warehouse.Store, partitioned bool) time.Duration) {
		var f, p time.Duration
		for range 3 { // alternated, best of three: the machine is shared
			tf := run(flat, false)
			tp := run(part, true)
			if f == 0 || tf < f {
				f = tf
			}
			if p == 0 || tp < p {
				p = tp
			}
		}
		b.ReportMetric(f.Seconds(), "flat-"+unit)
		b.ReportMetric(p.Seconds(), "partitioned-"+unit)
		b.ReportMetric(100*p.Seconds()/f.Seconds(), "partitioned-vs-flat-%")
	}
	b.Run("report-one-commune-year", func(b *testing.B) {
		opts := report.Options{Period: "2026", Unit: "000.001.31.H99", Now: now}
		rf, err := report.Build(ctx, flat, opts)
		if err != nil {
			b.Fatal(err)
		}
		rp, err := report.Build(ctx, part, opts)
		if err != nil {
			b.Fatal(err)
		}
		if !reflect.DeepEqual(rf, rp) {
			b.Fatalf("the partitioned warehouse's report differs:\n%+v\n%+v", rf, rp)
		}
		for b.Loop() {
			compare(b, "s", func(st *warehouse.Store, _ bool) time.Duration {
				t := time.Now()
				if _, err := report.Build(ctx, st, report.Options{Period: "2026", Unit: "000.001.31.H99", Now: now}); err != nil {
					b.Fatal(err)
				}
				return time.Since(t)
			})
		}
	})
	b.Run(fmt.Sprintf("league-year-%d-communes", n), func(b *testing.B) {
		for b.Loop() {
			compare(b, "s", func(st *warehouse.Store, _ bool) time.Duration {
				t := time.Now()
				if _, err := report.BuildLeague(ctx, st, report.LeagueOptions{Period: "2026", Unit: "000.00.00.H99", Now: now}); err != nil {
					b.Fatal(err)
				}
				return time.Since(t)
			})
		}
	})
	b.Run("summaries-rebuild", func(b *testing.B) {
		for b.Loop() {
			var f, p time.Duration
			for _, s := range []struct {
				st   *warehouse.Store
				into *time.Duration
			}{{flat, &f}, {part, &p}} {
				t := time.Now()
				if _, err := s.st.DB.ExecContext(ctx, `SELECT kpi_rebuild_day_summaries(true, true, true)`); err != nil {
					b.Fatal(err)
				}
				*s.into = time.Since(t)
			}
			b.ReportMetric(f.Seconds(), "flat-s")
			b.ReportMetric(p.Seconds(), "partitioned-s")
			b.ReportMetric(100*p.Seconds()/f.Seconds(), "partitioned-vs-flat-%")
		}
	})
	b.Run("ingest-dossiers", func(b *testing.B) {
		for b.Loop() {
			tag := fmt.Sprintf("p%d", time.Now().UnixNano())
			var f, p []time.Duration
			for k := range ingestCount / ingestDossierBatch {
				if k%2 == 0 {
					f = append(f, ingestSQL(b, flat, false, tag, k))
					p = append(p, ingestSQL(b, part, true, tag, k))
				} else {
					p = append(p, ingestSQL(b, part, true, tag, k))
					f = append(f, ingestSQL(b, flat, false, tag, k))
				}
			}
			rf, rp := ingestDossierBatch/median(f).Seconds(), ingestDossierBatch/median(p).Seconds()
			b.ReportMetric(rf, "flat-dossiers/s")
			b.ReportMetric(rp, "partitioned-dossiers/s")
			b.ReportMetric(100*rp/rf, "partitioned-vs-flat-rate-%")
		}
	})
}
