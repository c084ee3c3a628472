package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// coverage_poisson_below against hand-computed Poisson probabilities.
func TestCoveragePoisson(t *testing.T) {
	st := warehousetest.New(t)
	for _, c := range []struct {
		k      int
		lambda float64
		want   float64
	}{
		{0, 8, math.Exp(-8)},                  // an empty month of a calendar of 8 a month
		{2, 5, math.Exp(-5) * (1 + 5 + 12.5)}, // 0.1247: a quiet month of a small source
		{1, 9.5, math.Exp(-9.5) * 10.5},       // 0.000786
		{3, 0, 1},                             // nothing expected
		{5, 5, 0.6159606548330632},            // the median month
		{400, 1000, 0},                        // far below a large source: underflows to 0, no error
		{30, 1.5, 1},                          // far above: capped at 1
		{39, 80, 2.808721626042063e-07},       // under half of a large month
	} {
		var got float64
		if err := st.DB.Get(&got, `SELECT coverage_poisson_below($1, $2)`, c.k, c.lambda); err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-6*math.Max(c.want, 1e-3) {
			t.Errorf("P(X <= %d | %v) = %g, want %g", c.k, c.lambda, got, c.want)
		}
	}
}

// The coverage of one calendar source, month by month, as of 15 July 2026:
// each case has a source of per meetings a month from January 2025 but
// its empty months, its runs and more SQL, and checks the status and
// reason of the months it names (no other month may be a gap).
func TestCoverageMonths(t *testing.T) {
	at := time.Date(2026, 7, 15, 10, 0, 0, 0, vntime.Location)
	type want struct{ status, reason string }
	cases := []struct {
		name   string
		per    int      // meetings a month, every month 2025-01..2026-07
		empty  []string // months without a meeting
		runs   []string // SQL values (connector, started, finished, status, window_from, window_to)
		sql    string   // more statements
		months map[string]want
	}{
		{name: "steady", per: 10, runs: []string{`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'ok', NULL, NULL)`},
			months: map[string]want{"2025-01": {"ok", ""}, "2026-02": {"ok", ""}, "2026-06": {"ok", ""}, "2026-07": {"open", ""}}},
		{name: "empty month", per: 10, empty: []string{"2026-05"}, runs: []string{`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'ok', NULL, NULL)`},
			months: map[string]want{"2026-04": {"ok", ""}, "2026-05": {"gap", "low"}, "2026-06": {"ok", ""}}},
		{name: "first months have no history", per: 10, empty: []string{"2025-02"}, runs: []string{`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'ok', NULL, NULL)`},
			months: map[string]want{"2025-02": {"ok", ""}, "2026-02": {"ok", ""}}},
		{name: "small source: a quiet month is not a gap", per: 2, empty: []string{"2026-03"}, runs: []string{`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'partial', NULL, NULL)`},
			months: map[string]want{"2026-03": {"ok", ""}}},
		{name: "no success since April", per: 10, runs: []string{
			`('lich', '2026-04-10 08:00+07', '2026-04-10 08:01+07', 'ok', NULL, NULL)`,
			`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'failed', NULL, NULL)`},
			months: map[string]want{"2026-03": {"ok", ""}, "2026-04": {"gap", "no_run"}, "2026-05": {"gap", "no_run"}, "2026-06": {"gap", "no_run"}, "2026-07": {"open", ""}}},
		{name: "a backfill covers only its window", per: 10, runs: []string{
			`('lich', '2026-03-01 08:00+07', '2026-03-01 08:01+07', 'ok', NULL, NULL)`,
			`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'ok', '2025-01-01', '2025-12-31')`},
			months: map[string]want{"2025-12": {"ok", ""}, "2026-02": {"ok", ""}, "2026-03": {"gap", "no_run"}, "2026-04": {"gap", "no_run"}, "2026-05": {"gap", "no_run"}, "2026-06": {"gap", "no_run"}}},
		{name: "confirmed", per: 10, empty: []string{"2026-05"}, runs: []string{`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'ok', NULL, NULL)`},
			sql:    `INSERT INTO coverage_confirmations (connector, month, note, confirmed_by) VALUES ('lich', '2026-05-01', 'không họp', 'admin')`,
			months: map[string]want{"2026-05": {"confirmed", "low"}}},
		{name: "never ran: judged by volume only", per: 10, empty: []string{"2026-05"},
			months: map[string]want{"2026-04": {"ok", ""}, "2026-05": {"gap", "low"}}},
		{name: "stricter threshold setting", per: 10, runs: []string{`('lich', '2026-07-02 08:00+07', '2026-07-02 08:01+07', 'ok', NULL, NULL)`},
			sql:    `UPDATE coverage_settings SET threshold = 1, significance = 0.999; DELETE FROM meetings WHERE uid = 'm202605-0'`,
			months: map[string]want{"2026-05": {"gap", "low"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := warehousetest.New(t)
			empty := map[string]bool{}
			for _, m := range c.empty {
				empty[m] = true
			}
			var rows []string
			for m := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location); m.Before(at); m = m.AddDate(0, 1, 0) {
				if empty[m.Format("2006-01")] {
					continue
				}
				for i := 0; i < c.per; i++ {
					s := m.AddDate(0, 0, i).Add(8 * time.Hour)
					rows = append(rows, fmt.Sprintf("('000.25.31.H99', 'ical:lich', 'm%s-%d', '%s', '%s')", m.Format("200601"), i, s.Format(time.RFC3339), s.Add(time.Hour).Format(time.RFC3339)))
				}
			}
			if _, err := st.DB.ExecContext(ctx, `INSERT INTO meetings (unit_code, source, uid, starts_at, ends_at) VALUES `+strings.Join(rows, ",")); err != nil {
				t.Fatal(err)
			}
			if len(c.runs) > 0 {
				if _, err := st.DB.ExecContext(ctx, `INSERT INTO sync_runs (connector, started_at, finished_at, status, window_from, window_to) VALUES `+strings.Join(c.runs, ",")); err != nil {
					t.Fatal(err)
				}
			}
			if c.sql != "" {
				if _, err := st.DB.ExecContext(ctx, c.sql); err != nil {
					t.Fatal(err)
				}
			}
			all, err := st.Coverage(ctx, at, true)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]want{}
			for _, r := range all {
				if r.Connector != "lich" || r.Fact != "meetings" || r.UnitCode != "000.25.31.H99" {
					t.Errorf("row %+v: want connector lich, fact meetings, unit 000.25.31.H99", r)
				}
				w := want{status: r.Status}
				if r.Reason != nil {
					w.reason = *r.Reason
				}
				got[r.MonthText()] = w
			}
			if len(got) != 19 {
				t.Errorf("%d months, want 19 (2025-01..2026-07)", len(got))
			}
			for m, w := range c.months {
				if got[m] != w {
					t.Errorf("%s: %+v, want %+v", m, got[m], w)
				}
			}
			for m, g := range got {
				if _, named := c.months[m]; !named && g.status == "gap" {
					t.Errorf("%s: unexpected gap (%s)", m, g.reason)
				}
			}
		})
	}
}

