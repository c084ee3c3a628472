package dvc

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/vntime"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse/warehousetest"
)

// TestFirstSyncReachesTheBaseline: without a start key the first sync
// reads from the baseline (Env.Baseline, 2025-01-01 for the 2026 targets)
// whatever today is; a later start leaves a gap that the coverage names,
// a backfill of the gap closes it, and a window not read whole is not
// counted as covered.
func TestFirstSyncReachesTheBaseline(t *testing.T) {
	baseline := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	data := dvcsim.Generate(31, unit, 2025, 300)
	srv := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer srv.Close()
	ctx := context.Background()
	conn := func(t *testing.T, url, start string, now time.Time) *Connector {
		c := New()
		c.Endpoint, c.Username, c.Password, c.MaDonVi = url, secret.New("chiso"), secret.New("chiso"), unit
		c.Start, c.RequestTimeout, c.now, c.log = start, 2*time.Second, func() time.Time { return now }, quiet
		if err := c.Validate(connector.Env{Name: "dvc-tinh", Self: unit, Baseline: baseline}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	coverage := func(t *testing.T, st interface {
		Checkpoint(context.Context, string, string) (string, bool, error)
	}) connector.Coverage {
		v, _, err := st.Checkpoint(ctx, "dvc-tinh", connector.CoverageStream)
		if err != nil {
			t.Fatal(err)
		}
		cov, err := connector.ParseCoverage(v)
		if err != nil {
			t.Fatal(err)
		}
		return cov
	}
	// Installed in November 2026: the first sync still reads from 2025-01-01.
	late := time.Date(2026, 11, 20, 9, 0, 0, 0, vntime.Location)
	t.Run("default start", func(t *testing.T) {
		st := warehousetest.New(t)
		if err := syncOnce(t, st, conn(t, srv.URL, "", late)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, `SELECT count(*) FROM dossiers`); n != data.Len() {
			t.Errorf("%d of %d dossiers", n, data.Len())
		}
		cov := coverage(t, st)
		if gaps := cov.Missing(baseline, late); len(gaps) != 0 || cov.String() != "2025-01-01..2026-11-20" {
			t.Errorf("coverage %s, gaps %v", cov, gaps)
		}
	})
	t.Run("later start, then the backfill status names", func(t *testing.T) {
		st := warehousetest.New(t)
		if err := syncOnce(t, st, conn(t, srv.URL, "2025-06-01", late)); err != nil {
			t.Fatal(err)
		}
		gaps := coverage(t, st).Missing(baseline, late)
		if len(gaps) != 1 || gaps[0].String() != "2025-01-01..2025-05-31" {
			t.Fatalf("gaps %v, want 2025-01-01..2025-05-31", gaps)
		}
		if cmd := connector.BackfillCommand("dvc-tinh", gaps[0]); cmd != "chiso sync --connector dvc-tinh --from 2025-01-01 --to 2025-05-31" {
			t.Errorf("command %q", cmd)
		}
		c := conn(t, srv.URL, "2025-06-01", late)
		c.SetEnv(connector.Env{Name: "dvc-tinh", Self: unit, Baseline: baseline, Window: &connector.Window{From: gaps[0].From, To: gaps[0].To}})
		if err := syncOnce(t, st, c); err != nil {
			t.Fatal(err)
		}
		if gaps := coverage(t, st).Missing(baseline, late); len(gaps) != 0 {
			t.Errorf("after the backfill: gaps %v", gaps)
		}
		// Every received dossier is in (the backfill reads by reception
		// date; one never received, or received before the baseline, and not
		// updated since June is not).
		received := 0
		for i := 0; i < data.Len(); i++ {
			if r := data.Received(i); r != nil && !r.Before(baseline) {
				received++
			}
		}
		if n := count(t, st, `SELECT count(*) FROM dossiers WHERE received_at >= $1`, baseline); n != received || n == 0 {
			t.Errorf("%d of the %d dossiers received since the baseline", n, received)
		}
	})
	t.Run("a window not read whole is not covered", func(t *testing.T) {
		faulty := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data, Faults: []dvcsim.Fault{{Kind: dvcsim.FaultEmpty, Page: 2, Times: 1000}}}))
		defer faulty.Close()
		st := warehousetest.New(t)
		c := conn(t, faulty.URL, "", late)
		c.PageSize = 10
		if err := syncOnce(t, st, c); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := st.Checkpoint(ctx, "dvc-tinh", connector.CoverageStream); ok {
			t.Errorf("coverage %v recorded for a window not read whole", coverage(t, st))
		}
	})
}
