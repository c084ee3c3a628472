package meetings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Recurrence. A meeting series recurs at most daily and has at most
// MaxPerSeries occurrences from its DTSTART up to the window end; both are
// checked before and while expanding, so that a hostile feed (30 ×
// FREQ=HOURLY, 60 × FREQ=MINUTELY;COUNT=19000) costs a reject per series,
// never the materialised set. The rule's UNTIL is clamped to the window end,
// so rrule-go never iterates past it for a rule that does match.

// instance is one start of a recurring event with its length (an RDATE
// period has its own).
type instance struct {
	start time.Time
	dur   time.Duration
}

// expansion is a recurring master's instances within the window.
type expansion struct {
	kept     []instance
	excluded func(time.Time) bool // whether an EXDATE deletes the instance at t
}

// ruleProblem rejects a series: the property at fault and why.
type ruleProblem struct{ field, msg string }

// instances expands a recurring master up to the window end, keeping the
// instances in the window. A series that is not a meeting series is a
// ruleProblem; a feed beyond MaxPerFeed is an error.
func (p *parser) instances(uid string, ev *vevent, tm timing) (*expansion, *ruleProblem, error) {
	set := &rrule.Set{}
	if rp := ev.comp.Props.Get(ical.PropRecurrenceRule); rp != nil {
		rule, prob := p.rule(rp.Value, tm)
		if prob != nil {
			return nil, prob, nil
		}
		set.RRule(rule)
	} else {
		set.DTStart(tm.start)
		set.RDate(tm.start)
	}
	periods := map[int64]time.Duration{}
	for _, rd := range ev.comp.Props.Values(ical.PropRecurrenceDates) {
		for _, v := range strings.Split(rd.Value, ",") {
			t, dur, err := p.rdate(ev, v, rd.Params, tm)
			if err != nil {
				return nil, &ruleProblem{ical.PropRecurrenceDates, err.Error()}, nil
			}
			set.RDate(t)
			if dur >= 0 {
				periods[t.Unix()] = dur
			}
		}
	}
	excluded, err := p.exdates(ev, tm)
	if err != nil {
		return nil, &ruleProblem{ical.PropExceptionDates, err.Error()}, nil
	}
	out := &expansion{excluded: excluded}
	n := 0
	next := set.Iterator()
	for {
		s, ok := next()
		if !ok || !s.Before(p.opt.To) {
			break
		}
		if excluded(s) {
			continue
		}
		if n++; n > p.opt.MaxPerSeries {
			return nil, &ruleProblem{ruleField(ev), fmt.Sprintf("%s: more than %d occurrences up to %s (max_series_occurrences): not a meeting series",
				ruleText(ev), p.opt.MaxPerSeries, p.opt.To.In(p.opt.Floating).Format("2006-01-02"))}, nil
		}
		if !p.inWindow(s) {
			continue
		}
		dur := tm.dur
		if d, ok := periods[s.Unix()]; ok {
			dur = d
		}
		out.kept = append(out.kept, instance{start: s, dur: dur})
	}
	if err := p.count(n, uid, ev); err != nil {
		return nil, nil, err
	}
	return out, nil, nil
}

// ruleField is the property a series reject names: RRULE, else RDATE.
func ruleField(ev *vevent) string {
	if ev.comp.Props.Get(ical.PropRecurrenceRule) != nil {
		return ical.PropRecurrenceRule
	}
	return ical.PropRecurrenceDates
}

// ruleText quotes the series' RRULE (or says it is its RDATEs).
func ruleText(ev *vevent) string {
	if rp := ev.comp.Props.Get(ical.PropRecurrenceRule); rp != nil {
		return strconv.Quote(rp.Value)
	}
	return "the RDATE list"
}

// rule checks an RRULE value and builds it from the series' start, with
// UNTIL clamped to the window end.
func (p *parser) rule(value string, tm timing) (*rrule.RRule, *ruleProblem) {
	bad := func(format string, args ...any) *ruleProblem {
		return &ruleProblem{ical.PropRecurrenceRule, fmt.Sprintf("%q: ", value) + fmt.Sprintf(format, args...)}
	}
	if msg := implausible(value); msg != "" {
		return nil, bad("%s", msg)
	}
	opt, err := rrule.StrToROptionInLocation(value, tm.start.Location())
	if err != nil {
		return nil, bad("%v", err)
	}
	// UNTIL given as a date on a timed event: the whole day counts.
	if !tm.dateOnly && untilIsDate(value) {
		opt.Until = opt.Until.Add(24*time.Hour - time.Second)
	}
	if opt.Until.IsZero() || opt.Until.After(p.opt.To) {
		opt.Until = p.opt.To
	}
	opt.Dtstart = tm.start
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, bad("%v", err)
	}
	return rule, nil
}

// monthDays is the longest length of each month (February: 29).
var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// implausible says why an RRULE is not a meeting series ("" when it may
// be one): more often than daily, or a combination of BY-parts that matches
// no date (rrule-go would search it up to the year 9999).
func implausible(value string) string {
	parts := map[string][]string{}
	for _, part := range strings.Split(strings.ToUpper(value), ";") {
		if k, v, ok := strings.Cut(part, "="); ok {
			parts[strings.TrimSpace(k)] = strings.Split(strings.TrimSpace(v), ",")
		}
	}
	if f := parts["FREQ"]; len(f) == 1 {
		switch f[0] {
		case "SECONDLY", "MINUTELY", "HOURLY":
			return fmt.Sprintf("recurs %s: a meeting series recurs at most daily", strings.ToLower(f[0]))
		}
	}
	for _, k := range []string{"BYHOUR", "BYMINUTE", "BYSECOND"} {
		if len(parts[k]) > 1 {
			return fmt.Sprintf("%s lists %d values: a meeting series recurs at most once a day", k, len(parts[k]))
		}
	}
	ints := func(k string) []int {
		var out []int
		for _, v := range parts[k] {
			if n, err := strconv.Atoi(strings.TrimPrefix(v, "+")); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	if md := ints("BYMONTHDAY"); len(md) > 0 {
		months := ints("BYMONTH")
		if len(months) == 0 {
			months = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		}
		possible := false
		for _, m := range months {
			for _, d := range md {
				if m >= 1 && m <= 12 && d != 0 && abs(d) <= monthDays[m] {
					possible = true
				}
			}
		}
		if !possible {
			return "BYMONTH and BYMONTHDAY match no date"
		}
	}
	if len(parts["BYYEARDAY"])+len(parts["BYWEEKNO"]) > 0 && len(parts["BYMONTH"])+len(parts["BYMONTHDAY"]) > 0 {
		return "BYYEARDAY/BYWEEKNO with BYMONTH/BYMONTHDAY: not a meeting series"
	}
	if len(parts["BYMONTHDAY"]) > 0 {
		for _, d := range parts["BYDAY"] {
			if strings.TrimLeft(d, "+-0123456789") != d {
				return "BYDAY with an ordinal and BYMONTHDAY: not a meeting series"
			}
		}
	}
	if pos := ints("BYSETPOS"); len(pos) > 0 {
		size := 4 * max(1, len(parts["BYDAY"])) // a weekday comes at least 4 times a month
		if f := parts["FREQ"]; len(f) == 1 && (f[0] == "DAILY" || f[0] == "WEEKLY") {
			size = max(1, len(parts["BYDAY"]))
		}
		if len(parts["BYMONTHDAY"]) > 0 {
			size = len(parts["BYMONTHDAY"])
		}
		for _, n := range pos {
			if n == 0 || abs(n) > size {
				return fmt.Sprintf("BYSETPOS=%d picks beyond the %d dates of a period", n, size)
			}
		}
	}
	return ""
}

// rdate reads one RDATE value: a date, a date-time, or a period
// (VALUE=PERIOD: start/end or start/duration), whose length then replaces
// the series' own (dur -1: none given).
func (p *parser) rdate(ev *vevent, v string, params ical.Params, tm timing) (time.Time, time.Duration, error) {
	v = strings.TrimSpace(v)
	end := ""
	if i := strings.IndexByte(v, '/'); i >= 0 {
		v, end = v[:i], v[i+1:]
	}
	q := ical.Params{}
	for k, vals := range params {
		if k != ical.ParamValue {
			q[k] = vals
		}
	}
	t, _, _, err := p.dateTime(ev, v, q)
	if err != nil {
		return time.Time{}, 0, err
	}
	if tm.dateOnly {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, tm.start.Location())
	}
	if end == "" {
		return t, -1, nil
	}
	if u := strings.ToUpper(end); strings.HasPrefix(u, "P") || strings.HasPrefix(u, "+P") {
		d, err := ParseDuration(end)
		if err != nil || d < 0 {
			return time.Time{}, 0, fmt.Errorf("period %s/%s: %q is not a duration", v, end, end)
		}
		return t, d, nil
	}
	e, _, _, err := p.dateTime(ev, end, q)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("period %s/%s: %w", v, end, err)
	}
	if e.Before(t) {
		return time.Time{}, 0, fmt.Errorf("period %s/%s ends before it starts", v, end)
	}
	return t, e.Sub(t), nil
}

// exdates reads the master's EXDATEs as a predicate on instance starts. For
// an all-day series an EXDATE names a date (a date-time one the date
// written, in its own zone); for a timed series an instant, or with
// VALUE=DATE every instance of that day.
func (p *parser) exdates(ev *vevent, tm timing) (func(time.Time) bool, error) {
	instants := map[int64]bool{}
	days := map[string]bool{}
	for _, xp := range ev.comp.Props.Values(ical.PropExceptionDates) {
		for _, v := range strings.Split(xp.Value, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			t, dateOnly, _, err := p.dateTime(ev, v, xp.Params)
			if err != nil {
				return nil, err
			}
			switch {
			case tm.dateOnly || dateOnly:
				if len(v) < 8 {
					return nil, fmt.Errorf("%q is not a date", v)
				}
				days[v[:8]] = true
			default:
				instants[t.Unix()] = true
			}
		}
	}
	return func(s time.Time) bool {
		if instants[s.Unix()] {
			return true
		}
		return len(days) > 0 && days[s.In(p.opt.Floating).Format("20060102")]
	}, nil
}

func untilIsDate(rule string) bool {
	for _, part := range strings.Split(strings.ToUpper(rule), ";") {
		if v, ok := strings.CutPrefix(part, "UNTIL="); ok {
			return len(v) == 8
		}
	}
	return false
}
