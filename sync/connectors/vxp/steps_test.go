package vxp

import (
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/sync/connector"
)

// The window step of Sync: what is listed and up to when the coverage is
// recorded, for a first sync, a later one and a backfill.
func TestSyncWindow(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location)
	baseline := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, vntime.Location) }
	covered := connector.Coverage{{From: baseline, To: now.Add(-time.Hour)}}
	const lookback = 72 * time.Hour
	f := "2006-01-02 15:04:05"
	for _, c := range []struct {
		name                string
		env                 connector.Env
		cov                 connector.Coverage
		from, to, coveredTo string
	}{
		{"first sync reaches the baseline", connector.Env{Baseline: baseline}, nil, "2025-01-01 00:00:00", "0001-01-01 00:00:00", "2026-12-02 09:00:00"},
		{"later sync looks back", connector.Env{Baseline: baseline}, covered, "2026-11-29 09:00:00", "0001-01-01 00:00:00", "2026-12-02 09:00:00"},
		{"no baseline looks back", connector.Env{}, nil, "2026-11-29 09:00:00", "0001-01-01 00:00:00", "2026-12-02 09:00:00"},
		{"backfill lists its whole days", connector.Env{Baseline: baseline, Window: &connector.Window{From: day(3, 1), To: day(3, 31)}}, covered,
			"2026-03-01 00:00:00", "2026-03-31 23:59:59", "2026-03-31 23:59:59"},
	} {
		from, to, covTo := syncWindow(c.env, c.cov, now, lookback)
		in := func(t time.Time) string {
			if t.IsZero() {
				return t.Format(f)
			}
			return t.In(vntime.Location).Format(f)
		}
		if in(from) != c.from || in(to) != c.to || in(covTo) != c.coveredTo {
			t.Errorf("%s: %s … %s, covered to %s; want %s … %s, %s", c.name, in(from), in(to), in(covTo), c.from, c.to, c.coveredTo)
		}
	}
}
