package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"chiso/report"
	"chiso/warehouse"
)

func init() {
	register(route{pattern: "GET /chi-tieu/{id}", h: (*Server).indicator})
	register(route{pattern: "GET /chi-tieu/{id}/csv", h: (*Server).indicatorCSV})
}

// PageSize is the number of records per page of the indicator page.
const PageSize = 50

// IndicatorPage is the data of the indicator page.
type IndicatorPage struct {
	Tile    Tile
	Formula string
	Report  *report.Report
	// Filters: the month (YYYY-MM, "" for the whole period) and unit of
	// the records, with their choices.
	Month, FilterUnit string
	Months            []MonthOption
	Units             []warehouse.OrgUnit
	// Explain is one page of chiso explain for the filters.
	Explain  *explainOut
	Records  []RecordRow
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	CSVURL   string
	BaseURL  string // this page with the filters, without the page number
	SpanText string // the span the records cover
}

// MonthOption is a month of the period.
type MonthOption struct{ ID, Label string }

// RecordRow is one record of the table.
type RecordRow struct {
	warehouse.ExplainRecord
	RoleLabel, DatedBy, ReasonText string
}

// explainOut is chiso explain --format json.
type explainOut struct {
	Indicator   string                    `json:"indicator"`
	Numerator   int64                     `json:"numerator"`
	Denominator *int64                    `json:"denominator"`
	Missing     int64                     `json:"missing"`
	Value       *float64                  `json:"value"`
	Page        int                       `json:"page"`
	Pages       int                       `json:"pages"`
	Total       int64                     `json:"total"`
	Records     []warehouse.ExplainRecord `json:"records"`
}

// explainFilter reads the month and unit filters of the indicator page:
// the period of the records (the month clipped to the report period) and
// their unit (one of the report's units).
func explainFilter(r *http.Request, rep *report.Report) (month, unit, period string, err error) {
	q := r.URL.Query()
	month, unit = strings.TrimSpace(q.Get("thang")), strings.ToUpper(strings.TrimSpace(q.Get("don_vi")))
	period = rep.Period.ID
	if month != "" {
		m, perr := time.Parse("2006-01", month)
		if perr != nil {
			return "", "", "", fmt.Errorf("%w: thang %q: want YYYY-MM", report.ErrUsage, month)
		}
		from, to := m, m.AddDate(0, 1, -1)
		if from.Before(rep.Period.From) {
			from = rep.Period.From
		}
		if to.After(rep.Period.To) {
			to = rep.Period.To
		}
		if to.Before(from) {
			return "", "", "", fmt.Errorf("%w: thang %s is outside the period %s", report.ErrUsage, month, rep.Period.ID)
		}
		period = from.Format("2006-01-02") + ".." + to.Format("2006-01-02")
	}
	if unit == "" || unit == rep.Unit.Code {
		return month, "", period, nil
	}
	for _, u := range rep.Units {
		if u.Code == unit {
			return month, unit, period, nil
		}
	}
	return "", "", "", fmt.Errorf("%w: don_vi %s is not a unit of %s", report.ErrUsage, unit, rep.Unit.Code)
}

// rowOf finds the indicator id in the report.
func rowOf(rep *report.Report, id string) (int, report.Row, bool) {
	for i, row := range rep.Rows {
		if row.Indicator == id {
			return i, row, true
		}
	}
	return 0, report.Row{}, false
}

