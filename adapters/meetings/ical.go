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
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh must resolve on hosts without tzdata

	ical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

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
	UID   string // may be empty when the UID itself is missing
	Line  int    // line of BEGIN:VEVENT
	Field string // the property at fault, e.g. "DTSTART"
	Msg   string
	Raw   []byte
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
	// UIDs lists every UID present in the feed (also those whose events
	// failed or fell outside the window), so that a caller never mistakes a
	// bad event for a deleted one.
	UIDs map[string]bool
}

// ParseOptions says which occurrences to keep.
type ParseOptions struct {
	// From and To bound the occurrence starts kept: From <= start < To.
	// To is required (recurring events may be endless).
	From, To time.Time
	// Floating is the zone of times without Z or TZID, and of all-day dates
	// (default Asia/Ho_Chi_Minh).
	Floating *time.Location
	// MaxInstances bounds how many instances one recurring event may
	// generate up to To (default 20000): a guard against FREQ=MINUTELY.
	MaxInstances int
}

// Vietnam is Vietnam time (UTC+7, no daylight saving).
var Vietnam = vntime.Location

// ParseICS parses an iCalendar feed and expands its events within the
// window. A feed that is not iCalendar, or whose structure is broken
// (truncated, unbalanced BEGIN/END, a line without a colon), is an error
// naming the line; an event that cannot be read is a Problem and the others
// load.
func ParseICS(data []byte, opt ParseOptions) (*Feed, error) {
	if opt.Floating == nil {
		opt.Floating = Vietnam
	}
	if opt.MaxInstances <= 0 {
		opt.MaxInstances = 20000
	}
	if opt.To.IsZero() {
		return nil, errors.New("ical: the window end is required")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	spans, err := scan(data)
	if err != nil {
		return nil, err
	}
	cals, err := decodeAll(data)
	if err != nil {
		return nil, err
	}
	p := &parser{opt: opt, zones: map[string]*time.Location{}, feed: &Feed{UIDs: map[string]bool{}}}
	var events []*vevent
	i := 0
	for _, cal := range cals {
		if p.feed.Name == "" {
			p.feed.Name = propText(cal.Component, "X-WR-CALNAME")
			if p.feed.Name == "" {
				p.feed.Name = propText(cal.Component, ical.PropName)
			}
		}
		for _, child := range cal.Children {
			switch child.Name {
			case ical.CompTimezone:
				p.addZone(child)
			case ical.CompEvent:
				ev := &vevent{comp: child}
				if i < len(spans) {
					ev.line, ev.raw = spans[i].line, spans[i].raw
				}
				i++
				events = append(events, ev)
			}
		}
	}
	p.expand(events)
	return p.feed, nil
}

// span is where a top-level VEVENT sits in the feed.
type span struct {
	line int
	raw  []byte
}

// scan checks the feed's structure line by line (go-ical reports no line
// numbers, and panics on some malformed parameters) and returns the spans of
// the VEVENTs directly inside a VCALENDAR, in order.
func scan(data []byte) ([]span, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("ical: the feed is empty")
	}
	type open struct {
		name  string
		line  int
		start int
	}
	var (
		stack       []open
		spans       []span
		sawCalendar bool
	)
	lines := splitLines(data)
	for k := 0; k < len(lines); k++ {
		ln := lines[k]
		text := string(ln.text)
		// Unfold continuation lines.
		for k+1 < len(lines) && len(lines[k+1].text) > 0 && (lines[k+1].text[0] == ' ' || lines[k+1].text[0] == '\t') {
			k++
			text += string(lines[k].text[1:])
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !sawCalendar {
			if !strings.EqualFold(strings.TrimSpace(text), "BEGIN:VCALENDAR") {
				return nil, fmt.Errorf("ical: line %d: not an iCalendar feed: it starts with %q, not BEGIN:VCALENDAR", ln.no, clip(text, 40))
			}
			sawCalendar = true
		}
		name, value, err := checkContentLine(text)
		if err != nil {
			return nil, fmt.Errorf("ical: line %d: %w", ln.no, err)
		}
		switch name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(value))
			if len(stack) == 0 && comp != ical.CompCalendar {
				return nil, fmt.Errorf("ical: line %d: BEGIN:%s outside a VCALENDAR", ln.no, comp)
			}
			stack = append(stack, open{comp, ln.no, ln.off})
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(value))
			if len(stack) == 0 {
				return nil, fmt.Errorf("ical: line %d: END:%s without a matching BEGIN", ln.no, comp)
			}
			top := stack[len(stack)-1]
			if top.name != comp {
				return nil, fmt.Errorf("ical: line %d: END:%s does not close BEGIN:%s of line %d", ln.no, comp, top.name, top.line)
			}
			stack = stack[:len(stack)-1]
			if comp == ical.CompEvent && len(stack) == 1 {
				end := lines[k].off + len(lines[k].text)
				spans = append(spans, span{line: top.line, raw: data[top.start:end]})
			}
		default:
			if len(stack) == 0 {
				return nil, fmt.Errorf("ical: line %d: property %s outside a VCALENDAR", ln.no, name)
			}
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return nil, fmt.Errorf("ical: the feed ends before END:%s (BEGIN:%s at line %d is not closed; truncated download?)", top.name, top.name, top.line)
	}
	return spans, nil
}

