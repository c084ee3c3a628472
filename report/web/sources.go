package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"chiso/sync/status"
	"chiso/warehouse"
)

func init() {
	register(route{pattern: "GET /nguon-du-lieu", nav: "Nguồn dữ liệu", order: 30, path: "/nguon-du-lieu", h: (*Server).sources})
}

// rejectReasonsShown is how many kinds of reject the page lists per connector.
const rejectReasonsShown = 5

// SourcesPage is the data of the sources page (Nguồn dữ liệu): what chiso
// status says of each connector, in Vietnamese.
type SourcesPage struct {
	GeneratedAt time.Time
	Warehouse   string
	Connectors  []SourceLine
	Baseline    string
	Unmapped    []status.UnmappedCode
	Unresolved  int // register names the directory cannot resolve
	Removed     int // register rows missing from a later export
}

// SourceLine is one connector of the sources page.
type SourceLine struct {
	status.Connector
	Schedule          string // in words
	LastStatus, Class string // the last run's status in words, and its CSS class
	LastErrorText     string // one line
	Partial           string // why the last run did not read the whole source
	Stale             string // the stale flag in words ("" when fresh)
	Reasons           []warehouse.RejectReason
	OtherRejects      int64 // rejects of the kinds not listed
	Gaps              []status.CoverageGap
	HasRun            bool
}

var runStatusWords = map[string][2]string{
	"ok":      {"Thành công", "ok"},
	"partial": {"Một phần: chưa đọc hết nguồn", "partial"},
	"failed":  {"Lỗi", "failed"},
	"running": {"Đang chạy", "running"},
}

// scheduleWords says a connector's schedule in Vietnamese: "@every 15m"
// is "mỗi 15 phút"; a cron line stays as written.
func scheduleWords(s string) string {
	switch s {
	case "on request":
		return "khi nguồn gửi đến"
	case "":
		return "không đặt lịch"
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "@every ")); err == nil && strings.HasPrefix(s, "@every ") && d > 0 {
		switch {
		case d%(24*time.Hour) == 0:
			return fmt.Sprintf("mỗi %d ngày", d/(24*time.Hour))
		case d%time.Hour == 0:
			return fmt.Sprintf("mỗi %d giờ", d/time.Hour)
		case d%time.Minute == 0:
			return fmt.Sprintf("mỗi %d phút", d/time.Minute)
		}
		return "mỗi " + d.String()
	}
	return s
}

// sourceLines turns the status and the reject kinds into the page's lines.
func sourceLines(st *status.Status, reasons []warehouse.RejectReason) []SourceLine {
	byConn := map[string][]warehouse.RejectReason{}
	for _, r := range reasons {
		byConn[r.Connector] = append(byConn[r.Connector], r)
	}
	var out []SourceLine
	for _, c := range st.Connectors {
		l := SourceLine{Connector: c, Schedule: scheduleWords(c.Schedule), Reasons: byConn[c.Name], HasRun: c.LastRun != nil}
		l.OtherRejects = c.Rejects
		for _, r := range l.Reasons {
			l.OtherRejects -= r.Count
		}
		if l.OtherRejects < 0 {
			l.OtherRejects = 0
		}
		if c.LastRun != nil {
			w, ok := runStatusWords[c.LastRun.Status]
			if !ok {
				w = [2]string{c.LastRun.Status, ""}
			}
			l.LastStatus, l.Class = w[0], w[1]
			if c.LastRun.Status == "partial" && c.LastRun.Error != nil {
				l.Partial = oneLine(*c.LastRun.Error, 200)
			}
		}
		if c.LastError != nil && c.LastError.Error != nil {
			l.LastErrorText = oneLine(*c.LastError.Error, 200)
		}
		switch {
		case c.Stale && c.LastSuccess == nil:
			l.Stale = "Chưa đồng bộ thành công lần nào"
		case c.Stale:
			l.Stale = "Quá hạn: không đồng bộ thành công trong 3 chu kỳ lịch"
		}
		for _, g := range st.CoverageGaps {
			if g.Connector == c.Name {
				l.Gaps = append(l.Gaps, g)
			}
		}
		out = append(out, l)
	}
	return out
}

// oneLine squeezes s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// sources is the sources page: each connector's last run, last success,
// last error, next run, rows, rejects (count and kinds, never a record's
// content) and stale flag — the data of chiso status (status.Status).
func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	if s.opts.Status == nil {
		s.errorPage(w, r, http.StatusNotFound, "Nguồn dữ liệu", "Máy chủ này không có thông tin về các nguồn dữ liệu (chỉ đọc kho dữ liệu).")
		return
	}
	if err := s.requireSelf(r); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.opts.Status(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reasons, err := s.opts.Store.RejectReasons(r.Context(), rejectReasonsShown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := &SourcesPage{GeneratedAt: st.GeneratedAt, Warehouse: st.Warehouse, Connectors: sourceLines(st, reasons),
		Baseline: st.Baseline, Unmapped: st.UnmappedCodes, Unresolved: len(st.UnresolvedNames), Removed: len(st.RemovedRegisterRows)}
	s.render(w, r, "sources.html", http.StatusOK, &Page{Title: "Nguồn dữ liệu", Active: "/nguon-du-lieu", Data: data, Query: carryQuery(r)})
}

// carryQuery keeps ?unit= and ?period= of a page without a picker, for the
// menu's links.
func carryQuery(r *http.Request) string {
	q := r.URL.Query()
	v := url.Values{}
	for _, k := range []string{"unit", "period"} {
		if x := strings.TrimSpace(q.Get(k)); x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}
