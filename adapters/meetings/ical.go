// Package meetings reads the commune's meeting calendar: iCalendar feeds
// (RFC 5545, fetched over HTTP or read from a file) expanded into meeting
// occurrences within a window, and the CSV/XLSX meetings file kept by offices
// without a calendar system (registers-meetings.md §2).
//
// The package knows the wire formats only; what the chiso conventions
// (CATEGORIES, X-CHISO-*) mean is decided in mapping/meetings.
package meetings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh must resolve on hosts without tzdata

	ical "github.com/emersion/go-ical"

	"chiso/adapters/vntime"
)

// Occurrence is one meeting as the calendar shows it: a single event, or one
// instance of a recurring event (with its RECURRENCE-ID override applied).
type Occurrence struct {
	// Key is the stable key of the occurrence: the UID for a single event,
	// UID + "#" + RecurrenceID for an instance of a recurring event.
	Key          string
	UID          string
	RecurrenceID string // "" for single events; "20250310T010000Z" (UTC) or "20250310" (all-day)
	Summary      string
	Start, End   time.Time // End is exclusive
	AllDay       bool
	Status       string   // STATUS upper-cased: CONFIRMED, TENTATIVE, CANCELLED or ""
	Categories   []string // every CATEGORIES value, trimmed
	Organizer    string   // ORGANIZER value, e.g. "mailto:vp@yendinh.gov.vn"
	OrganizerCN  string   // ORGANIZER;CN=...
	Location     string
	URL          string
	Conference   []string // CONFERENCE and vendor conference-link properties
	// X holds the X-CHISO-* properties by upper-cased name.
	X map[string]XProp
	// Line is the line of the VEVENT (the override's, if any) in the feed.
	Line int
	// Warnings are problems that did not stop the occurrence from loading
	// (e.g. an unknown TZID read as Vietnam time).
	Warnings []string
}

// Cancelled reports whether STATUS is CANCELLED.
func (o Occurrence) Cancelled() bool { return o.Status == "CANCELLED" }

// XProp is the raw value of an extension property with its TZID parameter.
type XProp struct {
	Value string
	TZID  string
}

// Problem is a VEVENT that could not be read. The feed still loads; Raw
// holds the VEVENT's bytes so that nothing is lost.
type Problem struct {
	UID          string // may be empty when the UID itself is missing
	RecurrenceID string // the RECURRENCE-ID value as written, for an override
	Begin        int    // line of BEGIN:VEVENT
	Line         int    // line of the property at fault (Begin when none is)
	Field        string // the property at fault, e.g. "DTSTART"
	Msg          string
	Raw          []byte
}

func (p Problem) Error() string {
	uid := p.UID
	if uid == "" {
		uid = "(no UID)"
	}
	return fmt.Sprintf("line %d: VEVENT %s: %s: %s", p.Line, uid, p.Field, p.Msg)
}

// Feed is a parsed and expanded calendar.
type Feed struct {
	Name        string // X-WR-CALNAME or NAME
	Occurrences []Occurrence
	Problems    []Problem
	// Warnings are problems of the feed that did not stop it from loading
	// (an encoding transcoded, lines ignored after END:VCALENDAR).
	Warnings []string
	// UIDs lists every UID present in the feed (also those whose events
	// failed or fell outside the window), so that a caller never mistakes a
	// bad event for a deleted one.
	UIDs map[string]bool
}

// Default bounds of a feed's expansion (ParseOptions).
const (
	DefaultMaxPerSeries = 1000
	DefaultMaxPerFeed   = 20000
)

// ParseOptions says which occurrences to keep.
type ParseOptions struct {
	// From and To bound the occurrence starts kept: From <= start < To; a
	// zero From keeps the whole history. To is required (recurring events
	// may be endless).
	From, To time.Time
	// Floating is the zone of times without Z or TZID, and of all-day dates
	// (default Asia/Ho_Chi_Minh).
	Floating *time.Location
	// MaxPerSeries bounds the occurrences one recurring event may have from
	// its DTSTART up to To (default DefaultMaxPerSeries): a series beyond
	// it is not a meeting series and is rejected, as is one that recurs
	// more often than daily.
	MaxPerSeries int
	// MaxPerFeed bounds the occurrences of the whole feed up to To (default
	// DefaultMaxPerFeed): beyond it the feed is refused. Both bounds are
	// checked while expanding, never after.
	MaxPerFeed int
}

// ParseICS is ParseICSContext without a context.
func ParseICS(data []byte, opt ParseOptions) (*Feed, error) {
	return ParseICSContext(context.Background(), data, opt)
}

