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
