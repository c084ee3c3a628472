package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"chiso/report"
	"chiso/warehouse"
)

func init() {
	register(route{pattern: "GET /{$}", nav: "Tổng quan", order: 10, path: "/", h: (*Server).overview})
}

// Tile is one indicator of the overview: the cells of the report's row
// (report.Row.Cells, the one formatting of a number) and its raw numbers
// for the data-* attributes that tests and scripts read.
type Tile struct {
	ID, Label, Unit string
	Value, Target   string
	Baseline, Diff  string
	Estimate, Ratio string
	Note            string
	// Complete says whether every source's facts are there (the annex's
	// "Đủ số liệu"); Outlook is the early warning for the current year.
	Complete, Outlook string
	// Assessment is Đạt / Chưa đạt / Chưa đủ số liệu ("" without a target);
	// Class its CSS class (dat, chua-dat, thieu) and Mark its sign.
	Assessment, Class, Mark string
	Row                     report.Row
	Chart                   template.HTML
	// Raw numbers as JSON would write them ("null" when absent).
	RawValue, RawNumerator, RawDenominator, RawBaseline string
}

// Overview is the data of the overview page.
type Overview struct {
	Report *report.Report
	Title  []string // the report's title block (without its heading)
	// Period is the title block's period line ("Kỳ báo cáo: …"), shown
	// first; TitleMore the other lines, folded.
	Period    string
	TitleMore []string
	Targets   []Tile
	Infos     []Tile
	Year      int // the year of the monthly charts
}

func rawFloat(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func rawInt(v *int64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatInt(*v, 10)
}

// assessClass is the CSS class and sign of an assessment: the words are
// always shown too (never colour alone).
func assessClass(a string) (class, mark string) {
	switch a {
	case "Đạt":
		return "dat", "✔"
	case "Chưa đạt":
		return "chua-dat", "✘"
	case "Chưa đủ số liệu":
		return "thieu", "?"
	}
	return "", ""
}

// cellsOf are row's annex cells by column header (report.Headers), so
// that a column added to the annex moves nothing here.
func cellsOf(i int, row report.Row) map[string]string {
	c := row.Cells(i+1, ",")
	m := make(map[string]string, len(c))
	for j, h := range report.Headers {
		if j < len(c) {
			m[h] = c[j]
		}
	}
	return m
}

// tileOf is the tile of the report's row i.
func tileOf(i int, row report.Row) Tile {
	c := cellsOf(i, row)
	t := Tile{ID: row.Indicator, Label: c["Chỉ tiêu"], Unit: c["Đơn vị tính"], Target: c["Chỉ tiêu giao"], Baseline: c["Cùng kỳ"],
		Value: c["Thực hiện kỳ báo cáo"], Estimate: c["Ước thực hiện đến hết kỳ"], Diff: c["Tăng/giảm so cùng kỳ"],
		Ratio: c["Tử số / Mẫu số"], Assessment: c["Đánh giá"], Complete: c["Đủ số liệu"], Note: c["Ghi chú"],
		Outlook: c["Cảnh báo sớm (dự báo cả năm)"], Row: row,
		RawValue: rawFloat(row.Value), RawNumerator: strconv.FormatInt(row.Numerator, 10), RawDenominator: rawInt(row.Denominator), RawBaseline: "null"}
	if row.HasBase {
		t.RawBaseline = rawFloat(row.Baseline.Value)
	}
	t.Class, t.Mark = assessClass(t.Assessment)
	return t
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The report and the charts' months at the same time: two connections.
	var series *Monthly
	var serr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		series, serr = s.monthlyOf(r.Context(), sc)
	}()
	rep, err := s.build(r, sc, true)
	<-done
	if err == nil {
		err = serr
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ov := &Overview{Report: rep, Title: rep.TitleLines()[1:], Year: series.Year}
	for _, l := range ov.Title {
		if ov.Period == "" && strings.HasPrefix(l, "Kỳ báo cáo:") {
			ov.Period = l
			continue
		}
		ov.TitleMore = append(ov.TitleMore, l)
	}
	for i, row := range rep.Rows {
		t := tileOf(i, row)
		if row.Kind == "target" {
			t.Chart = series.chart(row, ov.Year)
			ov.Targets = append(ov.Targets, t)
		} else {
			ov.Infos = append(ov.Infos, t)
		}
	}
	s.render(w, r, "overview.html", http.StatusOK, &Page{Title: "Tổng quan — " + rep.Unit.Name, Active: "/", Scope: sc, Data: ov})
}

// Monthly is the month-by-month value of every indicator of a unit for a
// year and the year before: the line of the charts.
type Monthly struct {
	Year int
	This map[string][]*float64 // indicator → 12 values (nil: no value, or a month not over yet)
	Last map[string][]*float64
}

// monthlyOf is monthly for the scope's unit and the year its period ends
// in (the period parsed as report.Build parses it; an unknown period or
// unit leaves the error to report.Build and gives no months).
func (s *Server) monthlyOf(ctx context.Context, sc *Scope) (*Monthly, error) {
	named, err := s.named(ctx)
	if err != nil {
		return nil, err
	}
	p, err := report.ParsePeriod(sc.Period, named)
	if err != nil {
		return &Monthly{}, nil
	}
	return s.monthly(ctx, sc.Unit, p.To.Year())
}

// monthly computes the 24 months of year and year-1 for unit in one query.
func (s *Server) monthly(ctx context.Context, unit string, year int) (*Monthly, error) {
	var spans []warehouse.Span
	for _, y := range []int{year, year - 1} {
		for m := time.January; m <= time.December; m++ {
			f := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
			spans = append(spans, warehouse.Span{ID: f.Format("2006-01"), From: f, To: f.AddDate(0, 1, -1)})
		}
	}
	rows, err := s.opts.Store.KPISpans(ctx, spans, unit)
	if err != nil {
		return nil, err
	}
	now := s.now()
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := &Monthly{Year: year, This: map[string][]*float64{}, Last: map[string][]*float64{}}
	for _, k := range rows {
		m := k.PeriodFrom
		dst := out.This
		if m.Year() != year {
			dst = out.Last
		}
		if dst[k.Indicator] == nil {
			dst[k.Indicator] = make([]*float64, 12)
		}
		if m.After(cur) {
			continue // not begun yet: no point on the line
		}
		dst[k.Indicator][m.Month()-1] = k.Value
	}
	return out, nil
}

// chart is the monthly chart of row's indicator; its target line is named
// with the operator, as the annex writes the target ("Mục tiêu ≥ 60%").
func (m *Monthly) chart(row report.Row, year int) template.HTML {
	label := ""
	if t := cellsOf(0, row)["Chỉ tiêu giao"]; t != "" {
		label = "Mục tiêu " + t
	}
	return monthChart(row.Indicator, row.Label, row.Unit == "%", fmt.Sprintf("Năm %d", year), m.This[row.Indicator],
		fmt.Sprintf("Năm %d", year-1), m.Last[row.Indicator], row.Target, label)
}
