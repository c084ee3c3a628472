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
const benchProvince = "000.00.00.H99"

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
	stmts := []string{
		`INSERT INTO org_units (code, name, parent_code, relation, level) VALUES ('` + benchProvince + `', 'UBND tỉnh', NULL, 'self', 'province')`,
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation, level)
		 SELECT format('000.%%s.31.H99', lpad(c::text, 3, '0')), 'UBND xã ' || c, '%s', 'internal', 'commune' FROM generate_series(1, %d) c`, benchProvince, n),
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation)
		 SELECT format('%%s.%%s.31.H99', lpad(u::text, 3, '0'), lpad(c::text, 3, '0')), 'Đơn vị ' || u || ' xã ' || c,
		        format('000.%%s.31.H99', lpad(c::text, 3, '0')), 'internal'
		 FROM generate_series(1, %d) c, generate_series(1, 3) u`, n),
		`INSERT INTO procedures (ma_tthc, level, requires_result, max_days)
		 SELECT '1.' || lpad(p::text, 6, '0'), CASE WHEN p % 3 = 0 THEN 'mot_phan' ELSE 'toan_trinh' END, p % 7 <> 0, 5 + p % 10
		 FROM generate_series(1, 200) p`,
		fmt.Sprintf(`INSERT INTO documents (unit_code, direction, doc_key, doc_type, family, is_secret, medium, issued_on, event_on, counterpart_relation)
		 SELECT format('%%s.%%s.31.H99', lpad((i %% 4)::text, 3, '0'), lpad((1 + i %% %d)::text, 3, '0')),
		        CASE WHEN i %% 3 = 0 THEN 'in' ELSE 'out' END, 'k' || i,
		        (ARRAY['cong_van','quyet_dinh','bao_cao','ke_hoach','thong_bao','to_trinh','giay_moi'])[1 + i %% 7],
		        (ARRAY['hanh_chinh','hanh_chinh','hanh_chinh','hanh_chinh','qppl','unknown'])[1 + i %% 6],
		        i %% 97 = 0, CASE WHEN i %% 5 = 0 THEN 'paper' ELSE 'electronic' END,
		        DATE '2025-01-01' + (i::bigint * 7919 %% 730)::int, DATE '2025-01-01' + (i::bigint * 7919 %% 730)::int,
		        (ARRAY['higher','lower','peer','higher',NULL])[1 + i %% 5]
		 FROM generate_series(1, %d) i`, n, n*docs),
		fmt.Sprintf(`INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, due_at, finished_at, result_method,
		        input_digitized, result_electronic, reused_data, supplements)
		 SELECT format('%%s.%%s.31.H99', lpad((i %% 4)::text, 3, '0'), lpad((1 + i %% %d)::text, 3, '0')), 'h' || i,
		        '1.' || lpad((1 + i %% 210)::text, 6, '0'),
		        (ARRAY['online','online','direct','postal',NULL])[1 + i %% 5],
		        CASE WHEN i %% 10 = 0 THEN 4 WHEN i %% 10 = 1 THEN 9 ELSE 10 END,
		        r, CASE WHEN i %% 13 = 0 THEN NULL ELSE r + interval '7 days' END,
		        CASE WHEN i %% 10 = 0 THEN NULL ELSE r + (i %% 9) * interval '1 day' END,
		        CASE WHEN i %% 4 = 0 THEN 'postal' ELSE 'counter' END,
		        i %% 3 <> 0, i %% 4 <> 0, i %% 5 = 0, (i %% 31 = 0)::int * 2
		 FROM generate_series(1, %d) i, LATERAL (SELECT TIMESTAMPTZ '2025-01-01 08:00+07' + (i::bigint * 7919 %% 730)::int * interval '1 day' + (i %% 9) * interval '1 hour' AS r) x`, n, n*docs),
		fmt.Sprintf(`INSERT INTO meetings (unit_code, source, uid, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless,
		        materials_sent_at, discussion_minutes, total_minutes, cancelled)
		 SELECT format('%%s.%%s.31.H99', lpad((i %% 4)::text, 3, '0'), lpad((1 + i %% %d)::text, 3, '0')), 'cal', 'm' || i,
		        (ARRAY['giao-ban','chuyen-mon','quan-triet','tap-huan','khac',''])[1 + i %% 6], CASE WHEN i %% 50 = 0 THEN 'toan-xa' END,
		        i %% 11 <> 0, s, s + interval '3 hours', 1 + i %% 3, i %% 2 = 0, i %% 3 = 0,
		        CASE WHEN i %% 4 = 0 THEN NULL ELSE s - (i %% 3) * interval '1 day' END, CASE WHEN i %% 5 = 0 THEN NULL ELSE 100 + i %% 80 END, 180, i %% 17 = 0
		 FROM generate_series(1, %d) i, LATERAL (SELECT TIMESTAMPTZ '2025-01-01 08:00+07' + (i::bigint * 7919 %% 730)::int * interval '1 day' AS s) x`, n, n*meetings),
	}
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
