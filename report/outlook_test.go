package report_test

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// seasonal loads the two-year fixture with a busier second half of 2025.
func seasonal(t *testing.T) *warehouse.Store {
	t.Helper()
	st := warehousetest.New(t)
	for _, f := range []string{"../warehouse/testdata/kpi/org.sql", "testdata/seasonal/facts.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return st
}

func r2(v float64) float64 { return math.Round(v*100) / 100 }

func i64(n int64) *int64 { return &n }

// TestYearOutlook checks the projection, status and what it takes of every
// target kind against figures worked out by hand from
// testdata/seasonal/facts.sql. Today is 1 July 2026: data from 1 January
// to 30 June 2026 (181 days of 365); last year's profile is 2025-01-01..
// 2025-06-30 (part) against the whole of 2025.
func TestYearOutlook(t *testing.T) {
	st := seasonal(t)
	today := time.Date(2026, 7, 1, 10, 0, 0, 0, vntime.Location)
	const commune, other = "000.25.31.H99", "000.99.31.H99"
	for _, c := range []struct {
		unit, ind  string
		projection *float64 // nil: none
		linear     bool
		status     string
		kind       string // needed.kind; "" no needed
		allowed    *int64 // max_count: allowed total, used, remaining
		used       *int64
		remaining  *int64
		share      *float64 // min_share: share needed of the rest; rest expected
		rest       float64
		reachable  bool
	}{
		// Documents: D(2026 to date) = 6 × 9 = 54; 2025: 60 to 30 June of 240.
		// Projected D = 54 × 240 / 60 = 216; reduction (240 − 216) / 240 = 10 %
		// < 15 %. Allowed in 2026: ⌊240 × 0,85⌋ = 204, still 204 − 54 = 150.
		// (A linear estimate, 54 × 365 / 181 ≈ 109, would read a 54.6 % cut: "Đạt".)
		{unit: commune, ind: "doc_reduction", projection: ptr(r2(100 * (240 - 54*240.0/60) / 240)), status: report.StatusAtRisk,
			kind: "max_count", allowed: i64(204), used: i64(54), remaining: i64(204 - 54), reachable: true},
		// Meetings: 13 to date; 2025: 12 to 30 June of 30. Projected 13 × 30 / 12
		// = 32,5; reduction (30 − 32,5) / 30 = −8,33 %. Allowed ⌊30 × 0,9⌋ = 27,
		// still 27 − 13 = 14.
		{unit: commune, ind: "meeting_reduction", projection: ptr(r2(100 * (30 - 13*30.0/12) / 30)), status: report.StatusAtRisk,
			kind: "max_count", allowed: i64(27), used: i64(13), remaining: i64(14), reachable: true},
		// Online: 6 of 13; 2025 online 4 to 30 June of 12. Projected 6 × 12 / 4
		// = 18 of 32,5 = 55,38 % < 60 %. Rest of the year 32,5 − 13 = 19,5
		// meetings; needed 0,6 × 32,5 − 6 = 13,5 of them: 69,23 %.
		{unit: commune, ind: "meeting_online_share", projection: ptr(r2(100 * 18 / 32.5)), status: report.StatusAtRisk,
			kind: "min_share", share: ptr(r2(100 * (0.6*32.5 - 6) / 19.5)), rest: 19.5, reachable: true},
		// Materials ahead (= 100 %): 12 of 13, so 100 % is out of reach:
		// needed 32,5 − 12 = 20,5 of 19,5. Projected 12 × 30/12 = 30 of 32,5.
		{unit: commune, ind: "meeting_materials_ahead_share", projection: ptr(r2(100 * 30 / 32.5)), status: report.StatusMissed,
			kind: "min_share", share: ptr(r2(100 * 20.5 / 19.5)), rest: 19.5, reachable: false},
		// Discussion (= 100 %): 13 of 13, projected 32,5 of 32,5; every one of
		// the 19,5 still to come must keep it: 100 %.
		{unit: commune, ind: "meeting_discussion_share", projection: ptr(100.0), status: report.StatusMet,
			kind: "min_share", share: ptr(100.0), rest: 19.5, reachable: true},
		// Commune-wide conferences (≤ 3): 2 to date; 2025 had 1 to 30 June of 3:
		// projected 2 × 3 / 1 = 6 > 3. One more is allowed.
		{unit: commune, ind: "commune_wide_conferences", projection: ptr(6.0), status: report.StatusAtRisk,
			kind: "max_count", allowed: i64(3), used: i64(2), remaining: i64(1), reachable: true},
		// Fully online dossiers (≥ 95 %): 22 of 24; 2025: 12 of 18 to 30 June,
		// 36 of 54 in the year. Projected 22 × 36/12 = 66 of 24 × 54/18 = 72:
		// 91,67 %. Rest 72 − 24 = 48; needed 0,95 × 72 − 22 = 46,4: 96,67 %.
		{unit: commune, ind: "dossier_full_online_share", projection: ptr(r2(100 * 66.0 / 72)), status: report.StatusAtRisk,
			kind: "min_share", share: ptr(r2(100 * (0.95*72 - 22) / 48)), rest: 48, reachable: true},
		// Results digitized (= 100 %): 24 of 24, projected 72 of 72.
		{unit: commune, ind: "result_digitized_share", projection: ptr(100.0), status: report.StatusMet,
			kind: "min_share", share: ptr(100.0), rest: 48, reachable: true},
		// Electronic exchange: no document with a higher agency in either year.
		{unit: commune, ind: "electronic_exchange_share", status: report.StatusNoData},
		// The other commune has no 2025 facts: counts go linear, 1 conference
		// × 365 / 181 = 2,02 ≤ 3, with 2 more allowed.
		{unit: other, ind: "commune_wide_conferences", projection: ptr(r2(1 * 365.0 / 181)), linear: true, status: report.StatusMet,
			kind: "max_count", allowed: i64(3), used: i64(1), remaining: i64(2), reachable: true},
		// … and a reduction without a 2025 count has neither projection nor allowance.
		{unit: other, ind: "meeting_reduction", status: report.StatusNoData},
	} {
		t.Run(c.unit+"/"+c.ind, func(t *testing.T) {
			outs, err := report.YearOutlook(context.Background(), st, c.unit, today)
			if err != nil {
				t.Fatal(err)
			}
			var o *report.Outlook
			for i := range outs {
				if outs[i].Indicator == c.ind {
					o = &outs[i]
				}
			}
			if o == nil {
				t.Fatalf("no outlook for %s", c.ind)
			}
			if o.Year != 2026 || o.DataEnd.Format("2006-01-02") != "2026-06-30" {
				t.Errorf("year %d, data to %s", o.Year, o.DataEnd)
			}
			switch {
			case c.projection == nil && o.Projection != nil:
				t.Errorf("projection %v, want none", *o.Projection)
			case c.projection != nil && (o.Projection == nil || *o.Projection != *c.projection):
				t.Errorf("projection %v, want %v", o.Projection, *c.projection)
			}
			if o.Linear != c.linear || o.Status != c.status {
				t.Errorf("linear %v status %q, want %v %q (%s)", o.Linear, o.Status, c.linear, c.status, o.Text(","))
			}
			n := o.Needed
			if c.kind == "" {
				if n != nil {
					t.Errorf("needed %+v, want none", *n)
				}
				return
			}
			if n == nil || n.Kind != c.kind || n.Until != "2026-12-31" || n.Reachable != c.reachable {
				t.Fatalf("needed %+v, want %s reachable %v", n, c.kind, c.reachable)
			}
			eq := func(name string, got, want *int64) {
				if (got == nil) != (want == nil) || got != nil && *got != *want {
					t.Errorf("%s %v, want %v", name, got, want)
				}
			}
			eq("allowed_total", n.AllowedTotal, c.allowed)
			eq("used", n.Used, c.used)
			eq("remaining", n.Remaining, c.remaining)
			if c.kind == "min_share" {
				if n.Share == nil || *n.Share != *c.share || n.ExpectedRest == nil || *n.ExpectedRest != c.rest {
					t.Errorf("share %v of rest %v, want %v of %v", n.Share, n.ExpectedRest, *c.share, c.rest)
				}
			}
			if !c.reachable && n.Text != "không còn đạt được" {
				t.Errorf("text %q", n.Text)
			}
		})
	}
}

// TestReportOutlookColumns: the report row carries projection, status and
// needed in JSON and the early-warning column in the table.
func TestReportOutlookColumns(t *testing.T) {
	st := seasonal(t)
	today := time.Date(2026, 7, 1, 10, 0, 0, 0, vntime.Location)
	r, err := report.Build(context.Background(), st, report.Options{Period: "2026-H1", Unit: "000.25.31.H99", Now: today})
	if err != nil {
		t.Fatal(err)
	}
	row := r.Rows[0]
	if row.Indicator != "doc_reduction" || row.Status != report.StatusAtRisk || row.Projection == nil || *row.Projection != 10 || row.Needed == nil || *row.Needed.Remaining != 150 {
		t.Fatalf("doc_reduction row: %+v", row)
	}
	cells := row.Cells(1, ",")
	want := "Có nguy cơ; ước cả năm 10,00%; còn được tối đa 150 văn bản đến 31/12/2026 (cả năm tối đa 204, đã có 54)"
	if got := cells[len(cells)-1]; got != want {
		t.Errorf("early-warning cell %q, want %q", got, want)
	}
	// A report of last year has no early warning.
	r, err = report.Build(context.Background(), st, report.Options{Period: "2025", Unit: "000.25.31.H99", Now: today})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows[0].Status != "" || r.Rows[0].Projection != nil || r.OutlookYear != 0 {
		t.Errorf("2025 report has an outlook: %+v", r.Rows[0])
	}
}

func ptr[T any](v T) *T { return &v }

// TestYearOutlookGap: a calendar feed that held 20 meetings a month in
// 2025 and stops after March 2026. The reduction projects to 50 % (60 to
// date × 240 / 120), which would read Đạt, but April..June 2026 are gaps
// (0 seen where 20 were expected): the status is Chưa đủ số liệu, never
// Đạt, and the gaps are named.
func TestYearOutlookGap(t *testing.T) {
	st := seasonal(t)
	if _, err := st.DB.Exec(`
		INSERT INTO org_units (code, name, parent_code, relation) VALUES ('000.77.31.H99', 'UBND xã Thử', '000.00.00.H99', 'external');
		INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled)
		SELECT '000.77.31.H99', 'cal', 'g' || y || '-' || m || '-' || i, 'Giao ban', 'giao-ban', NULL, true,
		       make_timestamptz(y, m, i, 8, 0, 0, 'Asia/Ho_Chi_Minh'), make_timestamptz(y, m, i, 11, 0, 0, 'Asia/Ho_Chi_Minh'), 1,
		       false, false, make_timestamptz(y, m, i, 7, 0, 0, 'Asia/Ho_Chi_Minh') - interval '2 days', 150, 180, false
		FROM generate_series(2025, 2026) y, generate_series(1, 12) m, generate_series(1, 20) i
		WHERE y = 2025 OR m <= 3`); err != nil {
		t.Fatal(err)
	}
	outs, err := report.YearOutlook(context.Background(), st, "000.77.31.H99", time.Date(2026, 7, 1, 10, 0, 0, 0, vntime.Location))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.Indicator != "meeting_reduction" {
			continue
		}
		if o.Projection == nil || *o.Projection != r2(100*(240-60*240.0/120)/240) {
			t.Errorf("projection %v", o.Projection)
		}
		var months []string
		for _, g := range o.Gaps {
			months = append(months, g.Source+" "+g.Month)
		}
		if o.DataComplete || o.Status != report.StatusNoData || strings.Join(months, ",") != "cal 2026-04,cal 2026-05,cal 2026-06" {
			t.Errorf("complete %v status %q gaps %v (%s)", o.DataComplete, o.Status, months, o.Text(","))
		}
		return
	}
	t.Fatal("no meeting_reduction outlook")
}
