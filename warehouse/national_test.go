package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/warehouse"
)

// startCluster starts an embedded cluster of its own under a temporary
// folder, with wal_level as given, and returns it with a migrated store.
func startNationalCluster(t *testing.T, port int, walLevel string) (*warehouse.Embedded, *warehouse.Store) {
	t.Helper()
	ctx := context.Background()
	d, err := os.MkdirTemp("", "chiso-nat-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func() *warehouse.Embedded {
		e, err := warehouse.StartEmbedded(ctx, d, warehouse.EmbeddedOptions{Exclusive: true, Fast: true, Port: port})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := start()
	if walLevel != "" {
		db, err := sql.Open("postgres", e.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`ALTER SYSTEM SET wal_level = ` + walLevel); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := e.Stop(); err != nil {
			t.Fatal(err)
		}
		e = start()
	}
	t.Cleanup(func() { e.Stop(); os.RemoveAll(d) })
	if err := e.EnsureDatabase(ctx, "chiso"); err != nil {
		t.Fatal(err)
	}
	st, err := warehouse.Open(ctx, e.DSN("chiso"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return e, st
}

// conninfo is how the national server reaches a province's cluster: its
// socket, the owner role and its password (the server process cannot read
// the test's pgpass file).
func conninfo(t *testing.T, e *warehouse.Embedded) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.DataDir, warehouse.OwnerPassFile))
	if err != nil {
		t.Fatal(err)
	}
	var pw string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) == 5 && f[3] == "chiso" {
			pw = f[4]
		}
	}
	if pw == "" {
		t.Fatal("no owner password")
	}
	return fmt.Sprintf("host=%s port=%d user=chiso password=%s dbname=chiso sslmode=disable", e.SockDir, e.Port, pw)
}

// loadProvince writes a province (self) with three communes and two units
// each, and documents, dossiers and meetings over 2025–2026, with SQL.
func loadProvince(t *testing.T, st *warehouse.Store, code string, seed int) {
	t.Helper()
	p := "000.00.00." + code
	stmts := []string{
		fmt.Sprintf(`INSERT INTO org_units (code, name, relation, level) VALUES ('%s', 'Tỉnh %s', 'self', 'province')`, p, code),
		// a unit every province lists (not published: relation higher)
		`INSERT INTO org_units (code, name, relation) VALUES ('000.00.00.G01', 'Bộ Nội vụ', 'higher')`,
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation, level)
		  SELECT format('000.%%s.31.%s', lpad(c::text, 2, '0')), 'Xã ' || c, '%s', 'internal', 'commune' FROM generate_series(1, 3) c`, code, p),
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation)
		  SELECT format('%%s.%%s.31.%s', lpad(u::text, 3, '0'), lpad(c::text, 2, '0')), 'Đơn vị ' || u, format('000.%%s.31.%s', lpad(c::text, 2, '0')), 'internal'
		  FROM generate_series(1, 3) c, generate_series(1, 2) u`, code, code),
		// every province has its own catalogue (not published)
		`INSERT INTO procedures (ma_tthc, level, requires_result, max_days)
		  SELECT '1.' || lpad(p::text, 6, '0'), CASE WHEN p % 3 = 0 THEN 'mot_phan' ELSE 'toan_trinh' END, true, 5 FROM generate_series(1, 20) p`,
		// a commune's own target (published; the common ones, seeded by the migrations, are not)
		fmt.Sprintf(`INSERT INTO kpi_targets (year, unit_code, indicator, op, target) VALUES (2026, '000.01.31.%s', 'dossier_full_online_share', '>=', 60)`, code),
		fmt.Sprintf(`INSERT INTO documents (unit_code, direction, doc_key, doc_type, family, is_secret, medium, issued_on, event_on, counterpart_relation)
		  SELECT format('%%s.%%s.31.%s', lpad((i %% 3)::text, 3, '0'), lpad((1 + i %% 3)::text, 2, '0')),
		         CASE WHEN i %% 3 = 0 THEN 'in' ELSE 'out' END, '%s-k' || i, 'cong_van', 'hanh_chinh', false,
		         CASE WHEN i %% (4 + %d) = 0 THEN 'paper' ELSE 'electronic' END,
		         DATE '2025-01-01' + (i * 7919 %% 730), DATE '2025-01-01' + (i * 7919 %% 730), (ARRAY['higher','lower',NULL])[1 + i %% 3]
		  FROM generate_series(1, 3000) i`, code, code, seed),
		fmt.Sprintf(`INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, due_at, finished_at, result_method,
		         input_digitized, result_electronic, reused_data, supplements)
		  SELECT format('%%s.%%s.31.%s', lpad((i %% 3)::text, 3, '0'), lpad((1 + i %% 3)::text, 2, '0')), '%s-h' || i,
		         '1.' || lpad((1 + i %% 20)::text, 6, '0'), (ARRAY['online','online','direct'])[1 + (i + %d) %% 3],
		         CASE WHEN i %% 10 = 0 THEN 4 ELSE 10 END, r, r + interval '7 days',
		         CASE WHEN i %% 10 = 0 THEN NULL ELSE r + (i %% 9) * interval '1 day' END, 'counter',
		         i %% 3 <> 0, i %% 4 <> 0, false, 0
		  FROM generate_series(1, 3000) i, LATERAL (SELECT TIMESTAMPTZ '2025-01-01 08:00+07' + (i * 7919 %% 730) * interval '1 day' AS r) x`, code, code, seed),
		fmt.Sprintf(`INSERT INTO meetings (unit_code, source, uid, kind, organized_by_self, starts_at, ends_at, sessions, online, paperless, total_minutes, cancelled)
		  SELECT format('000.%%s.31.%s', lpad((1 + i %% 3)::text, 2, '0')), 'cal', '%s-m' || i, 'giao-ban', true, s, s + interval '2 hours', 1,
		         (i + %d) %% 2 = 0, false, 120, false
		  FROM generate_series(1, 300) i, LATERAL (SELECT TIMESTAMPTZ '2025-01-01 08:00+07' + (i * 7919 %% 730) * interval '1 day' AS s) x`, code, code, seed),
	}
	for _, q := range stmts {
		if _, err := st.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v\n%s", code, err, q)
		}
	}
}

