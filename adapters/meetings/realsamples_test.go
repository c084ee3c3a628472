package meetings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"chiso/adapters/vntime"
)

// notFeeds are the real samples that are not a readable feed, with the
// error each must give (naming the line where there is one).
var notFeeds = map[string]string{
	"icalevents__empty.ics":           "ical: the feed is empty",
	"icalendar__big_bad_calendar.ics": "ical: the feed ends before END:VCALENDAR (BEGIN:VCALENDAR at line 1 is not closed",
	"ical4j__invalid_overlaps.ics":    "ical: line 1: not an iCalendar feed",
}

// Every real export of testdata/real-samples reads (problems and warnings
// allowed) except the ones that are no feed at all, which fail with their
// own message; no occurrence text is unstorable.
func TestRealSamples(t *testing.T) {
	files, err := filepath.Glob("testdata/real-samples/*.ics")
	if err != nil || len(files) < 50 {
		t.Fatalf("real samples: %d files (%v)", len(files), err)
	}
	opt := ParseOptions{From: time.Date(1990, 1, 1, 0, 0, 0, 0, vntime.Location), To: time.Date(2027, 1, 1, 0, 0, 0, 0, vntime.Location)}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := ParseICS(data, opt)
			if want, bad := notFeeds[name]; bad {
				if err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("a real feed fails: %v", err)
			}
			for _, o := range feed.Occurrences {
				for _, s := range []string{o.Key, o.Summary, o.Location, o.Organizer} {
					if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
						t.Errorf("%s: unstorable text %q", o.Key, s)
					}
				}
			}
			for _, p := range feed.Problems {
				if p.Line <= 0 || p.Field == "" {
					t.Errorf("problem without line or field: %+v", p)
				}
			}
		})
	}
}
