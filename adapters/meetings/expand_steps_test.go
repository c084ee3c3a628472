package meetings

import (
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
)

// Table tests of expandUID's steps (overrides by instance, single, series,
// unmatched), each through a small feed of one UID: the occurrences' starts
// (Vietnam time, in order) and the fields of the problems.
func TestExpandSteps(t *testing.T) {
	opt := ParseOptions{From: time.Date(2026, 1, 1, 0, 0, 0, 0, vntime.Location), To: time.Date(2026, 2, 1, 0, 0, 0, 0, vntime.Location)}
	ev := func(lines ...string) string {
		return "BEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:Giao ban\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT\r\n"
	}
	const tz = "TZID=" + vntime.Name
	cases := []struct {
		name     string
		events   []string
		starts   string
		problems string
	}{
		{"single in the window", []string{ev("DTSTART;"+tz+":20260105T080000", "DTEND;"+tz+":20260105T100000")}, "01-05 08:00", ""},
		{"single outside the window", []string{ev("DTSTART;"+tz+":20260305T080000", "DTEND;"+tz+":20260305T100000")}, "", ""},
		{"single with a bad DTSTART is a problem", []string{ev("DTSTART:tomorrow", "DTEND;"+tz+":20260105T100000")}, "", "DTSTART"},
		{"series, one instance moved, one deleted", []string{
			ev("DTSTART;"+tz+":20260105T080000", "DTEND;"+tz+":20260105T090000", "RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;"+tz+":20260119T080000"),
			ev("RECURRENCE-ID;"+tz+":20260112T080000", "DTSTART;"+tz+":20260113T140000", "DTEND;"+tz+":20260113T150000"),
		}, "01-05 08:00,01-13 14:00", ""},
		{"series: THISANDFUTURE shifts the later instances", []string{
			ev("DTSTART;"+tz+":20260105T080000", "DTEND;"+tz+":20260105T090000", "RRULE:FREQ=WEEKLY;COUNT=3"),
			ev("RECURRENCE-ID;RANGE=THISANDFUTURE;"+tz+":20260112T080000", "DTSTART;"+tz+":20260112T100000", "DTEND;"+tz+":20260112T110000"),
		}, "01-05 08:00,01-12 10:00,01-19 10:00", ""},
		{"unmatched: an override moved into the window from outside the series", []string{
			ev("DTSTART;"+tz+":20260105T080000", "DTEND;"+tz+":20260105T090000", "RRULE:FREQ=WEEKLY;COUNT=1"),
			ev("RECURRENCE-ID;"+tz+":20251229T080000", "DTSTART;"+tz+":20260107T080000", "DTEND;"+tz+":20260107T090000"),
		}, "01-05 08:00,01-07 08:00", ""},
		{"unmatched: a moved instance deleted by EXDATE is gone", []string{
			ev("DTSTART;"+tz+":20260105T080000", "DTEND;"+tz+":20260105T090000", "RRULE:FREQ=WEEKLY;COUNT=2", "EXDATE;"+tz+":20260112T080000"),
			ev("RECURRENCE-ID;"+tz+":20260112T080000", "DTSTART;"+tz+":20260113T080000", "DTEND;"+tz+":20260113T090000"),
		}, "01-05 08:00", ""},
		{"orphan override without a master", []string{
			ev("RECURRENCE-ID;"+tz+":20260112T080000", "DTSTART;"+tz+":20260113T080000", "DTEND;"+tz+":20260113T090000"),
		}, "01-13 08:00", ""},
		{"overrides: a bad RECURRENCE-ID is that override's problem", []string{
			ev("DTSTART;"+tz+":20260105T080000", "DTEND;"+tz+":20260105T090000"),
			ev("RECURRENCE-ID:soon", "DTSTART;"+tz+":20260113T080000", "DTEND;"+tz+":20260113T090000"),
		}, "01-05 08:00", "RECURRENCE-ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			feed := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chiso//test//EN\r\n" + strings.Join(c.events, "") + "END:VCALENDAR\r\n"
			f, err := ParseICS([]byte(feed), opt)
			if err != nil {
				t.Fatal(err)
			}
			var starts, probs []string
			for _, o := range f.Occurrences {
				starts = append(starts, o.Start.In(vntime.Location).Format("01-02 15:04"))
			}
			for _, p := range f.Problems {
				probs = append(probs, p.Field)
			}
			if got := strings.Join(starts, ","); got != c.starts {
				t.Errorf("occurrences %q, want %q", got, c.starts)
			}
			if got := strings.Join(probs, ","); got != c.problems {
				t.Errorf("problems %q (%+v), want %q", got, f.Problems, c.problems)
			}
		})
	}
}