func (s *Server) indicator(w http.ResponseWriter, r *http.Request) {
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
	id := r.PathValue("id")
	i, row, ok := rowOf(rep, id)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "Không có chỉ tiêu này", fmt.Sprintf("Không có chỉ tiêu %q.", id))
		return
	}
	month, unit, period, err := explainFilter(r, rep)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := 1
	if raw := r.URL.Query().Get("trang"); raw != "" {
		if page, err = strconv.Atoi(raw); err != nil || page < 1 {
			s.fail(w, r, fmt.Errorf("%w: trang %q: want a page number from 1", report.ErrUsage, raw))
			return
		}
	}
	ex, err := s.explain(r, id, period, cmpOr(unit, rep.Unit.Code), page, PageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	series, err := s.monthly(r.Context(), rep.Unit.Code, rep.Period.To.Year())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &IndicatorPage{Tile: tileOf(i, row), Formula: Formula(id), Report: rep, Month: month, FilterUnit: unit,
		Units: rep.Units, Explain: ex, Page: page, Pages: max(ex.Pages, 1)}
	d.Tile.Chart = series.chart(row, rep.Period.To.Year())
	for m := time.Date(rep.Period.From.Year(), rep.Period.From.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(rep.Period.To); m = m.AddDate(0, 1, 0) {
		d.Months = append(d.Months, MonthOption{ID: m.Format("2006-01"), Label: fmt.Sprintf("Tháng %d/%d", m.Month(), m.Year())})
	}
	for _, rec := range ex.Records {
		rr := RecordRow{ExplainRecord: rec, RoleLabel: report.RoleLabel(rec.Role)}
		if rec.Kind == "document" {
			rr.DatedBy = report.DatedByLabel(rec.DatedBy)
		}
		if rec.Reason != nil {
			rr.ReasonText = *rec.Reason
		}
		if rec.Missing {
			rr.ReasonText = strings.TrimSpace("[thiếu số liệu] " + rr.ReasonText)
		}
		d.Records = append(d.Records, rr)
	}
	base := "/chi-tieu/" + id + "?" + sc.Query()
	d.BaseURL = withQuery(base, "thang", month, "don_vi", unit)
	d.CSVURL = withQuery("/chi-tieu/"+id+"/csv?"+sc.Query(), "thang", month, "don_vi", unit)
	if page > 1 {
		d.PrevURL = withQuery(d.BaseURL, "trang", strconv.Itoa(page-1))
	}
	if page < ex.Pages {
		d.NextURL = withQuery(d.BaseURL, "trang", strconv.Itoa(page+1))
	}
	span := rep.Period
	if month != "" { // a custom range: no named period involved
		if p, err := report.ParsePeriod(period, nil); err == nil {
			span = p
		}
	}
	d.SpanText = fmt.Sprintf("từ ngày %s đến ngày %s", span.From.Format("02/01/2006"), span.To.Format("02/01/2006"))
	s.render(w, r, "indicator.html", http.StatusOK, &Page{Title: row.Label, Scope: sc, Data: d})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// explain is one page of chiso explain --format json.
func (s *Server) explain(r *http.Request, id, period, unit string, page, size int) (*explainOut, error) {
	named, err := s.named(r.Context())
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	opts := report.ExplainOptions{Indicator: id, Period: period, Unit: unit, Format: "json", Page: page, PageSize: size, Named: named}
	if err := report.Explain(r.Context(), s.opts.Store, opts, &b); err != nil {
		return nil, err
	}
	var out explainOut
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("web: explain: %w", err)
	}
	return &out, nil
}

// indicatorCSV is GET /chi-tieu/{id}/csv: every record of the indicator
// page's filters, as chiso explain --format csv writes them.
func (s *Server) indicatorCSV(w http.ResponseWriter, r *http.Request) {
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
	id := r.PathValue("id")
	if _, _, ok := rowOf(rep, id); !ok {
		s.errorPage(w, r, http.StatusNotFound, "Không có chỉ tiêu này", fmt.Sprintf("Không có chỉ tiêu %q.", id))
		return
	}
	month, unit, period, err := explainFilter(r, rep)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	named, err := s.named(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	opts := report.ExplainOptions{Indicator: id, Period: period, Unit: cmpOr(unit, rep.Unit.Code), Format: "csv", Page: 1, PageSize: 1 << 30, Named: named}
	if err := report.Explain(r.Context(), s.opts.Store, opts, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("%s_%s_%s", id, rep.Period.ID, cmpOr(unit, rep.Unit.Code))
	if month != "" {
		name += "_" + month
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.NewReplacer(`"`, "", "/", "-", "..", "_").Replace(name)+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}
