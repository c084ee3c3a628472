package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"chiso/adapters/textnorm"
	"chiso/report"
)

func init() {
	register(route{pattern: "GET /so-sanh", nav: "So sánh các xã", order: 25, path: "/so-sanh", h: (*Server).league,
		show: func(p *Page) bool { return p.Scope != nil && p.Scope.HasCommunes }})
}

// LeaguePage is the data of the league page (So sánh các xã): the league
// table of chiso report --by-unit (report.BuildLeague) for a screen — the
// province's (district's) own totals first, then its communes in the
// order of ?sort= (the keys of --sort: code, name or an indicator id, a
// leading "-" for descending).
type LeaguePage struct {
	League *report.League
	// Columns are the sortable columns: Đơn vị (name), Mã (code), then
	// the targets.
	Name, Code SortColumn
	Columns    []SortColumn
	Total      LeagueLine
	Lines      []LeagueLine
	Sort       string // as given to BuildLeague (default "code")
	SortedName string // the sorted column's heading
	Desc       bool
}

// SortColumn is a column whose heading sorts the table on the server
// (?sort=) and, with static/sort.js, in the browser.
type SortColumn struct {
	Key, Label, Target string
	// Text: the column sorts as text (data-value is a key), else as a number.
	Text bool
	// Dir is the direction the heading's link gives (First at first, the
	// other one once the column is sorted that way); URLs are the page
	// sorted each way.
	Dir, First, URLAsc, URLDesc string
	AriaSort                    string // ascending | descending | none
}

// URL is the heading's link.
func (c SortColumn) URL() string {
	if c.Dir == "asc" {
		return c.URLAsc
	}
	return c.URLDesc
}

// LeagueLine is one unit of the league page.
type LeagueLine struct {
	STT, Code, Name, Link string
	NameKey               string // the name as the server sorts it
	Cells                 []UnitCell
	Complete              string // Có / Không: every target has its data
}

// sortColumn is the heading of key when the table is sorted by sortBy
// (key, or "-" + key descending); link is the page sorted by key, desc or
// not. Text columns sort ascending first, numbers descending.
func sortColumn(key, label, sortBy string, text bool, link func(key string, desc bool) string) SortColumn {
	c := SortColumn{Key: key, Label: label, Text: text, First: "desc", AriaSort: "none"}
	if text {
		c.First = "asc"
	}
	c.URLAsc, c.URLDesc = link(key, false), link(key, true)
	c.Dir = c.First
	switch sortBy {
	case key:
		c.AriaSort, c.Dir = "ascending", "desc"
	case "-" + key:
		c.AriaSort, c.Dir = "descending", "asc"
	}
	return c
}

// sortLink is the page at path with query's parameters and set(q, key,
// desc) applied: the link of a sortable heading.
func sortLink(path, query string, set func(q url.Values, key string, desc bool)) func(string, bool) string {
	base, _ := url.ParseQuery(query)
	return func(key string, desc bool) string {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		set(q, key, desc)
		return path + "?" + q.Encode()
	}
}

// leagueLine is the line of r; stt "" for the totals.
func leagueLine(stt string, r *report.Report, cols []SortColumn) LeagueLine {
	l := LeagueLine{STT: stt, Code: r.Unit.Code, Name: r.Unit.Name, NameKey: textnorm.Key(r.Unit.Name), Complete: "Có",
		Link: "/?" + url.Values{"unit": {r.Unit.Code}, "period": {r.Period.ID}}.Encode()}
	for _, col := range cols {
		row, ok := r.Row(col.Key)
		if !ok {
			l.Cells = append(l.Cells, UnitCell{Value: "—", Col: col.Key})
			continue
		}
		cell := unitCell(row.KPIRow, true)
		cell.Col = col.Key
		if !row.DataComplete {
			l.Complete, cell.Incomplete = "Không", true
		}
		l.Cells = append(l.Cells, cell)
	}
	return l
}

// leagueData turns the league table into the page; query is the page's
// unit and period.
func leagueData(l *report.League, query string) *LeaguePage {
	link := sortLink("/so-sanh", query, func(q url.Values, key string, desc bool) {
		if desc {
			key = "-" + key
		}
		q.Set("sort", key)
	})
	p := &LeaguePage{League: l, Sort: l.Sort, Desc: strings.HasPrefix(l.Sort, "-")}
	p.Name = sortColumn("name", "Đơn vị", l.Sort, true, link)
	p.Code = sortColumn("code", "Mã", l.Sort, true, link)
	key := strings.TrimPrefix(l.Sort, "-")
	p.SortedName = map[string]string{"name": "tên đơn vị", "code": "mã đơn vị"}[key]
	for _, ind := range l.Columns {
		c := sortColumn(ind.ID, report.LeagueHeading(ind.ID, ind.Label), l.Sort, false, link)
		if row, ok := l.Total.Row(ind.ID); ok {
			c.Target = cellsOf(0, row)["Chỉ tiêu giao"]
			if ind.ID == key {
				p.SortedName = row.Label
			}
		}
		p.Columns = append(p.Columns, c)
	}
	p.Total = leagueLine("", l.Total, p.Columns)
	for i, m := range l.Members {
		p.Lines = append(p.Lines, leagueLine(strconv.Itoa(i+1), m, p.Columns))
	}
	return p
}

// league is the league page: ?sort= sorts on the server (report.League's
// order); static/sort.js sorts in the browser without a reload.
func (s *Server) league(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	named, err := s.named(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := report.BuildLeague(r.Context(), s.opts.Store, report.LeagueOptions{Period: sc.Period, Unit: sc.Unit,
		Sort: strings.TrimSpace(r.URL.Query().Get("sort")), Named: named, Now: s.opts.Now()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "league.html", http.StatusOK, &Page{Title: "So sánh các xã — " + l.Total.Unit.Name, Active: "/so-sanh", Scope: sc, Data: leagueData(l, sc.Query())})
}
