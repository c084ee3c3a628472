// Package meetingssim generates the meeting calendars of the demo commune
// (deterministic by seed) and serves them as iCalendar feeds over HTTP, with
// ETag/Last-Modified and optional basic auth, like a calendar server does.
// It also writes them as .ics files and as meetings-file CSVs.
package meetingssim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"chiso/adapters/vntime"
)

// Options configure the generated calendars and the server.
type Options struct {
	Seed  uint64   // same seed, same calendars
	Self  string   // the commune (default 000.25.31.H99)
	Units []string // its internal units (default 001..004.25.31.H99)
	Years []int    // default 2025, 2026
	// Domain is the right-hand side of generated UIDs (default lich.yendinh.gov.vn).
	Domain string
	// Username and Password turn on basic auth in the server.
	Username, Password string
	// Modified is the Last-Modified of generated feeds (default 2026-11-01 08:00 +07:00).
	Modified time.Time
}

func (o Options) withDefaults() Options {
	if o.Self == "" {
		o.Self = "000.25.31.H99"
	}
	if len(o.Units) == 0 {
		o.Units = []string{"001.25.31.H99", "002.25.31.H99", "003.25.31.H99", "004.25.31.H99"}
	}
	if len(o.Years) == 0 {
		o.Years = []int{2025, 2026}
	}
	if o.Domain == "" {
		o.Domain = "lich.yendinh.gov.vn"
	}
	if o.Modified.IsZero() {
		o.Modified = time.Date(2026, 11, 1, 8, 0, 0, 0, vntime.Location)
	}
	return o
}

// Meeting is one generated meeting occurrence: the truth the feed encodes.
type Meeting struct {
	UID           string // the calendar key (UID, or UID#RECURRENCE-ID)
	Unit          string // the unit whose calendar holds it
	OrganizerUnit string // X-CHISO-UNIT when we only attend
	Title         string
	Kind          string
	Scope         string
	Start, End    time.Time
	AllDay        bool
	Online        bool
	Paperless     bool
	Cancelled     bool
	Attend        bool // we only attend
	Materials     *time.Time
	Discussion    *int
}

// Series is a recurring meeting: a weekly or monthly rule with EXDATEs,
// moved occurrences and cancelled occurrences.
type Series struct {
	UID       string
	Master    Meeting // first occurrence; its attributes are the series'
	Rule      string  // RRULE value
	ExDates   []time.Time
	Overrides []Override
}

// Override is a RECURRENCE-ID instance: moved (new times) or cancelled.
type Override struct {
	RecurrenceID time.Time
	Meeting      Meeting
}

// Calendar is the calendar of one unit.
type Calendar struct {
	Unit    string
	Name    string
	Singles []Meeting
	Series  []Series
	// Occurrences is every occurrence the feed encodes (singles and
	// expanded series, with overrides applied), sorted by start.
	Occurrences []Meeting
}

// Generate builds the calendars of the commune and its units.
func Generate(opts Options) []*Calendar {
	o := opts.withDefaults()
	var out []*Calendar
	units := append([]string{o.Self}, o.Units...)
	for i, unit := range units {
		g := &gen{o: o, unit: unit, idx: i, self: unit == o.Self, rnd: rand.New(rand.NewPCG(o.Seed, uint64(i)+1))}
		cal := &Calendar{Unit: unit, Name: "Lịch họp " + unit}
		for _, y := range o.Years {
			g.year(cal, y)
		}
		sort.SliceStable(cal.Occurrences, func(a, b int) bool { return cal.Occurrences[a].Start.Before(cal.Occurrences[b].Start) })
		out = append(out, cal)
	}
	return out
}

type gen struct {
	o    Options
	unit string
	idx  int // 0 for the commune, 1.. for its units
	self bool
	rnd  *rand.Rand
	n    int
}

// plan of one year: how many meetings of each kind (for the commune; units
// hold about a third).
type planItem struct {
	kind, scope string
	count       int
}

