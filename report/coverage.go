package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse"
)

// Gap is a month whose facts behind an indicator are not complete (issue
// 16): the connector (source) delivered Seen records of Fact for Unit in
// Month where history expected Expected (nil: no history to judge the
// volume by), or no successful run of it covered the month's end.
type Gap struct {
	Source   string   `json:"source"` // connector name (chiso coverage confirm --connector)
	Unit     string   `json:"unit"`
	Month    string   `json:"month"` // YYYY-MM
	Seen     int64    `json:"seen"`
	Expected *float64 `json:"expected"`
	Fact     string   `json:"fact"`     // documents_out | documents_in | dossiers | meetings
	Reason   string   `json:"reason"`   // low | no_run | low,no_run
	Baseline bool     `json:"baseline"` // a month of the baseline (cùng kỳ), not of the period
	// A confirmed month (Report.Confirmed): who confirmed it, when, why.
	ConfirmedBy string `json:"confirmed_by,omitempty"`
	ConfirmedAt string `json:"confirmed_at,omitempty"`
	Note        string `json:"note,omitempty"`
}

// CoverageGaps returns, per indicator id, the unconfirmed gaps and the
// confirmed months behind unit (rolled up) for the span [from, to] and,
// for a reduction, its baseline, judged as of now. The report, and any
// other caller that shows an indicator, uses it to say whether the
// number is complete.
func CoverageGaps(ctx context.Context, st *warehouse.Store, unit string, from, to, now time.Time) (gaps, confirmed map[string][]Gap, err error) {
	m, err := readCoverage(ctx, st, []string{unit}, [][2]time.Time{{from, to}}, now)
	if err != nil {
		return nil, nil, err
	}
	return m.gaps(ctx, unit, from, to)
}

// coverageMemo is the coverage behind a few units for a few spans, read
// in one call (warehouse.CoverageGapsOf computes the coverage once): a
// report reads its period's and its year outlook's spans at once, the
// league table those of all its units.
type coverageMemo struct {
	st    *warehouse.Store
	now   time.Time
	units map[string]bool
	spans [][2]time.Time
	rows  map[string]map[int][]warehouse.CoverageGap // unit -> span index -> rows
}

// readCoverage reads the coverage gaps of units for spans as of now.
func readCoverage(ctx context.Context, st *warehouse.Store, units []string, spans [][2]time.Time, now time.Time) (*coverageMemo, error) {
	m := &coverageMemo{st: st, now: now, units: map[string]bool{}, spans: spans, rows: map[string]map[int][]warehouse.CoverageGap{}}
	for _, u := range units {
		m.units[u] = true
	}
	rows, err := st.CoverageGapsOf(ctx, units, spans, now)
	if err != nil {
		return nil, err
	}
	for _, c := range rows {
		if m.rows[c.Root] == nil {
			m.rows[c.Root] = map[int][]warehouse.CoverageGap{}
		}
		m.rows[c.Root][c.Span] = append(m.rows[c.Root][c.Span], c)
	}
	return m, nil
}

// reportCoverageSpans are the spans of the coverage a report of p reads:
// the period, and the year outlook's when the period holds the year of now.
func reportCoverageSpans(p Period, now time.Time) [][2]time.Time {
	out := [][2]time.Time{{p.From, p.To}}
	if y := now.In(vntime.Location).Year(); p.From.Year() <= y && p.To.Year() >= y {
		from, to := outlookCoverageSpan(now)
		out = append(out, [2]time.Time{from, to})
	}
	return out
}

// gaps returns the gaps and confirmed months behind unit for [from, to],
// per indicator id, from the memo (read on its own when the memo does not
// hold that unit and span).
func (m *coverageMemo) gaps(ctx context.Context, unit string, from, to time.Time) (gaps, confirmed map[string][]Gap, err error) {
	span := -1
	for i, sp := range m.spans {
		if sp[0].Equal(from) && sp[1].Equal(to) {
			span = i
		}
	}
	if span < 0 || !m.units[unit] {
		o, err := readCoverage(ctx, m.st, []string{unit}, [][2]time.Time{{from, to}}, m.now)
		if err != nil {
			return nil, nil, err
		}
		return o.gaps(ctx, unit, from, to)
	}
	gaps, confirmed = map[string][]Gap{}, map[string][]Gap{}
	for _, c := range m.rows[unit][span] {
		g := Gap{Source: c.Connector, Unit: c.UnitCode, Month: c.MonthText(), Seen: c.Seen, Fact: c.Fact, Baseline: c.InBaseline}
		if c.Expected != nil {
			e := math.Round(*c.Expected*10) / 10
			g.Expected = &e
		}
		if c.Reason != nil {
			g.Reason = *c.Reason
		}
		if c.Status == warehouse.CoverageConfirmed {
			if c.ConfirmedBy != nil {
				g.ConfirmedBy = *c.ConfirmedBy
			}
			if c.ConfirmedAt != nil {
				g.ConfirmedAt = c.ConfirmedAt.In(vntime.Location).Format("2006-01-02T15:04:05-07:00")
			}
			if c.Note != nil {
				g.Note = *c.Note
			}
			confirmed[c.Indicator] = append(confirmed[c.Indicator], g)
			continue
		}
		gaps[c.Indicator] = append(gaps[c.Indicator], g)
	}
	return gaps, confirmed, nil
}

