package vxp_test

import (
	"context"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/adapters/vxp/vxpsim"
	"chiso/sync/connector"
	"chiso/sync/connectors/vxp"
	"chiso/warehouse/warehousetest"
)

// A first sync reaches the baseline year whatever today is (issue 12): a
// commune installing chiso on 2 December 2026 with the default 35-day
// lookback still reads the axis' 2025 packages, and the coverage it records
// tells later runs (and chiso status) what was read.
func TestFirstSyncReachesBaseline(t *testing.T) {
	installDay := time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location)
	docs, _, revs := expected()
	cases := []struct {
		name     string
		baseline time.Time
		wantDocs int
		wantCov  string
	}{
		// Before: now − 35d only; the 2025 mailbox is out of reach.
		{"no baseline known", time.Time{}, 0, "2026-10-28..2026-12-02"},
		{"baseline of the 2026 targets", time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location), docs, "2025-01-01..2026-12-02"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := warehousetest.New(t)
			_, url := newSim(t, vxpsim.Faults{})
			c := newConn(t, url, vxp.ModeObserver, "s3cr3t")
			c.Lookback = connector.Span(35 * 24 * time.Hour)
			now := installDay
			c.Now = func() time.Time { return now }
			env := connector.Env{Name: "axis", Self: unit, Org: directory(), Location: vntime.Location, Baseline: tc.baseline}
			c.SetEnv(env)
			if err := syncOnce(ctx, st, c); err != nil {
				t.Fatal(err)
			}
			if got := count(t, st, `SELECT count(*) FROM documents WHERE direction = 'in'`); got != tc.wantDocs {
				t.Errorf("%d incoming documents, want %d", got, tc.wantDocs)
			}
			cov, _, err := st.Checkpoint(ctx, "axis", connector.CoverageStream)
			if err != nil {
				t.Fatal(err)
			}
			if cov != tc.wantCov {
				t.Errorf("coverage %q, want %q", cov, tc.wantCov)
			}
			// The next day's run keeps to the lookback and extends the coverage.
			now = installDay.AddDate(0, 0, 1)
			if err := syncOnce(ctx, st, c); err != nil {
				t.Fatal(err)
			}
			cov, _, _ = st.Checkpoint(ctx, "axis", connector.CoverageStream)
			if want := tc.wantCov[:len("2025-01-01..")] + "2026-12-03"; cov != want {
				t.Errorf("coverage after the next run %q, want %q", cov, want)
			}
			if got := count(t, st, `SELECT count(*) FROM document_sightings WHERE source = 'vxp:axis'`); tc.wantDocs > 0 && got != docs+revs {
				t.Errorf("%d sightings, want %d", got, docs+revs)
			}
		})
	}
}
