package meetingssim

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves the generated calendars at /ical/<unit>.ics (and the same
// data as meetings files at /meetings/<unit>.csv), answering conditional
// requests with 304 like a calendar server. It is safe for concurrent use.
type Server struct {
	opts  Options
	mu    sync.RWMutex
	feeds map[string]feed
	// Hits counts requests per status code (for tests and the demo).
	hits sync.Map // int -> *atomic.Int64
}

type feed struct {
	ics, csv []byte
	etag     string
	modified time.Time
}

// New generates the calendars of opts and returns the server (an
// http.Handler): `chiso sim` mounts it at /.
func New(opts Options) *Server {
	o := opts.withDefaults()
	s := &Server{opts: o, feeds: map[string]feed{}}
	for _, c := range Generate(o) {
		s.feeds[c.Unit] = newFeed(c.ICS(), c.CSV(), o.Modified)
	}
	return s
}

func newFeed(ics, csv []byte, modified time.Time) feed {
	sum := sha256.Sum256(ics)
	return feed{ics: ics, csv: csv, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, modified: modified.UTC().Truncate(time.Second)}
}

// SetFeed replaces the feed of unit with ics bytes (tests: a meeting moved,
// cancelled or deleted between two syncs). Last-Modified becomes now.
func (s *Server) SetFeed(unit string, ics []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.feeds[unit]
	s.feeds[unit] = newFeed(ics, prev.csv, time.Now())
}

// Units lists the units served.
func (s *Server) Units() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.feeds))
	for u := range s.feeds {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// Hits returns how many responses had the status code.
func (s *Server) Hits(code int) int64 {
	if v, ok := s.hits.Load(code); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (s *Server) count(code int) {
	v, _ := s.hits.LoadOrStore(code, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	defer func() { s.count(rec.code) }()
	if s.opts.Username != "" || s.opts.Password != "" {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) != 1 {
			rec.Header().Set("WWW-Authenticate", `Basic realm="lich-hop"`)
			http.Error(rec, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(rec, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.Path
	switch {
	case path == "/" || path == "/ical" || path == "/ical/":
		rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, u := range s.Units() {
			fmt.Fprintf(rec, "/ical/%s.ics\n/meetings/%s.csv\n", u, u)
		}
	case strings.HasPrefix(path, "/ical/") && strings.HasSuffix(path, ".ics"):
		s.serve(rec, r, strings.TrimSuffix(strings.TrimPrefix(path, "/ical/"), ".ics"), false)
	case strings.HasPrefix(path, "/meetings/") && strings.HasSuffix(path, ".csv"):
		s.serve(rec, r, strings.TrimSuffix(strings.TrimPrefix(path, "/meetings/"), ".csv"), true)
	default:
		http.NotFound(rec, r)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, unit string, asCSV bool) {
	s.mu.RLock()
	f, ok := s.feeds[unit]
	s.mu.RUnlock()
	if !ok {
		http.Error(w, "no calendar for unit "+unit, http.StatusNotFound)
		return
	}
	body, name := f.ics, unit+".ics"
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	if asCSV {
		body, name = f.csv, unit+".csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("ETag", f.etag)
	}
	// ServeContent answers If-None-Match / If-Modified-Since with 304.
	http.ServeContent(w, r, name, f.modified, bytes.NewReader(body))
}