// chiso_reader reads the view coverage and the companion of kpi.
func TestCoverageReader(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	tx, err := st.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `SET LOCAL ROLE chiso_reader`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM coverage`); err != nil {
		t.Fatalf("chiso_reader: coverage: %v", err)
	}
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM kpi_data_complete WHERE period = '2026' AND NOT data_complete`); err != nil {
		t.Fatalf("chiso_reader: kpi_data_complete: %v", err)
	}
}

// coverageCountsDiff lists the rows where the trigger-kept coverage_counts
// differ from coverage_counts_of (the definition: what a rebuild writes).
const coverageCountsDiff = `
SELECT format('%s %s %s %s: kept %s, computed %s', coalesce(k.fact, d.fact), coalesce(k.unit_code, d.unit_code),
              coalesce(k.source, d.source), coalesce(k.month, d.month), k.n, d.n)
FROM coverage_counts k
FULL JOIN (SELECT * FROM coverage_counts_of() WHERE n <> 0) d
  ON d.fact = k.fact AND d.unit_code = k.unit_code AND d.source = k.source AND d.month = k.month
WHERE k.n IS DISTINCT FROM d.n
ORDER BY 1`

// The monthly counts of the coverage follow every write of the facts and
// their sightings: after each step (through chiso's writers or raw SQL:
// sightings before and after their record, a second source, a second key
// of one source, re-dating across months, deletes, truncates) the
// trigger-kept table equals the from-scratch computation.
func TestCoverageCountsFollowFacts(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	day := func(s string) *time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	const u = "000.25.31.H99"
	write := func(docs []facts.Document, src string, dossiers []facts.DossierWrite, meetings []facts.Meeting) func() error {
		return func() error {
			run, err := st.StartRun(ctx, "cov-test")
			if err != nil {
				return err
			}
			for i, d := range docs {
				if err := run.UpsertDocument(ctx, d, facts.Sighting{Source: src, SourceKey: fmt.Sprintf("%s-%d", d.DocKey, i), Medium: "electronic"}); err != nil {
					return err
				}
			}
			if len(dossiers) > 0 {
				if err := run.UpsertDossiers(ctx, dossiers); err != nil {
					return err
				}
			}
			for _, m := range meetings {
				if err := run.UpsertMeeting(ctx, m); err != nil {
					return err
				}
			}
			return run.Finish(ctx, nil)
		}
	}
	doc := func(key, dir, on string) facts.Document {
		return facts.Document{UnitCode: u, Direction: dir, DocKey: key, DocType: "cong_van", Family: "hanh_chinh", Medium: "electronic",
			IssuedOn: day(on), EventOn: day(on)}
	}
	dossier := func(key, src string, at time.Time) facts.DossierWrite {
		return facts.DossierWrite{Dossier: facts.Dossier{UnitCode: u, MaHoSo: key, MaTTHC: "1.001", ReceivedAt: &at, Source: src},
			Sighting: facts.DossierSighting{Source: src, SourceKey: key}}
	}
	vn := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, vntime.Location)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	meeting := func(uid, at string) facts.Meeting {
		s := vn(at)
		return facts.Meeting{UnitCode: u, Source: "ical:lich", UID: uid, StartsAt: s, EndsAt: s.Add(time.Hour), OrganizedBySelf: true}
	}
	sqlStep := func(q string) func() error {
		return func() error { _, err := st.DB.ExecContext(ctx, q); return err }
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"documents through the writer", write([]facts.Document{doc("a", "out", "2026-01-10"), doc("b", "out", "2026-01-31"), doc("c", "in", "2026-02-01")}, "edxml-dir:qlvb-archive", nil, nil)},
		{"the same documents from a second source", write([]facts.Document{doc("a", "out", "2026-01-10"), doc("c", "in", "2026-02-01")}, "axis:truc", nil, nil)},
		{"the same documents again (unchanged upsert)", write([]facts.Document{doc("a", "out", "2026-01-10"), doc("b", "out", "2026-01-31")}, "edxml-dir:qlvb-archive", nil, nil)},
		{"a second key of one source", sqlStep(`INSERT INTO document_sightings (source, source_key, unit_code, direction, doc_key, medium, seen_at)
			VALUES ('edxml-dir:qlvb-archive', 'copy-of-a', '` + u + `', 'out', 'a', 'electronic', now())`)},
		{"a sighting before its document", sqlStep(`INSERT INTO document_sightings (source, source_key, unit_code, direction, doc_key, medium, seen_at)
			VALUES ('register-file:so', 'r1', '` + u + `', 'out', 'd', 'paper', now())`)},
		{"the document after its sighting", sqlStep(`INSERT INTO documents (unit_code, direction, doc_key, medium, issued_on, event_on)
			VALUES ('` + u + `', 'out', 'd', 'paper', '2026-03-05', '2026-03-05')`)},
		{"a document re-dated across months", sqlStep(`UPDATE documents SET issued_on = '2026-04-01', event_on = '2026-04-01' WHERE doc_key IN ('a', 'd')`)},
		{"an incoming document re-dated by its event", sqlStep(`UPDATE documents SET event_on = NULL WHERE doc_key = 'c'`)},
		{"its date back", sqlStep(`UPDATE documents SET event_on = '2025-12-31' WHERE doc_key = 'c'`)},
		{"one of two keys of a source goes", sqlStep(`DELETE FROM document_sightings WHERE source_key = 'copy-of-a'`)},
		{"a source's sightings move to another source", sqlStep(`UPDATE document_sightings SET source = 'axis:truc2' WHERE source = 'axis:truc'`)},
		{"a document deleted", sqlStep(`DELETE FROM documents WHERE doc_key = 'b'`)},
		{"dossiers through the writer", write(nil, "", []facts.DossierWrite{
			dossier("h1", "dvc:cong-dvc", vn("2026-01-31 23:30")), dossier("h2", "dvc:cong-dvc", vn("2026-02-01 00:30")),
			dossier("h3", "dvc:cong-dvc", vn("2026-02-10 09:00"))}, nil)},
		{"a dossier from a second source", write(nil, "", []facts.DossierWrite{dossier("h1", "dvc-push:tinh", vn("2026-01-31 23:30"))}, nil)},
		{"a dossier sighting before its dossier", sqlStep(`INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so) VALUES ('dvc:cong-dvc', 'h4', '` + u + `', 'h4')`)},
		{"the dossier after its sighting", sqlStep(`INSERT INTO dossiers (unit_code, ma_ho_so, received_at) VALUES ('` + u + `', 'h4', '2026-03-01 08:00+07')`)},
		{"a dossier re-dated across midnight and month", sqlStep(`UPDATE dossiers SET received_at = received_at + interval '2 hours' WHERE ma_ho_so = 'h1'`)},
		{"a dossier loses its date", sqlStep(`UPDATE dossiers SET received_at = NULL WHERE ma_ho_so = 'h3'`)},
		{"dossier sightings deleted", sqlStep(`DELETE FROM dossier_sightings WHERE ma_ho_so IN ('h2', 'h4') AND source = 'dvc:cong-dvc'`)},
		{"a dossier deleted", sqlStep(`DELETE FROM dossiers WHERE ma_ho_so = 'h1'`)},
		{"meetings through the writer", write(nil, "", nil, []facts.Meeting{meeting("m1", "2026-01-31 23:00"), meeting("m2", "2026-02-02 08:00"), meeting("m3", "2026-02-03 08:00")})},
		{"a meeting deleted from its feed", sqlStep(`UPDATE meetings SET deleted_run = 9, deleted_at = now() WHERE uid = 'm2'`)},
		{"a meeting moved across months", sqlStep(`UPDATE meetings SET starts_at = starts_at + interval '2 hours' WHERE uid = 'm1'`)},
		{"a meeting back in its feed", sqlStep(`UPDATE meetings SET deleted_run = NULL, deleted_at = NULL WHERE uid = 'm2'`)},
		{"a meeting deleted", sqlStep(`DELETE FROM meetings WHERE uid = 'm3'`)},
		{"document sightings truncated", sqlStep(`TRUNCATE document_sightings`)},
		{"dossiers truncated", sqlStep(`TRUNCATE dossiers`)},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i+1, s.name, err)
		}
		var diff []string
		if err := st.DB.SelectContext(ctx, &diff, coverageCountsDiff); err != nil {
			t.Fatal(err)
		}
		for _, d := range diff {
			t.Errorf("after step %d (%s): %s", i+1, s.name, d)
		}
	}
	var n int
	if err := st.DB.GetContext(ctx, &n, `SELECT count(*) FROM coverage_counts`); err != nil || n == 0 {
		t.Fatalf("%d rows left in coverage_counts (%v): the steps should leave the meetings", n, err)
	}
}

