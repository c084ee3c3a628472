package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"chiso/report"
)

func init() {
	register(route{pattern: "GET /api/v1/report", h: (*Server).apiReport})
	register(route{pattern: "GET /api/v1/explain", h: (*Server).apiExplain})
	register(route{pattern: "GET /api/v1/status", h: (*Server).apiStatus})
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(apiError{Error: msg})
}

func writeJSONBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// buildReport is report.Build for the scope: the one computation behind
// the overview and GET /api/v1/report (with the units sheet for the pages
// that show it).
func (s *Server) buildReport(r *http.Request, sc *Scope) (*report.Report, error) {
	return s.build(r, sc, false)
}

// build is report.Build for the scope; indicatorsOnly leaves the two
// other sheets out (report.Options.IndicatorsOnly), as chiso report
// --format json does. No page shows the documents-by-type sheet (the
// downloads are report.Run's), so it is never built here.
func (s *Server) build(r *http.Request, sc *Scope, indicatorsOnly bool) (*report.Report, error) {
	named, err := s.named(r.Context())
	if err != nil {
		return nil, err
	}
	return report.Build(r.Context(), s.opts.Store, report.Options{Period: sc.Period, Unit: sc.Unit, Named: named, Now: s.opts.Now(),
		IndicatorsOnly: indicatorsOnly, NoDocTypes: true})
}

// apiReport is GET /api/v1/report?period=&unit=: the bytes of chiso report
// --format json for the same period and unit.
func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.build(r, sc, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONBytes(w, b.Bytes())
}

// apiExplain is GET /api/v1/explain?indicator=&period=&unit=&page=
// [&page_size=]: the bytes of chiso explain --format json.
func (s *Server) apiExplain(w http.ResponseWriter, r *http.Request) {
	sc, err := s.scope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	page, size := 1, 50
	for _, p := range []struct {
		key string
		v   *int
		max int
	}{{"page", &page, 1 << 30}, {"page_size", &size, 1000}} {
		if raw := q.Get(p.key); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || n > p.max {
				writeJSONError(w, http.StatusBadRequest, p.key+": want a whole number from 1 to "+strconv.Itoa(p.max)+", got "+strconv.Quote(raw))
				return
			}
			*p.v = n
		}
	}
	if strings.TrimSpace(q.Get("indicator")) == "" {
		writeJSONError(w, http.StatusBadRequest, "indicator is required (e.g. indicator=electronic_exchange_share)")
		return
	}
	named, err := s.named(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	opts := report.ExplainOptions{Indicator: q.Get("indicator"), Period: sc.Period, Unit: sc.Unit, Format: "json", Page: page, PageSize: size, Named: named}
	if err := report.Explain(r.Context(), s.opts.Store, opts, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONBytes(w, b.Bytes())
}

// apiStatus is GET /api/v1/status: what chiso status shows, as JSON.
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	if s.opts.Status == nil {
		writeJSONError(w, http.StatusNotFound, "status is not available on this server")
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
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONBytes(w, b.Bytes())
}

// requireSelf: what is not about one unit (the connectors, the whole org
// directory) is shown to users who may see org.self, i.e. the whole tree.
func (s *Server) requireSelf(r *http.Request) error {
	if s.opts.Open {
		return nil
	}
	units, err := s.opts.Store.OrgUnits(r.Context())
	if err != nil {
		return err
	}
	self := strings.ToUpper(s.opts.Self)
	ok, err := s.mayView(r.Context(), userOf(r), self, units)
	if err != nil {
		return err
	}
	if !ok {
		return &forbiddenError{user: userOf(r), unit: self}
	}
	return nil
}
