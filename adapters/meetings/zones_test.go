package meetings

import (
	"bytes"
	"os"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"
)

// A VTIMEZONE with RRULE'd STANDARD/DAYLIGHT observances (Exchange's
// Windows zones) or RDATE'd ones gives the same offsets as the tz database
// zone it describes, on both sides of every daylight-saving change.
func TestZoneFromVTimezone(t *testing.T) {
	cases := []struct {
		file, tzid, iana string
		from, to         time.Time
	}{
		{"testdata/ical/exchange-allday-moved/feed.ics", "W. Europe Standard Time", "Europe/Berlin", y(2000), y(2030)},
		{"testdata/ical/vtimezone-dst-eastern/feed.ics", "Eastern Standard Time", "America/New_York", y(2008), y(2030)},
		// Observances given by RDATE from Nov 2022 to Mar 2024 only.
		{"testdata/ical/rdate-period/feed.ics", "America/Vancouver", "America/Vancouver", time.Date(2022, 11, 7, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
		if err != nil {
			t.Fatal(err)
		}
		var loc *time.Location
		for _, child := range cal.Children {
			if child.Name == ical.CompTimezone && propText(child, ical.PropTimezoneID) == c.tzid {
				if loc, err = zoneFromVTimezone(c.tzid, child); err != nil {
					t.Fatalf("%s: %v", c.tzid, err)
				}
			}
		}
		if loc == nil {
			t.Fatalf("%s: no VTIMEZONE %s", c.file, c.tzid)
		}
		want, _ := time.LoadLocation(c.iana)
		n := 0
		for at := c.from; at.Before(c.to); at = at.Add(3 * time.Hour) {
			_, got := at.In(loc).Zone()
			_, exp := at.In(want).Zone()
			if got != exp {
				t.Errorf("%s at %s: offset %d, %s says %d", c.tzid, at.Format(time.RFC3339), got, c.iana, exp)
				if n++; n > 5 {
					break
				}
			}
		}
	}
}

func y(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }
