// Package web serves the web page of chiso: what leaders glance at and what
// the reporting officer works in (issue 15). Server-rendered HTML
// (html/template), every asset inside the binary (embed), no inline script
// (CSP script-src 'self'), readable on a 360-px phone and printable on A4;
// and the read-only JSON API the page uses (GET /api/v1/report is exactly
// the JSON of chiso report --format json: report.Build + WriteJSON).
//
// A page is a handler and a template file: see Server.handlePage and
// docs/web.md. The package reads the warehouse only.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/sync/status"
	"chiso/warehouse"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Server.
type Options struct {
	Store *warehouse.Store
	// Self is org.self: the default unit, and the root of the tree the
	// unit picker lists.
	Self string
	// Named are the configured report periods; nil reads them from the
	// warehouse (as chiso report does).
	Named []report.NamedPeriod
	// Users may log in (web.users); Open serves everyone without a login
	// (a loopback listen with no users: the demo).
	Users []User
	Open  bool
	// Status gives what chiso status shows (GET /api/v1/status, the
	// sources page); nil: not available (404).
	Status func(ctx context.Context) (*status.Status, error)
	Logger *slog.Logger
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Server is the web page and its API; it is an http.Handler.
type Server struct {
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template
	auth  *auth
}

// route is a page or endpoint of the server. Files of this package add
// theirs with register (in an init function), so that a new page is a new
// file: the handler, its template and its line here.
type route struct {
	pattern string // a net/http pattern, e.g. "GET /don-vi"
	// nav, when set, puts the page in the menu at position order.
	nav   string
	order int
	path  string // the menu link
	// show, when set, keeps the menu entry to the pages where it is true
	// (e.g. the league table: only for a unit with communes under it).
	show func(p *Page) bool
	h    func(s *Server, w http.ResponseWriter, r *http.Request)
	// public routes need no login (static files, the login page).
	public bool
}

var routes []route

// register adds a route; call it from an init function.
func register(rt route) { routes = append(routes, rt) }

// navItem is one entry of the menu.
type navItem struct {
	Label, Path string
	order       int
}

// navItems is the menu of page p (nil: the entries shown everywhere).
func navItems(p *Page) []navItem {
	var out []navItem
	for _, rt := range routes {
		if rt.nav != "" && (rt.show == nil || (p != nil && rt.show(p))) {
			out = append(out, navItem{Label: rt.nav, Path: rt.path, order: rt.order})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// New returns the server of opts.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("web: New needs a store")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	a, err := newAuth(opts.Users, opts.Open, opts.Logger)
	if err != nil {
		return nil, err
	}
	s.auth = a
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	for _, rt := range routes {
		h := rt.h
		var hh http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if !rt.public {
			hh = s.auth.require(hh)
		}
		s.mux.Handle(rt.pattern, hh)
	}
	s.mux.Handle("/", s.auth.require(http.HandlerFunc(s.notFound)))
	return s, nil
}

// ServeHTTP serves the page and the API with the security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// CSP is the Content-Security-Policy of every answer: nothing from outside
// the server, no inline script, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// staticHandler lets browsers keep the assets for an hour.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// funcs are the template functions every page may use.
var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.Format("02/01/2006") },
	"datetime": func(t time.Time) string {
		return t.In(vntime.Location).Format("15:04 02/01/2006")
	},
	"query": func(base string, kv ...string) string { return withQuery(base, kv...) },
}

// parseTemplates parses layout.html with each page template (every other
// file of templates/): s.pages[name] renders the layout with that page.
func (s *Server) parseTemplates() error {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// Page is what the layout shows around a page's own content.
type Page struct {
	Title  string // the page's heading (and <title>)
	Active string // path of the menu entry to mark
	Nav    []navItem
	User   string // logged-in user ("" when open)
	Open   bool
	Scope  *Scope // the unit and period picker; nil: none
	Data   any    // the page's own data
	// Query is the unit and period of the request as a query string
	// (?unit=…&period=…), to carry them into links.
	Query string
}

// render writes page (a file of templates/) with p.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, status int, p *Page) {
	t, ok := s.pages[page]
	if !ok {
		s.serverError(w, r, fmt.Errorf("web: no template %s", page))
		return
	}
	p.Nav = navItems(p)
	p.User = userOf(r)
	p.Open = s.opts.Open
	if p.Scope != nil {
		p.Query = p.Scope.Query()
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", p); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// errorPage shows msg in Vietnamese with status.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	s.render(w, r, "error.html", status, &Page{Title: title, Data: msg})
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("web: request failed", "path", r.URL.Path, "err", err)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if t, ok := s.pages["error.html"]; ok && !strings.Contains(err.Error(), "template") {
		var b strings.Builder
		if t.ExecuteTemplate(&b, "layout.html", &Page{Title: "Lỗi máy chủ", Nav: navItems(nil), Data: "Không hiển thị được trang: " + err.Error()}) == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(b.String()))
			return
		}
	}
	http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, http.StatusNotFound, "not found: "+r.URL.Path)
		return
	}
	s.errorPage(w, r, http.StatusNotFound, "Không tìm thấy trang", "Địa chỉ "+r.URL.Path+" không có trên trang này.")
}

// usageMessage is the message chiso report prints for err (without the
// "usage: " mark of report.ErrUsage).
func usageMessage(err error) string {
	return strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": ")
}

// fail answers a request that failed with err: 400 with the CLI's message
// for a usage error (unknown period, unit, indicator), 403 for a unit the
// user may not see, else 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	api := strings.HasPrefix(r.URL.Path, "/api/")
	var fe *forbiddenError
	switch {
	case errors.As(err, &fe):
		if api {
			writeJSONError(w, http.StatusForbidden, fe.Error())
			return
		}
		s.errorPage(w, r, http.StatusForbidden, "Không có quyền xem", "Tài khoản "+userOf(r)+" không được giao xem số liệu của đơn vị "+fe.unit+".")
	case errors.Is(err, report.ErrUsage):
		if api {
			writeJSONError(w, http.StatusBadRequest, usageMessage(err))
			return
		}
		s.errorPage(w, r, http.StatusBadRequest, "Yêu cầu không hợp lệ", usageMessage(err))
	default:
		s.serverError(w, r, err)
	}
}