func (g *gen) plan(year int) []planItem {
	scale := 1.0
	if year >= 2026 {
		scale = 0.75 // the 2026 plan: at least 10% fewer meetings overall
	}
	base := []planItem{
		{"chuyen-mon", "", 18}, {"quan-triet", "", 6}, {"tap-huan", "", 4}, {"so-ket-tong-ket", "", 3},
		{"chuyen-de", "", 3}, {"giai-quyet-cong-viec", "", 7}, {"tham-muu-tu-van", "", 2}, {"dieu-phoi", "", 3},
		{"quan-trong", "", 2}, {"khac", "", 2},
	}
	if !g.self {
		base = []planItem{{"chuyen-mon", "", 6}, {"tap-huan", "", 1}, {"giai-quyet-cong-viec", "", 3}, {"so-ket-tong-ket", "", 1}, {"khac", "", 1}}
	}
	for i := range base {
		base[i].count = int(float64(base[i].count)*scale + 0.5)
	}
	if g.self {
		// Commune-wide conferences: four in 2025 (one over the cap), two later.
		n := 4
		if year >= 2026 {
			n = 2
		}
		base = append(base, planItem{"so-ket-tong-ket", "toan-xa", n})
	}
	return base
}

// onlineShare is the chance that a non-recurring meeting is online or paperless.
func onlineShare(year int) float64 {
	if year >= 2026 {
		return 0.45
	}
	return 0.46
}

var titles = map[string][]string{
	"chuyen-mon":           {"Họp chuyên môn về công tác cải cách hành chính", "Họp chuyên môn triển khai chuyển đổi số", "Họp chuyên môn về quản lý đất đai", "Họp chuyên môn công tác văn hóa - xã hội", "Họp chuyên môn về xây dựng nông thôn mới"},
	"quan-triet":           {"Hội nghị quán triệt Nghị quyết của Đảng ủy xã", "Quán triệt Kết luận 226-KL/TW", "Quán triệt văn bản mới về tổ chức chính quyền địa phương"},
	"tap-huan":             {"Tập huấn sử dụng hệ thống quản lý văn bản", "Tập huấn kỹ năng số cho cán bộ, công chức", "Tập huấn dịch vụ công trực tuyến"},
	"so-ket-tong-ket":      {"Sơ kết công tác quý", "Sơ kết 6 tháng đầu năm", "Tổng kết công tác năm"},
	"chuyen-de":            {"Họp chuyên đề an ninh trật tự", "Họp chuyên đề phòng chống thiên tai", "Họp chuyên đề chuyển đổi số"},
	"giai-quyet-cong-viec": {"Họp giải quyết kiến nghị của công dân", "Họp giải quyết hồ sơ tồn đọng", "Họp xử lý vướng mắc giải phóng mặt bằng"},
	"tham-muu-tu-van":      {"Họp tham mưu kế hoạch năm", "Họp tư vấn phương án đầu tư công"},
	"dieu-phoi":            {"Họp điều phối các ngành", "Họp điều phối lịch công tác tuần"},
	"quan-trong":           {"Hội nghị triển khai nhiệm vụ trọng tâm", "Hội nghị đối thoại với nhân dân"},
	"khac":                 {"Họp mặt kỷ niệm", "Họp thống nhất nội dung"},
	"giao-ban":             {"Giao ban đầu tuần UBND xã", "Giao ban tháng"},
}

// workday returns a random working day of the year (not in the Tết week).
func (g *gen) workday(year int) time.Time {
	for {
		d := time.Date(year, 1, 2, 0, 0, 0, 0, vntime.Location).AddDate(0, 0, g.rnd.IntN(360))
		if d.Year() != year || d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || holiday(d) {
			continue
		}
		return d
	}
}

// tet is the Lunar New Year week (no meetings).
var tet = map[int][2]time.Time{
	2025: {time.Date(2025, 1, 25, 0, 0, 0, 0, vntime.Location), time.Date(2025, 2, 3, 0, 0, 0, 0, vntime.Location)},
	2026: {time.Date(2026, 2, 14, 0, 0, 0, 0, vntime.Location), time.Date(2026, 2, 23, 0, 0, 0, 0, vntime.Location)},
}

