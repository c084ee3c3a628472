package browsertest

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLocal(t *testing.T) {
	for _, c := range []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:8080/", true},
		{"https://127.0.0.1/x.css", true},
		{"ws://127.0.0.1:9/s", true},
		{"data:image/png;base64,AAAA", true},
		{"about:blank", true},
		{"http://localhost:8080/", false}, // a name: only the address is allowed
		{"http://127.0.0.2/", false},
		{"http://10.0.0.1/", false},
		{"https://example.com/a.js", false},
		{"http://[::1]:80/", false},
		{"ftp://127.0.0.1/", false},
		{"chrome-extension://abc/x", false},
		{"::bad", false},
	} {
		if got := Local(c.url); got != c.want {
			t.Errorf("Local(%q) = %v, want %v", c.url, got, c.want)
		}
	}
}

// TestHarness loads a page that asks for local and outside resources: the
// harness must record all of them, let the local ones through, fail the
// others, and answer DOM queries even under a strict CSP.
func TestHarness(t *testing.T) {
	var mu sync.Mutex
	served := map[string]bool{}
	png := []byte("\x89PNG\r\n\x1a\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served[r.URL.Path] = true
		mu.Unlock()
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!doctype html><html lang="vi"><head><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/s.css"><title>Thử</title></head><body>
<h1>Tổng quan</h1><p class="v"> 61,5% </p><p class="v">12</p>
<img src="/a.png" alt="a"><img src="http://example.com/x.png" alt="x"><img src="http://10.1.2.3/y.png" alt="y">
</body></html>`))
		case "/csp":
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; frame-ancestors 'none'")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!doctype html><html><body><div id="x" data-k="v">Đạt</div></body></html>`))
		case "/tall":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!doctype html><html><head><link rel="stylesheet" href="/s.css"></head><body><div class="tall">x</div></body></html>`))
		case "/s.css":
			w.Header().Set("Content-Type", "text/css")
			w.Write([]byte(`body{font-family:sans-serif;margin:8px} .v{color:#1f4e9e} .tall{height:20000px}`))
		case "/a.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s, want 127.0.0.1", srv.URL)
	}
	b := Start(t)
	for _, width := range []int{1280, 390} {
		p := b.Open(t, srv.URL+"/", width)
		if got := p.Texts(".v"); len(got) != 2 || got[0] != "61,5%" || got[1] != "12" {
			t.Errorf("%d px: .v texts = %q", width, got)
		}
		if got := p.Text("h1"); got != "Tổng quan" {
			t.Errorf("h1 = %q", got)
		}
		if n := p.Count("img"); n != 3 {
			t.Errorf("%d images, want 3", n)
		}
		if w := Eval[int](p, "window.innerWidth"); w != width {
			t.Errorf("innerWidth %d, want %d", w, width)
		}
		shot := p.Screenshot(filepath.Join(t.TempDir(), "shot.png"))
		if !bytes.HasPrefix(shot, png) {
			t.Errorf("screenshot is not a PNG")
		} else if w := int(binary.BigEndian.Uint32(shot[16:20])); w != width {
			t.Errorf("screenshot %d px wide, want %d", w, width)
		}
		// Every request was seen; the outside ones failed, not fetched.
		byURL := map[string]Request{}
		for _, r := range p.Requests() {
			byURL[r.URL] = r
		}
		for _, want := range []struct {
			url     string
			blocked bool
		}{
			{srv.URL + "/", false}, {srv.URL + "/s.css", false}, {srv.URL + "/a.png", false},
			{"http://example.com/x.png", true}, {"http://10.1.2.3/y.png", true},
		} {
			r, ok := byURL[want.url]
			if !ok {
				t.Errorf("%d px: request for %s not recorded (have %v)", width, want.url, p.Requests())
				continue
			}
			if r.Blocked != want.blocked {
				t.Errorf("%d px: %s blocked = %v, want %v", width, want.url, r.Blocked, want.blocked)
			}
		}
		if n := len(p.NonLocal()); n != 2 {
			t.Errorf("%d px: %d requests outside 127.0.0.1, want 2: %v", width, n, p.NonLocal())
		}
		// CheckLocal must fail on this page: run it against a recorder.
		rec := &recorder{TB: t}
		p.t = rec
		p.CheckLocal()
		p.t = t
		if rec.errors != 2 {
			t.Errorf("CheckLocal reported %d errors, want 2", rec.errors)
		}
		p.Close()
	}
	mu.Lock()
	for _, path := range []string{"/", "/s.css", "/a.png"} {
		if !served[path] {
			t.Errorf("%s was not served", path)
		}
	}
	mu.Unlock()

	p := b.Open(t, srv.URL+"/csp", 390)
	if got := p.Text("#x"); got != "Đạt" {
		t.Errorf("under CSP: #x = %q", got)
	}
	if got := p.Attrs("#x", "data-k"); len(got) != 1 || got[0] != "v" {
		t.Errorf("attrs = %q", got)
	}
	if got := p.Texts(".none"); len(got) != 0 {
		t.Errorf("no match gave %q", got)
	}
	p.CheckLocal()

	// A very tall page is taken from its top, MaxShotHeight high.
	p = b.Open(t, srv.URL+"/tall", 390)
	shot := p.Screenshot(filepath.Join(t.TempDir(), "tall.png"))
	if h := int(binary.BigEndian.Uint32(shot[20:24])); h != MaxShotHeight {
		t.Errorf("tall page: screenshot %d px high, want %d", h, MaxShotHeight)
	}
}

// recorder counts Errorf calls instead of failing the test.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Errorf(format string, args ...any) { r.errors++ }
func (r *recorder) Helper()                           {}
