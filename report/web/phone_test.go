package web_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/report/web"
	"chiso/report/web/browsertest"
)

// TestPageWording: chart target lines carry the operator ("Mục tiêu ≥
// 60%"), and the picker's annual report period does not say "năm" twice.
func TestPageWording(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	_, body := get(t, nil, ts.URL+"/?"+url.Values{"unit": {self}, "period": {"2026-H1"}}.Encode())
	page := string(body)
	for _, want := range []string{"Mục tiêu ≥ 60%", "Mục tiêu ≤ 3", ">Báo cáo năm 2026<", ">Báo cáo 6 tháng năm 2026<"} {
		if !strings.Contains(page, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	if strings.Contains(page, "năm năm") {
		t.Error(`the overview says "năm năm"`)
	}
}

// TestPhoneLayout: on a 390x844 phone the overview's first tile starts in
// the first screen, and the indicator page's records do not scroll
// sideways (not even inside their box); at 1280 px the records stay a
// table. Screenshots go to CHISO_SCREENSHOTS when set.
func TestPhoneLayout(t *testing.T) {
	b := browsertest.Start(t)
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	dir := os.Getenv("CHISO_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	q := url.Values{"unit": {self}, "period": {"2026-H1"}}.Encode()
	for _, width := range []int{390, 1280} {
		p := b.Open(t, ts.URL+"/?"+q, width)
		p.Screenshot(filepath.Join(dir, fmt.Sprintf("tong-quan-%d.png", width)))
		if top, h := browsertest.Eval[float64](p, `document.querySelector(".tile").getBoundingClientRect().top`), browsertest.Eval[float64](p, "innerHeight"); top >= h-100 {
			t.Errorf("%d px: the first tile starts at %.0f px of a %.0f-px screen", width, top, h)
		}
		p = b.Open(t, ts.URL+"/chi-tieu/electronic_exchange_share?"+q, width)
		p.Screenshot(filepath.Join(dir, fmt.Sprintf("chi-tieu-%d.png", width)))
		if sw := p.ScrollWidth(); sw > width {
			t.Errorf("%d px: the indicator page is %d px wide", width, sw)
		}
		if n := p.Count("table.records tbody tr"); n == 0 {
			t.Fatalf("%d px: no record", width)
		}
		inner := browsertest.Eval[[]float64](p, `(w => [w.scrollWidth, w.clientWidth])(document.querySelector(".records-wrap"))`)
		if inner[0] > inner[1]+1 {
			t.Errorf("%d px: the records scroll sideways in their box (%.0f px in %.0f)", width, inner[0], inner[1])
		}
		display := browsertest.Eval[string](p, `getComputedStyle(document.querySelector("table.records tbody tr")).display`)
		if want := map[int]string{390: "block", 1280: "table-row"}[width]; display != want {
			t.Errorf("%d px: a record is displayed %s, want %s", width, display, want)
		}
		p.CheckLocal()
	}
}
