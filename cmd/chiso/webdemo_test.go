package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"chiso/report"
	"chiso/report/web/browsertest"
	"chiso/sync/config"
)

// screenshotDir is where the browser test of the demo leaves its
// screenshots: $CHISO_SCREENSHOTS, else var/screenshots of the clone.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("CHISO_SCREENSHOTS"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../var/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// browseDemo is the real-browser test of the web page on the demo
// commune's warehouse (cfgPath, after chiso demo): headless Chromium loads
// the overview, an indicator page and the sources page at 1280 and 390 px,
// saves full-page screenshots, checks the tiles' values in the DOM against
// chiso report --format json, that no page is wider than the screen, and
// that no request left 127.0.0.1.
// CHISO_UPDATE_SCREENSHOT=1 copies the 1280-px overview to
// docs/img/tong-quan.png (the README's picture).
func browseDemo(t *testing.T, cfgPath, period string) {
	ctx := context.Background()
	b := browsertest.Start(t) // before the warehouse: a skip leaves nothing running
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	w, err := openWarehouse(ctx, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	srv, err := newWebServer(cfg, w, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// What the tiles must say: the report of the same unit and period.
	rep, err := report.Build(ctx, w.Store, report.Options{Period: period, Unit: cfg.Org.Self})
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var cli struct {
		Indicators []struct {
			ID          string   `json:"id"`
			Kind        string   `json:"kind"`
			Numerator   int64    `json:"numerator"`
			Denominator *int64   `json:"denominator"`
			Value       *float64 `json:"value"`
		} `json:"indicators"`
	}
	if err := json.Unmarshal(js.Bytes(), &cli); err != nil {
		t.Fatal(err)
	}
	visible := map[string]string{}
	for i, row := range rep.Rows {
		visible[row.Indicator] = row.Cells(i+1, ",")[5]
	}
	q := url.Values{"unit": {cfg.Org.Self}, "period": {period}}.Encode()
	dir := screenshotDir(t)
	indicator := "meeting_online_share"

	type tile struct {
		ID, Value, Numerator, Denominator, Text string
	}
	for _, width := range []int{1280, 390} {
		ws := strconv.Itoa(width)
		for _, pg := range []struct{ name, path string }{
			{"tong-quan", "/?" + q},
			{"chi-tieu", "/chi-tieu/" + indicator + "?" + q},
			{"nguon-du-lieu", "/nguon-du-lieu?" + q},
		} {
			p := b.Open(t, ts.URL+pg.path, width)
			shot := filepath.Join(dir, pg.name+"-"+ws+".png")
			p.Screenshot(shot)
			if sw := p.ScrollWidth(); sw > width {
				t.Errorf("%s at %d px: the page is %d px wide (scrolls sideways)", pg.name, width, sw)
			}
			if h1 := p.Text("h1"); h1 == "" {
				t.Errorf("%s at %d px: no heading", pg.name, width)
			}
			switch pg.name {
			case "tong-quan":
				tiles := browsertest.Eval[[]tile](p, `Array.from(document.querySelectorAll("[data-indicator]")).map(e => ({
					ID: e.dataset.indicator, Value: e.dataset.value, Numerator: e.dataset.numerator, Denominator: e.dataset.denominator,
					Text: (e.querySelector("[data-field=value]") || {textContent: ""}).textContent.trim()}))`)
				got := map[string]tile{}
				for _, x := range tiles {
					got[x.ID] = x
				}
				if len(cli.Indicators) == 0 {
					t.Fatal("the demo report has no indicator")
				}
				for _, ind := range cli.Indicators {
					x, ok := got[ind.ID]
					if !ok {
						t.Errorf("%d px: no tile or row for %s", width, ind.ID)
						continue
					}
					if !sameNumber(x.Value, ind.Value) || x.Numerator != strconv.FormatInt(ind.Numerator, 10) || !sameInt(x.Denominator, ind.Denominator) {
						t.Errorf("%d px: %s shows value %s, %s/%s; report says %v, %d/%v", width, ind.ID, x.Value, x.Numerator, x.Denominator, ptr(ind.Value), ind.Numerator, ptr(ind.Denominator))
					}
					if x.Text != visible[ind.ID] {
						t.Errorf("%d px: %s reads %q, the report %q", width, ind.ID, x.Text, visible[ind.ID])
					}
				}
				if n := p.Count(".tile"); n == 0 {
					t.Errorf("%d px: no tile", width)
				}
				if width == 1280 && os.Getenv("CHISO_UPDATE_SCREENSHOT") == "1" {
					b, err := os.ReadFile(shot)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile("../../docs/img/tong-quan.png", b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			case "chi-tieu":
				if p.Count("svg") == 0 {
					t.Errorf("%d px: the indicator page has no chart", width)
				}
			case "nguon-du-lieu":
				if n, want := p.Count("[data-connector]"), len(cfg.Jobs); n < want {
					t.Errorf("%d px: %d connectors on the sources page, want %d", width, n, want)
				}
			}
			p.CheckLocal()
			p.Close()
		}
	}
	t.Logf("screenshots in %s", dir)
}

func sameNumber(attr string, v *float64) bool {
	if v == nil {
		return attr == "null" || attr == ""
	}
	f, err := strconv.ParseFloat(attr, 64)
	return err == nil && f == *v
}

func sameInt(attr string, v *int64) bool {
	if v == nil {
		return attr == "null" || attr == ""
	}
	return attr == strconv.FormatInt(*v, 10)
}

func ptr[T any](v *T) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestPageURL(t *testing.T) {
	for _, c := range []struct{ listen, want string }{
		{"127.0.0.1:9464", "http://127.0.0.1:9464/"},
		{":8080", "http://127.0.0.1:8080/"},
		{"0.0.0.0:443", "http://127.0.0.1:443/"},
		{"[::1]:9464", "http://[::1]:9464/"},
		{"10.0.0.5:80", "http://10.0.0.5:80/"},
	} {
		if got := pageURL(c.listen); got != c.want {
			t.Errorf("pageURL(%q) = %q, want %q", c.listen, got, c.want)
		}
	}
}
