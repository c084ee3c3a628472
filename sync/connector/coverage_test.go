package connector

import (
	"testing"
	"time"

	"chiso/adapters/vntime"
)

func TestCoverage(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, vntime.Location)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name, start   string
		add           [][2]time.Time
		want, missing string // coverage after the adds; missing in 2025-01-01..2026-12-02
	}{
		{"empty", "", nil, "", "2025-01-01..2026-12-02"},
		{"one run of 35 days", "", [][2]time.Time{{day("2026-10-28"), day("2026-12-02")}}, "2026-10-28..2026-12-02", "2025-01-01..2026-10-27"},
		{"overlapping runs merge", "2026-10-28..2026-12-02", [][2]time.Time{{day("2026-10-29"), day("2026-12-03")}}, "2026-10-28..2026-12-03", "2025-01-01..2026-10-27"},
		{"adjacent days merge", "2025-01-01..2025-01-31", [][2]time.Time{{day("2025-02-01"), day("2026-12-02")}}, "2025-01-01..2026-12-02", ""},
		{"a stopped daemon leaves a gap", "2025-01-01..2026-03-31", [][2]time.Time{{day("2026-06-01"), day("2026-12-02")}}, "2025-01-01..2026-03-31,2026-06-01..2026-12-02", "2026-04-01..2026-05-31"},
		{"a backfill fills it", "2025-01-01..2026-03-31,2026-06-01..2026-12-02", [][2]time.Time{{day("2026-04-01"), day("2026-05-31")}}, "2025-01-01..2026-12-02", ""},
		{"instants count by their Vietnam date", "", [][2]time.Time{{time.Date(2024, 12, 31, 17, 30, 0, 0, time.UTC), time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)}}, "2025-01-01..2026-12-02", ""},
		{"reversed span adds nothing", "", [][2]time.Time{{day("2026-02-01"), day("2026-01-01")}}, "", "2025-01-01..2026-12-02"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCoverage(tc.start)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.add {
				c = c.Add(a[0], a[1])
			}
			if got := c.String(); got != tc.want {
				t.Errorf("coverage %q, want %q", got, tc.want)
			}
			again, err := ParseCoverage(c.String())
			if err != nil || again.String() != c.String() {
				t.Errorf("round trip %q → %q (%v)", c.String(), again.String(), err)
			}
			var miss Coverage
			for _, m := range c.Missing(day("2025-01-01"), day("2026-12-02")) {
				miss = append(miss, m)
			}
			if got := miss.String(); got != tc.missing {
				t.Errorf("missing %q, want %q", got, tc.missing)
			}
		})
	}
	for _, bad := range []string{"2025-01-01", "2025-02-01..2025-01-01", "x..y"} {
		if _, err := ParseCoverage(bad); err == nil {
			t.Errorf("ParseCoverage(%q) accepted", bad)
		}
	}
}

func TestWindowStart(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location)
	lookback := 35 * 24 * time.Hour
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	read := Coverage{}.Add(now.Add(-lookback), now)
	threeYears := now.Sub(now.AddDate(-3, 0, 0))
	cases := []struct {
		name     string
		baseline time.Time
		cov      Coverage
		lookback time.Duration
		want     time.Time
	}{
		{"first sync reaches the baseline", base, nil, lookback, base},
		{"later runs keep to the lookback", base, read, lookback, now.Add(-lookback)},
		{"no baseline known", time.Time{}, nil, lookback, now.Add(-lookback)},
		{"lookback already reaches further", base, nil, threeYears, now.AddDate(-3, 0, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := WindowStart(Env{Baseline: tc.baseline}, tc.cov, now, tc.lookback); !got.Equal(tc.want) {
				t.Errorf("WindowStart = %s, want %s", got, tc.want)
			}
		})
	}
	if got := BackfillCommand("truc-lien-thong", DateSpan{base, time.Date(2026, 10, 27, 0, 0, 0, 0, vntime.Location)}); got != "chiso sync --connector truc-lien-thong --from 2025-01-01 --to 2026-10-27" {
		t.Errorf("BackfillCommand = %q", got)
	}
}
