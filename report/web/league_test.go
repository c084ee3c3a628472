package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"chiso/report"
	"chiso/report/web"
	"chiso/report/web/browsertest"
	"chiso/warehouse"
)

// leagueStore is a province of five communes (benchStoreSized: 300
// documents, 300 dossiers, 20 meetings each over 2025–2026), renamed so
// that the order by name is not the order by code.
func leagueStore(t testing.TB) *warehouse.Store {
	t.Helper()
	st := benchStoreSized(t, 5, 300, 20)
	for c, name := range map[int]string{1: "UBND xã Yên Định", 2: "UBND phường Ánh Sáng", 3: "UBND xã Đông Hòa", 4: "UBND xã Bình An", 5: "UBND xã Cẩm Lệ"} {
		if _, err := st.DB.Exec(`UPDATE org_units SET name = $1 WHERE code = $2`, name, benchCommune(c)); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// leagueJSON is what the league table's JSON (report.League.WriteJSON,
// chiso report --by-unit --format json) says.
type leagueJSON struct {
	Unit struct {
		Code, Name string
	} `json:"unit"`
	Indicators []leagueIndJSON `json:"indicators"`
	Units      []struct {
		Unit struct {
			Code, Name string
		} `json:"unit"`
		Indicators []leagueIndJSON `json:"indicators"`
	} `json:"units"`
	Sort string `json:"sort"`
}

type leagueIndJSON struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	Numerator    int64    `json:"numerator"`
	Denominator  *int64   `json:"denominator"`
	Value        *float64 `json:"value"`
	Target       *float64 `json:"target"`
	Met          *bool    `json:"met"`
	DataComplete bool     `json:"data_complete"`
}

func leagueOf(t testing.TB, st *warehouse.Store, period, unit, sort string) leagueJSON {
	t.Helper()
	l, err := report.BuildLeague(context.Background(), st, report.LeagueOptions{Period: period, Unit: unit, Sort: sort, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := l.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var out leagueJSON
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// assessmentOf is the words the page must show for an indicator object.
func assessmentOf(x leagueIndJSON) string {
	switch {
	case x.Target == nil:
		return ""
	case x.Met == nil:
		return "Chưa đủ số liệu"
	case *x.Met:
		return "Đạt"
	}
	return "Chưa đạt"
}

// TestLeaguePage: over real HTTP, every line and cell of the league page
// (So sánh các xã) equals the league table's JSON for the same period,
// unit and sort — the order of the communes, each target's value,
// numerator/denominator, assessment in words and completeness — and each
// commune links to its overview; the menu has the page only for a unit
// with communes; a bad sort key is the CLI's 400.
func TestLeaguePage(t *testing.T) {
	st := leagueStore(t)
	ts := serve(t, st, web.Options{Open: true, Self: benchProvince})
	for _, c := range []struct{ period, sort string }{
		{"2026", ""}, {"2026", "name"}, {"2026", "-name"}, {"2026", "-code"},
		{"2026", "-dossier_full_online_share"}, {"2026", "electronic_exchange_share"}, {"2026-H1", "-meeting_online_share"}, {"2025-H1", "-result_digitized_share"}, {"2026-03", "doc_reduction"},
	} {
		t.Run(c.period+"/"+c.sort, func(t *testing.T) {
			q := url.Values{"unit": {benchProvince}, "period": {c.period}}
			if c.sort != "" {
				q.Set("sort", c.sort)
			}
			resp, body := get(t, nil, ts.URL+"/so-sanh?"+q.Encode())
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %s\n%s", q.Encode(), resp.Status, body)
			}
			want := leagueOf(t, st, c.period, benchProvince, c.sort)
			lines := elements(t, body, "data-unit")
			cells := elements(t, body, "data-col")
			if len(lines) != 1+len(want.Units) || len(want.Units) != 5 {
				t.Fatalf("%d lines on the page, %d communes in the JSON", len(lines), len(want.Units))
			}
			type jl struct {
				code, name string
				inds       []leagueIndJSON
			}
			all := []jl{{want.Unit.Code, want.Unit.Name, want.Indicators}}
			for _, u := range want.Units {
				all = append(all, jl{u.Unit.Code, u.Unit.Name, u.Indicators})
			}
			var targets []leagueIndJSON
			for _, x := range want.Indicators {
				if x.Kind == "target" {
					targets = append(targets, x)
				}
			}
			if len(cells) != len(all)*len(targets) || len(targets) != 10 {
				t.Fatalf("%d cells on the page, want %d lines × %d targets", len(cells), len(all), len(targets))
			}
			for i, w := range all {
				if got := lines[i]["data-unit"]; got != w.code {
					t.Errorf("line %d is %s, the JSON's %s", i, got, w.code)
				}
				if !strings.Contains(lines[i]["#text"], w.name) {
					t.Errorf("line %d (%s) does not name %q: %s", i, w.code, w.name, lines[i]["#text"])
				}
				link := `href="/?` + url.Values{"unit": {w.code}, "period": {c.period}}.Encode()
				if !bytes.Contains(body, []byte(strings.ReplaceAll(link, "&", "&amp;"))) {
					t.Errorf("no link to the overview of %s (%s)", w.code, link)
				}
				complete := "Có"
				byID := map[string]leagueIndJSON{}
				for _, x := range w.inds {
					byID[x.ID] = x
				}
				for k, tgt := range targets {
					x := byID[tgt.ID]
					cell := cells[i*len(targets)+k]
					if cell["data-col"] != tgt.ID {
						t.Fatalf("line %s cell %d is %s, want %s", w.code, k, cell["data-col"], tgt.ID)
					}
					if !sameValue(cell["data-value"], x.Value) {
						t.Errorf("%s %s: value %s, JSON %v", w.code, tgt.ID, cell["data-value"], ptrf(x.Value))
					}
					text := cell["#text"]
					if x.Denominator != nil && !strings.Contains(text, fmt.Sprintf("%d/%d", x.Numerator, *x.Denominator)) {
						t.Errorf("%s %s: %q lacks %d/%d", w.code, tgt.ID, text, x.Numerator, *x.Denominator)
					}
					a := assessmentOf(x)
					if (a == "" && (strings.Contains(text, "Đạt") || strings.Contains(text, "đạt"))) || !strings.Contains(text, a) || (a == "Đạt" && strings.Contains(text, "Chưa")) {
						t.Errorf("%s %s: %q, want the words %q", w.code, tgt.ID, text, a)
					}
					if strings.Contains(text, "chưa đủ số liệu nguồn") == x.DataComplete {
						t.Errorf("%s %s: %q, data_complete %v", w.code, tgt.ID, text, x.DataComplete)
					}
					if !x.DataComplete {
						complete = "Không"
					}
				}
				if !strings.HasSuffix(lines[i]["#text"], complete) {
					t.Errorf("%s: line ends %q, want completeness %q", w.code, lines[i]["#text"], complete)
				}
			}
			if !bytes.Contains(body, []byte(`href="/so-sanh?`)) {
				t.Error("the menu of the province lacks the league page")
			}
		})
	}
	// A commune has no commune under it: no menu entry; its league is the
	// CLI's usage error.
	_, body := get(t, nil, ts.URL+"/?unit="+benchCommune(1)+"&period=2026")
	if bytes.Contains(body, []byte(`href="/so-sanh`)) {
		t.Error("the overview of a commune offers the league page")
	}
	for _, q := range []string{"unit=" + benchCommune(1) + "&period=2026", "unit=" + benchProvince + "&period=2026&sort=nope"} {
		if resp, _ := get(t, nil, ts.URL+"/so-sanh?"+q); resp.StatusCode != 400 {
			t.Errorf("/so-sanh?%s: %s, want 400", q, resp.Status)
		}
	}
}

// sameValue: a cell's data-value is the JSON's value ("" for null).
func sameValue(attr string, v *float64) bool {
	if v == nil {
		return attr == ""
	}
	f, err := strconv.ParseFloat(attr, 64)
	return err == nil && f == *v
}

func ptrf(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// TestLeagueAccess: the league page of a province is for a user granted
// the province; one granted a commune gets 403.
func TestLeagueAccess(t *testing.T) {
	st := leagueStore(t)
	ts := serve(t, st, web.Options{Self: benchProvince, Users: []web.User{
		{Name: "tinh", PasswordHash: hash(t, "mat-khau-tinh"), Units: []string{benchProvince}},
		{Name: "xa", PasswordHash: hash(t, "mat-khau-xa"), Units: []string{benchCommune(2)}},
	}})
	basic := func(n, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(n, p) } }
	for _, c := range []struct {
		path string
		as   func(*http.Request)
		want int
	}{
		{"/so-sanh?period=2026", basic("tinh", "mat-khau-tinh"), 200},
		{"/so-sanh?period=2026&unit=" + benchProvince, basic("tinh", "mat-khau-tinh"), 200},
		{"/so-sanh?period=2026&unit=" + benchProvince, basic("xa", "mat-khau-xa"), 403},
		{"/so-sanh?period=2026&unit=" + benchProvince + "&sort=-name", basic("xa", "mat-khau-xa"), 403},
		{"/so-sanh?period=2026", func(*http.Request) {}, http.StatusSeeOther},
	} {
		if resp := getWith(t, ts.URL+c.path, c.as); resp.StatusCode != c.want {
			t.Errorf("%s: %s, want %d", c.path, resp.Status, c.want)
		}
	}
}

// TestLeaguePageInBrowser: at 1280 and 390 px the league page does not
// scroll sideways (the table scrolls in its own box), and the optional
// static/sort.js orders the communes as the server does (?sort=).
// Screenshots go to CHISO_SCREENSHOTS when set.
func TestLeaguePageInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	st := leagueStore(t)
	ts := serve(t, st, web.Options{Open: true, Self: benchProvince})
	dir := os.Getenv("CHISO_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	q := "unit=" + url.QueryEscape(benchProvince) + "&period=2026"
	order := func(p *browsertest.Page) string { return strings.Join(p.Attrs("tr[data-unit]", "data-unit"), ",") }
	for _, width := range []int{1280, 390} {
		p := b.Open(t, ts.URL+"/so-sanh?"+q, width)
		p.Screenshot(filepath.Join(dir, fmt.Sprintf("so-sanh-%d.png", width)))
		if sw := p.ScrollWidth(); sw > width {
			t.Errorf("%d px: the page is %d px wide (scrolls sideways)", width, sw)
		}
		if n := p.Count("#league-table tbody tr"); n != 6 {
			t.Errorf("%d px: %d lines, want the province and 5 communes", width, n)
		}
		p.CheckLocal()
	}
	p := b.Open(t, ts.URL+"/so-sanh?"+q, 390)
	for _, c := range []struct{ key, want string }{
		{"name", "name"}, {"name", "-name"}, {"dossier_full_online_share", "-dossier_full_online_share"}, {"dossier_full_online_share", "dossier_full_online_share"}, {"code", "code"},
	} {
		browsertest.Eval[bool](p, `(window.chisoMarker = true, document.querySelector('th[data-sort="`+c.key+`"] a.sort').click(), true)`)
		if !browsertest.Eval[bool](p, "window.chisoMarker === true") {
			t.Fatalf("the click loaded a new page: sort.js did not sort in place")
		}
		got := order(p)
		srv := b.Open(t, ts.URL+"/so-sanh?"+q+"&sort="+url.QueryEscape(c.want), 390)
		if want := order(srv); got != want {
			t.Errorf("script sorted %s: %s; the server: %s", c.want, got, want)
		}
		if got, want := strings.Join(p.Texts("td.stt"), ","), strings.Join(srv.Texts("td.stt"), ","); got != want {
			t.Errorf("sorted %s: numbers %s, the server's %s", c.want, got, want)
		}
		srv.Close()
		if loc := browsertest.Eval[string](p, "location.search"); !strings.Contains(loc, "sort="+url.QueryEscape(c.want)) {
			t.Errorf("address after sorting %s: %s", c.want, loc)
		}
	}
}
