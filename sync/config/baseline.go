package config

import (
	"time"

	"chiso/adapters/vntime"
)

// Baseline is the earliest instant a report of the configuration's target
// year may need facts from (see BaselineFrom). The target year is the
// targets file's year, else the current year.
func (c *Config) Baseline() time.Time {
	loc := c.Location
	if loc == nil {
		loc = vntime.Location
	}
	year := time.Now().In(loc).Year()
	if c.TargetSet != nil && c.TargetSet.Year > 0 {
		year = c.TargetSet.Year
	}
	periods := c.ReportPeriods
	if len(periods) == 0 {
		periods = DefaultReportPeriods
	}
	return BaselineFrom(year, periods, loc)
}

// BaselineFrom is 1 January of the year before the earliest period a report
// of targetYear can ask for: every period's baseline (cùng kỳ) is the same
// dates one year earlier, so facts from then on must be read. For 2026 with
// calendar periods that is 2025-01-01; a period starting in the previous
// year (nd09: 15 Dec 2025) moves it to 2024-01-01.
func BaselineFrom(targetYear int, periods []ReportPeriod, loc *time.Location) time.Time {
	earliest := targetYear
	for _, p := range periods {
		if p.FromPreviousYear {
			earliest = min(earliest, targetYear-1)
		}
	}
	return time.Date(earliest-1, time.January, 1, 0, 0, 0, 0, loc)
}