// applyCoverage marks each row complete or not; a row with a gap has no
// verdict (met null: "Chưa đủ số liệu").
func (r *Report) applyCoverage(ctx context.Context, cov *coverageMemo) error {
	gaps, confirmed, err := cov.gaps(ctx, r.Unit.Code, r.Period.From, r.Period.To)
	if err != nil {
		return err
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		row.Gaps = append([]Gap{}, gaps[row.Indicator]...)
		row.Confirmed = append([]Gap{}, confirmed[row.Indicator]...)
		row.DataComplete = len(row.Gaps) == 0
		if !row.DataComplete {
			row.Met = nil
		}
	}
	// The early warning (row.Status) weighs the coverage of this year's
	// facts and last year's profile itself (YearOutlook): with a gap it
	// never reads Đạt.
	return nil
}

// completeText is the "Đủ số liệu" cell.
func completeText(r Row) string {
	if r.DataComplete {
		return "Có"
	}
	return "Không"
}

// gapNotes are the Ghi chú parts about completeness: the gaps by source
// (with the months, records seen and expected), then the confirmed months.
func gapNotes(r Row) []string {
	var parts []string
	if len(r.Gaps) > 0 {
		parts = append(parts, "chưa đủ số liệu: "+joinBySource(r.Gaps, false)+" (kiểm tra nguồn, hoặc xác nhận: chiso coverage confirm)")
	}
	if len(r.Confirmed) > 0 {
		parts = append(parts, "đã xác nhận đủ số liệu: "+joinBySource(r.Confirmed, true))
	}
	return parts
}

// joinBySource writes gaps grouped by source: "so-van-ban-di tháng
// 04/2026 (0/85), 05/2026 (0/86)".
func joinBySource(gaps []Gap, confirmed bool) string {
	type key struct{ source, unit string }
	var order []key
	by := map[key][]Gap{}
	for _, g := range gaps {
		k := key{g.Source, g.Unit}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], g)
	}
	var out []string
	for _, k := range order {
		gs := by[k]
		sort.SliceStable(gs, func(i, j int) bool { return gs[i].Month < gs[j].Month })
		var months []string
		seenMonth := map[string]bool{}
		for i, g := range gs {
			if seenMonth[g.Month] {
				continue
			}
			seenMonth[g.Month] = true
			if len(months) == 6 {
				months = append(months, fmt.Sprintf("… (%d tháng)", countMonths(gs)))
				break
			}
			months = append(months, monthNote(gs, i, confirmed))
		}
		out = append(out, fmt.Sprintf("%s (%s) tháng %s", k.source, k.unit, strings.Join(months, ", ")))
	}
	return strings.Join(out, "; ")
}

func countMonths(gs []Gap) int {
	m := map[string]bool{}
	for _, g := range gs {
		m[g.Month] = true
	}
	return len(m)
}

// monthNote is one month of a source: "04/2026 (0/85)", "05/2026 (không có
// lần đồng bộ thành công)", or for a confirmed month who confirmed it and why.
func monthNote(gs []Gap, i int, confirmed bool) string {
	g := gs[i]
	m := g.Month[5:] + "/" + g.Month[:4]
	var seen, expected float64
	var noRun, hasExp bool
	for _, x := range gs {
		if x.Month != g.Month {
			continue
		}
		seen += float64(x.Seen)
		if x.Expected != nil {
			expected += *x.Expected
			hasExp = true
		}
		noRun = noRun || strings.Contains(x.Reason, warehouse.CoverageNoRun)
	}
	var what []string
	if strings.Contains(g.Reason, warehouse.CoverageLow) && hasExp {
		what = append(what, fmt.Sprintf("%s/%s bản ghi", num(seen, true, ","), num(math.Round(expected), true, ",")))
	}
	if noRun {
		what = append(what, "không có lần đồng bộ thành công sau cuối tháng")
	}
	if g.Baseline {
		what = append(what, "cùng kỳ")
	}
	if confirmed {
		what = append(what, fmt.Sprintf("xác nhận bởi %s: %s", g.ConfirmedBy, g.Note))
	}
	if len(what) == 0 {
		return m
	}
	return m + " (" + strings.Join(what, "; ") + ")"
}
