package warehouse_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// kpiExpect is one line of a golden expected.tsv: the hand-computed
// numbers of one indicator for one unit and span.
type kpiExpect struct {
	line                        int
	from, to                    time.Time
	unit, indicator             string
	num                         int64
	den, value, met, missingStr string
}

func kpiReadExpected(t *testing.T, path string) []kpiExpect {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []kpiExpect
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 9 {
			t.Fatalf("%s:%d: want 9 tab-separated fields, got %d", path, n, len(c))
		}
		from, err1 := time.Parse("2006-01-02", c[0])
		to, err2 := time.Parse("2006-01-02", c[1])
		num, err3 := strconv.ParseInt(c[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s:%d: bad dates or numerator", path, n)
		}
		out = append(out, kpiExpect{line: n, from: from, to: to, unit: c[2], indicator: c[3], num: num,
			den: c[5], missingStr: c[6], value: c[7], met: c[8]})
	}
	return out
}

func kpiExec(t *testing.T, st *warehouse.Store, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(string(b)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func optInt(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

func optFloat(p *float64, unit string) string {
	if p == nil {
		return "-"
	}
	if unit == "count" {
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return strconv.FormatFloat(*p, 'f', 2, 64)
}

func optBool(p *bool) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatBool(*p)
}

func kpiGot(r warehouse.KPIRow) string {
	return fmt.Sprintf("num=%d den=%s missing=%d value=%s met=%s", r.Numerator, optInt(r.Denominator), r.Missing, optFloat(r.Value, r.Unit), optBool(r.Met))
}

func (e kpiExpect) String() string {
	return fmt.Sprintf("num=%d den=%s missing=%s value=%s met=%s", e.num, e.den, e.missingStr, e.value, e.met)
}

// TestKPIGolden runs every case folder of testdata/kpi: org.sql and the
// case's facts.sql go into a fresh warehouse; every line of expected.tsv
// must match kpi_between for that span and unit, the kpi view when the
// span is a standard period, and the records chiso explain lists.
func TestKPIGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/kpi/*/facts.sql")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, facts := range cases {
		dir := filepath.Dir(facts)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := warehousetest.New(t)
			kpiExec(t, st, "testdata/kpi/org.sql")
			kpiExec(t, st, facts)
			var view []warehouse.KPIRow
			if err := st.DB.SelectContext(ctx, &view, `SELECT * FROM kpi`); err != nil {
				t.Fatal(err)
			}
			for _, e := range kpiReadExpected(t, filepath.Join(dir, "expected.tsv")) {
				where := fmt.Sprintf("expected.tsv:%d %s %s..%s %s", e.line, e.indicator, e.from.Format("2006-01-02"), e.to.Format("2006-01-02"), e.unit)
				rows, err := st.KPIBetween(ctx, e.from, e.to, e.unit)
				if err != nil {
					t.Fatal(err)
				}
				row, ok := kpiFind(rows, e.unit, e.indicator)
				if !ok {
					t.Fatalf("%s: no row", where)
				}
				if got := kpiGot(row); got != e.String() {
					t.Errorf("%s: kpi_between got %s, want %s", where, got, e)
				}
				// The all-units form must agree with the one-unit form.
				all, err := st.KPIBetween(ctx, e.from, e.to, "")
				if err != nil {
					t.Fatal(err)
				}
				if r2, ok := kpiFind(all, e.unit, e.indicator); !ok || kpiGot(r2) != e.String() {
					t.Errorf("%s: kpi_between (all units) got %s, want %s", where, kpiGot(r2), e)
				}
				// The view, when the span is one of its standard periods.
				for _, v := range view {
					if !v.PeriodFrom.Equal(e.from) || !v.PeriodTo.Equal(e.to) || v.UnitCode != e.unit || v.Indicator != e.indicator {
						continue
					}
					if kpiGot(v) != e.String() {
						t.Errorf("%s: view period %s got %s, want %s", where, v.Period, kpiGot(v), e)
					}
				}
				kpiCheckExplain(t, st, where, e, row)
			}
			// explain's terms add up to the kpi's numbers for every
			// indicator and unit of the view, over its years and named
			// report periods (halves, quarters and months are spans of
			// the same kind, left out for time).
			for _, v := range view {
				if strings.Contains(v.Period, "-Q") || strings.Contains(v.Period, "-H") || (len(v.Period) == 7 && v.Period[4] == '-') {
					continue
				}
				e := kpiExpect{from: v.PeriodFrom, to: v.PeriodTo, unit: v.UnitCode, indicator: v.Indicator}
				kpiCheckExplain(t, st, "view "+v.Period+" "+v.UnitCode+" "+v.Indicator, e, v)
			}
		})
	}
}

func kpiFind(rows []warehouse.KPIRow, unit, ind string) (warehouse.KPIRow, bool) {
	for _, r := range rows {
		if r.UnitCode == unit && r.Indicator == ind {
			return r, true
		}
	}
	return warehouse.KPIRow{}, false
}

// kpiCheckExplain checks that the records explain lists add up to the
// numbers of the kpi row.
func kpiCheckExplain(t *testing.T, st *warehouse.Store, where string, e kpiExpect, row warehouse.KPIRow) {
	t.Helper()
	recs, total, err := st.Explain(context.Background(), e.indicator, e.from, e.to, e.unit, 10000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if int(total) != len(recs) {
		t.Errorf("%s: explain total %d, listed %d", where, total, len(recs))
	}
	n := map[string]int64{}
	var missing int64
	for _, r := range recs {
		n[r.Role]++
		if r.Missing {
			missing++
		}
		if r.Role != warehouse.RoleNumerator && r.Role != warehouse.RolePeriod && r.Role != warehouse.RoleBaseline && (r.Reason == nil || *r.Reason == "") {
			t.Errorf("%s: explain: %s %s has no reason", where, r.Role, r.Key)
		}
	}
	var num, den int64
	switch {
	case strings.HasSuffix(e.indicator, "_reduction"):
		num, den = n[warehouse.RoleBaseline]-n[warehouse.RolePeriod], n[warehouse.RoleBaseline]
	case row.Denominator == nil:
		num = n[warehouse.RoleNumerator]
	default:
		num, den = n[warehouse.RoleNumerator], n[warehouse.RoleNumerator]+n[warehouse.RoleDenominator]
	}
	if num != row.Numerator || (row.Denominator != nil && den != *row.Denominator) || missing != row.Missing {
		t.Errorf("%s: explain gives num=%d den=%d missing=%d, kpi says %s (roles %v)", where, num, den, missing, kpiGot(row), n)
	}
}

// TestKPITargetsAndPeriods loads targets and report periods and checks that
// the view uses them: a stricter unit target, and a moved cut-off.
func TestKPITargetsAndPeriods(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	kpiExec(t, st, "testdata/kpi/org.sql")
	kpiExec(t, st, "testdata/kpi/rollup-2026h1/facts.sql")
	err := st.LoadTargets(ctx, 2026, []warehouse.Target{
		{Indicator: "meeting_online_share", Op: ">=", Value: 80},
		{Indicator: "meeting_online_share", Op: ">=", Value: 70, Unit: "002.25.31.H99"},
	}, "targets-2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LoadTargets(ctx, 2026, []warehouse.Target{{Indicator: "nope", Op: ">=", Value: 1}}, "t.yaml"); err == nil || !strings.Contains(err.Error(), `t.yaml: target 1: indicator: unknown indicator "nope"`) {
		t.Errorf("unknown indicator: got %v", err)
	}
	if err := st.LoadReportPeriods(ctx, []warehouse.ReportPeriod{{ID: "bc6t", Label: "6 tháng", FromMD: "01-01", ToMD: "04-30"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := st.KPIView(ctx, "bc6t-2026", "")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := kpiFind(rows, "000.25.31.H99", "meeting_online_share")
	if !ok {
		t.Fatal("no bc6t-2026 row")
	}
	// 1 Jan – 30 Apr: m1..m4, online m1, m2, m4 = 75 % < 80 %.
	if c.PeriodTo.Format("2006-01-02") != "2026-04-30" || kpiGot(c) != "num=3 den=4 missing=0 value=75.00 met=false" || *c.Target != 80 {
		t.Errorf("bc6t-2026 commune: %s to %s target %v", kpiGot(c), c.PeriodTo, *c.Target)
	}
	u, _ := kpiFind(rows, "002.25.31.H99", "meeting_online_share")
	if u.Target == nil || *u.Target != 70 || kpiGot(u) != "num=1 den=1 missing=0 value=100.00 met=true" {
		t.Errorf("unit target: %s target %v", kpiGot(u), u.Target)
	}
	if _, ok := kpiFind(rows, "000.25.31.H99", "doc_reduction"); !ok {
		t.Error("doc_reduction missing")
	}
	// Targets of 2026 were replaced: doc_reduction has none now.
	d, _ := kpiFind(rows, "000.25.31.H99", "doc_reduction")
	if d.Target != nil || d.Met != nil {
		t.Errorf("replaced targets still apply: %v %v", d.Target, d.Met)
	}
	if rows, _ := st.KPIView(ctx, "nd09-6t-2026", ""); len(rows) != 0 {
		t.Errorf("nd09-6t removed from report periods but the view still has %d rows", len(rows))
	}
}

// kpiSummaryDiff is the query that lists the differences between the
// per-day summaries the triggers keep and the same counts recomputed from
// the per-record views: no rows means the summaries are exact.
const kpiSummaryDiff = `
WITH docs AS (
  SELECT unit_code, day, sum(n) AS n, sum(issued) AS issued, sum(issued_unknown) AS issued_unknown, sum(ex_den) AS ex_den,
         sum(ex_num) AS ex_num, sum(exo_den) AS exo_den, sum(exo_num) AS exo_num, sum(ex_missing) AS ex_missing, sum(exo_missing) AS exo_missing
  FROM (SELECT unit_code, issued_on AS day, 1 AS n, counts_issued::int AS issued, issued_unknown::int AS issued_unknown,
               0 AS ex_den, 0 AS ex_num, 0 AS exo_den, 0 AS exo_num, 0 AS ex_missing, 0 AS exo_missing
        FROM kpi_document_facts WHERE direction = 'out' AND issued_on IS NOT NULL
        UNION ALL
        SELECT unit_code, event_on, 1, 0, 0, ex_scope::int, (ex_scope AND electronic)::int, (ex_scope AND direction = 'out')::int,
               (ex_scope AND electronic AND direction = 'out')::int, ex_unknown::int, (ex_unknown AND direction = 'out')::int
        FROM kpi_document_facts WHERE event_on IS NOT NULL AND (ex_scope OR ex_unknown)) x
  GROUP BY 1, 2),
meets AS (
  SELECT unit_code, starts_on AS day, count(*) AS m_total, count(*) FILTER (WHERE online_or_paperless) AS m_online,
         count(*) FILTER (WHERE materials_known) AS m_mat_den, count(*) FILTER (WHERE materials_ahead) AS m_mat_num,
         count(*) FILTER (WHERE discussion_known) AS m_disc_den, count(*) FILTER (WHERE discussion_ok) AS m_disc_num,
         count(*) FILTER (WHERE duration_ok) AS m_dur_num, count(*) FILTER (WHERE cap_sessions IS NULL) AS m_dur_missing,
         count(*) FILTER (WHERE commune_wide) AS m_wide
  FROM kpi_meeting_facts WHERE counted GROUP BY 1, 2),
doss AS (
  SELECT unit_code, day, late_on, count(*) AS n, sum(d_recv) AS d_recv, sum(d_full) AS d_full, sum(d_level_missing) AS d_level_missing,
         sum(d_online) AS d_online, sum(d_channel_missing) AS d_channel_missing, sum(d_input) AS d_input, sum(d_reused) AS d_reused,
         sum(d_ot_den) AS d_ot_den, sum(d_ot_missing) AS d_ot_missing, sum(d_fin) AS d_fin, sum(d_fin_elec) AS d_fin_elec
  FROM (SELECT unit_code, received_on AS day,
               CASE WHEN on_time_scope AND late_on IS NOT NULL AND late_on <> 'infinity' THEN late_on ELSE 'infinity' END AS late_on,
               1 AS d_recv, full_online::int AS d_full, level_unknown::int AS d_level_missing, (channel IS NOT DISTINCT FROM 'online')::int AS d_online,
               (channel IS NULL)::int AS d_channel_missing, input_digitized::int AS d_input, reused_data::int AS d_reused,
               (on_time_scope AND late_on IS NOT NULL)::int AS d_ot_den, (on_time_scope AND late_on IS NULL)::int AS d_ot_missing,
               0 AS d_fin, 0 AS d_fin_elec
        FROM kpi_dossier_facts WHERE received_on IS NOT NULL
        UNION ALL
        SELECT unit_code, finished_on, 'infinity', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, result_electronic::int
        FROM kpi_dossier_facts WHERE result_scope AND finished_on IS NOT NULL) x
  GROUP BY 1, 2, 3),
sd AS (SELECT * FROM kpi_day_documents WHERE (n, issued, issued_unknown, ex_den, ex_num, exo_den, exo_num, ex_missing, exo_missing) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)),
sm AS (SELECT * FROM kpi_day_meetings WHERE (m_total, m_online, m_mat_den, m_mat_num, m_disc_den, m_disc_num, m_dur_num, m_dur_missing, m_wide) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)),
ss AS (SELECT * FROM kpi_day_dossiers WHERE (n, d_recv, d_full, d_level_missing, d_online, d_channel_missing, d_input, d_reused, d_ot_den, d_ot_missing, d_fin, d_fin_elec) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
SELECT 'documents: summary has ' || x::text FROM (SELECT * FROM sd EXCEPT SELECT * FROM docs) x
UNION ALL SELECT 'documents: facts give ' || x::text FROM (SELECT * FROM docs EXCEPT SELECT * FROM sd) x
UNION ALL SELECT 'meetings: summary has ' || x::text FROM (SELECT * FROM sm EXCEPT SELECT * FROM meets) x
UNION ALL SELECT 'meetings: facts give ' || x::text FROM (SELECT * FROM meets EXCEPT SELECT * FROM sm) x
UNION ALL SELECT 'dossiers: summary has ' || x::text FROM (SELECT * FROM ss EXCEPT SELECT * FROM doss) x
UNION ALL SELECT 'dossiers: facts give ' || x::text FROM (SELECT * FROM doss EXCEPT SELECT * FROM ss) x`

// TestKPISummariesFollowFacts changes the facts every way a sync (or an
// admin) can, statement by statement, and checks after each that the
// per-day summaries equal the counts recomputed from the facts, and that
// kpi_eval gives the same numbers as after a rebuild from scratch.
func TestKPISummariesFollowFacts(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	kpiExec(t, st, "testdata/kpi/org.sql")
	for _, c := range []string{"rollup-2026h1", "meeting-deleted", "nd09-cross-year"} {
		kpiExec(t, st, filepath.Join("testdata/kpi", c, "facts.sql"))
	}
	steps := []struct{ name, sql string }{
		{"document family changes", `UPDATE documents SET family = 'qppl' WHERE doc_key = 'd1'`},
		{"documents move in time", `UPDATE documents SET issued_on = issued_on + 40, event_on = event_on + 40 WHERE unit_code = '001.25.31.H99'`},
		{"document becomes secret", `UPDATE documents SET is_secret = true WHERE doc_key = 'd7'`},
		{"document deleted", `DELETE FROM documents WHERE doc_key = 'd2'`},
		{"documents upserted", `INSERT INTO documents (unit_code, direction, doc_key, family, medium, issued_on, event_on, counterpart_relation)
			VALUES ('000.25.31.H99', 'out', 'd3', 'hanh_chinh', 'paper', '2026-03-11', '2026-03-11', 'higher'),
			       ('000.25.31.H99', 'out', 'n1', 'unknown', 'electronic', '2026-03-12', '2026-03-12', NULL),
			       ('000.25.31.H99', 'in', 'n2', 'hanh_chinh', 'electronic', '2026-03-12', NULL, 'higher')
			ON CONFLICT (unit_code, direction, doc_key) DO UPDATE SET medium = EXCLUDED.medium, counterpart_relation = EXCLUDED.counterpart_relation`},
		{"meeting deleted from its feed", `UPDATE meetings SET deleted_run = 9, deleted_at = now() WHERE uid = 'm1'`},
		{"meeting back in its feed", `UPDATE meetings SET deleted_run = NULL, deleted_at = NULL WHERE uid IN ('m1', 'c2')`},
		{"meeting moves across midnight", `UPDATE meetings SET starts_at = starts_at + interval '16 hours' WHERE uid = 'm2'`},
		{"meeting cancelled", `UPDATE meetings SET cancelled = true WHERE uid = 'm3'`},
		{"meeting caps change", `UPDATE kpi_meeting_caps SET cap_sessions = 3 WHERE kind = 'quan-triet'`},
		{"meeting cap added", `INSERT INTO kpi_meeting_caps (kind, cap_sessions, label) VALUES ('moi', 1, 'Mới')`},
		{"meetings deleted", `DELETE FROM meetings WHERE uid IN ('b1', 'c3')`},
		// p1: no due date, 5 working days from Monday 2 March = 9 March; finished 12 March: late from 9 March.
		{"dossier without a due date", `INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, finished_at) VALUES
			('000.25.31.H99', 'p1', '1.001', 'online', 10, '2026-03-02 09:00+07', '2026-03-12 10:00+07')`},
		{"supplement pause opens", `INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status) VALUES
			('000.25.31.H99', 'p1', '2026-03-03 09:00+07', 5)`},
		// 3 days of pause: late from 12 March; a second request stays open.
		{"supplement pause closes", `INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status) VALUES
			('000.25.31.H99', 'p1', '2026-03-06 09:00+07', 2),
			('000.25.31.H99', 'p1', '2026-03-06 09:00:01+07', 5)`},
		// Nearly 6 days of pause (the second request closes too): on time.
		{"step moved", `UPDATE dossier_steps SET at = at + interval '3 days' WHERE ma_ho_so = 'p1' AND status = 2`},
		{"step deleted", `DELETE FROM dossier_steps WHERE ma_ho_so = 'p1' AND at = '2026-03-06 09:00:01+07'`},
		{"procedure deadline changes", `UPDATE procedures SET max_days = max_days + 30`},
		{"procedure upsert without change", `INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days)
			SELECT ma_tthc, name, level, requires_result, max_days FROM procedures
			ON CONFLICT (ma_tthc) DO UPDATE SET name = EXCLUDED.name`},
		{"procedure level and result change", `UPDATE procedures SET level = 'mot_phan', requires_result = false WHERE ma_tthc = '1.001'`},
		{"unknown procedure appears", `INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days) VALUES ('9.999', 'Mới', 'toan_trinh', true, 2)`},
		{"procedure deleted", `DELETE FROM procedures WHERE ma_tthc = '1.002'`},
		{"dossier finished", `UPDATE dossiers SET status = 10, finished_at = '2026-03-20 10:00+07', result_electronic = true WHERE ma_ho_so = 's4'`},
		{"dossier received earlier", `UPDATE dossiers SET received_at = received_at - interval '40 days' WHERE ma_ho_so IN ('s1', 's5')`},
		{"dossier deleted", `DELETE FROM dossiers WHERE ma_ho_so = 's2'`},
		{"steps truncated", `TRUNCATE dossier_steps`},
		{"documents truncated", `TRUNCATE documents`},
	}
	snapshot := func(q string) string {
		var rows []warehouse.KPIRow
		if err := st.DB.SelectContext(ctx, &rows, q); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %s %s %s\n", r.Period, r.UnitCode, r.Indicator, kpiGot(r))
		}
		return b.String()
	}
	// Years, halves, a month, an nd09 year and a leap February, every unit.
	const all = `SELECT * FROM kpi_eval(ARRAY['a', 'b', 'c', 'd', 'e', 'f', 'g'],
		ARRAY['2025-01-01', '2026-01-01', '2026-01-01', '2026-07-01', '2026-02-01', '2025-12-15', '2024-02-01']::date[],
		ARRAY['2025-12-31', '2026-12-31', '2026-06-30', '2026-12-31', '2026-02-28', '2026-12-14', '2024-02-29']::date[], NULL)
		ORDER BY period, unit_code, indicator`
	for i, s := range steps {
		if _, err := st.DB.ExecContext(ctx, s.sql); err != nil {
			t.Fatalf("step %d (%s): %v", i+1, s.name, err)
		}
		var diff []string
		if err := st.DB.SelectContext(ctx, &diff, kpiSummaryDiff); err != nil {
			t.Fatal(err)
		}
		for _, d := range diff {
			t.Errorf("after step %d (%s): %s", i+1, s.name, d)
		}
		got := snapshot(all)
		tx, err := st.DB.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT kpi_rebuild_day_summaries(true, true, true)`); err != nil {
			t.Fatal(err)
		}
		var rows []warehouse.KPIRow
		if err := tx.SelectContext(ctx, &rows, all); err != nil {
			t.Fatal(err)
		}
		tx.Rollback() //nolint:errcheck
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %s %s %s\n", r.Period, r.UnitCode, r.Indicator, kpiGot(r))
		}
		if got != b.String() || got == "" {
			t.Errorf("after step %d (%s): kpi differs from a rebuild (%d bytes vs %d)", i+1, s.name, len(got), b.Len())
		}
	}
}