type rawLine struct {
	no   int // 1-based
	off  int // byte offset in the feed
	text []byte
}

func splitLines(data []byte) []rawLine {
	var out []rawLine
	off := 0
	for no := 1; off < len(data); no++ {
		j := bytes.IndexByte(data[off:], '\n')
		var text []byte
		next := len(data)
		if j >= 0 {
			text = data[off : off+j]
			next = off + j + 1
		} else {
			text = data[off:]
		}
		text = bytes.TrimSuffix(text, []byte("\r"))
		out = append(out, rawLine{no: no, off: off, text: text})
		off = next
	}
	return out
}

// checkContentLine validates "NAME *(;PARAM=VALUE*(,VALUE)) : VALUE" the way
// go-ical reads it, so that what go-ical would choke (or panic) on is an
// error with a line number here.
func checkContentLine(s string) (name, value string, err error) {
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return "", "", fmt.Errorf("malformed line %q: no colon between name and value", clip(s, 60))
	}
	if i == 0 {
		return "", "", fmt.Errorf("malformed line %q: empty property name", clip(s, 60))
	}
	name = strings.ToUpper(s[:i])
	rest := s[i:]
	for strings.HasPrefix(rest, ";") {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", "", fmt.Errorf("%s: malformed parameter %q", name, clip(rest, 40))
		}
		rest = rest[eq+1:]
		for {
			if strings.HasPrefix(rest, `"`) {
				q := strings.IndexByte(rest[1:], '"')
				if q < 0 {
					return "", "", fmt.Errorf("%s: unterminated quoted parameter value", name)
				}
				rest = rest[q+2:]
			} else {
				j := strings.IndexAny(rest, `;,:"`)
				if j < 0 {
					return "", "", fmt.Errorf("%s: no colon before the value", name)
				}
				if rest[j] == '"' {
					return "", "", fmt.Errorf("%s: stray double quote in a parameter value", name)
				}
				rest = rest[j:]
			}
			if rest == "" {
				return "", "", fmt.Errorf("%s: no colon before the value", name)
			}
			if rest[0] == ',' {
				rest = rest[1:]
				continue
			}
			if rest[0] != ';' && rest[0] != ':' {
				return "", "", fmt.Errorf("%s: unexpected %q after a parameter value", name, rest[0])
			}
			break
		}
	}
	if !strings.HasPrefix(rest, ":") {
		return "", "", fmt.Errorf("%s: no colon before the value", name)
	}
	return name, rest[1:], nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
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
	comp *ical.Component
	line int
	raw  []byte
}

type parser struct {
	opt   ParseOptions
	zones map[string]*time.Location // from VTIMEZONE blocks, by TZID
	feed  *Feed
}

// addZone reads a VTIMEZONE as a fixed offset (its STANDARD TZOFFSETTO).
// It is only used when the TZID is not a name the Go tz database knows
// (Windows names, vendor prefixes); for Vietnam that is exact.
func (p *parser) addZone(c *ical.Component) {
	tzid := propText(c, ical.PropTimezoneID)
	if tzid == "" {
		return
	}
	for _, sub := range c.Children {
		if sub.Name != ical.CompTimezoneStandard && sub.Name != ical.CompTimezoneDaylight {
			continue
		}
		if off, ok := parseOffset(propText(sub, ical.PropTimezoneOffsetTo)); ok {
			p.zones[tzid] = time.FixedZone(tzid, off)
			if sub.Name == ical.CompTimezoneStandard {
				return
			}
		}
	}
}

func parseOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, false
	}
	var h, m, sec int
	if _, err := fmt.Sscanf(s[1:5], "%02d%02d", &h, &m); err != nil {
		return 0, false
	}
	if len(s) == 7 {
		if _, err := fmt.Sscanf(s[5:], "%02d", &sec); err != nil {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60 + sec), true
}

// windowsZones maps the Windows zone names Outlook/Exchange write in TZID
// for UTC+7 to an IANA zone.
var windowsZones = map[string]string{
	"SE Asia Standard Time":               "Asia/Ho_Chi_Minh",
	"(UTC+07:00) Bangkok, Hanoi, Jakarta": "Asia/Ho_Chi_Minh",
}

// ZoneByName resolves a TZID without a VTIMEZONE block: the tz database
// name, a vendor-prefixed name ("/mozilla.org/20050126_1/Asia/Ho_Chi_Minh")
// or a Windows name Outlook writes ("SE Asia Standard Time").
func ZoneByName(tzid string) (*time.Location, bool) {
	tzid = strings.TrimSpace(tzid)
	if tzid == "" || tzid == "Local" {
		return nil, false
	}
	if loc, err := time.LoadLocation(tzid); err == nil {
		return loc, true
	}
	if parts := strings.Split(strings.Trim(tzid, "/"), "/"); len(parts) >= 2 {
		if loc, err := time.LoadLocation(strings.Join(parts[len(parts)-2:], "/")); err == nil {
			return loc, true
		}
	}
	if name, ok := windowsZones[tzid]; ok {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, true
		}
	}
	return nil, false
}

