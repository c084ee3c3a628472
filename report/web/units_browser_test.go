package web_test

import (
	"net/url"
	"strings"
	"testing"

	"chiso/report/web"
	"chiso/report/web/browsertest"
)

// TestUnitsSortScript: in a real browser, under the page's CSP, the
// optional static/sort.js sorts the units table like the server does
// (?sort=&dir=), keeps the unit itself first and updates aria-sort and
// the address; and the page asks nothing of any host but 127.0.0.1.
func TestUnitsSortScript(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	b := browsertest.Start(t)
	q := "period=2026-H1&unit=" + url.QueryEscape(self)
	order := func(p *browsertest.Page) string { return strings.Join(p.Attrs("tr[data-unit]", "data-unit"), ",") }

	p := b.Open(t, ts.URL+"/don-vi?"+q, 390)
	before := order(p)
	ind := p.Attrs("th[data-indicator]", "data-indicator")
	if len(ind) < 2 {
		t.Fatalf("%d indicator columns", len(ind))
	}
	for _, c := range []struct {
		col int
		dir string // the direction a click gives
	}{
		{1, "desc"}, {1, "asc"}, {0, "desc"},
	} {
		// A marker on the window survives only if the script sorted in
		// place: following the link (no script) would load a new page.
		browsertest.Eval[bool](p, `(window.chisoMarker = true, document.querySelectorAll("th[data-indicator] a.sort")[`+string(rune('0'+c.col))+`].click(), true)`)
		if !browsertest.Eval[bool](p, "window.chisoMarker === true") {
			t.Fatalf("the click loaded a new page: sort.js did not sort in place")
		}
		got := order(p)
		srv := b.Open(t, ts.URL+"/don-vi?"+q+"&sort="+ind[c.col]+"&dir="+c.dir, 390)
		if want := order(srv); got != want {
			t.Errorf("script sorted %s %s: %s; the server: %s", ind[c.col], c.dir, got, want)
		}
		srv.Close()
		if first := strings.Split(got, ",")[0]; first != self {
			t.Errorf("after sorting the first line is %s, want the unit itself", first)
		}
		aria := p.Attrs("th[data-indicator]", "aria-sort")
		want := map[string]string{"asc": "ascending", "desc": "descending"}[c.dir]
		if aria[c.col] != want {
			t.Errorf("aria-sort of %s = %q, want %q (all: %v)", ind[c.col], aria[c.col], want, aria)
		}
		if loc := browsertest.Eval[string](p, "location.search"); !strings.Contains(loc, "sort="+ind[c.col]) || !strings.Contains(loc, "dir="+c.dir) {
			t.Errorf("address after the click: %s", loc)
		}
	}
	if before == "" {
		t.Error("no unit lines")
	}
	p.CheckLocal()
}
