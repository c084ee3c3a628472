// Package meetings turns calendar occurrences and meetings-file rows into
// facts.Meeting facts, applying the chiso conventions of
// registers-meetings.md §2 (kind, scope, online, paperless, role, materials,
// discussion time) and deriving sessions and total minutes. Pure functions:
// no I/O.
package meetings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/textnorm"
	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

// Kinds are the meeting kinds of indicators.md, with their duration caps in
// half-day sessions.
var Kinds = map[string]int{
	"quan-triet":           1,
	"chuyen-mon":           2,
	"quan-trong":           3,
	"giao-ban":             1,
	"so-ket-tong-ket":      2,
	"chuyen-de":            2,
	"tap-huan":             4,
	"giai-quyet-cong-viec": 1,
	"tham-muu-tu-van":      1,
	"dieu-phoi":            1,
	"khac":                 2,
}

// ScopeCommuneWide is the scope of a commune-wide conference.
const ScopeCommuneWide = "toan-xa"

const (
	catOnline    = "truc-tuyen"
	catPaperless = "khong-giay"
)

// Slug folds a category or code the way calendars write them: "Giao ban",
// "giao-ban", "GIAO_BAN" are all "giao-ban".
func Slug(s string) string { return strings.ReplaceAll(textnorm.Key(s), " ", "-") }

// Kind returns the kind id for s, if s names one.
func Kind(s string) (string, bool) {
	k := Slug(s)
	_, ok := Kinds[k]
	return k, ok
}

// Options are what the mapping needs from the connector's config.
type Options struct {
	Source   string            // the connector name (meetings.source)
	Unit     string            // the unit whose calendar this is (default for unit_code)
	Self     string            // org.self: the root of "our" units
	Org      *orgdir.Directory // may be nil
	Location *time.Location    // Vietnam time
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return vntime.Location
	}
	return o.Location
}

func (o Options) root() string {
	if o.Self != "" {
		return o.Self
	}
	return o.Unit
}

// ours reports whether code is the commune or one of its internal units.
func (o Options) ours(code string) bool {
	return strings.EqualFold(strings.TrimSpace(code), o.Unit) || o.Org.IsOurs(o.root(), code)
}

// FromOccurrence maps one calendar occurrence. Convention values that
// cannot be read leave the attribute unknown and are listed in the
// warnings (the meeting itself still counts). The rules run as named
// steps, in this order (warnings keep it): categories, kind and scope,
// online and paperless, organiser, materials, discussion, duration.
func FromOccurrence(occ wire.Occurrence, opt Options) (facts.Meeting, []string) {
	o := &occMapper{occ: occ, opt: opt, m: facts.Meeting{
		UnitCode:        opt.Unit,
		Source:          opt.Source,
		UID:             occ.Key,
		Title:           occ.Summary,
		OrganizedBySelf: true,
		StartsAt:        occ.Start,
		EndsAt:          occ.End,
		Cancelled:       occ.Cancelled(),
	}}
	o.categories()
	o.kindAndScope()
	o.mode()
	o.organiser()
	o.materials()
	o.discussion()
	o.m.Sessions, o.m.TotalMinutes = Duration(occ.Start, occ.End, occ.AllDay, opt.loc())
	if d := o.m.DiscussionMinutes; d != nil && *d > o.m.TotalMinutes {
		o.warnf("X-CHISO-DISCUSSION-MINUTES: %d minutes of discussion in a %d-minute meeting", *d, o.m.TotalMinutes)
	}
	return o.m, append(o.warns, occ.Warnings...)
}

// occMapper is the state of FromOccurrence's steps.
type occMapper struct {
	occ   wire.Occurrence
	opt   Options
	m     facts.Meeting
	warns []string
}

func (o *occMapper) warnf(format string, args ...any) {
	o.warns = append(o.warns, fmt.Sprintf(format, args...))
}

// x is the value of a convention property, "" when absent or empty.
func (o *occMapper) x(name string) (wire.XProp, bool) {
	x, ok := o.occ.X[name]
	return x, ok && x.Value != ""
}

// categories reads CATEGORIES: toan-xa, truc-tuyen, khong-giay and the
// first known meeting kind.
func (o *occMapper) categories() {
	for _, c := range o.occ.Categories {
		switch k := Slug(c); {
		case k == ScopeCommuneWide:
			o.m.Scope = ScopeCommuneWide
		case k == catOnline:
			o.m.Online = true
		case k == catPaperless:
			o.m.Paperless = true
		default:
			if _, ok := Kinds[k]; ok && o.m.Kind == "" {
				o.m.Kind = k
			}
		}
	}
}

