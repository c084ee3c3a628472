package web

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"chiso/report"
	"chiso/warehouse"
)

func init() {
	register(route{pattern: "GET /don-vi", nav: "Đơn vị", order: 20, path: "/don-vi", h: (*Server).units})
}

// UnitsPage is the data of the units page: the unit and its internal units
// side by side, one line per unit and one column per indicator — the
// xlsx's third sheet (report.Report.Units, UnitRows) turned for a screen.
type UnitsPage struct {
	Report     *report.Report
	Columns    []UnitColumn
	Total      *UnitLine  // the unit itself, always first
	Lines      []UnitLine // its internal units, in the order asked
	Sort, Dir  string     // the column sorted by ("" = the directory's order) and asc|desc
	SortedName string     // the sorted column's label, for the caption
}

// UnitColumn is one indicator of the units page; its heading sorts the
// page (descending first, then toggling).
type UnitColumn struct {
	SortColumn
	ID, Unit string
}

// UnitLine is one unit of the units page.
type UnitLine struct {
	Code, Name, Link string
	Cells            []UnitCell
}

// UnitCell is one indicator of one unit.
type UnitCell struct {
	Value, Ratio      string // as the report writes them ("—" without a value)
	Assessment, Class string // Đạt / Chưa đạt / Chưa đủ số liệu and its CSS class
	Mark              string
	Raw               string // the value for sorting ("" when none)
	Present           bool   // the unit has the indicator at all
	// Incomplete: a source of the indicator lacks months of the period
	// (the league page says so in the cell).
	Incomplete bool
	Col        string // the indicator (data-col)
	value      *float64
}

func unitCell(k warehouse.KPIRow, ok bool) UnitCell {
	if !ok {
		return UnitCell{Value: "—"}
	}
	c := report.Row{KPIRow: k}.Cells(0, ",")
	cell := UnitCell{Value: c[5], Assessment: c[9], Present: true, value: k.Value}
	if k.Denominator != nil {
		cell.Ratio = strconv.FormatInt(k.Numerator, 10) + "/" + strconv.FormatInt(*k.Denominator, 10)
	}
	if k.Value != nil {
		cell.Raw = strconv.FormatFloat(*k.Value, 'f', -1, 64)
	}
	cell.Class, cell.Mark = assessClass(cell.Assessment)
	return cell
}

// unitsData builds the page from the report; sortBy is an indicator id
// ("" or unknown: the directory's order), dir asc or desc. Units without a
// value in the sorted column come last either way.
func unitsData(rep *report.Report, sortBy, dir, query string) *UnitsPage {
	if dir != "asc" {
		dir = "desc"
	}
	p := &UnitsPage{Report: rep, Dir: dir}
	col := -1
	for i, row := range rep.Rows {
		if row.Indicator == sortBy {
			col, p.Sort, p.SortedName = i, sortBy, row.Label
		}
	}
	if col < 0 {
		p.Dir = ""
	}
	link := sortLink("/don-vi", query, func(q url.Values, key string, desc bool) {
		q.Set("sort", key)
		q.Set("dir", map[bool]string{true: "desc", false: "asc"}[desc])
	})
	sortKey := ""
	if col >= 0 {
		sortKey = sortBy
		if dir == "desc" {
			sortKey = "-" + sortBy
		}
	}
	for i, row := range rep.Rows {
		c := row.Cells(i+1, ",")
		sc := sortColumn(row.Indicator, row.Label, sortKey, false, link)
		sc.Target = c[3]
		p.Columns = append(p.Columns, UnitColumn{SortColumn: sc, ID: row.Indicator, Unit: c[2]})
	}
	for i, u := range rep.Units {
		l := UnitLine{Code: u.Code, Name: u.Name, Link: "/?" + url.Values{"unit": {u.Code}, "period": {rep.Period.ID}}.Encode()}
		for _, row := range rep.Rows {
			k, ok := rep.UnitRows[u.Code][row.Indicator]
			c := unitCell(k, ok)
			c.Col = row.Indicator
			l.Cells = append(l.Cells, c)
		}
		if i == 0 {
			p.Total = &l
			continue
		}
		p.Lines = append(p.Lines, l)
	}
	if col >= 0 {
		sort.SliceStable(p.Lines, func(i, j int) bool {
			a, b := p.Lines[i].Cells[col].value, p.Lines[j].Cells[col].value
			switch {
			case a == nil || b == nil:
				return a != nil && b == nil
			case dir == "asc":
				return *a < *b
			default:
				return *a > *b
			}
		})
	}
	return p
}

// units is the units page: ?sort=<indicator>&dir=asc|desc sorts on the
// server; static/sort.js sorts in the browser without a reload.
func (s *Server) units(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.buildReport(r, sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	data := unitsData(rep, strings.TrimSpace(q.Get("sort")), q.Get("dir"), sc.Query())
	s.render(w, r, "units.html", http.StatusOK, &Page{Title: "Theo đơn vị — " + rep.Unit.Name, Active: "/don-vi", Scope: sc, Data: data})
}