// location resolves a TZID: by name, then the feed's VTIMEZONE block; an
// unknown TZID is read as floating (Vietnam) time with a warning.
func (p *parser) location(tzid string) (*time.Location, string) {
	if loc, ok := ZoneByName(tzid); ok {
		return loc, ""
	}
	if loc, ok := p.zones[tzid]; ok {
		return loc, ""
	}
	return p.opt.Floating, fmt.Sprintf("unknown TZID %q: read as Vietnam time", tzid)
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

// dateTime parses a DATE or DATE-TIME value with its parameters.
func (p *parser) dateTime(value string, params ical.Params) (t time.Time, dateOnly bool, warn string, err error) {
	value = strings.TrimSpace(value)
	tzid := params.Get(ical.PropTimezoneID)
	var loc *time.Location
	if tzid != "" && !strings.HasSuffix(value, "Z") {
		loc, warn = p.location(tzid)
	}
	isDate := strings.EqualFold(params.Get(ical.ParamValue), string(ical.ValueDate))
	t, dateOnly, err = ParseDateTime(value, loc, p.opt.Floating)
	if err == nil && isDate && !dateOnly {
		err = fmt.Errorf("VALUE=DATE but %q is a date-time", value)
	}
	return t, dateOnly, warn, err
}

// ParseDateTime reads an iCalendar DATE ("20250310") or DATE-TIME
// ("20250310T080000", "20250310T010000Z") value; as a courtesy to people
// typing X-CHISO-* values by hand it also accepts RFC 3339 and
// "2006-01-02 15:04". loc is the TZID's location (nil: none); floating is
// used for times without a zone and for dates.
func ParseDateTime(value string, loc, floating *time.Location) (t time.Time, dateOnly bool, err error) {
	if floating == nil {
		floating = Vietnam
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

// recurrenceID formats an instance start the way keys are built.
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

func recurrenceID(t time.Time, dateOnly bool, floating *time.Location) string {
	if dateOnly {
		return t.In(floating).Format("20060102")
	}
	return t.UTC().Format("20060102T150405Z")
}

// expand turns the VEVENTs into occurrences within the window.
func (p *parser) expand(events []*vevent) {
	var order []string
	masters := map[string]*vevent{}
	overrides := map[string]map[string]*vevent{}
	for _, ev := range events {
		uid := propText(ev.comp, ical.PropUID)
		if uid == "" {
			p.problem(ev, "", ical.PropUID, "missing (every event needs a UID: it is the meeting's key)")
			continue
		}
		if !p.feed.UIDs[uid] {
			order = append(order, uid)
		}
		p.feed.UIDs[uid] = true
		if rid := ev.comp.Props.Get(ical.PropRecurrenceID); rid != nil {
			t, dateOnly, _, err := p.dateTime(rid.Value, rid.Params)
			if err != nil {
				p.problem(ev, uid, ical.PropRecurrenceID, err.Error())
				continue
			}
			key := recurrenceID(t, dateOnly, p.opt.Floating)
			if overrides[uid] == nil {
				overrides[uid] = map[string]*vevent{}
			}
			if prev, ok := overrides[uid][key]; !ok || newer(ev.comp, prev.comp) {
				overrides[uid][key] = ev
			}
			continue
		}
		if prev, ok := masters[uid]; !ok || newer(ev.comp, prev.comp) {
			masters[uid] = ev
		}
	}
	for _, uid := range order {
		p.expandUID(uid, masters[uid], overrides[uid])
	}
	sort.SliceStable(p.feed.Occurrences, func(i, j int) bool {
		a, b := p.feed.Occurrences[i], p.feed.Occurrences[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Key < b.Key
	})
}

// newer reports whether a supersedes b (higher SEQUENCE, else later
// LAST-MODIFIED/DTSTAMP, else the later one in the feed).
func newer(a, b *ical.Component) bool {
	sa, sb := seq(a), seq(b)
	if sa != sb {
		return sa > sb
	}
	ma, mb := stamp(a), stamp(b)
	if ma != mb {
		return ma > mb
	}
	return true
}

func seq(c *ical.Component) int {
	if pr := c.Props.Get(ical.PropSequence); pr != nil {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(pr.Value), "%d", &n); err == nil {
			return n
		}
	}
	return 0
}

func stamp(c *ical.Component) string {
	for _, name := range []string{ical.PropLastModified, ical.PropDateTimeStamp} {
		if pr := c.Props.Get(name); pr != nil {
			return pr.Value
		}
	}
	return ""
}

func (p *parser) problem(ev *vevent, uid, field, msg string) {
	p.feed.Problems = append(p.feed.Problems, Problem{UID: uid, Line: ev.line, Field: field, Msg: msg, Raw: ev.raw})
}

func (p *parser) inWindow(t time.Time) bool {
	return !t.Before(p.opt.From) && t.Before(p.opt.To)
}

// timing is a VEVENT's start and length.
type timing struct {
	start    time.Time
	dur      time.Duration
	dateOnly bool
	warn     []string
}

func (p *parser) timing(ev *vevent) (timing, string, error) {
	var tm timing
	ds := ev.comp.Props.Get(ical.PropDateTimeStart)
	if ds == nil {
		return tm, ical.PropDateTimeStart, errors.New("missing")
	}
	start, dateOnly, warn, err := p.dateTime(ds.Value, ds.Params)
	if err != nil {
		return tm, ical.PropDateTimeStart, err
	}
	if warn != "" {
		tm.warn = append(tm.warn, "DTSTART: "+warn)
	}
	tm.start, tm.dateOnly = start, dateOnly
	switch {
	case ev.comp.Props.Get(ical.PropDateTimeEnd) != nil:
		de := ev.comp.Props.Get(ical.PropDateTimeEnd)
		end, _, warn, err := p.dateTime(de.Value, de.Params)
		if err != nil {
			return tm, ical.PropDateTimeEnd, err
		}
		if warn != "" {
			tm.warn = append(tm.warn, "DTEND: "+warn)
		}
		if end.Before(start) {
			return tm, ical.PropDateTimeEnd, fmt.Errorf("%s is before DTSTART %s", de.Value, ds.Value)
		}
		tm.dur = end.Sub(start)
	case ev.comp.Props.Get(ical.PropDuration) != nil:
		d, err := ev.comp.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return tm, ical.PropDuration, err
		}
		if d < 0 {
			return tm, ical.PropDuration, errors.New("negative duration")
		}
		tm.dur = d
	case dateOnly:
		tm.dur = 24 * time.Hour
	}
	return tm, "", nil
}

// expandUID emits the occurrences of one UID: the master event (single, or
// expanded by RRULE/RDATE minus EXDATE) with its overrides applied, and the
// overrides whose instance the master does not generate.
func (p *parser) expandUID(uid string, master *vevent, overrides map[string]*vevent) {
	used := map[string]bool{}
	if master != nil {
		tm, field, err := p.timing(master)
		if err != nil {
			p.problem(master, uid, field, err.Error())
			return
		}
		recurring := master.comp.Props.Get(ical.PropRecurrenceRule) != nil || master.comp.Props.Get(ical.PropRecurrenceDates) != nil
		if !recurring {
			if p.inWindow(tm.start) {
				o := p.occurrence(uid, "", master, nil, tm.start, tm.start.Add(tm.dur), tm.dateOnly)
				o.Warnings = append(o.Warnings, tm.warn...)
				p.feed.Occurrences = append(p.feed.Occurrences, o)
			}
		} else {
			starts, field, err := p.instances(master, tm)
			if err != nil {
				p.problem(master, uid, field, err.Error())
				return
			}
			for _, s := range starts {
				rid := recurrenceID(s, tm.dateOnly, p.opt.Floating)
				if ov, ok := overrides[rid]; ok {
					used[rid] = true
					if o, ok := p.override(uid, rid, ov, master, s, tm); ok {
						p.feed.Occurrences = append(p.feed.Occurrences, o)
					}
					continue
				}
				o := p.occurrence(uid, rid, master, nil, s, s.Add(tm.dur), tm.dateOnly)
				o.Warnings = append(o.Warnings, tm.warn...)
				p.feed.Occurrences = append(p.feed.Occurrences, o)
			}
		}
	}
	// Overrides of instances the master does not generate in the window
	// (moved into the window, orphans without a master).
	rids := make([]string, 0, len(overrides))
	for rid := range overrides {
		if !used[rid] {
			rids = append(rids, rid)
		}
	}
	sort.Strings(rids)
	for _, rid := range rids {
		ov := overrides[rid]
		var base timing
		if master != nil {
			base, _, _ = p.timing(master)
		}
		ridProp := ov.comp.Props.Get(ical.PropRecurrenceID)
		s, dateOnly, _, _ := p.dateTime(ridProp.Value, ridProp.Params)
		base.dateOnly = base.dateOnly || dateOnly
		if o, ok := p.override(uid, rid, ov, master, s, base); ok && p.inWindow(o.Start) {
			p.feed.Occurrences = append(p.feed.Occurrences, o)
		}
	}
}

// override builds the occurrence of an overridden instance.
func (p *parser) override(uid, rid string, ov, master *vevent, instStart time.Time, base timing) (Occurrence, bool) {
	start, end := instStart, instStart.Add(base.dur)
	dateOnly := base.dateOnly
	var warns []string
	if ov.comp.Props.Get(ical.PropDateTimeStart) != nil {
		tm, field, err := p.timing(ov)
		if err != nil {
			p.problem(ov, uid, field, err.Error())
			return Occurrence{}, false
		}
		start, dateOnly, warns = tm.start, tm.dateOnly, tm.warn
		end = start.Add(tm.dur)
		if ov.comp.Props.Get(ical.PropDateTimeEnd) == nil && ov.comp.Props.Get(ical.PropDuration) == nil && !tm.dateOnly {
			end = start.Add(base.dur)
		}
	}
	var fallback *ical.Component
	if master != nil {
		fallback = master.comp
	}
	o := p.occurrence(uid, rid, ov, fallback, start, end, dateOnly)
	o.Warnings = append(o.Warnings, warns...)
	if master != nil && strings.EqualFold(propText(master.comp, ical.PropStatus), "CANCELLED") {
		o.Status = "CANCELLED"
	}
	return o, true
}

// instances lists the instance starts of a recurring master up to the
// window end, keeping those in the window.
func (p *parser) instances(ev *vevent, tm timing) ([]time.Time, string, error) {
	var set rrule.Set
	if rp := ev.comp.Props.Get(ical.PropRecurrenceRule); rp != nil {
		opt, err := rrule.StrToROptionInLocation(rp.Value, tm.start.Location())
		if err != nil {
			return nil, ical.PropRecurrenceRule, fmt.Errorf("%q: %w", rp.Value, err)
		}
		// UNTIL given as a date on a timed event: the whole day counts.
		if !tm.dateOnly && untilIsDate(rp.Value) {
			opt.Until = opt.Until.Add(24*time.Hour - time.Second)
		}
		opt.Dtstart = tm.start
		rule, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, ical.PropRecurrenceRule, fmt.Errorf("%q: %w", rp.Value, err)
		}
		set.RRule(rule)
	} else {
		set.DTStart(tm.start)
		set.RDate(tm.start)
	}
	for _, rd := range ev.comp.Props.Values(ical.PropRecurrenceDates) {
		for _, v := range strings.Split(rd.Value, ",") {
			if i := strings.IndexByte(v, '/'); i >= 0 { // VALUE=PERIOD: the start counts
				v = v[:i]
			}
			t, _, _, err := p.dateTime(v, rd.Params)
			if err != nil {
				return nil, ical.PropRecurrenceDates, err
			}
			if tm.dateOnly {
				t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, tm.start.Location())
			}
			set.RDate(t)
		}
	}
	type exdate struct {
		t        time.Time
		dateOnly bool
	}
	var ex []exdate
	for _, xp := range ev.comp.Props.Values(ical.PropExceptionDates) {
		for _, v := range strings.Split(xp.Value, ",") {
			t, dateOnly, _, err := p.dateTime(v, xp.Params)
			if err != nil {
				return nil, ical.PropExceptionDates, err
			}
			ex = append(ex, exdate{t, dateOnly})
		}
	}
	excluded := func(s time.Time) bool {
		for _, e := range ex {
			if e.t.Equal(s) {
				return true
			}
			if e.dateOnly {
				y1, m1, d1 := s.In(p.opt.Floating).Date()
				y2, m2, d2 := e.t.Date()
				if y1 == y2 && m1 == m2 && d1 == d2 {
					return true
				}
			}
		}
		return false
	}
	var out []time.Time
	next := set.Iterator()
	for n := 0; ; n++ {
		s, ok := next()
		if !ok || !s.Before(p.opt.To) {
			break
		}
		if n >= p.opt.MaxInstances {
			return nil, ical.PropRecurrenceRule, fmt.Errorf("more than %d instances before %s: refusing to expand", p.opt.MaxInstances, p.opt.To.Format("2006-01-02"))
		}
		if !p.inWindow(s) || excluded(s) {
			continue
		}
		out = append(out, s)
	}
	return out, "", nil
}

