package web_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"chiso/report/web"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// benchProvince is the code of the province of benchStore: org.self of a
// provincial deployment, the communes under it.
const benchProvince = warehousetest.BenchProvince

// benchCommune is the code of commune c (1-based) of benchStore.
func benchCommune(c int) string { return fmt.Sprintf("000.%03d.31.H99", c) }

// benchStore generates a warehouse of communes communes under a province
// (org.self, level province; the communes internal units of level commune),
// each with three internal units and, over 2025–2026, the
// facts of a commune of the demo's size and more: 20,000 documents,
// 20,000 dossiers and 500 meetings. The units page bench (webui) uses it
// with 100 communes.
func benchStore(b *testing.B, communes int) *warehouse.Store {
	b.Helper()
	return benchStoreSized(b, communes, 20000, 500)
}

// benchStoreSized is benchStore with docs documents, docs dossiers and
// meetings meetings per commune. The province is level province and its
// communes level commune (the rows of the league table).
func benchStoreSized(b testing.TB, communes, docs, meetings int) *warehouse.Store {
	b.Helper()
	st := warehousetest.New(b)
	start := time.Now()
	n := communes
	stmts := warehousetest.BenchFacts(n, docs, meetings, true)
	// A sighting per fact and a run per commune, connector and month, as
	// real data has (the coverage reads them).
	stmts = append(stmts, warehousetest.BenchSightingsAndRuns(`SELECT code FROM org_units WHERE code LIKE '000.___.31.H99'`, time.Now())...)
	stmts = append(stmts, `ANALYZE`)
	for _, q := range stmts {
		if _, err := st.DB.Exec(q); err != nil {
			b.Fatalf("generate: %v\n%s", err, q)
		}
	}
	b.Logf("generated %d communes (%d documents, %d dossiers, %d meetings) in %s", n, n*docs, n*docs, n*meetings, time.Since(start).Round(time.Millisecond))
	return st
}

// benchCommunes is CHISO_BENCH_COMMUNES (default def).
func benchCommunes(b *testing.B, def int) int {
	if s := os.Getenv("CHISO_BENCH_COMMUNES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("CHISO_BENCH_COMMUNES=%q: want a positive integer", s)
		}
		return v
	}
	return def
}

// benchGet times GET path on ts: every answer must be 200.
func benchGet(b *testing.B, url string) {
	b.Helper()
	for b.Loop() {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n == 0 {
			b.Fatalf("%s: %s", url, resp.Status)
		}
	}
}

// BenchmarkOverview renders the overview of one commune for a year over
// real HTTP (report.Build, the 24 months of the charts, the template):
// goal < 200 ms per page. The warehouse holds 3 communes (one commune of
// the demo's size and more: 20,000 documents, 20,000 dossiers, 500
// meetings each); CHISO_BENCH_COMMUNES changes it.
func BenchmarkOverview(b *testing.B) {
	st := benchStore(b, benchCommunes(b, 3))
	ts := serve(b, st, web.Options{Open: true, Self: benchProvince})
	benchGet(b, ts.URL+"/?unit="+benchCommune(1)+"&period=2026")
}

// BenchmarkIndicatorPage renders an indicator page of one commune-year
// (the first page of its records).
func BenchmarkIndicatorPage(b *testing.B) {
	st := benchStore(b, benchCommunes(b, 3))
	ts := serve(b, st, web.Options{Open: true, Self: benchProvince})
	benchGet(b, ts.URL+"/chi-tieu/electronic_exchange_share?unit="+benchCommune(1)+"&period=2026")
}

// BenchmarkUnitsPage renders the units page of a province of 100 communes
// (CHISO_BENCH_COMMUNES), its communes side by side: goal < 1 s. Each
// commune has a tenth of BenchmarkOverview's facts (2,000 documents, 2,000
// dossiers, 50 meetings over 2025–2026), so that generating 100 stays
// within make bench's time; the page's cost is in the number of units.
func BenchmarkUnitsPage(b *testing.B) {
	st := benchStoreSized(b, benchCommunes(b, 100), 2000, 50)
	ts := serve(b, st, web.Options{Open: true, Self: benchProvince})
	benchGet(b, ts.URL+"/don-vi?unit="+benchProvince+"&period=2026")
}

// BenchmarkLeaguePage renders the league page (So sánh các xã) of a
// province of 100 communes (CHISO_BENCH_COMMUNES) with BenchmarkUnitsPage's
// facts: report.BuildLeague and the template (issue 17's league table of a
// year: goal < 1 s).
func BenchmarkLeaguePage(b *testing.B) {
	st := benchStoreSized(b, benchCommunes(b, 100), 2000, 50)
	ts := serve(b, st, web.Options{Open: true, Self: benchProvince})
	benchGet(b, ts.URL+"/so-sanh?unit="+benchProvince+"&period=2026&sort=-dossier_full_online_share")
}
