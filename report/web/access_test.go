package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"chiso/report/web"
	"chiso/sync/status"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func hash(t *testing.T, pass string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// login posts the form and returns the session cookie.
func login(t *testing.T, base, name, pass string) (*http.Response, *http.Cookie) {
	t.Helper()
	resp, err := noRedirect().PostForm(base+"/dang-nhap", url.Values{"ten": {name}, "mat_khau": {pass}, "next": {"/?period=2026"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			return resp, c
		}
	}
	return resp, nil
}

func getWith(t *testing.T, u string, set func(*http.Request)) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	set(req)
	resp, err := noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestAccess: with users configured, no login → redirect to the login
// form (pages) or 401 (API); a user granted one unit gets 403 on another
// unit's pages and API, and sees the units under the granted one.
func TestAccess(t *testing.T) {
	st := goldenStore(t, "rollup-2026h1")
	logs := &syncBuffer{}
	ts := serve(t, st, web.Options{
		Users: []web.User{
			{Name: "chutich", PasswordHash: hash(t, "mat-khau-xa"), Units: []string{self}},
			{Name: "vanphong", PasswordHash: hash(t, "mat-khau-vp"), Units: []string{"001.25.31.H99"}},
		},
		Status: func(ctx context.Context) (*status.Status, error) { return &status.Status{Warehouse: "test"}, nil },
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	// No login.
	for _, p := range []string{"/", "/?unit=001.25.31.H99", "/chi-tieu/meetings_held", "/chi-tieu/meetings_held/csv"} {
		resp, _ := get(t, nil, ts.URL+p)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/dang-nhap?next=") {
			t.Errorf("%s without login: %s %s", p, resp.Status, resp.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/api/v1/report?period=2026", "/api/v1/explain?indicator=meetings_held&period=2026", "/api/v1/status"} {
		resp, body := get(t, nil, ts.URL+p)
		var e struct{ Error string }
		if resp.StatusCode != 401 || json.Unmarshal(body, &e) != nil || e.Error == "" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without login: %s %s", p, resp.Status, body)
		}
	}
	if resp, body := get(t, nil, ts.URL+"/dang-nhap"); resp.StatusCode != 200 || !bytes.Contains(body, []byte(`name="mat_khau"`)) {
		t.Errorf("login form: %s", resp.Status)
	}
	// The login form: a session cookie, HttpOnly, Secure, SameSite=Strict.
	resp, vp := login(t, ts.URL, "vanphong", "mat-khau-vp")
	if vp == nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?period=2026" {
		t.Fatalf("login: %s %v", resp.Status, resp.Cookies())
	}
	if !vp.HttpOnly || !vp.Secure || vp.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v", vp)
	}
	_, xa := login(t, ts.URL, "chutich", "mat-khau-xa")
	withCookie := func(c *http.Cookie) func(*http.Request) { return func(r *http.Request) { r.AddCookie(c) } }
	basic := func(n, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(n, p) } }
	for _, c := range []struct {
		path string
		as   func(*http.Request)
		want int
	}{
		{"/", withCookie(vp), 200}, // defaults to the unit granted
		{"/?unit=001.25.31.H99&period=2026-H1", withCookie(vp), 200},
		{"/?unit=000.25.31.H99", withCookie(vp), 403},
		{"/?unit=002.25.31.H99", withCookie(vp), 403},
		{"/chi-tieu/meetings_held?unit=002.25.31.H99", withCookie(vp), 403},
		{"/chi-tieu/meetings_held/csv?unit=000.25.31.H99", withCookie(vp), 403},
		{"/chi-tieu/meetings_held?unit=001.25.31.H99", withCookie(vp), 200},
		{"/api/v1/report?period=2026&unit=000.25.31.H99", withCookie(vp), 403},
		{"/api/v1/report?period=2026&unit=001.25.31.H99", withCookie(vp), 200},
		{"/api/v1/report?period=2026", withCookie(vp), 200},
		{"/api/v1/explain?indicator=meetings_held&period=2026&unit=002.25.31.H99", withCookie(vp), 403},
		{"/api/v1/status", withCookie(vp), 403},
		{"/api/v1/report?period=2026&unit=000.25.31.H99", basic("vanphong", "mat-khau-vp"), 403},
		{"/api/v1/report?period=2026&unit=001.25.31.H99", basic("vanphong", "mat-khau-vp"), 200},
		// The commune's user sees the commune, the units under it and the
		// predecessor merged into it; not an unrelated commune.
		{"/?unit=002.25.31.H99", withCookie(xa), 200},
		{"/?unit=000.11.31.H99", withCookie(xa), 200},
		{"/?unit=000.99.31.H99", withCookie(xa), 403},
		{"/api/v1/status", withCookie(xa), 200},
		{"/api/v1/report?period=2026", basic("chutich", "mat-khau-xa"), 200},
		{"/", withCookie(&http.Cookie{Name: web.SessionCookie, Value: "forged"}), http.StatusSeeOther},
	} {
		if resp := getWith(t, ts.URL+c.path, c.as); resp.StatusCode != c.want {
			t.Errorf("%s: %s, want %d", c.path, resp.Status, c.want)
		}
	}
	// A 403 API answer is JSON with the reason.
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/report?period=2026&unit=000.25.31.H99", nil)
	req.AddCookie(vp)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error string }
	json.NewDecoder(r2.Body).Decode(&e)
	r2.Body.Close()
	if !strings.Contains(e.Error, "may not see unit 000.25.31.H99") {
		t.Errorf("403 body %q", e.Error)
	}
	// Logout ends the session.
	lreq, _ := http.NewRequest("POST", ts.URL+"/dang-xuat", nil)
	lreq.AddCookie(vp)
	if lr, err := noRedirect().Do(lreq); err != nil || lr.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", lr, err)
	}
	if resp := getWith(t, ts.URL+"/?unit=001.25.31.H99", withCookie(vp)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %s", resp.Status)
	}
	// A login form from another site is refused; next cannot leave the site.
	freq, _ := http.NewRequest("POST", ts.URL+"/dang-nhap", strings.NewReader(url.Values{"ten": {"chutich"}, "mat_khau": {"mat-khau-xa"}}.Encode()))
	freq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	freq.Header.Set("Origin", "http://evil.example")
	if fr, err := noRedirect().Do(freq); err != nil || fr.StatusCode != 403 {
		t.Errorf("cross-site login: %v %v", fr.Status, err)
	}
	nresp, err := noRedirect().PostForm(ts.URL+"/dang-nhap", url.Values{"ten": {"chutich"}, "mat_khau": {"mat-khau-xa"}, "next": {"//evil.example/"}})
	if err != nil || nresp.Header.Get("Location") != "/" {
		t.Errorf("next //evil.example: %v", nresp.Header.Get("Location"))
	}
	if strings.Contains(logs.String(), "mat-khau") {
		t.Errorf("a password is in the log:\n%s", logs.String())
	}
}