func holiday(d time.Time) bool {
	if t, ok := tet[d.Year()]; ok && !d.Before(t[0]) && d.Before(t[1]) {
		return true
	}
	switch {
	case d.Month() == 1 && d.Day() == 1, d.Month() == 4 && d.Day() == 30, d.Month() == 5 && d.Day() == 1,
		d.Month() == 9 && (d.Day() == 1 || d.Day() == 2):
		return true
	}
	return false
}

func (g *gen) uid(year int) string {
	g.n++
	return fmt.Sprintf("%d-%s-%03d@%s", year, g.unit, g.n, g.o.Domain)
}

func at(d time.Time, h, m int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, vntime.Location)
}

// attrs fills materials and discussion time, with some meetings breaking
// the rules.
func (g *gen) attrs(m *Meeting) {
	switch r := g.rnd.Float64(); {
	case r < 0.10: // materials time unknown
	case r < 0.25: // late: the evening before or the same morning
		t := m.Start.Add(-time.Duration(2+g.rnd.IntN(14)) * time.Hour)
		m.Materials = &t
	default:
		t := m.Start.AddDate(0, 0, -(1 + g.rnd.IntN(4))).Add(-time.Duration(g.rnd.IntN(4)) * time.Hour)
		m.Materials = &t
	}
	total := int(m.End.Sub(m.Start) / time.Minute)
	if m.AllDay {
		total = 480 * int(m.End.Sub(m.Start)/(24*time.Hour))
	}
	switch r := g.rnd.Float64(); {
	case r < 0.12: // discussion unknown
	case r < 0.27: // too little discussion
		d := total * (40 + g.rnd.IntN(25)) / 100
		m.Discussion = &d
	default:
		d := total * (70 + g.rnd.IntN(20)) / 100
		m.Discussion = &d
	}
}

func (g *gen) year(cal *Calendar, year int) {
	g.recurring(cal, year)
	first := len(cal.Singles)
	for _, p := range g.plan(year) {
		for i := 0; i < p.count; i++ {
			d := g.workday(year)
			m := Meeting{UID: g.uid(year), Unit: g.unit, Kind: p.kind, Scope: p.scope}
			list := titles[p.kind]
			m.Title = list[g.rnd.IntN(len(list))]
			if p.scope != "" {
				m.Title = "Hội nghị toàn xã: " + m.Title
			}
			morning := g.rnd.IntN(2) == 0
			start := at(d, 14, 0)
			if morning {
				start = at(d, 8, 0)
			}
			var length time.Duration
			switch p.kind {
			case "quan-triet":
				length = 150 * time.Minute
				if g.rnd.IntN(6) == 0 { // too long: a whole day for a quán triệt
					start, length = at(d, 8, 0), 8*time.Hour+30*time.Minute
				}
			case "tap-huan":
				if g.rnd.IntN(2) == 0 { // an all-day training of one or two days
					m.AllDay = true
					start = at(d, 0, 0)
					length = time.Duration(1+g.rnd.IntN(2)) * 24 * time.Hour
				} else {
					start, length = at(d, 8, 0), 8*time.Hour+30*time.Minute
				}
			case "quan-trong", "so-ket-tong-ket":
				length = 3 * time.Hour
				if p.scope != "" || g.rnd.IntN(4) == 0 {
					start, length = at(d, 7, 30), 9*time.Hour
				}
			default:
				length = time.Duration(90+30*g.rnd.IntN(4)) * time.Minute
			}
			m.Start, m.End = start, start.Add(length)
			g.attrs(&m)
			if g.rnd.IntN(30) == 0 {
				m.Cancelled = true
			}
			cal.Singles = append(cal.Singles, m)
		}
	}
	// Exactly the year's share of the meetings is online or paperless
	// (chosen at random), so that every seed tells the same story.
	singles := cal.Singles[first:]
	online := int(float64(len(singles))*onlineShare(year) + 0.5)
	for _, i := range g.rnd.Perm(len(singles))[:online] {
		m := &singles[i]
		switch g.rnd.IntN(3) {
		case 0:
			m.Online = true
		case 1:
			m.Paperless = true
		default:
			m.Online, m.Paperless = true, true
		}
	}
	cal.Occurrences = append(cal.Occurrences, singles...)
	// Meetings of the province that we only attend.
	attend := 3
	if !g.self {
		attend = 1
	}
	for i := 0; i < attend; i++ {
		d := g.workday(year)
		m := Meeting{UID: g.uid(year), Unit: g.unit, Kind: "quan-trong", Attend: true, OrganizerUnit: "000.00.00.H99",
			Title: "Dự hội nghị trực tuyến của UBND tỉnh", Online: true}
		m.Start = at(d, 8, 0)
		m.End = m.Start.Add(3 * time.Hour)
		cal.Singles = append(cal.Singles, m)
		cal.Occurrences = append(cal.Occurrences, m)
	}
}

