package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/warehouse"
)

func init() {
	register(route{pattern: "GET /chot-so-lieu", nav: "Chốt số liệu", order: 45, path: "/chot-so-lieu", h: (*Server).snapshots})
	register(route{pattern: "GET /chot-so-lieu/tai-ve", h: (*Server).snapshotDownload})
}

// SnapshotsPage is the data of the snapshots page: the snapshots of the
// unit and period picked, and the diff of one of them against live.
type SnapshotsPage struct {
	Unit, Period string
	Snapshots    []SnapshotLine
	Diff         *report.Diff // nil unless ?id= names one
	DiffID       string
}

// SnapshotLine is one snapshot of the list.
type SnapshotLine struct {
	ID, Short, FrozenAt, FrozenBy, Note string
	Seq, Rows, Records                  int
	DiffURL                             string
	Links                               []ReportLink
}

// snapshotFormats are the downloads of a snapshot: its annex as chiso
// report --snapshot ID --format F writes it.
var snapshotFormats = []Download{Downloads[0], Downloads[1], Downloads[2]}

// snapshots is GET /chot-so-lieu?unit=&period=[&id=]: the snapshots of the
// unit and period (chiso snapshot list), and with id what changed since it
// (chiso snapshot diff ID).
func (s *Server) snapshots(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.opts.Store.Snapshots(r.Context(), sc.Unit, sc.Period)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := &SnapshotsPage{Unit: sc.Unit, Period: sc.Period}
	for _, x := range list {
		data.Snapshots = append(data.Snapshots, snapshotLine(sc, x))
	}
	if id := strings.TrimSpace(r.URL.Query().Get("id")); id != "" {
		snap, err := s.snapshotOf(r, sc, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if data.Diff, err = report.BuildDiff(r.Context(), s.opts.Store, report.DiffOptions{ID: snap.ID}); err != nil {
			s.fail(w, r, err)
			return
		}
		data.DiffID = snap.ID
	}
	s.render(w, r, "snapshots.html", http.StatusOK, &Page{Title: "Chốt số liệu", Active: "/chot-so-lieu", Scope: sc, Data: data})
}

func snapshotLine(sc *Scope, x warehouse.SnapshotSummary) SnapshotLine {
	l := SnapshotLine{ID: x.ID, Short: x.ID[:12], FrozenAt: x.FrozenAt.In(vntime.Location).Format("15:04 02/01/2006"),
		FrozenBy: x.FrozenBy, Note: x.Note, Seq: x.Seq, Rows: x.Rows, Records: x.Records,
		DiffURL: "/chot-so-lieu?" + url.Values{"unit": {sc.Unit}, "period": {sc.Period}, "id": {x.ID}}.Encode()}
	for _, d := range snapshotFormats {
		l.Links = append(l.Links, ReportLink{Label: d.Label, URL: "/chot-so-lieu/tai-ve?" + url.Values{"unit": {sc.Unit}, "period": {sc.Period}, "id": {x.ID}, "format": {d.Format}}.Encode()})
	}
	return l
}

// snapshotOf reads snapshot id, which must be of the scope's unit (the
// unit the user was allowed to see).
func (s *Server) snapshotOf(r *http.Request, sc *Scope, id string) (*warehouse.Snapshot, error) {
	snap, err := s.opts.Store.SnapshotByID(r.Context(), strings.ToLower(id))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", report.ErrUsage, err)
	}
	if snap.UnitCode != sc.Unit {
		return nil, fmt.Errorf("%w: bản chốt %s là của đơn vị %s, không phải %s", report.ErrUsage, snap.ID, snap.UnitCode, sc.Unit)
	}
	return snap, nil
}

// snapshotDownload is GET /chot-so-lieu/tai-ve?unit=&id=&format=: the bytes
// of chiso report --snapshot ID --format FORMAT.
func (s *Server) snapshotDownload(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := strings.TrimSpace(r.URL.Query().Get("format"))
	var d *Download
	for i := range snapshotFormats {
		if snapshotFormats[i].Format == format {
			d = &snapshotFormats[i]
		}
	}
	if d == nil {
		s.fail(w, r, fmt.Errorf("%w: unknown format %q (use xlsx, csv or md)", report.ErrUsage, format))
		return
	}
	snap, err := s.snapshotOf(r, sc, r.URL.Query().Get("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := report.RunSnapshot(r.Context(), s.opts.Store, snap.ID, d.Format, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="chiso-chot-%s.%s"`, snap.ID[:12], d.Ext))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// moveText says which sets a record entered and left.
func moveText(c report.RecordChange) string {
	names := map[string]string{"numerator": "tử số", "denominator": "mẫu số", "period": "kỳ báo cáo", "baseline": "cùng kỳ"}
	var parts []string
	for _, e := range c.Entered {
		parts = append(parts, "vào "+names[e])
	}
	for _, l := range c.Left {
		parts = append(parts, "ra khỏi "+names[l])
	}
	return strings.Join(parts, ", ")
}

func whyText(c report.RecordChange) string {
	why := report.RunsText(c.Runs)
	if c.Reason != "" {
		why = c.Reason + "; " + why
	}
	return why
}

func figures(f *report.Figures) string {
	if f == nil {
		return "—"
	}
	v := "—"
	if f.Value != nil {
		v = strings.Replace(fmt.Sprintf("%.2f", *f.Value), ".", ",", 1)
		if f.Unit == "%" {
			v += "%"
		}
	}
	if f.Denominator == nil {
		return v
	}
	return fmt.Sprintf("%d / %d = %s", f.Numerator, *f.Denominator, v)
}

func init() {
	funcs["moveText"] = moveText
	funcs["whyText"] = whyText
	funcs["figures"] = figures
	funcs["breakable"] = breakable
}

// breakable lets a long id wrap on a narrow screen: a <wbr> every 16
// characters of the escaped text.
func breakable(s string) template.HTML {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%16 == 0 {
			b.WriteString("<wbr>")
		}
		b.WriteString(template.HTMLEscapeString(string(r)))
	}
	return template.HTML(b.String())
}
