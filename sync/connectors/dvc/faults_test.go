package dvc

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/httpx"
	"chiso/warehouse/warehousetest"
)

// TestPortalFaultsLoseNothing pulls from a simulated portal that
// misbehaves, over real HTTP, into a real warehouse. Each case ends with
// every dossier stored (status ok) or with the run partial (or failed, for
// a portal that keeps erroring) and the checkpoint not past any dossier
// that was not stored; then a run against the portal without the fault
// completes to the clean result.
func TestPortalFaultsLoseNothing(t *testing.T) {
	const n = 600
	data := dvcsim.Generate(21, unit, 2025, n)
	clean := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer clean.Close()
	stClean := warehousetest.New(t)
	if err := syncOnce(t, stClean, pagedConn(t, clean.URL)); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, stClean)
	if got := count(t, stClean, `SELECT count(*) FROM dossiers`); got != n {
		t.Fatalf("clean pull stored %d of %d", got, n)
	}

	for _, tc := range []struct {
		name   string
		opt    dvcsim.Options
		status string // of the faulty run: ok (everything stored), partial or failed
		why    string // in sync_runs.error
	}{
		{name: "page cap announced in soLuong", opt: dvcsim.Options{PageCap: 4}, status: "ok"},
		{name: "page cap not announced", opt: dvcsim.Options{PageCap: 4, NoPagingInfo: true}, status: "ok"},
		{name: "page cap of 1", opt: dvcsim.Options{PageCap: 1}, status: "ok"},
		{name: "one empty page in the middle", opt: dvcsim.Options{Faults: []dvcsim.Fault{{Kind: dvcsim.FaultEmpty, Page: 3}}}, status: "ok"},
		{name: "an empty page every time", opt: dvcsim.Options{Faults: []dvcsim.Fault{{Kind: dvcsim.FaultEmpty, Page: 3, Times: 1000}}},
			status: "partial", why: "announced"},
		{name: "an empty page under a cap", opt: dvcsim.Options{PageCap: 4, NoPagingInfo: true, Faults: []dvcsim.Fault{{Kind: dvcsim.FaultEmpty, Page: 2, Times: 1000}}},
			status: "partial", why: "announced"},
		{name: "5xx at page 3, recovered by retries", opt: dvcsim.Options{Faults: []dvcsim.Fault{{Kind: dvcsim.Fault500, Page: 3, Times: 3}}}, status: "ok"},
		{name: "5xx at page 3 every time", opt: dvcsim.Options{Faults: []dvcsim.Fault{{Kind: dvcsim.Fault500, Page: 3, Times: 1000}}},
			status: "failed", why: "page 3"},
		{name: "truncated body once", opt: dvcsim.Options{Faults: []dvcsim.Fault{{Kind: dvcsim.FaultTruncate, Page: 2}}}, status: "ok"},
		{name: "truncated body every time", opt: dvcsim.Options{Faults: []dvcsim.Fault{{Kind: dvcsim.FaultTruncate, Page: 2, Times: 1000}}},
			status: "failed", why: "page 2"},
		{name: "slow answers", opt: dvcsim.Options{Delay: 2 * time.Millisecond}, status: "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Data = data
			sim := dvcsim.New(opt)
			srv := httptest.NewServer(sim)
			defer srv.Close()
			st := warehousetest.New(t)
			err := syncOnce(t, st, pagedConn(t, srv.URL))
			var status, why string
			if e := st.DB.QueryRow(`SELECT status, coalesce(error,'') FROM sync_runs ORDER BY id DESC LIMIT 1`).Scan(&status, &why); e != nil {
				t.Fatal(e)
			}
			if (err != nil) != (tc.status == "failed") {
				t.Fatalf("sync error %v, want status %s", err, tc.status)
			}
			if status != tc.status || !strings.Contains(why, tc.why) {
				t.Fatalf("run %s (%q), want %s naming %q", status, why, tc.status, tc.why)
			}
			if un := sim.Unfired(); len(un) > 0 && tc.status == "ok" {
				t.Fatalf("faults that did not fire: %+v", un)
			}
			stored := count(t, st, `SELECT count(*) FROM dossiers`)
			t.Logf("%s: %d of %d dossiers stored, run %s %s", tc.name, stored, n, status, why)
			if tc.status == "ok" {
				if got := snapshot(t, st); got != want {
					t.Fatalf("differs from a clean pull:\n%s", diffLines(want, got))
				}
				return
			}
			if stored == n {
				t.Fatalf("the fault did not cut the pull (%d stored)", stored)
			}
			// Nothing before the checkpoint is missing.
			cp, ok, err := st.Checkpoint(context.Background(), "dvc-tinh", stream)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				at, err := time.Parse(time.RFC3339, cp)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < data.Len(); i++ {
					if data.Updated(i).Before(at) && count(t, st, `SELECT count(*) FROM dossiers WHERE ma_ho_so = $1`, data.MaHoSo(i)) != 1 {
						t.Fatalf("the checkpoint %s passed dossier %s (updated %s), which was not stored", cp, data.MaHoSo(i), data.Updated(i))
					}
				}
			}
			// The portal heals: the next run completes.
			if err := syncOnce(t, st, pagedConn(t, clean.URL)); err != nil {
				t.Fatal(err)
			}
			if got := snapshot(t, st); got != want {
				t.Fatalf("after the portal healed, differs from a clean pull:\n%s", diffLines(want, got))
			}
			if err := st.DB.QueryRow(`SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1`).Scan(&status); err != nil || status != "ok" {
				t.Fatalf("the healed run is %s (%v)", status, err)
			}
		})
	}
}

// pagedConn is a connector with small pages (several pages per monthly
// window) and quick retries.
func pagedConn(t *testing.T, url string) *Connector {
	t.Helper()
	c := newConn(t, url, syncNow)
	c.PageSize = 10
	c.RequestTimeout = 2 * time.Second
	c.Retry = httpx.Retry{Max: 3, Backoff: time.Millisecond}
	return c
}
