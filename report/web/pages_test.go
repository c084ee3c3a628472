package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"

	"chiso/report"
	"chiso/report/web"
	"chiso/sync/config"
	// The example config names every connector type.
	_ "chiso/sync/connectors/dvc"
	_ "chiso/sync/connectors/dvcdir"
	_ "chiso/sync/connectors/edxmldir"
	_ "chiso/sync/connectors/ical"
	_ "chiso/sync/connectors/meetingsfile"
	_ "chiso/sync/connectors/register"
	_ "chiso/sync/connectors/vxp"
	"chiso/sync/status"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// exampleStatus is status.Collect (the one source of chiso status) over st
// with the example config's connectors.
func exampleStatus(t testing.TB, st *warehouse.Store) func(context.Context) (*status.Status, error) {
	t.Helper()
	cfg, err := config.Load("../../configs/chiso.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context) (*status.Status, error) {
		return status.Collect(ctx, status.Input{Store: st, Config: cfg, Where: "kho thử", Now: now})
	}
}

// addRejects keeps rejects for connector whose raw bytes and keys carry a
// marker that must never show on a page.
func addRejects(t testing.TB, st *warehouse.Store, connector string, rejects ...facts.Reject) {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, connector)
	if err != nil {
		t.Fatal(err)
	}
	for _, rj := range rejects {
		if err := run.Reject(ctx, rj); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// elements returns the attributes and text of every element of body with
// the attribute attr.
func elements(t testing.TB, body []byte, attr string) []map[string]string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			m := map[string]string{}
			for _, a := range n.Attr {
				m[a.Key] = a.Val
			}
			if _, ok := m[attr]; ok {
				m["#text"] = strings.Join(strings.Fields(textOf(n)), " ")
				out = append(out, m)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func TestSourcesPage(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	if _, err := st.DB.Exec(`INSERT INTO sync_runs (connector, started_at, finished_at, status, error) VALUES
		('truc-vxp', '2026-11-20 08:00+07', '2026-11-20 08:01+07', 'failed', 'vxp: dial tcp 10.0.0.5:443: connection refused')`); err != nil {
		t.Fatal(err)
	}
	addRejects(t, st, "cong-dvc",
		facts.Reject{SourceKey: "H99.SECRET.1", Location: "page 1", Field: "NgayTiepNhan", Reason: "page 1: NgayTiepNhan: not a date", Raw: []byte(`{"HoTen":"Nguyễn Văn SECRET"}`)},
		facts.Reject{SourceKey: "H99.SECRET.2", Location: "page 7", Field: "NgayTiepNhan", Reason: "page 7: NgayTiepNhan: not a date", Raw: []byte(`{"HoTen":"SECRET"}`)},
		facts.Reject{SourceKey: "H99.SECRET.3", Location: "page 9", Field: "TrangThai", Reason: "TrangThai: unknown status 17"},
	)
	for _, c := range []struct {
		name     string
		status   bool
		code     int
		want     []string
		notWant  []string
		sections map[string]map[string]string // connector → data-* attributes
	}{
		{name: "with status", status: true, code: 200,
			want:    []string{"Nguồn dữ liệu", "qlvb-archive", "Lần chạy kế tiếp", "Lý do bị loại", "2</span> × ", "NgayTiepNhan: not a date", "TrangThai: unknown status …", "Chưa đồng bộ thành công lần nào", "connection refused"},
			notWant: []string{"SECRET", "HoTen"},
			sections: map[string]map[string]string{
				"cong-dvc":      {"data-rejects": "3", "data-stale": "false"},
				"truc-vxp":      {"data-rejects": "0", "data-stale": "true"},  // failed, never a success
				"so-van-ban-di": {"data-rejects": "0", "data-stale": "false"}, // never ran
			}},
		{name: "no status on this server", status: false, code: 404, want: []string{"không có thông tin về các nguồn dữ liệu"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := web.Options{Open: true}
			if c.status {
				opts.Status = exampleStatus(t, st)
			}
			ts := serve(t, st, opts)
			resp, body := get(t, nil, ts.URL+"/nguon-du-lieu?unit="+url.QueryEscape(self))
			if resp.StatusCode != c.code {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, c.code, body)
			}
			for _, w := range c.want {
				if !bytes.Contains(body, []byte(w)) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range c.notWant {
				if bytes.Contains(body, []byte(w)) {
					t.Errorf("page shows %q (a rejected record's content)", w)
				}
			}
			got := map[string]map[string]string{}
			for _, e := range elements(t, body, "data-connector") {
				got[e["data-connector"]] = e
			}
			for conn, attrs := range c.sections {
				e, ok := got[conn]
				if !ok {
					t.Errorf("no section for %s", conn)
					continue
				}
				for k, v := range attrs {
					if e[k] != v {
						t.Errorf("%s: %s = %q, want %q", conn, k, e[k], v)
					}
				}
			}
			if c.status {
				// The same connectors as chiso status, in its order.
				s, err := exampleStatus(t, st)(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var names, want []string
				for _, e := range elements(t, body, "data-connector") {
					names = append(names, e["data-connector"])
				}
				for _, cn := range s.Connectors {
					want = append(want, cn.Name)
				}
				if strings.Join(names, ",") != strings.Join(want, ",") {
					t.Errorf("connectors %v, want %v", names, want)
				}
			}
		})
	}
}

// TestUnitsPage: every cell equals the report's (UnitRows, the xlsx's third
// sheet); ?sort= orders the internal units on the server, units without a
// value last, the unit itself first.
func TestUnitsPage(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	rep, err := report.Build(context.Background(), st, report.Options{Period: "2026-H1", Unit: self, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Units) < 3 {
		t.Fatalf("the golden tree has %d units, want the commune and its internal units", len(rep.Units))
	}
	ind := rep.Rows[0].Indicator
	for _, c := range []struct {
		name, query string
		dir         string // "" = the directory's order
	}{
		{"directory order", "", ""},
		{"sorted descending", "&sort=" + ind + "&dir=desc", "desc"},
		{"sorted ascending", "&sort=" + ind + "&dir=asc", "asc"},
		{"unknown column", "&sort=nope", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := get(t, nil, ts.URL+"/don-vi?period=2026-H1&unit="+url.QueryEscape(self)+c.query)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d:\n%s", resp.StatusCode, body)
			}
			lines := elements(t, body, "data-unit")
			if len(lines) != len(rep.Units) {
				t.Fatalf("%d unit lines, want %d", len(lines), len(rep.Units))
			}
			if lines[0]["data-unit"] != self {
				t.Errorf("first line %s, want the unit itself", lines[0]["data-unit"])
			}
			// Cells: data-value of every td, in column order, per line.
			doc, _ := html.Parse(bytes.NewReader(body))
			cells := map[string][]string{}
			var walk func(n *html.Node, unit string)
			walk = func(n *html.Node, unit string) {
				if n.Type == html.ElementNode {
					for _, a := range n.Attr {
						if a.Key == "data-unit" {
							unit = a.Val
						}
						if a.Key == "data-value" && n.Data == "td" && unit != "" {
							cells[unit] = append(cells[unit], a.Val)
						}
					}
				}
				for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
					walk(ch, unit)
				}
			}
			walk(doc, "")
			for _, u := range rep.Units {
				got := cells[u.Code]
				if len(got) != len(rep.Rows) {
					t.Errorf("%s: %d cells, want %d", u.Code, len(got), len(rep.Rows))
					continue
				}
				for i, row := range rep.Rows {
					want := ""
					if k, ok := rep.UnitRows[u.Code][row.Indicator]; ok && k.Value != nil {
						want = strconv.FormatFloat(*k.Value, 'f', -1, 64)
					}
					if got[i] != want {
						t.Errorf("%s %s: page %q, report %q", u.Code, row.Indicator, got[i], want)
					}
				}
			}
			// Order of the internal units.
			var order []string
			for _, l := range lines[1:] {
				order = append(order, l["data-unit"])
			}
			var want []string
			for _, u := range rep.Units[1:] {
				want = append(want, u.Code)
			}
			if c.dir != "" {
				val := func(code string) *float64 { return rep.UnitRows[code][ind].Value }
				for i := 1; i < len(order); i++ {
					a, b := val(order[i-1]), val(order[i])
					if a == nil && b != nil || a != nil && b != nil && (c.dir == "desc" && *a < *b || c.dir == "asc" && *a > *b) {
						t.Errorf("%s not sorted %s: %v", ind, c.dir, order)
					}
				}
			} else if strings.Join(order, ",") != strings.Join(want, ",") {
				t.Errorf("order %v, want the report's %v", order, want)
			}
			// The sorted column says so to screen readers.
			for _, th := range elements(t, body, "aria-sort") {
				wantSort := "none"
				if c.dir != "" && th["data-indicator"] == ind {
					wantSort = map[string]string{"asc": "ascending", "desc": "descending"}[c.dir]
				}
				if th["aria-sort"] != wantSort {
					t.Errorf("%s aria-sort %q, want %q", th["data-indicator"], th["aria-sort"], wantSort)
				}
			}
		})
	}
}

// TestReportsDownload: each format is the bytes of chiso report --format
// for the same period and unit; bad requests answer 400 with the CLI's message.
func TestReportsDownload(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	ts := serve(t, st, web.Options{Open: true})
	resp, body := get(t, nil, ts.URL+"/bao-cao?period=2026-H1")
	if resp.StatusCode != 200 {
		t.Fatalf("reports page: %d", resp.StatusCode)
	}
	for _, f := range []string{"format=xlsx", "format=csv", "format=md", "bc6t-2026"} {
		if !bytes.Contains(body, []byte(f)) {
			t.Errorf("reports page lacks a link with %q", f)
		}
	}
	for _, c := range []struct {
		period, format, unit string
		code                 int
		ctype, want          string
	}{
		{"2026-H1", "csv", self, 200, "text/csv; charset=utf-8", ""},
		{"2026-H1", "md", self, 200, "text/markdown; charset=utf-8", ""},
		{"bc6t-2026", "xlsx", self, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ""},
		{"2026-01-01..2026-03-31", "csv", "001.25.31.H99", 200, "text/csv; charset=utf-8", ""},
		{"2026-H3", "csv", self, 400, "", "2026-H3"},
		{"2026-H1", "json", self, 400, "", "unknown format"},
		{"2026-H1", "csv", "NOPE", 400, "", "unknown unit"},
	} {
		t.Run(c.period+"-"+c.format+"-"+c.unit, func(t *testing.T) {
			u := ts.URL + "/bao-cao/tai-ve?" + url.Values{"period": {c.period}, "format": {c.format}, "unit": {c.unit}}.Encode()
			resp, body := get(t, nil, u)
			if resp.StatusCode != c.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.code, body)
			}
			if c.code != 200 {
				if !bytes.Contains(body, []byte(c.want)) {
					t.Errorf("error page lacks %q:\n%s", c.want, body)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != c.ctype {
				t.Errorf("Content-Type %q, want %q", ct, c.ctype)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="chiso-`) || strings.Contains(cd, "..") {
				t.Errorf("Content-Disposition %q", cd)
			}
			var cli bytes.Buffer
			if err := report.Run(context.Background(), st, report.Options{Period: c.period, Unit: c.unit, Format: c.format, Now: now}, &cli); err != nil {
				t.Fatal(err)
			}
			if c.format == "xlsx" {
				if !bytes.HasPrefix(body, []byte("PK")) || len(body) < 1000 {
					t.Errorf("not a workbook: %d bytes", len(body))
				}
				return
			}
			if !bytes.Equal(body, cli.Bytes()) {
				t.Errorf("download differs from chiso report --format %s:\n%s\n---\n%s", c.format, body, cli.Bytes())
			}
		})
	}
}

// TestPagesAccess: a user granted one internal unit gets 403 on another
// unit's units page and download, and on the sources page (not about one unit).
func TestPagesAccess(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	hash, err := bcrypt.GenerateFromPassword([]byte("mật khẩu"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ts := serve(t, st, web.Options{Users: []web.User{{Name: "vp", PasswordHash: string(hash), Units: []string{"001.25.31.H99"}}}, Status: exampleStatus(t, st)})
	for _, c := range []struct {
		path string
		code int
	}{
		{"/don-vi?unit=001.25.31.H99&period=2026-H1", 200},
		{"/don-vi?unit=002.25.31.H99&period=2026-H1", 403},
		{"/don-vi?unit=" + self + "&period=2026-H1", 403},
		{"/bao-cao?unit=001.25.31.H99", 200},
		{"/bao-cao/tai-ve?unit=001.25.31.H99&period=2026-H1&format=csv", 200},
		{"/bao-cao/tai-ve?unit=002.25.31.H99&period=2026-H1&format=csv", 403},
		{"/nguon-du-lieu", 403},
	} {
		t.Run(c.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+c.path, nil)
			req.SetBasicAuth("vp", "mật khẩu")
			resp, err := noRedirect().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.code {
				t.Errorf("status %d, want %d", resp.StatusCode, c.code)
			}
			if resp.Header.Get("Content-Security-Policy") == "" {
				t.Error("no CSP header")
			}
			// Without credentials: no page at all.
			resp2, _ := get(t, nil, ts.URL+c.path)
			if resp2.StatusCode != 401 && resp2.StatusCode != 303 && resp2.StatusCode != 302 {
				t.Errorf("without a login: %d", resp2.StatusCode)
			}
		})
	}
}
