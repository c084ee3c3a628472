package vntime

import (
	"testing"
	"time"
)

// Vietnam is UTC+7 all year: no daylight saving in January or July.
func TestLocation(t *testing.T) {
	for _, utc := range []time.Time{
		time.Date(2026, 1, 15, 17, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 15, 17, 0, 0, 0, time.UTC),
	} {
		local := utc.In(Location)
		if _, off := local.Zone(); off != 7*3600 {
			t.Errorf("%s: offset %d, want %d", utc, off, 7*3600)
		}
		if local.Day() != utc.Day()+1 || local.Hour() != 0 {
			t.Errorf("%s is %s in Vietnam, want 00:00 of the next day", utc, local)
		}
	}
}