// kpiRows is the kpi view of 2026 and 2026-H1 and the coverage's monthly
// counts, one line per row, sorted.
func kpiRows(t *testing.T, st *warehouse.Store, units string) []string {
	t.Helper()
	var out []string
	err := st.DB.Select(&out, `
		SELECT concat_ws('|', period, unit_code, indicator, numerator, denominator, missing, value, op, target, met)
		FROM kpi WHERE period IN ('2026', '2026-H1') AND unit_code LIKE $1
		UNION ALL  -- the coverage's monthly counts travel as rows too
		SELECT concat_ws('|', 'coverage_counts', fact, unit_code, source, month, n) FROM coverage_counts WHERE unit_code LIKE $1
		ORDER BY 1`, units)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitEqual polls until the national kpi equals the two provinces' kpi
// (replication is asynchronous) or a minute has passed.
func waitEqual(t *testing.T, what string, nat *warehouse.Store, provs ...*warehouse.Store) {
	t.Helper()
	var want []string
	for _, p := range provs {
		want = append(want, kpiRows(t, p, "%")...)
	}
	var got []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = kpiRows(t, nat, "%")
		if strings.Join(got, "\n") == strings.Join(sortStrings(want), "\n") {
			return
		}
	}
	t.Fatalf("%s: national kpi (%d rows) differs from the provinces' (%d rows): first difference %s", what, len(got), len(want), firstDiff(got, sortStrings(want)))
}

// coverageRows are the coverage of every root of st as of the test's
// day, a line each, sorted.
func coverageRows(t *testing.T, st *warehouse.Store) []string {
	t.Helper()
	var rows []string
	if err := st.DB.Select(&rows, `SELECT concat_ws('|', fact, unit_code, source, month, seen, expected, run_covered, status, reason, confirmed_by)
		FROM coverage_at('2026-12-02 10:00+07')`); err != nil {
		t.Fatal(err)
	}
	return sortStrings(rows)
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("national %q, provinces %q", a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

// Two provinces → the national warehouse by logical replication: after
// the initial copy, and after inserts, updates and deletes in both, the
// national kpi is the two provinces' kpi, row for row (every province's
// units and roll-ups), and the country's totals their sums.
func TestNationalReplication(t *testing.T) {
	ctx := context.Background()
	ea, pa := startNationalCluster(t, 55441, "logical")
	eb, pb := startNationalCluster(t, 55442, "logical")
	_, nat := startNationalCluster(t, 55443, "")
	loadProvince(t, pa, "H01", 0)
	loadProvince(t, pb, "H02", 1)
	for _, p := range []*warehouse.Store{pa, pb} {
		if err := p.PublishNational(ctx); err != nil {
			t.Fatal(err)
		}
		// Idempotent: publishing again keeps the publication.
		if err := p.PublishNational(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := nat.SubscribeNational(ctx, "tinh_h01", conninfo(t, ea)); err != nil {
		t.Fatal(err)
	}
	if err := nat.SubscribeNational(ctx, "tinh_h02", conninfo(t, eb)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range []string{"tinh_h01", "tinh_h02"} {
			nat.DB.Exec(`DROP SUBSCRIPTION IF EXISTS ` + s)
		}
	})
	if err := nat.SubscribeNational(ctx, "Tỉnh; DROP", "x"); err == nil {
		t.Error("a subscription name that is not an identifier was accepted")
	}
	waitEqual(t, "initial copy", nat, pa, pb)

	// The country's totals are the sums of the two provinces'.
	sum := func(st *warehouse.Store, q string) [2]int64 {
		var n [2]int64
		if err := st.DB.QueryRow(q).Scan(&n[0], &n[1]); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const totals = `SELECT coalesce(sum(numerator), 0), coalesce(sum(denominator), 0) FROM kpi
		WHERE period = '2026' AND indicator = 'dossier_full_online_share' AND unit_code IN (SELECT code FROM org_units WHERE relation = 'self')`
	a, b, n := sum(pa, totals), sum(pb, totals), sum(nat, totals)
	if n[0] != a[0]+b[0] || n[1] != a[1]+b[1] || n[1] == 0 {
		t.Errorf("national %v, provinces %v + %v", n, a, b)
	}

	// Changes in both provinces: new facts, updates, deletes, a new unit,
	// a commune's target changed.
	for _, c := range []struct {
		st *warehouse.Store
		q  string
	}{
		{pa, `INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, result_electronic)
		      SELECT '000.01.31.H01', 'H01-new' || i, '1.000001', 'online', 2, TIMESTAMPTZ '2026-03-02 08:00+07', true FROM generate_series(1, 50) i`},
		{pa, `UPDATE dossiers SET channel = 'direct' WHERE unit_code = '001.02.31.H01' AND received_at >= '2026-01-01'`},
		{pa, `DELETE FROM documents WHERE unit_code = '000.01.31.H01' AND issued_on >= '2026-01-01'`},
		{pa, `UPDATE kpi_targets SET target = 70 WHERE unit_code = '000.01.31.H01'`},
		{pb, `DELETE FROM dossiers WHERE unit_code LIKE '%.03.31.H02' AND ma_ho_so LIKE '%0'`},
		{pb, `UPDATE meetings SET online = NOT online WHERE unit_code = '000.02.31.H02'`},
		{pb, `INSERT INTO org_units (code, name, parent_code, relation) VALUES ('003.01.31.H02', 'Đơn vị mới', '000.01.31.H02', 'internal')`},
		{pb, `UPDATE documents SET unit_code = '003.01.31.H02' WHERE unit_code = '001.01.31.H02' AND doc_key LIKE '%7'`},
		// a run and a confirmation travel too (the coverage's inputs)
		{pa, `INSERT INTO sync_runs (commune, connector, status, started_at, finished_at)
		      VALUES ('000.01.31.H01', 'cal', 'ok', '2026-11-30 10:00+07', '2026-11-30 10:05+07')`},
		{pb, `INSERT INTO coverage_confirmations (commune, connector, month, note, confirmed_by)
		      VALUES ('000.02.31.H02', 'cal', '2026-10-01', 'lịch họp tháng 10 đúng là ít', 'can_bo_vp')`},
	} {
		if _, err := c.st.DB.Exec(c.q); err != nil {
			t.Fatalf("%v\n%s", err, c.q)
		}
	}
	waitEqual(t, "after updates and deletes", nat, pa, pb)
	a, b, n = sum(pa, totals), sum(pb, totals), sum(nat, totals)
	if n[0] != a[0]+b[0] || n[1] != a[1]+b[1] {
		t.Errorf("after changes: national %v, provinces %v + %v", n, a, b)
	}

	// The national coverage is the provinces' coverage, row for row: the
	// counts, the runs behind run_covered and the confirmations travel.
	covA, covB, covN := coverageRows(t, pa), coverageRows(t, pb), coverageRows(t, nat)
	if want := sortStrings(append(covA, covB...)); strings.Join(covN, "\n") != strings.Join(want, "\n") {
		t.Errorf("national coverage (%d rows) differs from the provinces' (%d rows): first difference %s", len(covN), len(want), firstDiff(covN, want))
	}
	var covered, confirmed int
	if err := nat.DB.QueryRow(`SELECT count(*) FILTER (WHERE run_covered), count(*) FILTER (WHERE confirmed_by IS NOT NULL)
		FROM coverage_at('2026-12-02 10:00+07')`).Scan(&covered, &confirmed); err != nil {
		t.Fatal(err)
	}
	if covered == 0 || confirmed != 1 {
		t.Errorf("national coverage: %d months covered by a run, %d confirmed; want some and 1", covered, confirmed)
	}

	// What is not published stays home: a run of a writer scoped to no
	// commune (it would speak for every province's communes), the
	// catalogue, the higher unit every province lists. The dossier
	// inserted after the run shows when pb's later changes have arrived.
	for _, q := range []string{
		`INSERT INTO sync_runs (commune, connector, status, started_at, finished_at)
		 VALUES ('', 'cal', 'ok', '2026-11-30 10:00+07', '2026-11-30 10:05+07')`,
		`INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, result_electronic)
		 VALUES ('000.01.31.H02', 'H02-after-run', '1.000001', 'online', 2, TIMESTAMPTZ '2026-03-03 08:00+07', true)`,
	} {
		if _, err := pb.DB.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	waitEqual(t, "after an unscoped run", nat, pa, pb)
	var higher, procs int
	if err := nat.DB.QueryRow(`SELECT (SELECT count(*) FROM org_units WHERE relation = 'higher'), (SELECT count(*) FROM procedures)`).Scan(&higher, &procs); err != nil {
		t.Fatal(err)
	}
	if higher != 0 || procs != 0 {
		t.Errorf("national has %d higher units and %d procedures, want none", higher, procs)
	}
	var unscoped int
	if err := nat.DB.QueryRow(`SELECT count(*) FROM sync_runs WHERE commune = ''`).Scan(&unscoped); err != nil {
		t.Fatal(err)
	}
	if unscoped != 0 {
		t.Errorf("national has %d runs of no commune, want none", unscoped)
	}
}
