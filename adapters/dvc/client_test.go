package dvc_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/httpx"
	"chiso/adapters/vntime"
)

func newClient(url string) *dvc.Client {
	return dvc.NewClient(dvc.Config{Endpoint: url, Username: "chiso", Password: "chiso", MaDonVi: "000.25.31.H99",
		Timeout: 300 * time.Millisecond, Retry: httpx.Retry{Max: 3, Backoff: time.Millisecond}})
}

// pullAll reads every page of 2025 by update time and returns the codes in order.
func pullAll(t *testing.T, c *dvc.Client) []string {
	t.Helper()
	ctx := context.Background()
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	to := time.Date(2025, 12, 31, 23, 59, 59, 0, vntime.Location)
	var codes []string
	for page := 1; ; page++ {
		p, err := c.List(ctx, dvc.ListQuery{From: from, To: to, Page: page, Size: 50})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, raw := range p.Records {
			rec, err := dvc.DecodeRecord(raw)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			codes = append(codes, rec.MaHoSo.String())
		}
		if page*50 >= p.Total {
			if len(codes) != p.Total {
				t.Fatalf("read %d records, tongSo %d", len(codes), p.Total)
			}
			return codes
		}
	}
}

func TestPullPagingAndFaults(t *testing.T) {
	data := dvcsim.Generate(7, "000.25.31.H99", 2025, 480)
	clean := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer clean.Close()
	want := pullAll(t, newClient(clean.URL))
	if len(want) != 480 {
		t.Fatalf("clean pull: %d records", len(want))
	}
	seen := map[string]bool{}
	for _, c := range want {
		if seen[c] {
			t.Fatalf("duplicate %s", c)
		}
		seen[c] = true
	}
	cases := []struct {
		name   string
		faults []dvcsim.Fault
		extra  int // requests beyond the 10 pages
	}{
		{"http500", []dvcsim.Fault{{Kind: dvcsim.Fault500, Page: 2, Times: 2}}, 2},
		{"truncated", []dvcsim.Fault{{Kind: dvcsim.FaultTruncate, Page: 3}, {Kind: dvcsim.FaultTruncate, Page: 5}}, 2},
		{"timeout", []dvcsim.Fault{{Kind: dvcsim.FaultTimeout, Page: 4}}, 1},
		{"slow", []dvcsim.Fault{{Kind: dvcsim.FaultSlow, Page: 1}}, 0},
		{"expired", []dvcsim.Fault{{Kind: dvcsim.FaultExpire, Page: 6}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim := dvcsim.New(dvcsim.Options{Data: data, Faults: c.faults, Slow: 50 * time.Millisecond})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			got := pullAll(t, newClient(srv.URL))
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("with %s faults the pull differs from the clean one", c.name)
			}
			if un := sim.Unfired(); len(un) > 0 {
				t.Errorf("faults that did not fire: %+v", un)
			}
			if n := sim.Requests()[dvc.ServiceList]; n != 10+c.extra {
				t.Errorf("%d list requests, want %d: the fault did not fire as planned", n, 10+c.extra)
			}
			if c.name == "expired" && sim.Requests()["auth"] != 2 {
				t.Errorf("auth calls %d, want 2 (one re-authentication)", sim.Requests()["auth"])
			}
		})
	}
}

func TestAuthAndServices(t *testing.T) {
	data := dvcsim.Generate(3, "000.25.31.H99", 2025, 100)
	sim := dvcsim.New(dvcsim.Options{Data: data})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ctx := context.Background()

	bad := dvc.NewClient(dvc.Config{Endpoint: srv.URL, Username: "chiso", Password: "wrong", Retry: httpx.Retry{Max: 1, Backoff: time.Millisecond}})
	var apiErr *dvc.APIError
	if _, err := bad.Steps(ctx, data.MaHoSo(0)); !errors.As(err, &apiErr) || apiErr.Code != 403 {
		t.Fatalf("wrong password: %v", err)
	}

	c := newClient(srv.URL)
	ma := data.MaHoSo(10)
	raw, err := c.Lookup(ctx, ma)
	if err != nil || raw == nil {
		t.Fatalf("lookup: %v", err)
	}
	rec, err := dvc.DecodeRecord(raw)
	if err != nil || rec.MaHoSo.String() != ma {
		t.Fatalf("lookup decoded %q: %v", rec.MaHoSo, err)
	}
	steps, err := c.Steps(ctx, ma)
	if err != nil || len(steps) != len(rec.QuaTrinhXuLy) {
		t.Fatalf("steps %d vs inline %d: %v", len(steps), len(rec.QuaTrinhXuLy), err)
	}
	if none, err := c.Lookup(ctx, "NO-SUCH"); err != nil || none != nil {
		t.Fatalf("unknown dossier: %s %v", none, err)
	}
	p, err := c.Procedure(ctx, "1.001193")
	if err != nil || p == nil || p.MucDo.String() != "toan_trinh" || p.SoNgay.String() != "1" {
		t.Fatalf("procedure: %+v %v", p, err)
	}
	if p, err := c.Procedure(ctx, "9.999999"); err != nil || p != nil {
		t.Fatalf("unknown procedure: %+v %v", p, err)
	}
	// A session that expires between calls is renewed once.
	sim.ExpireSessions()
	if _, err := c.Steps(ctx, ma); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := sim.Requests()["auth"]; n != 3 {
		t.Errorf("auth calls %d, want 3 (bad client, first session, renewal)", n)
	}
}

func TestServerErrorsGiveUp(t *testing.T) {
	sim := dvcsim.New(dvcsim.Options{Data: dvcsim.Generate(1, "U", 2025, 10),
		Faults: []dvcsim.Fault{{Kind: dvcsim.Fault500, Times: 100}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := newClient(srv.URL)
	_, err := c.List(context.Background(), dvc.ListQuery{From: time.Now().AddDate(-3, 0, 0), To: time.Now(), Page: 1, Size: 10})
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("want HTTP 500 after retries, got %v", err)
	}
	if n := sim.Requests()[dvc.ServiceList]; n != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", n)
	}
}
