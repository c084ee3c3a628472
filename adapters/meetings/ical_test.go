package meetings

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
)

var update = flag.Bool("update", false, "rewrite the expected.txt golden files")

// goldenWindow is the window of the golden cases.
var goldenWindow = ParseOptions{
	From: time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location),
	To:   time.Date(2026, 1, 1, 0, 0, 0, 0, vntime.Location),
}

// render prints a feed as the golden text: one line per occurrence, then
// one per problem. Times are printed in Vietnam time.
func render(f *Feed) string {
	var b strings.Builder
	for _, o := range f.Occurrences {
		flags := []string{}
		if o.AllDay {
			flags = append(flags, "all-day")
		}
		if o.Status != "" {
			flags = append(flags, o.Status)
		}
		x := make([]string, 0, len(o.X))
		for k, v := range o.X {
			s := k + "=" + v.Value
			if v.TZID != "" {
				s += "(" + v.TZID + ")"
			}
			x = append(x, s)
		}
		sort.Strings(x)
		fmt.Fprintf(&b, "%s | %s → %s | %s | %q | cats=%s | %s", o.Key,
			o.Start.In(vntime.Location).Format("2006-01-02 15:04"), o.End.In(vntime.Location).Format("2006-01-02 15:04"),
			strings.Join(flags, ","), o.Summary, strings.Join(o.Categories, ","), strings.Join(x, " "))
		for _, w := range o.Warnings {
			fmt.Fprintf(&b, " | warning: %s", w)
		}
		b.WriteString("\n")
	}
	for _, p := range f.Problems {
		fmt.Fprintf(&b, "problem: %s (raw %d bytes)\n", p.Error(), len(p.Raw))
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(&b, "feed warning: %s\n", w)
	}
	return b.String()
}

// caseWindow is the window of a golden case: goldenWindow, or the dates in
// the folder's window file ("2024-07-01 2025-01-01": from, to exclusive)
// for a real feed of other years.
func caseWindow(dir string) (ParseOptions, error) {
	b, err := os.ReadFile(filepath.Join(dir, "window"))
	if os.IsNotExist(err) {
		return goldenWindow, nil
	}
	if err != nil {
		return ParseOptions{}, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return ParseOptions{}, fmt.Errorf("%s/window: want two dates", dir)
	}
	from, err1 := time.ParseInLocation("2006-01-02", f[0], vntime.Location)
	to, err2 := time.ParseInLocation("2006-01-02", f[1], vntime.Location)
	if err1 != nil || err2 != nil {
		return ParseOptions{}, fmt.Errorf("%s/window: %v %v", dir, err1, err2)
	}
	return ParseOptions{From: from, To: to}, nil
}

// Each folder of testdata/ical holds a real feed and the expected
// occurrences; a new regression case is a new folder.
func TestParseICSGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/ical/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "feed.ics"))
			if err != nil {
				t.Fatal(err)
			}
			opt, err := caseWindow(dir)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := ParseICS(data, opt)
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			got := render(feed)
			path := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once, then review the file)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs.\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

// A malformed feed is an error naming the line; testdata/malformed/X.ics
// holds the feed and X.err the exact message.
func TestParseICSMalformed(t *testing.T) {
	files, _ := filepath.Glob("testdata/malformed/*.ics")
	if len(files) == 0 {
		t.Fatal("no malformed cases")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".ics")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".ics") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			feed, err := ParseICS(data, goldenWindow)
			if err == nil {
				t.Fatalf("no error; got %d occurrences", len(feed.Occurrences))
			}
			if got := err.Error(); got != strings.TrimSpace(string(want)) {
				t.Errorf("error:\n got %s\nwant %s", got, strings.TrimSpace(string(want)))
			}
		})
	}
}

func TestParseICSNeedsWindowEnd(t *testing.T) {
	if _, err := ParseICS([]byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), ParseOptions{}); err == nil {
		t.Error("want an error without a window end")
	}
}

func TestParseDateTime(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	cases := []struct {
		in       string
		loc      *time.Location
		want     string // RFC 3339 in Vietnam time
		dateOnly bool
		bad      bool
	}{
		{"20250310T080000", nil, "2025-03-10T08:00:00+07:00", false, false},
		{"20250310T010000Z", nil, "2025-03-10T08:00:00+07:00", false, false},
		{"20250310T100000", tokyo, "2025-03-10T08:00:00+07:00", false, false},
		{"20250310", nil, "2025-03-10T00:00:00+07:00", true, false},
		{"2025-03-10 08:00", nil, "2025-03-10T08:00:00+07:00", false, false},
		{"2025-03-10T08:00:00+07:00", nil, "2025-03-10T08:00:00+07:00", false, false},
		{"10/03/2025", nil, "", false, true},
		{"", nil, "", false, true},
	}
	for _, c := range cases {
		got, dateOnly, err := ParseDateTime(c.in, c.loc, vntime.Location)
		if c.bad {
			if err == nil {
				t.Errorf("%q: want an error, got %s", c.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if s := got.In(vntime.Location).Format(time.RFC3339); s != c.want || dateOnly != c.dateOnly {
			t.Errorf("%q: got %s dateOnly=%v, want %s dateOnly=%v", c.in, s, dateOnly, c.want, c.dateOnly)
		}
	}
}