// kindAndScope lets X-CHISO-KIND and X-CHISO-SCOPE override the categories.
func (o *occMapper) kindAndScope() {
	if x, ok := o.x("X-CHISO-KIND"); ok {
		if k, ok := Kind(x.Value); ok {
			o.m.Kind = k
		} else {
			o.warnf("X-CHISO-KIND: unknown kind %q (want one of %s)", x.Value, kindList())
		}
	}
	if x, ok := o.x("X-CHISO-SCOPE"); ok {
		switch Slug(x.Value) {
		case ScopeCommuneWide:
			o.m.Scope = ScopeCommuneWide
		case "don-vi", "khong", "0":
			o.m.Scope = ""
		default:
			o.warnf("X-CHISO-SCOPE: %q is not toan-xa", x.Value)
		}
	}
}

// mode: a conference link or a URL as location makes the meeting online;
// X-CHISO-ONLINE and X-CHISO-PAPERLESS, when readable, have the last word.
func (o *occMapper) mode() {
	if len(o.occ.Conference) > 0 || isURL(o.occ.Location) {
		o.m.Online = true
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"X-CHISO-ONLINE", &o.m.Online}, {"X-CHISO-PAPERLESS", &o.m.Paperless}} {
		if x, ok := o.x(f.name); ok {
			v, err := wire.ParseFlag(x.Value)
			if err != nil {
				o.warnf("%s: %v", f.name, err)
				continue
			}
			*f.dst = v
		}
	}
}

// organiser decides who organises: X-CHISO-ROLE, then X-CHISO-UNIT, then
// ORGANIZER (a unit of ours is the meeting's unit; another is not us).
func (o *occMapper) organiser() {
	if x, ok := o.x("X-CHISO-UNIT"); ok {
		code := strings.ToUpper(x.Value)
		if u, found := o.opt.Org.ByName(x.Value); found {
			code = u.Code
		}
		if o.opt.ours(code) {
			o.m.UnitCode = code
		} else {
			o.m.OrganizedBySelf = false
		}
	} else if o.occ.OrganizerCN != "" && o.opt.Org != nil {
		if u, found := o.opt.Org.ByName(o.occ.OrganizerCN); found {
			if o.opt.ours(u.Code) {
				o.m.UnitCode = u.Code
			} else {
				o.m.OrganizedBySelf = false
			}
		}
	}
	if x, ok := o.x("X-CHISO-ROLE"); ok {
		switch role, err := Role(x.Value); {
		case err != nil:
			o.warnf("X-CHISO-ROLE: %v", err)
		default:
			o.m.OrganizedBySelf = role
		}
	}
}

// materials reads X-CHISO-MATERIALS-SENT (a date-time, floating times in
// the connector's zone).
func (o *occMapper) materials() {
	if x, ok := o.x("X-CHISO-MATERIALS-SENT"); ok {
		t, err := x.Time(o.occ.Start, o.opt.loc())
		if err != nil {
			o.warnf("X-CHISO-MATERIALS-SENT: %v", err)
		} else {
			o.m.MaterialsSentAt = &t
		}
	}
}

// discussion reads X-CHISO-DISCUSSION-MINUTES (a whole number >= 0).
func (o *occMapper) discussion() {
	if x, ok := o.x("X-CHISO-DISCUSSION-MINUTES"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(x.Value))
		if err != nil || n < 0 {
			o.warnf("X-CHISO-DISCUSSION-MINUTES: %q is not a whole number of minutes", x.Value)
		} else {
			o.m.DiscussionMinutes = &n
		}
	}
}

// FieldError is a meetings-file value that cannot be used; Column names
// the column.
type FieldError struct {
	Column string
	Msg    string
}

func (e *FieldError) Error() string { return "column " + e.Column + ": " + e.Msg }

