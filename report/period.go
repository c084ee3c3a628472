// Package report renders the indicators of the warehouse's kpi SQL: report
// periods (contracts.md §1), baselines and estimates, the official data
// annex as table, csv, json, markdown and xlsx, and the records behind a
// number (chiso explain). It reads the warehouse only.
package report

import (
	"chiso/warehouse/facts"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Period is a span of Vietnam calendar dates, both ends inclusive. From and
// To are dates at 00:00 UTC (calendar dates, not instants).
type Period struct {
	ID    string
	Label string // Vietnamese, for titles
	Kind  string // year | half | quarter | month | custom | named
	From  time.Time
	To    time.Time
}

// NamedPeriod is a named report period of the config (report_periods):
// the period id of year Y is ID-Y, spanning From (MM-DD, in Y-1 when
// FromPrevYear, when From is written "-MM-DD", or when From falls after
// To) to To (MM-DD of Y).
type NamedPeriod = facts.NamedPeriod

// DefaultNamedPeriods are the report periods of indicators.md
// (facts.DefaultNamedPeriods, their one definition).
var DefaultNamedPeriods = facts.DefaultNamedPeriods

var (
	reYear    = regexp.MustCompile(`^(\d{4})$`)
	reHalf    = regexp.MustCompile(`^(\d{4})-H([12])$`)
	reQuarter = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	reMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reCustom  = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$`)
	reNamed   = regexp.MustCompile(`^(.+)-(\d{4})$`)
	reMD      = regexp.MustCompile(`^(-)?(\d{2})-(\d{2})$`)
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// lastDay is the last day of month m of year y.
func lastDay(y int, m time.Month) int { return date(y, m+1, 0).Day() }

// ParsePeriod parses a period of contracts.md §1: 2026, 2026-H1, 2026-Q3,
// 2026-05, 2026-01-01..2026-05-31, or a named report period such as
// bc6t-2026 (named lists the configured ones; nil means the defaults).
func ParsePeriod(s string, named []NamedPeriod) (Period, error) {
	s = strings.TrimSpace(s)
	if named == nil {
		named = DefaultNamedPeriods
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	switch {
	case reYear.MatchString(s):
		y := atoi(s)
		return Period{ID: s, Label: "Năm " + s, Kind: "year", From: date(y, 1, 1), To: date(y, 12, 31)}, nil
	case reHalf.MatchString(s):
		m := reHalf.FindStringSubmatch(s)
		y, h := atoi(m[1]), atoi(m[2])
		f := date(y, time.Month(6*h-5), 1)
		label := fmt.Sprintf("6 tháng đầu năm %d", y)
		if h == 2 {
			label = fmt.Sprintf("6 tháng cuối năm %d", y)
		}
		return Period{ID: s, Label: label, Kind: "half", From: f, To: f.AddDate(0, 6, -1)}, nil
	case reQuarter.MatchString(s):
		m := reQuarter.FindStringSubmatch(s)
		y, q := atoi(m[1]), atoi(m[2])
		f := date(y, time.Month(3*q-2), 1)
		return Period{ID: s, Label: fmt.Sprintf("Quý %s năm %d", [...]string{"I", "II", "III", "IV"}[q-1], y), Kind: "quarter", From: f, To: f.AddDate(0, 3, -1)}, nil
	case reMonth.MatchString(s):
		m := reMonth.FindStringSubmatch(s)
		y, mo := atoi(m[1]), atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, fmt.Errorf("period %q: month %02d does not exist", s, mo)
		}
		f := date(y, time.Month(mo), 1)
		return Period{ID: s, Label: fmt.Sprintf("Tháng %d năm %d", mo, y), Kind: "month", From: f, To: f.AddDate(0, 1, -1)}, nil
	case reCustom.MatchString(s):
		m := reCustom.FindStringSubmatch(s)
		f, err1 := time.Parse("2006-01-02", m[1])
		t, err2 := time.Parse("2006-01-02", m[2])
		if err1 != nil || err2 != nil {
			return Period{}, fmt.Errorf("period %q: not a valid date range (YYYY-MM-DD..YYYY-MM-DD)", s)
		}
		if t.Before(f) {
			return Period{}, fmt.Errorf("period %q: ends before it starts", s)
		}
		return Period{ID: s, Label: fmt.Sprintf("Từ ngày %s đến ngày %s", f.Format("02/01/2006"), t.Format("02/01/2006")), Kind: "custom", From: f, To: t}, nil
	case reNamed.MatchString(s):
		m := reNamed.FindStringSubmatch(s)
		for _, n := range named {
			if n.ID == m[1] {
				f, t, err := NamedSpan(n, atoi(m[2]))
				if err != nil {
					return Period{}, fmt.Errorf("period %q: %w", s, err)
				}
				return Period{ID: s, Label: n.YearLabel(atoi(m[2])), Kind: "named", From: f, To: t}, nil
			}
		}
	}
	return Period{}, fmt.Errorf("unknown period %q: use YYYY, YYYY-H1/H2, YYYY-Q1..Q4, YYYY-MM, YYYY-MM-DD..YYYY-MM-DD or a report period (%s)", s, namedList(named))
}

func namedList(named []NamedPeriod) string {
	ids := make([]string, len(named))
	for i, n := range named {
		ids[i] = n.ID + "-YYYY"
	}
	return strings.Join(ids, ", ")
}

// NamedSpan is the span of the named period n for report year y.
func NamedSpan(n NamedPeriod, y int) (from, to time.Time, err error) {
	fm := reMD.FindStringSubmatch(strings.TrimSpace(n.From))
	tm := reMD.FindStringSubmatch(strings.TrimSpace(n.To))
	if fm == nil || tm == nil || tm[1] != "" {
		return from, to, fmt.Errorf("report period %s: from/to must be MM-DD (from may be -MM-DD: in the previous year), got %q..%q", n.ID, n.From, n.To)
	}
	mk := func(y int, mm, dd string) (time.Time, error) {
		mo, _ := strconv.Atoi(mm)
		d, _ := strconv.Atoi(dd)
		if mo < 1 || mo > 12 || d < 1 || d > 31 {
			return time.Time{}, fmt.Errorf("report period %s: %s-%s is not a date", n.ID, mm, dd)
		}
		// 29 Feb in a common year: the 28th.
		return date(y, time.Month(mo), min(d, lastDay(y, time.Month(mo)))), nil
	}
	if to, err = mk(y, tm[2], tm[3]); err != nil {
		return
	}
	fy := y
	if n.FromPrevYear || fm[1] == "-" {
		fy = y - 1
	}
	if from, err = mk(fy, fm[2], fm[3]); err != nil {
		return
	}
	if from.After(to) && fy == y {
		from = from.AddDate(-1, 0, 0)
	}
	return from, to, nil
}

// YearBack maps a date to the same date one year earlier (cùng kỳ): 29
// February becomes 28 February; when end is set, the last day of February
// stays the last day of February (so 2025-02 compares with all of 2024-02).
// The SQL function kpi_year_back does the same.
func YearBack(d time.Time, end bool) time.Time {
	y, m, day := d.Date()
	if end && m == time.February && day == lastDay(y, m) {
		return date(y-1, time.February, lastDay(y-1, time.February))
	}
	return date(y-1, m, min(day, lastDay(y-1, m)))
}

// Baseline is the cùng kỳ span of p.
func (p Period) Baseline() (from, to time.Time) { return YearBack(p.From, false), YearBack(p.To, true) }

// Days is the number of days of p.
func (p Period) Days() int { return days(p.From, p.To) }

func days(from, to time.Time) int { return int(to.Sub(from).Hours()/24+0.5) + 1 }

// EstimateSpan says what an estimate (ước thực hiện) projects to: the end
// of the half or year that contains a report period shorter than it
// (bc6t → 30 June, bcnam → 31 December), or the period's own end while the
// period is still running on today. It returns the end of the full span,
// the number of days with data (elapsed) and of the full span, and ok false
// when no estimate applies.
func (p Period) EstimateSpan(today time.Time) (end time.Time, elapsed, full int, ok bool) {
	end = p.To
	y := p.To.Year()
	for _, c := range []Period{
		{From: date(y, 1, 1), To: date(y, 6, 30)},
		{From: date(y, 7, 1), To: date(y, 12, 31)},
		{From: date(y, 1, 1), To: date(y, 12, 31)},
	} {
		if !p.From.Before(c.From) && !p.To.After(c.To) {
			if c.To.After(p.To) && p.Kind == "named" {
				end = c.To
			}
			break
		}
	}
	dataEnd := p.To
	t := date(today.Year(), today.Month(), today.Day())
	if t.Before(dataEnd) {
		dataEnd = t.AddDate(0, 0, -1) // today is not over: data to yesterday
	}
	if dataEnd.Before(p.From) || !end.After(dataEnd) {
		return end, 0, 0, false
	}
	return end, days(p.From, dataEnd), days(p.From, end), true
}
