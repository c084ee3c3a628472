package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"chiso/report"
)

func init() {
	register(route{pattern: "GET /bao-cao", nav: "Báo cáo", order: 40, path: "/bao-cao", h: (*Server).reports})
	register(route{pattern: "GET /bao-cao/tai-ve", h: (*Server).download})
}

// Download is one format the annex can be downloaded in.
type Download struct {
	Format, Label, Ext, ContentType string
}

// Downloads are the formats of the reports page: those of chiso report
// --format that are files.
var Downloads = []Download{
	{"xlsx", "Excel (.xlsx)", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"csv", "CSV", "csv", "text/csv; charset=utf-8"},
	{"md", "Markdown", "md", "text/markdown; charset=utf-8"},
}

// ReportsPage is the data of the reports page.
type ReportsPage struct {
	Unit, UnitName string
	Current        ReportLinks   // the period of the picker
	Named          []ReportLinks // the named report periods and years of the picker
	Formats        []Download
}

// ReportLinks are the download links of one period.
type ReportLinks struct {
	Period, Label string
	Links         []ReportLink
}

// ReportLink is one download.
type ReportLink struct{ Label, URL string }

func downloadLinks(unit, period, label string) ReportLinks {
	l := ReportLinks{Period: period, Label: label}
	for _, d := range Downloads {
		l.Links = append(l.Links, ReportLink{Label: d.Label, URL: "/bao-cao/tai-ve?" + url.Values{"unit": {unit}, "period": {period}, "format": {d.Format}}.Encode()})
	}
	return l
}

// reports is the reports page: the annex of any period for download.
func (s *Server) reports(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := sc.Unit
	for _, u := range sc.Units {
		if u.Code == sc.Unit {
			name = u.Name
		}
	}
	label := sc.Period
	for _, p := range sc.Periods {
		if p.ID == sc.Period {
			label = p.Label
		}
	}
	data := &ReportsPage{Unit: sc.Unit, UnitName: name, Current: downloadLinks(sc.Unit, sc.Period, label), Formats: Downloads}
	for _, p := range sc.Periods {
		if p.Group == "Kỳ báo cáo" || p.Group == "Năm" {
			data.Named = append(data.Named, downloadLinks(sc.Unit, p.ID, p.Label))
		}
	}
	s.render(w, r, "reports.html", http.StatusOK, &Page{Title: "Báo cáo", Active: "/bao-cao", Scope: sc, Data: data})
}

// download is GET /bao-cao/tai-ve?unit=&period=&format=: the bytes of
// chiso report --format FORMAT for the unit and period, as a file.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := strings.TrimSpace(r.URL.Query().Get("format"))
	var d *Download
	for i := range Downloads {
		if Downloads[i].Format == format {
			d = &Downloads[i]
		}
	}
	if d == nil {
		s.fail(w, r, fmt.Errorf("%w: unknown format %q (use xlsx, csv or md)", report.ErrUsage, format))
		return
	}
	named, err := s.named(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := report.Run(r.Context(), s.opts.Store, report.Options{Period: sc.Period, Unit: sc.Unit, Format: d.Format, Named: named, Now: s.opts.Now()}, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, fileName(sc.Unit, sc.Period, d.Ext)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// fileName is chiso-UNIT-PERIOD.EXT with only letters, digits, '.', '-'
// and '_' ("2026-01-01..2026-05-31" becomes "2026-01-01_2026-05-31").
func fileName(unit, period, ext string) string {
	clean := func(s string) string {
		s = strings.ReplaceAll(s, "..", "_")
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '_'
		}, s)
	}
	return "chiso-" + clean(unit) + "-" + clean(period) + "." + ext
}
