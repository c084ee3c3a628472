package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"chiso/report"
	"chiso/report/web"
)

// rowKeys lists the data-key of the record rows of an indicator page.
func rowKeys(t *testing.T, body []byte) []string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			for _, a := range n.Attr {
				if a.Key == "data-key" {
					out = append(out, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// TestIndicatorPageAndExplainAPI: GET /api/v1/explain answers the bytes of
// chiso explain --format json; the indicator page lists the same records
// page by page, filtered by month and unit; the CSV holds them all.
func TestIndicatorPageAndExplainAPI(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	for _, c := range []struct {
		ind, period, unit, month, filterUnit string
		page, size                           int
	}{
		{ind: "dossier_on_time_share", period: "2026-H1", unit: self, page: 1, size: 4},
		{ind: "dossier_on_time_share", period: "2026-H1", unit: self, page: 3, size: 4},
		{ind: "doc_reduction", period: "2026-H1", unit: self, page: 1, size: 50},
		{ind: "electronic_exchange_share", period: "2026", unit: self, page: 1, size: 50},
		{ind: "meeting_online_share", period: "bc6t-2026", unit: "001.25.31.H99", page: 1, size: 50},
		{ind: "documents_issued", period: "2026-H1", unit: self, month: "2026-03", page: 1, size: 50},
		{ind: "documents_issued", period: "2026-H1", unit: self, filterUnit: "001.25.31.H99", page: 1, size: 50},
	} {
		explainPeriod, explainUnit := c.period, c.unit
		if c.month != "" {
			explainPeriod = c.month + "-01.." + c.month + "-31"
		}
		if c.filterUnit != "" {
			explainUnit = c.filterUnit
		}
		var want bytes.Buffer
		if err := report.Explain(context.Background(), st, report.ExplainOptions{Indicator: c.ind, Period: explainPeriod, Unit: explainUnit, Format: "json", Page: c.page, PageSize: c.size}, &want); err != nil {
			t.Fatal(err)
		}
		if c.month == "" && c.filterUnit == "" {
			q := url.Values{"indicator": {c.ind}, "period": {c.period}, "unit": {c.unit}, "page": {itoa(c.page)}, "page_size": {itoa(c.size)}}.Encode()
			resp, got := get(t, nil, ts.URL+"/api/v1/explain?"+q)
			if resp.StatusCode != 200 || !bytes.Equal(got, want.Bytes()) {
				t.Errorf("explain %s: %s\n%s\nwant\n%s", q, resp.Status, got, want.Bytes())
			}
		}
		var ex struct {
			Total   int64
			Records []struct{ Key string }
		}
		if err := json.Unmarshal(want.Bytes(), &ex); err != nil {
			t.Fatal(err)
		}
		if c.size != web.PageSize {
			continue // the page shows web.PageSize records a page
		}
		q := url.Values{"period": {c.period}, "unit": {c.unit}, "thang": {c.month}, "don_vi": {c.filterUnit}}.Encode()
		resp, body := get(t, nil, ts.URL+"/chi-tieu/"+c.ind+"?"+q)
		if resp.StatusCode != 200 {
			t.Fatalf("page %s %s: %s\n%s", c.ind, q, resp.Status, body)
		}
		keys := rowKeys(t, body)
		var wantKeys []string
		for _, r := range ex.Records {
			wantKeys = append(wantKeys, r.Key)
		}
		if strings.Join(keys, ",") != strings.Join(wantKeys, ",") {
			t.Errorf("page %s %s: records %v, explain %v", c.ind, q, keys, wantKeys)
		}
		if ex.Total == 0 && c.ind != "meeting_online_share" {
			t.Errorf("%s %s: no records: the case tests nothing", c.ind, q)
		}
		// The CSV: every record, as chiso explain --format csv.
		var wantCSV bytes.Buffer
		if err := report.Explain(context.Background(), st, report.ExplainOptions{Indicator: c.ind, Period: explainPeriod, Unit: explainUnit, Format: "csv", PageSize: 1 << 30}, &wantCSV); err != nil {
			t.Fatal(err)
		}
		resp, csv := get(t, nil, ts.URL+"/chi-tieu/"+c.ind+"/csv?"+q)
		if resp.StatusCode != 200 || !bytes.Equal(csv, wantCSV.Bytes()) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("csv %s %s: %s %q\n%s\nwant\n%s", c.ind, q, resp.Status, resp.Header.Get("Content-Disposition"), csv, wantCSV.Bytes())
		}
	}
	// Paging on the page: 9 dossiers, so one page of 50; a page past the end is empty.
	resp, body := get(t, nil, ts.URL+"/chi-tieu/dossier_on_time_share?period=2026-H1&trang=2")
	if resp.StatusCode != 200 || len(rowKeys(t, body)) != 0 {
		t.Errorf("page 2: %s %v", resp.Status, rowKeys(t, body))
	}
	for _, bad := range []string{"/chi-tieu/dossier_on_time_share?period=2026-H1&thang=2026-13", "/chi-tieu/dossier_on_time_share?period=2026-H1&thang=2026-08",
		"/chi-tieu/dossier_on_time_share?period=2026-H1&don_vi=000.99.31.H99", "/chi-tieu/dossier_on_time_share?period=2026-H1&trang=x"} {
		if resp, _ := get(t, nil, ts.URL+bad); resp.StatusCode != 400 {
			t.Errorf("%s: %s, want 400", bad, resp.Status)
		}
	}
	if resp, _ := get(t, nil, ts.URL+"/chi-tieu/nope?period=2026"); resp.StatusCode != 404 {
		t.Errorf("unknown indicator: %s", resp.Status)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestFormulasAreTheDocs: the formula in words of each indicator is the
// one docs/chi-tieu.md defines, and every indicator has one.
func TestFormulasAreTheDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/chi-tieu.md")
	if err != nil {
		t.Fatal(err)
	}
	st := goldenStore(t, "leap-year")
	inds, err := st.Indicators(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ind := range inds {
		f := web.Formula(ind.ID)
		if f == "" {
			t.Errorf("%s: no formula", ind.ID)
			continue
		}
		if !bytes.Contains(doc, []byte("| "+f+" |")) {
			t.Errorf("%s: formula %q is not a cell of docs/chi-tieu.md", ind.ID, f)
		}
	}
}
