package meetings

import (
	"fmt"
	"strings"
	"testing"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
)

// Table tests of FromOccurrence's named steps: each case is an occurrence,
// the step to run, what the meeting then says and how many warnings.

func xs(kv ...string) map[string]wire.XProp {
	m := map[string]wire.XProp{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = wire.XProp{Value: kv[i+1]}
	}
	return m
}

func TestOccurrenceSteps(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, vntime.Location)
	intp := func(p *int) string {
		if p == nil {
			return "-"
		}
		return sp(*p)
	}
	type step func(*occMapper)
	cases := []struct {
		name  string
		step  step
		occ   wire.Occurrence
		got   func(o *occMapper) string
		want  string
		warns int
	}{
		{"categories: scope, online, paperless, first kind", (*occMapper).categories,
			wire.Occurrence{Categories: []string{"Toàn xã", "truc-tuyen", "KHONG_GIAY", "giao-ban", "chuyen-mon"}},
			func(o *occMapper) string { return sp(o.m.Scope, o.m.Online, o.m.Paperless, o.m.Kind) }, "toan-xa true true giao-ban", 0},
		{"categories: nothing known", (*occMapper).categories, wire.Occurrence{Categories: []string{"Họp"}},
			func(o *occMapper) string { return sp(o.m.Scope, o.m.Online, o.m.Kind) }, " false ", 0},
		{"kind: X-CHISO-KIND", (*occMapper).kindAndScope, wire.Occurrence{X: xs("X-CHISO-KIND", "Tập huấn")},
			func(o *occMapper) string { return o.m.Kind }, "tap-huan", 0},
		{"kind: unknown", (*occMapper).kindAndScope, wire.Occurrence{X: xs("X-CHISO-KIND", "tiệc")},
			func(o *occMapper) string { return o.m.Kind }, "", 1},
		{"scope: toan-xa", (*occMapper).kindAndScope, wire.Occurrence{X: xs("X-CHISO-SCOPE", "toan-xa")},
			func(o *occMapper) string { return o.m.Scope }, "toan-xa", 0},
		{"scope: bad", (*occMapper).kindAndScope, wire.Occurrence{X: xs("X-CHISO-SCOPE", "tỉnh")},
			func(o *occMapper) string { return o.m.Scope }, "", 1},
		{"mode: conference link", (*occMapper).mode, wire.Occurrence{Conference: []string{"https://meet/x"}},
			func(o *occMapper) string { return sp(o.m.Online, o.m.Paperless) }, "true false", 0},
		{"mode: URL as location", (*occMapper).mode, wire.Occurrence{Location: "https://meet/x"},
			func(o *occMapper) string { return sp(o.m.Online) }, "true", 0},
		{"mode: X-CHISO-ONLINE 0 over a link", (*occMapper).mode,
			wire.Occurrence{Conference: []string{"https://meet/x"}, X: xs("X-CHISO-ONLINE", "0", "X-CHISO-PAPERLESS", "1")},
			func(o *occMapper) string { return sp(o.m.Online, o.m.Paperless) }, "false true", 0},
		{"mode: unreadable flag", (*occMapper).mode, wire.Occurrence{X: xs("X-CHISO-PAPERLESS", "maybe")},
			func(o *occMapper) string { return sp(o.m.Paperless) }, "false", 1},
		{"organiser: X-CHISO-UNIT of ours by name", (*occMapper).organiser, wire.Occurrence{X: xs("X-CHISO-UNIT", "Phòng Văn hóa - Xã hội")},
			func(o *occMapper) string { return sp(o.m.UnitCode, o.m.OrganizedBySelf) }, "002.25.31.H99 true", 0},
		{"organiser: X-CHISO-UNIT not ours", (*occMapper).organiser, wire.Occurrence{X: xs("X-CHISO-UNIT", "000.00.05.H99")},
			func(o *occMapper) string { return sp(o.m.UnitCode, o.m.OrganizedBySelf) }, "000.25.31.H99 false", 0},
		{"organiser: ORGANIZER of a higher agency", (*occMapper).organiser, wire.Occurrence{OrganizerCN: "Sở Nội vụ"},
			func(o *occMapper) string { return sp(o.m.UnitCode, o.m.OrganizedBySelf) }, "000.25.31.H99 false", 0},
		{"organiser: X-CHISO-ROLE wins", (*occMapper).organiser, wire.Occurrence{OrganizerCN: "Sở Nội vụ", X: xs("X-CHISO-ROLE", "chu-tri")},
			func(o *occMapper) string { return sp(o.m.OrganizedBySelf) }, "true", 0},
		{"organiser: unreadable role", (*occMapper).organiser, wire.Occurrence{X: xs("X-CHISO-ROLE", "khách")},
			func(o *occMapper) string { return sp(o.m.OrganizedBySelf) }, "true", 1},
		{"materials: a floating date-time", (*occMapper).materials, wire.Occurrence{Start: start, X: xs("X-CHISO-MATERIALS-SENT", "20260227T170000")},
			func(o *occMapper) string { return o.m.MaterialsSentAt.In(vntime.Location).Format("01-02 15:04") }, "02-27 17:00", 0},
		{"materials: unreadable", (*occMapper).materials, wire.Occurrence{Start: start, X: xs("X-CHISO-MATERIALS-SENT", "hôm qua")},
			func(o *occMapper) string { return sp(o.m.MaterialsSentAt == nil) }, "true", 1},
		{"discussion: minutes", (*occMapper).discussion, wire.Occurrence{X: xs("X-CHISO-DISCUSSION-MINUTES", " 45 ")},
			func(o *occMapper) string { return intp(o.m.DiscussionMinutes) }, "45", 0},
		{"discussion: negative", (*occMapper).discussion, wire.Occurrence{X: xs("X-CHISO-DISCUSSION-MINUTES", "-5")},
			func(o *occMapper) string { return intp(o.m.DiscussionMinutes) }, "-", 1},
	}
	for _, c := range cases {
		o := &occMapper{occ: c.occ, opt: testOptions()}
		o.m.UnitCode, o.m.OrganizedBySelf = o.opt.Unit, true
		c.step(o)
		if got := c.got(o); got != c.want || len(o.warns) != c.warns {
			t.Errorf("%s: %q (warnings %s), want %q with %d warnings", c.name, got, strings.Join(o.warns, "; "), c.want, c.warns)
		}
	}
}

// sp prints values separated by one space each.
func sp(a ...any) string { return strings.TrimSuffix(fmt.Sprintln(a...), "\n") }
