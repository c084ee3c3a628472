package config

import (
	"testing"
	"time"

	"chiso/adapters/vntime"
)

func TestBaselineFrom(t *testing.T) {
	calendar := []ReportPeriod{{ID: "bc6t", From: "01-01", To: "05-31"}, {ID: "bcnam", From: "01-01", To: "11-30"}}
	cases := []struct {
		name    string
		year    int
		periods []ReportPeriod
		want    string
	}{
		{"calendar periods", 2026, calendar, "2025-01-01"},
		{"default periods (nd09 starts 15 Dec of the year before)", 2026, DefaultReportPeriods, "2024-01-01"},
		{"no named periods", 2027, nil, "2026-01-01"},
	}
	for _, c := range cases {
		if got := BaselineFrom(c.year, c.periods, vntime.Location).Format("2006-01-02"); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	cfg := &Config{TargetSet: &Targets{Year: 2026}, ReportPeriods: calendar, Location: vntime.Location}
	if got := cfg.Baseline(); !got.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)) {
		t.Errorf("Config.Baseline with 2026 targets: %s", got)
	}
}
