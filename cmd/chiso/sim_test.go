package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/httpx"
	"chiso/adapters/vntime"
)

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want dvcsim.Fault
		err  bool
	}{
		{in: "empty@3", want: dvcsim.Fault{Kind: "empty", Service: dvc.ServiceList, Page: 3, Times: 1}},
		{in: "500@2x5", want: dvcsim.Fault{Kind: "500", Service: dvc.ServiceList, Page: 2, Times: 5}},
		{in: "truncate", want: dvcsim.Fault{Kind: "truncate", Service: dvc.ServiceList, Times: 1}},
		{in: "slow@0x3", want: dvcsim.Fault{Kind: "slow", Service: dvc.ServiceList, Times: 3}},
		{in: "boom@1", err: true},
		{in: "empty@x", err: true},
		{in: "empty@2x0", err: true},
		{in: "empty@-1", err: true},
	} {
		got, err := parseFault(tc.in)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("parseFault(%q) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestSimFaultFlags serves the portal as `chiso sim --page-cap 3 --fault
// empty@2` would and reads it over HTTP: pages hold 3 dossiers whatever is
// asked, and page 2 comes back empty once.
func TestSimFaultFlags(t *testing.T) {
	until := time.Date(2025, 12, 31, 0, 0, 0, 0, vntime.Location)
	f, err := parseFault("empty@2")
	if err != nil {
		t.Fatal(err)
	}
	h, err := simHandler(simOptions{Seed: 3, Years: []int{2025}, DossiersPerYear: 200, Until: until, PageCap: 3, Faults: []dvcsim.Fault{f}},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := dvc.NewClient(dvc.Config{Endpoint: srv.URL + "/dvc", Username: demoDVCUser, Password: demoDVCPassword, MaDonVi: demoUnit,
		Retry: httpx.Retry{Max: 1, Backoff: time.Millisecond}})
	q := dvc.ListQuery{From: time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location), To: until, Page: 1, Size: 100}
	ctx := context.Background()
	for _, want := range []struct{ page, records int }{{1, 3}, {2, 0}, {2, 3}} {
		q.Page = want.page
		p, err := c.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Records) != want.records || p.Size != 3 || p.Total < 10 {
			t.Errorf("page %d: %d records (soLuong %d, tongSo %d), want %d records of pages of 3", want.page, len(p.Records), p.Size, p.Total, want.records)
		}
	}
}