// In a warehouse shared by communes, a run (and a confirmation) speaks
// for the units of its commune's tree only, and each commune of a
// province is judged on its own: two communes with the same connector
// name, one whose runs stop, and a province-wide run that vouches for
// both.
func TestCoverageCommunes(t *testing.T) {
	at := time.Date(2026, 7, 15, 10, 0, 0, 0, vntime.Location)
	const p, a, a1, b = "000.00.00.H99", "000.001.31.H99", "001.001.31.H99", "000.002.31.H99"
	cases := []struct {
		name  string
		runs  []string // (commune, connector, finished)
		sql   string
		gapsA []string // months of A's meetings_held gaps (span 2026-01..2026-06)
		gapsB []string
	}{
		{name: "both communes run", runs: []string{`('` + a + `', 'lich', '2026-07-02 08:01+07')`, `('` + b + `', 'lich', '2026-07-02 08:01+07')`}},
		{name: "B's feed stops in April: only B has gaps",
			runs:  []string{`('` + a + `', 'lich', '2026-07-02 08:01+07')`, `('` + b + `', 'lich', '2026-04-10 08:01+07')`},
			gapsB: []string{"2026-04:gap", "2026-05:gap", "2026-06:gap"}},
		{name: "B's confirmation speaks for B only",
			runs:  []string{`('` + a + `', 'lich', '2026-04-10 08:01+07')`, `('` + b + `', 'lich', '2026-04-10 08:01+07')`},
			sql:   `INSERT INTO coverage_confirmations (commune, connector, month, note, confirmed_by) VALUES ('` + b + `', 'lich', '2026-05-01', 'nghỉ', 'admin')`,
			gapsA: []string{"2026-04:gap", "2026-05:gap", "2026-06:gap"}, gapsB: []string{"2026-04:gap", "2026-05:confirmed", "2026-06:gap"}},
		{name: "a province run vouches for its communes",
			runs: []string{`('` + a + `', 'lich', '2026-04-10 08:01+07')`, `('` + p + `', 'lich', '2026-07-02 08:01+07')`}},
		{name: "an unscoped run vouches for all", runs: []string{`('', 'lich', '2026-07-02 08:01+07')`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := warehousetest.New(t)
			var rows []string
			for m := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location); m.Before(at); m = m.AddDate(0, 1, 0) {
				for i := 0; i < 10; i++ {
					s := m.AddDate(0, 0, i).Add(8 * time.Hour)
					for _, u := range []string{a1, b} {
						rows = append(rows, fmt.Sprintf("('%s', 'ical:lich', 'm%s-%d', '%s', '%s')", u, m.Format("200601"), i, s.Format(time.RFC3339), s.Add(time.Hour).Format(time.RFC3339)))
					}
				}
			}
			stmts := []string{
				`INSERT INTO org_units (code, name, parent_code, relation, level) VALUES
				 ('` + p + `', 'Tỉnh', NULL, 'self', 'province'), ('` + a + `', 'Xã A', '` + p + `', 'internal', 'commune'),
				 ('` + b + `', 'Xã B', '` + p + `', 'internal', 'commune'), ('` + a1 + `', 'Văn phòng xã A', '` + a + `', 'internal', '')`,
				`INSERT INTO meetings (unit_code, source, uid, starts_at, ends_at) VALUES ` + strings.Join(rows, ","),
				`INSERT INTO sync_runs (commune, connector, started_at, finished_at, status)
				 SELECT r.commune, r.connector, r.finished::timestamptz - interval '1 minute', r.finished::timestamptz, 'ok'
				 FROM (VALUES ` + strings.Join(c.runs, ",") + `) r(commune, connector, finished)`,
			}
			if c.sql != "" {
				stmts = append(stmts, c.sql)
			}
			for _, q := range stmts {
				if _, err := st.DB.ExecContext(ctx, q); err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
			}
			all, err := st.Coverage(ctx, at, true)
			if err != nil {
				t.Fatal(err)
			}
			units := map[string]bool{}
			for _, r := range all {
				units[r.UnitCode] = true
			}
			if len(units) != 2 || !units[a] || !units[b] {
				t.Errorf("coverage units %v, want each commune on its own (%s, %s)", units, a, b)
			}
			gaps, err := st.CoverageGapsOf(ctx, []string{a, b, a1}, [][2]time.Time{
				{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},
				{time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)}}, at)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, g := range gaps {
				if g.Indicator == "meetings_held" && g.Span == 0 {
					got[g.Root] = append(got[g.Root], g.MonthText()+":"+g.Status)
				}
			}
			for _, w := range []struct {
				unit string
				want []string
			}{{a, c.gapsA}, {a1, c.gapsA}, {b, c.gapsB}} {
				if strings.Join(got[w.unit], " ") != strings.Join(w.want, " ") {
					t.Errorf("%s: meetings_held gaps %v, want %v", w.unit, got[w.unit], w.want)
				}
				// The report says so: "Chưa đủ số liệu" (no verdict) only
				// where an unconfirmed gap is.
				r, err := report.Build(ctx, st, report.Options{Period: "2026-H1", Unit: w.unit, Now: at, IndicatorsOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				row, ok := r.Row("meetings_held")
				if wantComplete := !strings.Contains(strings.Join(w.want, " "), ":gap"); !ok || row.DataComplete != wantComplete {
					t.Errorf("%s: report row meetings_held found %v, complete %v, want %v", w.unit, ok, row.DataComplete, wantComplete)
				}
			}
		})
	}
}
