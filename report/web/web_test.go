package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/report/web"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

// now is the clock of every test: late in 2026, so that 2026 periods have
// an estimate and the months up to November have points.
var now = time.Date(2026, 11, 26, 10, 0, 0, 0, vntime.Location)

const self = "000.25.31.H99"

// goldenStore is a fresh warehouse with the golden indicator fixtures of
// warehouse/testdata/kpi: the shared org tree and the facts of case.
func goldenStore(t testing.TB, kase string) *warehouse.Store {
	t.Helper()
	st := warehousetest.New(t)
	for _, f := range []string{"../../warehouse/testdata/kpi/org.sql", filepath.Join("../../warehouse/testdata/kpi", kase, "facts.sql")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, err := st.DB.Exec(`INSERT INTO sync_runs (connector, started_at, finished_at, status) VALUES
		('qlvb-archive', '2026-07-01 08:00+07', '2026-07-01 08:05+07', 'ok'),
		('dvc', '2026-07-01 09:00+07', '2026-07-01 09:01+07', 'failed')`); err != nil {
		t.Fatal(err)
	}
	return st
}

// serve starts the page over st on a real HTTP server.
func serve(t testing.TB, st *warehouse.Store, opts web.Options) *httptest.Server {
	t.Helper()
	opts.Store = st
	if opts.Self == "" {
		opts.Self = self
	}
	opts.Now = func() time.Time { return now }
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func get(t testing.TB, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	if c == nil {
		c = noRedirect()
	}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// cliJSON is what chiso report --format json prints for period and unit.
func cliJSON(t testing.TB, st *warehouse.Store, period, unit string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Run(context.Background(), st, report.Options{Period: period, Unit: unit, Format: "json", Now: now}, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type jsonIndicator struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	Numerator   int64    `json:"numerator"`
	Denominator *int64   `json:"denominator"`
	Value       *float64 `json:"value"`
	Met         *bool    `json:"met"`
	Target      *float64 `json:"target"`
	Baseline    *struct {
		Value *float64 `json:"value"`
	} `json:"baseline"`
}

// pageIndicator is what an overview tile or info row says in its data-*
// attributes and its visible assessment.
type pageIndicator struct {
	attrs map[string]string
	text  map[string]string // data-field → visible text
}

// overviewIndicators parses the overview page: every element with a
// data-indicator attribute.
func overviewIndicators(t *testing.T, body []byte) map[string]pageIndicator {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pageIndicator{}
	var cur *pageIndicator
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		var attrs map[string]string
		if n.Type == html.ElementNode {
			attrs = map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
			}
			if id, ok := attrs["data-indicator"]; ok {
				pi := pageIndicator{attrs: attrs, text: map[string]string{}}
				out[id] = pi
				prev := cur
				cur = &pi
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = prev
				return
			}
			if f, ok := attrs["data-field"]; ok && cur != nil {
				cur.text[f] = strings.TrimSpace(textOf(n))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func jsonNum(v *float64) string {
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(*v)
	return string(b)
}

func jsonInt(v *int64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// TestOverviewAndAPIMatchReport: for each golden case, period and unit,
// GET /api/v1/report answers the bytes of chiso report --format json, and
// every number of the overview (value, numerator, denominator, same span
// last year, assessment) equals that JSON's.
func TestOverviewAndAPIMatchReport(t *testing.T) {
	for _, c := range []struct {
		kase    string
		periods []string
		units   []string
	}{
		{"rollup-2026h1", []string{"2026", "2026-H1", "bc6t-2026", "bcnam-2026", "2026-Q2", "2026-03"}, []string{self, "001.25.31.H99", "002.25.31.H99"}},
		{"nd09-cross-year", []string{"nd09-6t-2026", "nd09-nam-2026", "2025"}, []string{self}},
		{"leap-year", []string{"2024", "2025-02", "2024-02"}, []string{self}},
		{"meeting-deleted", []string{"2026"}, []string{self}},
	} {
		t.Run(c.kase, func(t *testing.T) {
			t.Parallel()
			st := goldenStore(t, c.kase)
			ts := serve(t, st, web.Options{Open: true})
			for _, period := range c.periods {
				for _, unit := range c.units {
					q := url.Values{"period": {period}, "unit": {unit}}.Encode()
					want := cliJSON(t, st, period, unit)
					resp, got := get(t, nil, ts.URL+"/api/v1/report?"+q)
					if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
						t.Fatalf("%s: %s %s", q, resp.Status, got)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s: API differs from chiso report --format json:\n%s\nwant\n%s", q, got, want)
					}
					var rep struct{ Indicators []jsonIndicator }
					if err := json.Unmarshal(want, &rep); err != nil {
						t.Fatal(err)
					}
					resp, body := get(t, nil, ts.URL+"/?"+q)
					if resp.StatusCode != 200 {
						t.Fatalf("overview %s: %s\n%s", q, resp.Status, body)
					}
					page := overviewIndicators(t, body)
					if len(page) != len(rep.Indicators) || len(page) == 0 {
						t.Errorf("%s: overview shows %d indicators, report has %d", q, len(page), len(rep.Indicators))
					}
					for _, ind := range rep.Indicators {
						p, ok := page[ind.ID]
						if !ok {
							t.Errorf("%s: %s not on the overview", q, ind.ID)
							continue
						}
						base := "null"
						if ind.Baseline != nil {
							base = jsonNum(ind.Baseline.Value)
						}
						for _, f := range []struct{ name, got, want string }{
							{"value", p.attrs["data-value"], jsonNum(ind.Value)},
							{"numerator", p.attrs["data-numerator"], fmt.Sprint(ind.Numerator)},
							{"denominator", p.attrs["data-denominator"], jsonInt(ind.Denominator)},
							{"baseline", p.attrs["data-baseline"], base},
						} {
							if f.got != f.want {
								t.Errorf("%s %s: overview %s %s, report %s", q, ind.ID, f.name, f.got, f.want)
							}
						}
						// The visible value is the report's number in the
						// Vietnamese format of the annex.
						if vis := p.text["value"]; vis != formatVN(ind.Value, ind.ID) {
							t.Errorf("%s %s: visible value %q, want %q", q, ind.ID, vis, formatVN(ind.Value, ind.ID))
						}
						if ind.Kind == "target" && ind.Target != nil {
							want := "Chưa đủ số liệu"
							if ind.Met != nil && *ind.Met {
								want = "Đạt"
							} else if ind.Met != nil {
								want = "Chưa đạt"
							}
							if p.attrs["data-assessment"] != want || p.text["assessment"] != want {
								t.Errorf("%s %s: assessment %q / %q, want %q", q, ind.ID, p.attrs["data-assessment"], p.text["assessment"], want)
							}
						}
					}
				}
			}
		})
	}
}

// formatVN writes v as the annex does: 2 decimals with a comma for a
// percentage, a whole count without decimals, "—" for no value.
func formatVN(v *float64, id string) string {
	if v == nil {
		return "—"
	}
	switch id {
	case "commune_wide_conferences", "documents_issued", "meetings_held":
		if *v == float64(int64(*v)) {
			return fmt.Sprint(int64(*v))
		}
	}
	s := strings.Replace(fmt.Sprintf("%.2f", *v), ".", ",", 1)
	switch id {
	case "commune_wide_conferences", "documents_issued", "meetings_held":
		return s
	}
	return s + "%"
}

// TestAPIErrors: unknown period or unit → 400 with the CLI's message.
func TestAPIErrors(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	var cliErr bytes.Buffer
	for _, c := range []struct {
		path, want string
		status     int
		opts       *report.Options
	}{
		{path: "/api/v1/report?period=2026-H3", status: 400, opts: &report.Options{Period: "2026-H3", Unit: self}},
		{path: "/api/v1/report?period=2026&unit=999.99.99.H99", status: 400, opts: &report.Options{Period: "2026", Unit: "999.99.99.H99"}},
		{path: "/api/v1/explain?indicator=nope&period=2026", status: 400, want: `unknown indicator "nope"`},
		{path: "/api/v1/explain?period=2026", status: 400, want: "indicator is required"},
		{path: "/api/v1/explain?indicator=meetings_held&period=2026&page=0", status: 400, want: "page:"},
		{path: "/api/v1/nothing", status: 404, want: "not found"},
	} {
		resp, body := get(t, nil, ts.URL+c.path)
		var e struct{ Error string }
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("%s: not JSON: %s", c.path, body)
		}
		want := c.want
		if c.opts != nil {
			cliErr.Reset()
			err := report.Run(context.Background(), st, *c.opts, &cliErr)
			if err == nil {
				t.Fatalf("%s: the CLI accepts it", c.path)
			}
			want = strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": ")
			if e.Error != want {
				t.Errorf("%s: error %q, want the CLI's %q", c.path, e.Error, want)
			}
		}
		if resp.StatusCode != c.status || !strings.Contains(e.Error, want) {
			t.Errorf("%s: %d %q, want %d %q", c.path, resp.StatusCode, e.Error, c.status, want)
		}
	}
	// The overview says the same in Vietnamese page form, with 400.
	resp, body := get(t, nil, ts.URL+"/?period=2026-H3")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "unknown period") {
		t.Errorf("overview with a bad period: %s\n%s", resp.Status, body)
	}
}

// TestSecurityHeaders: every answer carries the CSP (no inline script),
// no framing, no referrer, nosniff; the page has no inline script.
func TestSecurityHeaders(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	for _, p := range []string{"/", "/api/v1/report?period=2026", "/static/style.css", "/nowhere"} {
		resp, body := get(t, nil, ts.URL+p)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", p, h)
		}
		if p == "/" {
			doc, err := html.Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var check func(n *html.Node)
			check = func(n *html.Node) {
				if n.Type == html.ElementNode {
					for _, a := range n.Attr {
						if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Val, "javascript:") || (a.Key == "style") {
							t.Errorf("inline script or style: <%s %s=%q>", n.Data, a.Key, a.Val)
						}
						if (a.Key == "src" || a.Key == "href") && (strings.Contains(a.Val, "//") && !strings.HasPrefix(a.Val, "/")) {
							t.Errorf("asset from outside: <%s %s=%q>", n.Data, a.Key, a.Val)
						}
					}
					if n.Data == "script" {
						src := ""
						for _, a := range n.Attr {
							if a.Key == "src" {
								src = a.Val
							}
						}
						if src == "" || n.FirstChild != nil {
							t.Errorf("inline <script>")
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					check(c)
				}
			}
			check(doc)
		}
	}
}
