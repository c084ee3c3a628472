package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User may log in to the page (web.users of the config).
type User struct {
	Name string
	// PasswordHash is the bcrypt hash of the password (chiso hash-password).
	PasswordHash string
	// Units are the codes of the units the user may see, each with the
	// units under it.
	Units []string
}

// Login limits: after MaxFailures wrong passwords for one user from one
// address within FailureWindow, that pair is refused until the window
// since its first failure has passed.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
	// SessionLife is how long a login lasts.
	SessionLife = 12 * time.Hour
	// SessionCookie names the session cookie.
	SessionCookie = "chiso_phien"
)

// auth checks who is asking: a session cookie (the login form) or HTTP
// basic auth (scripts using the API).
type auth struct {
	open  bool
	users map[string]User
	log   *slog.Logger
	// dummy is a hash compared against for an unknown user, so that a
	// wrong name costs as long as a wrong password.
	dummy []byte

	mu       gosync.Mutex
	sessions map[string]session
	failures map[string]*failure
	now      func() time.Time
}

type session struct {
	user    string
	expires time.Time
}

type failure struct {
	first time.Time
	count int
}

func newAuth(users []User, open bool, log *slog.Logger) (*auth, error) {
	a := &auth{open: open, users: map[string]User{}, log: log, sessions: map[string]session{}, failures: map[string]*failure{}, now: time.Now}
	for _, u := range users {
		if u.Name == "" {
			return nil, errors.New("web: a user without a name")
		}
		if _, dup := a.users[u.Name]; dup {
			return nil, fmt.Errorf("web: user %q twice", u.Name)
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			return nil, fmt.Errorf("web: user %q: password_hash is not a bcrypt hash (chiso hash-password makes one): %w", u.Name, err)
		}
		a.users[u.Name] = u
	}
	var err error
	if a.dummy, err = bcrypt.GenerateFromPassword([]byte("chiso"), bcrypt.DefaultCost); err != nil {
		return nil, err
	}
	return a, nil
}

type ctxKey int

const userKey ctxKey = 0

// userOf is the logged-in user of r ("" when the page is open).
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(userKey).(string)
	return u
}

// require lets r through when the page is open or r carries a valid
// session or basic credentials; else a page request is sent to the login
// form and an API request answered 401.
func (a *auth) require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.open {
			h.ServeHTTP(w, r)
			return
		}
		if name, pass, ok := r.BasicAuth(); ok {
			switch err := a.check(r, name, pass); {
			case err == nil:
				h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, name)))
			case errors.Is(err, errTooMany):
				w.Header().Set("Retry-After", strconv.Itoa(int(FailureWindow.Seconds())))
				writeJSONError(w, http.StatusTooManyRequests, err.Error())
			default:
				w.Header().Set("WWW-Authenticate", `Basic realm="chiso", charset="UTF-8"`)
				writeJSONError(w, http.StatusUnauthorized, err.Error())
			}
			return
		}
		if name, ok := a.session(r); ok {
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, name)))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
			w.Header().Set("WWW-Authenticate", `Basic realm="chiso", charset="UTF-8"`)
			writeJSONError(w, http.StatusUnauthorized, "login required: log in on the page or send HTTP basic credentials of a web.users entry")
			return
		}
		http.Redirect(w, r, "/dang-nhap?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	})
}

var (
	errTooMany  = errors.New("too many wrong passwords: try again later")
	errBadLogin = errors.New("wrong user name or password")
)

// clientIP is the address r came from (no proxy header is trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// check verifies name's password, counting wrong ones per user and
// address; a wrong one is logged without the password.
func (a *auth) check(r *http.Request, name, pass string) error {
	ip := clientIP(r)
	key := name + "\x00" + ip
	now := a.now()
	a.mu.Lock()
	f := a.failures[key]
	if f != nil && now.Sub(f.first) > FailureWindow {
		delete(a.failures, key)
		f = nil
	}
	blocked := f != nil && f.count >= MaxFailures
	a.mu.Unlock()
	if blocked {
		a.log.Warn("web login refused: too many wrong passwords", "user", name, "ip", ip, "failures", f.count)
		return errTooMany
	}
	u, known := a.users[name]
	hash := []byte(u.PasswordHash)
	if !known {
		hash = a.dummy
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(pass)); err == nil && known {
		a.mu.Lock()
		delete(a.failures, key)
		a.mu.Unlock()
		return nil
	}
	a.mu.Lock()
	if f = a.failures[key]; f == nil {
		f = &failure{first: now}
		a.failures[key] = f
	}
	f.count++
	n := f.count
	a.mu.Unlock()
	a.log.Warn("web login failed: wrong user name or password", "user", name, "known_user", known, "ip", ip, "failures", n)
	return errBadLogin
}

// newSession starts a session for name and returns its cookie.
func (a *auth) newSession(name string, secure bool) (*http.Cookie, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	now := a.now()
	a.mu.Lock()
	for k, s := range a.sessions { // drop the expired ones
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[tok] = session{user: name, expires: now.Add(SessionLife)}
	a.mu.Unlock()
	return &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", MaxAge: int(SessionLife.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}, nil
}

// session is the user of r's session cookie.
func (a *auth) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[c.Value]
	if !ok || a.now().After(s.expires) {
		delete(a.sessions, c.Value)
		return "", false
	}
	if _, still := a.users[s.user]; !still {
		return "", false
	}
	return s.user, true
}

func (a *auth) endSession(r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
}

func init() {
	register(route{pattern: "GET /dang-nhap", h: (*Server).loginForm, public: true})
	register(route{pattern: "POST /dang-nhap", h: (*Server).login, public: true})
	register(route{pattern: "POST /dang-xuat", h: (*Server).logout, public: true})
}

type loginData struct {
	Next, Name, Error string
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if s.opts.Open {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, "login.html", http.StatusOK, &Page{Title: "Đăng nhập", Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// sameOrigin refuses a form posted from another site (the cookies are
// SameSite=Strict too).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.opts.Open {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, "Không đăng nhập được", "Biểu mẫu đăng nhập được gửi từ một trang khác.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Không đăng nhập được", "Biểu mẫu không đọc được.")
		return
	}
	name, pass := strings.TrimSpace(r.PostForm.Get("ten")), r.PostForm.Get("mat_khau")
	next := safeNext(r.PostForm.Get("next"))
	d := loginData{Next: next, Name: name}
	switch err := s.auth.check(r, name, pass); {
	case errors.Is(err, errTooMany):
		w.Header().Set("Retry-After", strconv.Itoa(int(FailureWindow.Seconds())))
		d.Error = fmt.Sprintf("Nhập sai mật khẩu quá %d lần: hãy thử lại sau %d phút.", MaxFailures, int(FailureWindow.Minutes()))
		s.render(w, r, "login.html", http.StatusTooManyRequests, &Page{Title: "Đăng nhập", Data: d})
		return
	case err != nil:
		d.Error = "Tên đăng nhập hoặc mật khẩu không đúng."
		s.render(w, r, "login.html", http.StatusUnauthorized, &Page{Title: "Đăng nhập", Data: d})
		return
	}
	c, err := s.auth.newSession(name, true)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.SetCookie(w, c)
	s.log.Info("web login", "user", name, "ip", clientIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, "Không đăng xuất được", "Biểu mẫu được gửi từ một trang khác.")
		return
	}
	s.auth.endSession(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/dang-nhap", http.StatusSeeOther)
}
