package meetings

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"chiso/adapters/vntime"
)

// Zones. A TZID is resolved, in order: by the tz database (also behind a
// vendor prefix such as /mozilla.org/…/Asia/Ho_Chi_Minh); by the feed's
// VTIMEZONE block of that TZID, with its daylight-saving rules (Outlook
// and Exchange write Windows names such as "W. Europe Standard Time" with
// RRULE'd STANDARD/DAYLIGHT observances); by the Windows names of UTC+7;
// else it is unknown and read as floating time with a warning.

// windowsZones maps the Windows zone names Outlook/Exchange write in TZID
// for UTC+7 to an IANA zone.
var windowsZones = map[string]string{
	"SE Asia Standard Time":               vntime.Name,
	"(UTC+07:00) Bangkok, Hanoi, Jakarta": vntime.Name,
}

// ianaZone resolves a tz database name, also behind a vendor prefix.
func ianaZone(tzid string) (*time.Location, bool) {
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
	return nil, false
}

// ZoneByName resolves a TZID without a VTIMEZONE block: the tz database
// name, a vendor-prefixed name ("/mozilla.org/20050126_1/Asia/Ho_Chi_Minh")
// or a Windows name Outlook writes ("SE Asia Standard Time").
func ZoneByName(tzid string) (*time.Location, bool) {
	if loc, ok := ianaZone(tzid); ok {
		return loc, true
	}
	if name, ok := windowsZones[strings.TrimSpace(tzid)]; ok {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, true
		}
	}
	return nil, false
}

// location resolves a TZID (see the order above); an unknown TZID is read
// as floating (Vietnam) time with a warning.
func (p *parser) location(tzid string) (*time.Location, string) {
	if loc, ok := ianaZone(tzid); ok {
		return loc, ""
	}
	if loc, ok := p.zones[tzid]; ok {
		return loc, ""
	}
	if loc, ok := ZoneByName(tzid); ok {
		return loc, ""
	}
	return p.opt.Floating, fmt.Sprintf("unknown TZID %q: read as Vietnam time", tzid)
}

// calZone is a calendar's X-WR-TIMEZONE: the zone its producer (Google,
// Apple) meant for floating times.
type calZone struct {
	name string
	loc  *time.Location
}

// calendarZone reads X-WR-TIMEZONE; nil when absent or unknown.
func (p *parser) calendarZone(c *ical.Component) *calZone {
	name := propText(c, "X-WR-TIMEZONE")
	if name == "" {
		return nil
	}
	loc, ok := ZoneByName(name)
	if !ok {
		p.feed.Warnings = append(p.feed.Warnings, fmt.Sprintf("X-WR-TIMEZONE %q is not a known zone: floating times read as Vietnam time", name))
		return nil
	}
	return &calZone{name: name, loc: loc}
}

// addZone reads a VTIMEZONE with its observances. It is used only for a
// TZID the tz database does not know.
func (p *parser) addZone(c *ical.Component) {
	tzid := propText(c, ical.PropTimezoneID)
	if tzid == "" {
		return
	}
	if _, ok := ianaZone(tzid); ok {
		return
	}
	loc, err := zoneFromVTimezone(tzid, c)
	if err != nil {
		p.feed.Warnings = append(p.feed.Warnings, fmt.Sprintf("VTIMEZONE %q: %v", tzid, err))
		return
	}
	p.zones[tzid] = loc
}

// onset is one change of offset of a VTIMEZONE.
type onset struct {
	at     int64 // Unix seconds
	offset int   // seconds east of UTC from then on
	dst    bool
	name   string
	from   int // the offset before (for the zone before the first onset)
}

// Observance onsets are generated from 1900 to 2100; a zone is constant
// after its last one.
var (
	zoneFirst = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	zoneLast  = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxOnsets bounds the onsets of one observance (a yearly rule from 1601
// to 2100 has 500).
const maxOnsets = 1000

// zoneFromVTimezone builds a time.Location from a VTIMEZONE's STANDARD and
// DAYLIGHT observances (DTSTART, TZOFFSETFROM, TZOFFSETTO, RRULE, RDATE),
// as tz data, so that recurrence and local-time arithmetic keep the wall
// clock across daylight-saving changes.
func zoneFromVTimezone(tzid string, c *ical.Component) (*time.Location, error) {
	var all []onset
	for _, sub := range c.Children {
		if sub.Name != ical.CompTimezoneStandard && sub.Name != ical.CompTimezoneDaylight {
			continue
		}
		obs, err := observanceOnsets(sub)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sub.Name, err)
		}
		all = append(all, obs...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no STANDARD or DAYLIGHT observance")
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
	return time.LoadLocationFromTZData(tzid, tzif(all))
}

// observanceOnsets lists the onsets of one observance between 1900 and 2100.
func observanceOnsets(c *ical.Component) ([]onset, error) {
	from, ok := parseOffset(propText(c, ical.PropTimezoneOffsetFrom))
	if !ok {
		return nil, fmt.Errorf("TZOFFSETFROM %q is not an offset like +0700", propText(c, ical.PropTimezoneOffsetFrom))
	}
	to, ok := parseOffset(propText(c, ical.PropTimezoneOffsetTo))
	if !ok {
		return nil, fmt.Errorf("TZOFFSETTO %q is not an offset like +0700", propText(c, ical.PropTimezoneOffsetTo))
	}
	name := propText(c, "TZNAME")
	if name == "" || len(name) > 16 {
		name = fmt.Sprintf("%+03d%02d", to/3600, abs(to%3600)/60)
	}
	mk := func(wall time.Time) onset {
		return onset{at: wall.Unix() - int64(from), offset: to, dst: c.Name == ical.CompTimezoneDaylight, name: name, from: from}
	}
	// Wall-clock times are handled as UTC times with the same digits.
	start, _, err := ParseDateTime(propText(c, ical.PropDateTimeStart), time.UTC, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("DTSTART: %w", err)
	}
	out := []onset{mk(start)}
	if rp := c.Props.Get(ical.PropRecurrenceRule); rp != nil {
		opt, err := rrule.StrToROptionInLocation(rp.Value, time.UTC)
		if err != nil {
			return nil, fmt.Errorf("RRULE %q: %w", rp.Value, err)
		}
		if opt.Freq != rrule.YEARLY {
			return nil, fmt.Errorf("RRULE %q: an observance recurs yearly", rp.Value)
		}
		if !opt.Until.IsZero() && strings.Contains(strings.ToUpper(rp.Value), "Z") {
			opt.Until = opt.Until.Add(time.Duration(from) * time.Second) // UTC UNTIL → wall clock
		}
		if opt.Until.IsZero() || opt.Until.After(zoneLast) {
			opt.Until = zoneLast
		}
		opt.Dtstart = start
		rule, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("RRULE %q: %w", rp.Value, err)
		}
		next := rule.Iterator()
		for n := 0; n < maxOnsets; n++ {
			t, ok := next()
			if !ok {
				break
			}
			if t.After(start) {
				out = append(out, mk(t))
			}
		}
	}
	for _, rd := range c.Props.Values(ical.PropRecurrenceDates) {
		for _, v := range strings.Split(rd.Value, ",") {
			if i := strings.IndexByte(v, '/'); i >= 0 {
				v = v[:i]
			}
			t, _, err := ParseDateTime(v, time.UTC, time.UTC)
			if err != nil {
				return nil, fmt.Errorf("RDATE: %w", err)
			}
			out = append(out, mk(t))
		}
	}
	// Keep 1900–2100; the last onset before 1900 stands for the state then.
	var kept []onset
	var before *onset
	for i, o := range out {
		switch {
		case o.at < zoneFirst.Unix():
			if before == nil || o.at > before.at {
				before = &out[i]
			}
		case o.at < zoneLast.Unix():
			kept = append(kept, o)
		}
	}
	if before != nil {
		b := *before
		b.at = zoneFirst.Unix()
		kept = append([]onset{b}, kept...)
	}
	return kept, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// tzif encodes onsets (sorted) as TZif version 2 data (RFC 8536) for
// time.LoadLocationFromTZData: an empty version 1 block, then the 64-bit
// block. Type 0 is the zone before the first onset.
func tzif(onsets []onset) []byte {
	type ttinfo struct {
		offset int
		dst    bool
		name   string
	}
	types := []ttinfo{{offset: onsets[0].from, name: fmt.Sprintf("%+03d%02d", onsets[0].from/3600, abs(onsets[0].from%3600)/60)}}
	index := map[ttinfo]int{}
	var times []int64
	var idx []byte
	for _, o := range onsets {
		ti := ttinfo{o.offset, o.dst, o.name}
		k, ok := index[ti]
		if !ok {
			k = len(types)
			types = append(types, ti)
			index[ti] = k
		}
		if n := len(times); n > 0 && times[n-1] == o.at {
			idx[n-1] = byte(k)
			continue
		}
		times = append(times, o.at)
		idx = append(idx, byte(k))
	}
	var chars []byte
	desig := make([]int, len(types))
	for i, t := range types {
		desig[i] = len(chars)
		chars = append(chars, t.name...)
		chars = append(chars, 0)
	}
	header := func(b []byte, timecnt, typecnt, charcnt int) []byte {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return b
	}
	b := header(nil, 0, 0, 0)
	b = header(b, len(times), len(types), len(chars))
	for _, t := range times {
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	b = append(b, idx...)
	for i, t := range types {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(t.offset)))
		dst := byte(0)
		if t.dst {
			dst = 1
		}
		b = append(b, dst, byte(desig[i]))
	}
	b = append(b, chars...)
	return append(b, '\n', '\n')
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
