package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
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
