package meetings

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
)

// dateTime parses a DATE or DATE-TIME value of ev with its parameters. A
// floating date-time (no Z, no TZID) of a calendar with an X-WR-TIMEZONE is
// read in that zone, with a warning when that differs from Vietnam time.
func (p *parser) dateTime(ev *vevent, value string, params ical.Params) (t time.Time, dateOnly bool, warn string, err error) {
	value = strings.TrimSpace(value)
	tzid := params.Get(ical.PropTimezoneID)
	var loc *time.Location
	switch {
	case tzid != "" && !strings.HasSuffix(value, "Z"):
		loc, warn = p.location(tzid)
	case tzid == "" && ev != nil && ev.calZone != nil && len(value) == 15:
		loc = ev.calZone.loc
	}
	isDate := strings.EqualFold(params.Get(ical.ParamValue), string(ical.ValueDate))
	t, dateOnly, err = ParseDateTime(value, loc, p.opt.Floating)
	if err == nil && isDate && !dateOnly {
		err = fmt.Errorf("VALUE=DATE but %q is a date-time", value)
	}
	if err == nil && tzid == "" && loc != nil && !dateOnly {
		if f, _, ferr := ParseDateTime(value, nil, p.opt.Floating); ferr == nil && !f.Equal(t) {
			warn = fmt.Sprintf("floating time %s read in the calendar's X-WR-TIMEZONE %s (%s Vietnam time)", value, ev.calZone.name, t.In(p.opt.Floating).Format("2006-01-02 15:04"))
		}
	}
	return t, dateOnly, warn, err
}

// recurrenceID formats an instance start the way keys are built.
func recurrenceID(t time.Time, dateOnly bool, floating *time.Location) string {
	if dateOnly {
		return t.In(floating).Format("20060102")
	}
	return t.UTC().Format("20060102T150405Z")
}

// override is a RECURRENCE-ID event, keyed to the instance it replaces.
type override struct {
	ev     *vevent
	key    string    // the instance's key (see overrideKey)
	at     time.Time // the RECURRENCE-ID as an instant
	future bool      // RANGE=THISANDFUTURE: it also changes the later instances
}

// overrideKey matches a RECURRENCE-ID to an instance by the series' own
// value type. For an all-day series it names a date: a date-time
// RECURRENCE-ID (Exchange writes "RECURRENCE-ID;TZID=W. Europe Standard
// Time:20260226T000000" for an all-day instance, others "…T000000Z") names
// the date written, in its own zone. For a timed series it names an instant;
// a date RECURRENCE-ID there names the instance of that day.
func (p *parser) overrideKey(ov *vevent, seriesDateOnly, haveSeries bool) (override, error) {
	rid := ov.comp.Props.Get(ical.PropRecurrenceID)
	t, dateOnly, _, err := p.dateTime(ov, rid.Value, rid.Params)
	if err != nil {
		return override{}, err
	}
	o := override{ev: ov, at: t, future: strings.EqualFold(rid.Params.Get("RANGE"), "THISANDFUTURE")}
	switch {
	case haveSeries && seriesDateOnly:
		o.key = strings.TrimSpace(rid.Value)[:8]
		o.at = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, p.opt.Floating)
		if !dateOnly {
			d, _, derr := ParseDateTime(o.key, nil, p.opt.Floating)
			if derr != nil {
				return override{}, derr
			}
			o.at = d
		}
	default:
		o.key = recurrenceID(t, dateOnly, p.opt.Floating)
	}
	return o, nil
}

// expand turns the VEVENTs into occurrences within the window. The only
// error is a feed that expands beyond MaxPerFeed (or a cancelled context).
func (p *parser) expand(events []*vevent) error {
	var order []string
	masters := map[string]*vevent{}
	overrides := map[string][]*vevent{}
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
		if ev.comp.Props.Get(ical.PropRecurrenceID) != nil {
			overrides[uid] = append(overrides[uid], ev)
			continue
		}
		if prev, ok := masters[uid]; !ok || newer(ev.comp, prev.comp) {
			masters[uid] = ev
		}
	}
	for _, uid := range order {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		if err := p.expandUID(uid, masters[uid], overrides[uid]); err != nil {
			return err
		}
	}
	sort.SliceStable(p.feed.Occurrences, func(i, j int) bool {
		a, b := p.feed.Occurrences[i], p.feed.Occurrences[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Key < b.Key
	})
	return nil
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
	pr := Problem{UID: uid, Begin: ev.line, Line: fieldLine(ev.raw, ev.line, field), Field: field, Msg: msg, Raw: ev.raw}
	if rid := ev.comp.Props.Get(ical.PropRecurrenceID); rid != nil {
		pr.RecurrenceID = strings.TrimSpace(rid.Value)
	}
	p.feed.Problems = append(p.feed.Problems, pr)
}