// recurring adds the year's giao-ban series: weekly (Monday 07:30) for the
// commune, monthly (first Tuesday) for the units, with holidays excluded,
// one occurrence moved and one cancelled.
func (g *gen) recurring(cal *Calendar, year int) {
	first := time.Date(year, 1, 1, 0, 0, 0, 0, vntime.Location)
	var rule string
	var step func(time.Time) time.Time
	var start time.Time
	if g.self {
		for first.Weekday() != time.Monday {
			first = first.AddDate(0, 0, 1)
		}
		start = at(first, 7, 30)
		rule = fmt.Sprintf("FREQ=WEEKLY;BYDAY=MO;UNTIL=%d1231T165959Z", year)
		step = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	} else {
		firstTue := func(y int, m time.Month) time.Time {
			d := time.Date(y, m, 1, 0, 0, 0, 0, vntime.Location)
			for d.Weekday() != time.Tuesday {
				d = d.AddDate(0, 0, 1)
			}
			return d
		}
		start = at(firstTue(year, 1), 14, 0)
		rule = "FREQ=MONTHLY;BYDAY=1TU;COUNT=12"
		step = func(t time.Time) time.Time {
			n := firstTue(t.Year(), t.Month()+1)
			if t.Month() == 12 {
				n = firstTue(t.Year()+1, 1)
			}
			return at(n, 14, 0)
		}
	}
	length := 90 * time.Minute
	s := Series{UID: g.uid(year)}
	master := Meeting{UID: s.UID, Unit: g.unit, Kind: "giao-ban", Title: titles["giao-ban"][0], Start: start, End: start.Add(length)}
	if !g.self {
		master.Title = titles["giao-ban"][1]
	}
	switch {
	case g.self && year >= 2026: // 2026: the commune's giao-ban goes online and paperless
		master.Online, master.Paperless = true, true
	case !g.self && g.idx <= 2: // two units hold theirs on the document system
		master.Paperless = true
	}
	d := 75
	master.Discussion = &d
	s.Master = master
	s.Rule = rule
	var insts []time.Time
	for t := start; t.Year() == year; t = step(t) {
		insts = append(insts, t)
	}
	// In 2026 the commune skips the giao-ban of one week a month in summer
	// (EXDATE) as part of cutting meetings.
	moved, cancelled := -1, -1
	if len(insts) > 10 {
		moved, cancelled = 3+g.rnd.IntN(len(insts)/2-3), len(insts)/2+g.rnd.IntN(len(insts)/2-2)
	}
	for i, t := range insts {
		skip := holiday(t) || (g.self && year >= 2026 && t.Month() >= 6 && t.Month() <= 8 && t.Day() <= 7)
		if skip {
			s.ExDates = append(s.ExDates, t)
			continue
		}
		occ := master
		occ.UID = fmt.Sprintf("%s#%s", s.UID, t.UTC().Format("20060102T150405Z"))
		occ.Start, occ.End = t, t.Add(length)
		mat := t.AddDate(0, 0, -3)
		occ.Materials = &mat
		switch i {
		case moved: // moved to Tuesday afternoon
			occ.Start = at(t.AddDate(0, 0, 1), 14, 0)
			occ.End = occ.Start.Add(length)
			occ.Title = master.Title + " (dời sang chiều thứ Ba)"
			s.Overrides = append(s.Overrides, Override{RecurrenceID: t, Meeting: occ})
		case cancelled:
			occ.Cancelled = true
			s.Overrides = append(s.Overrides, Override{RecurrenceID: t, Meeting: occ})
		}
		cal.Occurrences = append(cal.Occurrences, occ)
	}
	cal.Series = append(cal.Series, s)
}
