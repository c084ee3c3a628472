package meetings_test

import (
	"strings"
	"testing"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/meetings/meetingssim"
	"chiso/adapters/vntime"
)

// The window of a sync on 2 December 2026 reading from the baseline year.
var hostileWindow = wire.ParseOptions{From: time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location), To: time.Date(2027, 2, 1, 0, 0, 0, 0, vntime.Location)}

// Hostile feeds cost one reject per implausible series (the RRULE named),
// never the materialised set; the ordinary meeting beside them loads; a
// feed beyond max_feed_occurrences is refused naming the limit.
func TestHostileFeeds(t *testing.T) {
	cases := []struct {
		kind         string
		n            int
		occurrences  int
		rejects      int
		reason, fail string
	}{
		{meetingssim.HostileHourly, 30, 1, 30, `RRULE: "FREQ=HOURLY;UNTIL=20261230T000000Z": recurs hourly: a meeting series recurs at most daily`, ""},
		{meetingssim.HostileMinutely, 60, 1, 60, `RRULE: "FREQ=MINUTELY;COUNT=19000": recurs minutely`, ""},
		{meetingssim.HostileDaily, 10, 1, 10, `RRULE: "FREQ=DAILY;COUNT=5000": more than 1000 occurrences up to 2027-02-01 (max_series_occurrences)`, ""},
		{meetingssim.HostileManySeries, 25, 0, 0, "", "ical: the feed expands to more than 20000 occurrences up to 2027-02-01 (max_feed_occurrences"},
		{meetingssim.HostileManySeries, 19, 1, 0, "", ""}, // 19,001 occurrences: within the bound
	}
	for _, c := range cases {
		feed, err := wire.ParseICS(meetingssim.HostileFeed(c.kind, c.n), hostileWindow)
		if c.fail != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.fail) {
				t.Errorf("%s ×%d: error %v, want %q", c.kind, c.n, err, c.fail)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s ×%d: %v", c.kind, c.n, err)
			continue
		}
		if len(feed.Occurrences) != c.occurrences || len(feed.Problems) != c.rejects {
			t.Errorf("%s ×%d: %d occurrences, %d rejects; want %d, %d", c.kind, c.n, len(feed.Occurrences), len(feed.Problems), c.occurrences, c.rejects)
		}
		for _, p := range feed.Problems {
			if !strings.Contains(p.Error(), c.reason) || p.Field != "RRULE" || len(p.Raw) == 0 {
				t.Errorf("%s: reject %q (field %s), want %q", c.kind, p.Error(), p.Field, c.reason)
				break
			}
		}
	}
	// The bounds are the caller's to set.
	opt := hostileWindow
	opt.MaxPerSeries, opt.MaxPerFeed = 3000, 40000
	feed, err := wire.ParseICS(meetingssim.HostileFeed(meetingssim.HostileDaily, 10), opt)
	if err != nil || len(feed.Problems) != 0 || len(feed.Occurrences) != 1+10*761 {
		t.Errorf("raised bounds: err %v, %d rejects, %d occurrences; want 0 and %d", err, len(feed.Problems), len(feed.Occurrences), 1+10*761)
	}
}

// Parse time and memory of hostile feeds next to a commune's normal one
// (make bench). Before the bounds, hourly×30 took 17 s and 947 MB, and
// minutely×60 44 s and 1.9 GB.
func BenchmarkParseHostile(b *testing.B) {
	feeds := []struct {
		name string
		data []byte
	}{
		{"normal-commune", meetingssim.Generate(meetingssim.Options{Seed: 1})[0].ICS()},
		{"hourly-x30", meetingssim.HostileFeed(meetingssim.HostileHourly, 30)},
		{"minutely-x60", meetingssim.HostileFeed(meetingssim.HostileMinutely, 60)},
		{"daily-count5000-x10", meetingssim.HostileFeed(meetingssim.HostileDaily, 10)},
		{"many-series-x25", meetingssim.HostileFeed(meetingssim.HostileManySeries, 25)},
	}
	for _, f := range feeds {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.data)))
			n := 0
			for i := 0; i < b.N; i++ {
				feed, _ := wire.ParseICS(f.data, hostileWindow)
				if feed != nil {
					n = len(feed.Occurrences)
				}
			}
			b.ReportMetric(float64(n), "occurrences")
		})
	}
}