// fieldLine is the line of the first field property in a VEVENT's raw
// bytes starting at line begin (begin when it has none).
func fieldLine(raw []byte, begin int, field string) int {
	for i, ln := range strings.Split(string(raw), "\n") {
		if name, _, ok := strings.Cut(ln, ":"); ok {
			name, _, _ = strings.Cut(name, ";")
			if strings.EqualFold(strings.TrimSpace(name), field) {
				return begin + i
			}
		}
	}
	return begin
}

func (p *parser) inWindow(t time.Time) bool {
	return !t.Before(p.opt.From) && t.Before(p.opt.To)
}

// count adds n occurrences to the feed's total; beyond MaxPerFeed the feed
// is refused.
func (p *parser) count(n int, uid string, ev *vevent) error {
	p.total += n
	if p.total > p.opt.MaxPerFeed {
		return fmt.Errorf("ical: the feed expands to more than %d occurrences up to %s (max_feed_occurrences; reached at UID %s, line %d): not a meeting calendar, or raise the limit",
			p.opt.MaxPerFeed, p.opt.To.In(p.opt.Floating).Format("2006-01-02"), uid, ev.line)
	}
	return nil
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
	start, dateOnly, warn, err := p.dateTime(ev, ds.Value, ds.Params)
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
		end, _, warn, err := p.dateTime(ev, de.Value, de.Params)
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
// overrides whose instance the master does not generate, unless an EXDATE
// of the master deletes that instance (moved, then deleted). Steps: the
// master's timing, the overrides by instance, then single, series and
// unmatched overrides.
func (p *parser) expandUID(uid string, master *vevent, ovEvents []*vevent) error {
	x := &uidExpansion{uid: uid, master: master, used: map[string]bool{}, excluded: func(time.Time) bool { return false }}
	if master != nil {
		tm, field, err := p.timing(master)
		if err != nil {
			p.problem(master, uid, field, err.Error())
			return nil
		}
		x.tm = tm
		x.recurring = master.comp.Props.Get(ical.PropRecurrenceRule) != nil || master.comp.Props.Get(ical.PropRecurrenceDates) != nil
	}
	p.overridesByInstance(x, ovEvents)
	if master != nil && !x.recurring {
		if err := p.single(x); err != nil {
			return err
		}
	}
	if x.recurring {
		if stop, err := p.series(x); err != nil || stop {
			return err
		}
	}
	return p.unmatched(x)
}

// uidExpansion is the state of expandUID's steps for one UID.
type uidExpansion struct {
	uid       string
	master    *vevent // nil: overrides without a master (orphans)
	tm        timing  // the master's
	recurring bool    // the master has RRULE or RDATE
	byKey     map[string]override
	futures   []override // RANGE=THISANDFUTURE overrides, by time
	used      map[string]bool
	excluded  func(time.Time) bool // the master's EXDATEs
}

// overridesByInstance keys the overrides by the instance they replace (the
// newest of two for one instance wins); a bad RECURRENCE-ID is a problem of
// that override alone. THISANDFUTURE ones are also kept in time order.
func (p *parser) overridesByInstance(x *uidExpansion, ovEvents []*vevent) {
	x.byKey = map[string]override{}
	for _, ev := range ovEvents {
		o, err := p.overrideKey(ev, x.tm.dateOnly, x.master != nil)
		if err != nil {
			p.problem(ev, x.uid, ical.PropRecurrenceID, err.Error())
			continue
		}
		if prev, ok := x.byKey[o.key]; !ok || newer(ev.comp, prev.ev.comp) {
			x.byKey[o.key] = o
		}
	}
	for _, o := range x.byKey {
		if o.future {
			x.futures = append(x.futures, o)
		}
	}
	sort.Slice(x.futures, func(i, j int) bool { return x.futures[i].at.Before(x.futures[j].at) })
}

// single emits a master without recurrence, counted against the feed's
// bound when it starts before the window's end, kept when in the window.
func (p *parser) single(x *uidExpansion) error {
	tm := x.tm
	if tm.start.Before(p.opt.To) {
		if err := p.count(1, x.uid, x.master); err != nil {
			return err
		}
	}
	if p.inWindow(tm.start) {
		o := p.occurrence(x.uid, "", x.master, nil, tm.start, tm.start.Add(tm.dur), tm.dateOnly)
		o.Warnings = append(o.Warnings, tm.warn...)
		p.feed.Occurrences = append(p.feed.Occurrences, o)
	}
	return nil
}

// series emits the instances of a recurring master: an instance replaced by
// its override (matched by date-time, or by date for a date-time series),
// shifted by the latest THISANDFUTURE override before it, or as the master
// says. A series that cannot be expanded is a problem of the master and
// stops the UID (stop).
func (p *parser) series(x *uidExpansion) (stop bool, err error) {
	tm := x.tm
	set, prob, err := p.instances(x.uid, x.master, tm)
	if err != nil {
		return true, err
	}
	if prob != nil {
		p.problem(x.master, x.uid, prob.field, prob.msg)
		return true, nil
	}
	x.excluded = set.excluded
	for _, in := range set.kept {
		rid := recurrenceID(in.start, tm.dateOnly, p.opt.Floating)
		ov, ok := x.byKey[rid]
		if !ok && !tm.dateOnly {
			ov, ok = x.byKey[recurrenceID(in.start, true, p.opt.Floating)]
		}
		if ok {
			x.used[ov.key] = true
			if o, ok := p.override(x.uid, rid, ov.ev, x.master, in.start, timing{dur: in.dur, dateOnly: tm.dateOnly}); ok {
				p.feed.Occurrences = append(p.feed.Occurrences, o)
			}
			continue
		}
		if f, ok := lastFuture(x.futures, in.start); ok {
			p.feed.Occurrences = append(p.feed.Occurrences, p.fromFuture(x.uid, rid, f, x.master, in.start, tm))
			continue
		}
		o := p.occurrence(x.uid, rid, x.master, nil, in.start, in.start.Add(in.dur), tm.dateOnly)
		o.Warnings = append(o.Warnings, tm.warn...)
		p.feed.Occurrences = append(p.feed.Occurrences, o)
	}
	return false, nil
}

// unmatched emits the overrides of instances the master does not generate
// in the window (moved into the window, orphans without a master), in key
// order, unless the master deletes the instance with an EXDATE.
func (p *parser) unmatched(x *uidExpansion) error {
	keys := make([]string, 0, len(x.byKey))
	for k := range x.byKey {
		if !x.used[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		ov := x.byKey[k]
		if x.excluded(ov.at) {
			continue
		}
		base := x.tm
		if x.master == nil {
			_, dateOnly, _, _ := p.dateTime(ov.ev, ov.ev.comp.Props.Get(ical.PropRecurrenceID).Value, ov.ev.comp.Props.Get(ical.PropRecurrenceID).Params)
			base.dateOnly = dateOnly
		}
		o, ok := p.override(x.uid, k, ov.ev, x.master, ov.at, base)
		if !ok || !o.Start.Before(p.opt.To) {
			continue
		}
		if err := p.count(1, x.uid, ov.ev); err != nil {
			return err
		}
		if p.inWindow(o.Start) {
			p.feed.Occurrences = append(p.feed.Occurrences, o)
		}
	}
	return nil
}

// lastFuture is the latest RANGE=THISANDFUTURE override at or before start.
func lastFuture(futures []override, start time.Time) (override, bool) {
	for i := len(futures) - 1; i >= 0; i-- {
		if !futures[i].at.After(start) {
			return futures[i], true
		}
	}
	return override{}, false
}

// fromFuture builds an instance changed by a RANGE=THISANDFUTURE override:
// shifted as the override shifted its own instance, with its length and
// properties (the master's where it has none).
func (p *parser) fromFuture(uid, rid string, f override, master *vevent, start time.Time, base timing) Occurrence {
	shift, dur := time.Duration(0), base.dur
	var warns []string
	if f.ev.comp.Props.Get(ical.PropDateTimeStart) != nil {
		if tm, _, err := p.timing(f.ev); err == nil {
			shift, warns = tm.start.Sub(f.at), tm.warn
			if f.ev.comp.Props.Get(ical.PropDateTimeEnd) != nil || f.ev.comp.Props.Get(ical.PropDuration) != nil {
				dur = tm.dur
			}
		}
	}
	o := p.occurrence(uid, rid, f.ev, master.comp, start.Add(shift), start.Add(shift+dur), base.dateOnly)
	o.Warnings = append(o.Warnings, warns...)
	return o
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