// ParseICSContext parses an iCalendar feed and expands its events within
// the window. A feed that is not iCalendar, or whose structure is broken
// (truncated, unbalanced BEGIN/END), is an error naming the line; an event
// that cannot be read (a malformed line in it included) is a Problem and the
// others load. The context is checked between events.
func ParseICSContext(ctx context.Context, data []byte, opt ParseOptions) (*Feed, error) {
	if opt.Floating == nil {
		opt.Floating = vntime.Location
	}
	if opt.MaxPerSeries <= 0 {
		opt.MaxPerSeries = DefaultMaxPerSeries
	}
	if opt.MaxPerFeed <= 0 {
		opt.MaxPerFeed = DefaultMaxPerFeed
	}
	if opt.To.IsZero() {
		return nil, errors.New("ical: the window end is required")
	}
	text, mixed, warn, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	sc, err := scan(text, mixed)
	if err != nil {
		return nil, err
	}
	cals, err := decodeAll(sc.clean)
	if err != nil {
		return nil, err
	}
	p := &parser{ctx: ctx, opt: opt, zones: map[string]*time.Location{}, feed: &Feed{UIDs: map[string]bool{}}}
	if warn != "" {
		p.feed.Warnings = append(p.feed.Warnings, warn)
	}
	p.feed.Warnings = append(p.feed.Warnings, sc.warnings...)
	for _, b := range sc.bad {
		p.feed.Problems = append(p.feed.Problems, b)
		if b.UID != "" {
			p.feed.UIDs[b.UID] = true
		}
	}
	var events []*vevent
	i := 0
	for _, cal := range cals {
		if p.feed.Name == "" {
			p.feed.Name = propText(cal.Component, "X-WR-CALNAME")
			if p.feed.Name == "" {
				p.feed.Name = propText(cal.Component, ical.PropName)
			}
		}
		calZone := p.calendarZone(cal.Component)
		for _, child := range cal.Children {
			if child.Name == ical.CompTimezone {
				p.addZone(child)
			}
		}
		for _, child := range cal.Children {
			if child.Name != ical.CompEvent {
				continue
			}
			ev := &vevent{comp: child, calZone: calZone}
			if i < len(sc.spans) {
				ev.line, ev.raw = sc.spans[i].line, sc.spans[i].raw
			}
			i++
			events = append(events, ev)
		}
	}
	if err := p.expand(events); err != nil {
		return nil, err
	}
	for i := range p.feed.Problems {
		p.feed.Problems[i].Raw = originalBytes(p.feed.Problems[i].Raw, enc)
	}
	return p.feed, nil
}

// decodeAll decodes every VCALENDAR of the feed (some servers concatenate
// several). go-ical panics on a few malformed inputs; scan rejects those
// first, and the recover turns anything left into an error.
func decodeAll(data []byte) (cals []*ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ical: malformed feed: %v", r)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	for {
		cal, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ical: malformed feed: %w", err)
		}
		cals = append(cals, cal)
	}
	if len(cals) == 0 {
		return nil, errors.New("ical: the feed holds no VCALENDAR")
	}
	return cals, nil
}

type vevent struct {
	comp    *ical.Component
	line    int
	raw     []byte
	calZone *calZone // the calendar's X-WR-TIMEZONE, nil when none
}

type parser struct {
	ctx   context.Context
	opt   ParseOptions
	zones map[string]*time.Location // from VTIMEZONE blocks, by TZID
	feed  *Feed
	total int // occurrences expanded so far, in or out of the window
}

// Time reads the property as a date-time (see ParseDateTime); a date alone
// is the start of that day. A duration ("-P1D", "-PT18H") is relative to
// start: recurring meetings use it ("materials go out a day before each").
func (x XProp) Time(start time.Time, floating *time.Location) (time.Time, error) {
	if v := strings.TrimPrefix(strings.ToUpper(x.Value), "+"); strings.HasPrefix(v, "P") || strings.HasPrefix(v, "-P") {
		d, err := ParseDuration(v)
		if err != nil {
			return time.Time{}, err
		}
		return start.Add(d), nil
	}
	var loc *time.Location
	if x.TZID != "" {
		if l, ok := ZoneByName(x.TZID); ok {
			loc = l
		}
	}
	t, _, err := ParseDateTime(x.Value, loc, floating)
	return t, err
}

// ParseDateTime reads an iCalendar DATE ("20250310") or DATE-TIME
// ("20250310T080000", "20250310T010000Z") value; as a courtesy to people
// typing X-CHISO-* values by hand it also accepts RFC 3339 and
// "2006-01-02 15:04". loc is the TZID's location (nil: none); floating is
// used for times without a zone and for dates.
func ParseDateTime(value string, loc, floating *time.Location) (t time.Time, dateOnly bool, err error) {
	if floating == nil {
		floating = vntime.Location
	}
	if loc == nil {
		loc = floating
	}
	v := strings.TrimSpace(value)
	switch {
	case len(v) == 8:
		t, err = time.ParseInLocation("20060102", v, floating)
		return t, true, wrapDT(v, err)
	case len(v) == 16 && strings.HasSuffix(v, "Z"):
		t, err = time.Parse("20060102T150405Z", v)
		return t, false, wrapDT(v, err)
	case len(v) == 15:
		t, err = time.ParseInLocation("20060102T150405", v, loc)
		return t, false, wrapDT(v, err)
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err = time.ParseInLocation(layout, v, loc); err == nil {
			return t, false, nil
		}
	}
	if t, err = time.ParseInLocation("2006-01-02", v, floating); err == nil {
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date-time (want 20250310T080000, 20250310T010000Z or 20250310)", v)
}

func wrapDT(v string, err error) error {
	if err != nil {
		return fmt.Errorf("%q is not a date-time (want 20250310T080000, 20250310T010000Z or 20250310)", v)
	}
	return nil
}

// ParseDuration reads an iCalendar DURATION ("-P1D", "PT1H30M").
func ParseDuration(s string) (time.Duration, error) {
	pr := ical.NewProp("DURATION")
	pr.Value = strings.TrimSpace(s)
	d, err := pr.Duration()
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like -P1D or -PT18H", s)
	}
	return d, nil
}

func propText(c *ical.Component, name string) string {
	pr := c.Props.Get(name)
	if pr == nil {
		return ""
	}
	return unescapeText(pr.Value)
}

// unescapeText reads a TEXT value leniently: \\, \;, \, and \n are
// unescaped, a bare comma (common in hand-written SUMMARY lines) is kept,
// an unknown escape keeps its character.
func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return strings.TrimSpace(v)
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}
