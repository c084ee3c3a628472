package meetingssim

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
)

const vtimezone = `BEGIN:VTIMEZONE
TZID:` + vntime.Name + `
BEGIN:STANDARD
DTSTART:19750613T000000
TZOFFSETFROM:+0700
TZOFFSETTO:+0700
TZNAME:ICT
END:STANDARD
END:VTIMEZONE
`

// ICS renders the calendar as an iCalendar feed, the way a calendar server
// publishes it: a VTIMEZONE, local times with TZID, recurring series with
// RRULE/EXDATE and RECURRENCE-ID overrides, the chiso conventions in
// CATEGORIES and X-CHISO-* properties.
func (c *Calendar) ICS() []byte {
	var b bytes.Buffer
	w := func(line string) { writeFolded(&b, line) }
	w("BEGIN:VCALENDAR")
	w("VERSION:2.0")
	w("PRODID:-//chiso//meetingssim//VI")
	w("CALSCALE:GREGORIAN")
	w("X-WR-CALNAME:" + escape(c.Name))
	w("X-WR-TIMEZONE:" + vntime.Name)
	for _, l := range strings.Split(strings.TrimSpace(vtimezone), "\n") {
		w(l)
	}
	stamp := "20261101T010000Z"
	for _, s := range c.Series {
		writeEvent(w, s.Master, s.UID, stamp, func() {
			w("RRULE:" + s.Rule)
			for _, x := range s.ExDates {
				w("EXDATE;TZID=" + vntime.Name + ":" + local(x))
			}
			// Materials go out three days ahead of every occurrence.
			w("X-CHISO-MATERIALS-SENT;VALUE=DURATION:-P3D")
		})
		for _, ov := range s.Overrides {
			writeEvent(w, ov.Meeting, s.UID, stamp, func() {
				w("RECURRENCE-ID;TZID=" + vntime.Name + ":" + local(ov.RecurrenceID))
				w("SEQUENCE:1")
			})
		}
	}
	for _, m := range c.Singles {
		writeEvent(w, m, m.UID, stamp, nil)
	}
	w("END:VCALENDAR")
	return b.Bytes()
}

func writeEvent(w func(string), m Meeting, uid, stamp string, extra func()) {
	w("BEGIN:VEVENT")
	w("UID:" + uid)
	w("DTSTAMP:" + stamp)
	if m.AllDay {
		w("DTSTART;VALUE=DATE:" + m.Start.Format("20060102"))
		w("DTEND;VALUE=DATE:" + m.End.Format("20060102"))
	} else {
		w("DTSTART;TZID=" + vntime.Name + ":" + local(m.Start))
		w("DTEND;TZID=" + vntime.Name + ":" + local(m.End))
	}
	w("SUMMARY:" + escape(m.Title))
	var cats []string
	if m.Kind != "" {
		cats = append(cats, m.Kind)
	}
	if m.Scope != "" {
		cats = append(cats, m.Scope)
	}
	if m.Online {
		cats = append(cats, "truc-tuyen")
	}
	if m.Paperless {
		cats = append(cats, "khong-giay")
	}
	if len(cats) > 0 {
		w("CATEGORIES:" + strings.Join(cats, ","))
	}
	if m.Cancelled {
		w("STATUS:CANCELLED")
	} else {
		w("STATUS:CONFIRMED")
	}
	if m.Online {
		w("CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://hop.yendinh.gov.vn/p/" + strings.SplitN(uid, "@", 2)[0])
	}
	if m.Attend {
		w("X-CHISO-ROLE:attend")
		if m.OrganizerUnit != "" {
			w("X-CHISO-UNIT:" + m.OrganizerUnit)
		}
	}
	if extra != nil {
		extra()
	}
	if m.Materials != nil {
		w("X-CHISO-MATERIALS-SENT;TZID=" + vntime.Name + ":" + local(*m.Materials))
	}
	if m.Discussion != nil {
		w("X-CHISO-DISCUSSION-MINUTES:" + strconv.Itoa(*m.Discussion))
	}
	w("END:VEVENT")
}

func local(t time.Time) string { return t.In(vntime.Location).Format("20060102T150405") }

func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`)
	return r.Replace(s)
}

// writeFolded writes a content line folded at 75 octets (RFC 5545 §3.1),
// never inside a UTF-8 sequence.
func writeFolded(b *bytes.Buffer, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// CSV renders the calendar's occurrences as a meetings file (the columns of
// registers-meetings.md §2), one row per occurrence.
func (c *Calendar) CSV() []byte {
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf")
	w := csv.NewWriter(&b)
	_ = w.Write(wire.Columns)
	flag := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	for _, m := range c.Occurrences {
		start, end := m.Start.Format("2006-01-02 15:04"), m.End.Format("2006-01-02 15:04")
		if m.AllDay {
			start, end = m.Start.Format("2006-01-02"), m.End.AddDate(0, 0, -1).Format("2006-01-02")
		}
		role, unit := "to-chuc", ""
		if m.Attend {
			role, unit = "du", m.OrganizerUnit
		}
		mat, disc := "", ""
		if m.Materials != nil {
			mat = m.Materials.Format("02/01/2006 15:04")
		}
		if m.Discussion != nil {
			disc = strconv.Itoa(*m.Discussion)
		}
		_ = w.Write([]string{m.UID, m.Title, m.Kind, m.Scope, start, end, flag(m.Online), flag(m.Paperless), flag(m.Cancelled), role, unit, mat, disc})
	}
	w.Flush()
	return b.Bytes()
}

// WriteFiles writes every calendar of opts to dir as <unit>.ics and
// <unit>.csv and returns the paths written.
func WriteFiles(dir string, opts Options) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("meetingssim: %w", err)
	}
	var paths []string
	for _, c := range Generate(opts) {
		for ext, data := range map[string][]byte{".ics": c.ICS(), ".csv": c.CSV()} {
			p := filepath.Join(dir, c.Unit+ext)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return nil, fmt.Errorf("meetingssim: %w", err)
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}