// TestWrongPasswordsRateLimited: after web.MaxFailures wrong passwords for
// one user from one address, even the right one is refused (429) for that
// pair; each failure is logged without the password; other users are not
// affected.
func TestWrongPasswordsRateLimited(t *testing.T) {
	st := goldenStore(t, "leap-year")
	logs := &syncBuffer{}
	ts := serve(t, st, web.Options{
		Users:  []web.User{{Name: "a", PasswordHash: hash(t, "right-password-a"), Units: []string{self}}, {Name: "b", PasswordHash: hash(t, "right-password-b"), Units: []string{self}}},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	for i := 0; i < web.MaxFailures; i++ {
		if resp, c := login(t, ts.URL, "a", "wrong-secret-"+itoa(i)); resp.StatusCode != 401 || c != nil {
			t.Fatalf("wrong password %d: %s", i, resp.Status)
		}
	}
	if resp, c := login(t, ts.URL, "a", "right-password-a"); resp.StatusCode != 429 || c != nil || resp.Header.Get("Retry-After") == "" {
		t.Errorf("right password after %d wrong ones: %s %v", web.MaxFailures, resp.Status, c)
	}
	resp := getWith(t, ts.URL+"/api/v1/report?period=2024", func(r *http.Request) { r.SetBasicAuth("a", "right-password-a") })
	if resp.StatusCode != 429 {
		t.Errorf("basic auth of a blocked user: %s", resp.Status)
	}
	if resp, c := login(t, ts.URL, "b", "right-password-b"); resp.StatusCode != http.StatusSeeOther || c == nil {
		t.Errorf("another user: %s", resp.Status)
	}
	// An unknown user is counted the same way.
	if resp, _ := login(t, ts.URL, "nobody", "x"); resp.StatusCode != 401 {
		t.Errorf("unknown user: %s", resp.Status)
	}
	l := logs.String()
	if n := strings.Count(l, "web login failed"); n != web.MaxFailures+1 {
		t.Errorf("%d failures logged, want %d:\n%s", n, web.MaxFailures+1, l)
	}
	if !strings.Contains(l, "too many wrong passwords") || !strings.Contains(l, "user=a") || !strings.Contains(l, "ip=127.0.0.1") {
		t.Errorf("log:\n%s", l)
	}
	if strings.Contains(l, "wrong-secret") || strings.Contains(l, "right-password") {
		t.Errorf("a password is in the log:\n%s", l)
	}
}