func untilIsDate(rule string) bool {
	for _, part := range strings.Split(strings.ToUpper(rule), ";") {
		if v, ok := strings.CutPrefix(part, "UNTIL="); ok {
			return len(v) == 8
		}
	}
	return false
}

// conferenceProps are properties that carry an online-meeting link.
var conferenceProps = []string{ical.PropConference, "X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL", "X-MICROSOFT-ONLINEMEETINGCONFLINK", "X-MS-OLK-CONFERENCEURL"}

// occurrence builds an Occurrence from comp; convention properties absent
// from comp are taken from fallback (the master of an override), because
// many calendar systems write only what changed in an override.
func (p *parser) occurrence(uid, rid string, ev *vevent, fallback *ical.Component, start, end time.Time, allDay bool) Occurrence {
	c := ev.comp
	get := func(name string) []ical.Prop {
		if v := c.Props.Values(name); len(v) > 0 || fallback == nil {
			return v
		}
		return fallback.Props.Values(name)
	}
	text := func(name string) string {
		v := get(name)
		if len(v) == 0 {
			return ""
		}
		return unescapeText(v[0].Value)
	}
	key := uid
	if rid != "" {
		key = uid + "#" + rid
	}
	o := Occurrence{
		Key: key, UID: uid, RecurrenceID: rid,
		Summary:  text(ical.PropSummary),
		Start:    start,
		End:      end,
		AllDay:   allDay,
		Status:   strings.ToUpper(propText(c, ical.PropStatus)),
		Location: text(ical.PropLocation),
		URL:      text(ical.PropURL),
		Line:     ev.line,
		X:        map[string]XProp{},
	}
	if fallback != nil && o.Status == "" && strings.EqualFold(propText(fallback, ical.PropStatus), "CANCELLED") {
		o.Status = "CANCELLED"
	}
	for _, cp := range get(ical.PropCategories) {
		l, err := cp.TextList()
		if err != nil {
			l = strings.Split(cp.Value, ",")
		}
		for _, v := range l {
			if v = strings.TrimSpace(v); v != "" {
				o.Categories = append(o.Categories, v)
			}
		}
	}
	if org := get(ical.PropOrganizer); len(org) > 0 {
		o.Organizer = strings.TrimSpace(org[0].Value)
		o.OrganizerCN = strings.TrimSpace(org[0].Params.Get(ical.ParamCommonName))
	}
	for _, name := range conferenceProps {
		for _, cp := range get(name) {
			if v := strings.TrimSpace(cp.Value); v != "" {
				o.Conference = append(o.Conference, v)
			}
		}
	}
	names := map[string]bool{}
	for name := range c.Props {
		names[name] = true
	}
	if fallback != nil {
		for name := range fallback.Props {
			names[name] = true
		}
	}
	for name := range names {
		if !strings.HasPrefix(name, "X-CHISO-") {
			continue
		}
		v := get(name)
		if len(v) == 0 {
			continue
		}
		o.X[name] = XProp{Value: unescapeText(v[0].Value), TZID: v[0].Params.Get(ical.PropTimezoneID)}
	}
	return o
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