// FromRow maps one meetings-file row. Unknown codes (loai, pham_vi,
// vai_tro, don_vi) are errors naming the column: the row is rejected
// rather than counted under a wrong kind.
func FromRow(r wire.FileRow, opt Options) (facts.Meeting, error) {
	m := facts.Meeting{
		UnitCode:          opt.Unit,
		Source:            opt.Source,
		UID:               r.Ma,
		Title:             r.TieuDe,
		OrganizedBySelf:   true,
		StartsAt:          r.BatDau,
		EndsAt:            r.KetThuc,
		Online:            r.TrucTuyen,
		Paperless:         r.KhongGiay,
		Cancelled:         r.Huy,
		MaterialsSentAt:   r.GuiTaiLieu,
		DiscussionMinutes: r.PhutThaoLuan,
	}
	if r.Loai != "" {
		k, ok := Kind(r.Loai)
		if !ok {
			return m, &FieldError{"loai", fmt.Sprintf("unknown kind %q (want one of %s)", r.Loai, kindList())}
		}
		m.Kind = k
	}
	switch Slug(r.PhamVi) {
	case "":
	case ScopeCommuneWide:
		m.Scope = ScopeCommuneWide
	default:
		return m, &FieldError{"pham_vi", fmt.Sprintf("%q: want toan-xa or empty", r.PhamVi)}
	}
	if r.VaiTro != "" {
		v, err := Role(r.VaiTro)
		if err != nil {
			return m, &FieldError{"vai_tro", err.Error()}
		}
		m.OrganizedBySelf = v
	}
	if r.DonVi != "" {
		code := strings.ToUpper(strings.TrimSpace(r.DonVi))
		if u, found := opt.Org.ByName(r.DonVi); found {
			code = u.Code
		}
		if opt.ours(code) {
			m.UnitCode = code
		} else {
			if opt.Org != nil && !opt.Org.Known(code) {
				return m, &FieldError{"don_vi", fmt.Sprintf("%q is not a unit of the org directory", r.DonVi)}
			}
			// A meeting organised by another agency that we attend.
			m.OrganizedBySelf = false
		}
	}
	m.Sessions, m.TotalMinutes = Duration(r.BatDau, r.KetThuc, r.AllDay, opt.loc())
	if m.DiscussionMinutes != nil && *m.DiscussionMinutes > m.TotalMinutes {
		return m, &FieldError{"phut_thao_luan", fmt.Sprintf("%d minutes of discussion in a %d-minute meeting", *m.DiscussionMinutes, m.TotalMinutes)}
	}
	return m, nil
}

// Role reads a role value: true when we organise (to-chuc, organize,
// chu-tri), false when we only attend (attend, du, tham-du).
func Role(s string) (bool, error) {
	switch Slug(s) {
	case "to-chuc", "organize", "organise", "organizer", "chu-tri", "chair":
		return true, nil
	case "du", "attend", "attendee", "tham-du", "du-hop":
		return false, nil
	}
	return false, fmt.Errorf("%q: want to-chuc (we organise) or du / attend (we only attend)", s)
}

// MorningEnds is when the morning session ends (12:00): sessions are
// counted per half day touched.
const MorningEnds = 12 * time.Hour

// WorkdayMinutes is the length of a working day, used as the length of an
// all-day meeting day (two sessions of four hours).
const WorkdayMinutes = 8 * 60

// Duration derives the half-day sessions touched (morning until 12:00,
// afternoon after) on each Vietnam calendar day between start and end, and
// the total minutes. A zero-length meeting touches the session of its
// start. An all-day meeting counts two sessions and a working day of
// minutes per day.
func Duration(start, end time.Time, allDay bool, loc *time.Location) (sessions, minutes int) {
	if end.Before(start) {
		end = start
	}
	s, e := start.In(loc), end.In(loc)
	if allDay {
		days := 0
		for d := dayStart(s); d.Before(e); d = d.AddDate(0, 0, 1) {
			days++
		}
		if days == 0 {
			days = 1
		}
		return 2 * days, days * WorkdayMinutes
	}
	minutes = int(e.Sub(s).Round(time.Minute) / time.Minute)
	if !e.After(s) {
		return 1, minutes
	}
	for d := dayStart(s); d.Before(e); d = d.AddDate(0, 0, 1) {
		noon := d.Add(MorningEnds)
		next := d.AddDate(0, 0, 1)
		if s.Before(noon) && e.After(d) {
			sessions++
		}
		if s.Before(next) && e.After(noon) {
			sessions++
		}
	}
	return sessions, minutes
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func isURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

func kindList() string {
	return "quan-triet, chuyen-mon, quan-trong, giao-ban, so-ket-tong-ket, chuyen-de, tap-huan, giai-quyet-cong-viec, tham-muu-tu-van, dieu-phoi, khac"
}
