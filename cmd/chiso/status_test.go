package main

import (
	"slices"
	"testing"
	"time"

	"chiso/adapters/vntime"
)

// chiso status names each gap between the baseline and the last day a
// windowed connector read, with the backfill command that reads it.
func TestCoverageGaps(t *testing.T) {
	baseline := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	today := time.Date(2026, 12, 2, 10, 0, 0, 0, vntime.Location)
	cases := []struct {
		name, cov string
		want      []string
	}{
		{"first sync reached the baseline", "2025-01-01..2026-12-02", nil},
		{"read from before the baseline", "2024-06-01..2026-12-02", nil},
		{"a 35-day lookback only", "2026-10-28..2026-12-02", []string{
			"  vxp\t2025-01-01..2026-10-27 not read; run: chiso sync --connector vxp --from 2025-01-01 --to 2026-10-27"}},
		{"a stopped daemon", "2025-01-01..2026-03-31,2026-06-01..2026-12-02", []string{
			"  vxp\t2026-04-01..2026-05-31 not read; run: chiso sync --connector vxp --from 2026-04-01 --to 2026-05-31"}},
		{"unreadable checkpoint", "garbage", []string{
			`  vxp` + "\t" + `coverage unknown ("garbage"); run: chiso sync --connector vxp --from 2025-01-01 --to 2026-12-02`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := coverageGaps("vxp", tc.cov, baseline, today); !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
