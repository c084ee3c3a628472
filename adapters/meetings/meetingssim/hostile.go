package meetingssim

import (
	"bytes"
	"fmt"

	"chiso/adapters/vntime"
)

// Hostile feeds (issue 19): small calendars whose recurring events expand
// to huge sets. Each also holds one ordinary meeting, which must still load.
const (
	// HostileHourly is n series FREQ=HOURLY;UNTIL=… over two years (30 of
	// them once stored 524,880 meetings from 6 KB).
	HostileHourly = "hourly"
	// HostileMinutely is n series FREQ=MINUTELY;COUNT=19000 (60 of them
	// once took 1.47 GB).
	HostileMinutely = "minutely"
	// HostileDaily is n daily series of COUNT=5000 from 2020: plausible
	// frequency, implausible length.
	HostileDaily = "daily"
	// HostileManySeries is n daily series of 1,000 occurrences each (from
	// 2020): every series within bounds, the feed not (n > 20).
	HostileManySeries = "many-series"
)

// HostileFeed renders n hostile series of the kind, plus one ordinary
// meeting (UID ok@hostile), as an iCalendar feed.
func HostileFeed(kind string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chiso//hostile//EN\r\n")
	b.WriteString("BEGIN:VEVENT\r\nUID:ok@hostile\r\nDTSTART;TZID=" + vntime.Name + ":20260105T080000\r\nDTEND;TZID=" + vntime.Name + ":20260105T100000\r\nSUMMARY:Giao ban\r\nCATEGORIES:giao-ban\r\nEND:VEVENT\r\n")
	for i := 0; i < n; i++ {
		var rule string
		start := "20250101T000000Z"
		switch kind {
		case HostileHourly:
			rule = "FREQ=HOURLY;UNTIL=20261230T000000Z"
		case HostileMinutely:
			rule = "FREQ=MINUTELY;COUNT=19000"
		case HostileDaily:
			rule, start = "FREQ=DAILY;COUNT=5000", "20200101T000000Z"
		case HostileManySeries:
			rule, start = "FREQ=DAILY;COUNT=1000", "20200101T000000Z"
		default:
			panic("meetingssim: unknown hostile kind " + kind)
		}
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s-%02d@hostile\r\nDTSTART:%s\r\nDURATION:PT30M\r\nRRULE:%s\r\nSUMMARY:Series %d\r\nEND:VEVENT\r\n", kind, i, start, rule, i)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.Bytes()
}
