// Package browsertest drives a real headless Chromium (Debian's package
// chromium) from Go tests: it loads a page at a viewport width, saves a
// full-page screenshot and answers DOM queries. The browser is cut off from
// every network but 127.0.0.1: host names do not resolve, and every request
// the page makes goes through the DevTools Fetch domain, where it is recorded
// and, unless it goes to 127.0.0.1, failed. Page.CheckLocal fails the test
// when any request was for another host.
//
// Without a browser the test is skipped with a message, except under
// CI=true, where it fails (.ci/run installs the package).
package browsertest

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Chromium is where Debian installs the browser; CHISO_CHROMIUM overrides it.
const Chromium = "/usr/bin/chromium"

// Timeout bounds one page load or query (the machine is shared and slow).
var Timeout = 3 * time.Minute

// Browser is one headless Chromium for a test.
type Browser struct {
	ctx    context.Context // the first tab: the browser lives as long as it
	cancel func()
}

// Path returns the browser executable, or "" when there is none.
func Path() string {
	for _, p := range []string{os.Getenv("CHISO_CHROMIUM"), Chromium} {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Start starts Chromium headless for t and stops it at the end of the test.
// A missing browser skips the test, or fails it under CI=true.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := Path()
	if path == "" {
		msg := fmt.Sprintf("no headless browser: install the Debian package chromium (%s) or set CHISO_CHROMIUM", Chromium)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root here
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		// No name resolves: only an IP literal can be reached, and the
		// Fetch interception below fails every IP but 127.0.0.1.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.WSURLReadTimeout(Timeout),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		acancel()
		t.Fatalf("starting %s: %v", path, err)
	}
	b := &Browser{ctx: ctx, cancel: func() { cancel(); acancel() }}
	t.Cleanup(b.cancel)
	return b
}

// Request is one request the page made.
type Request struct {
	URL     string
	Method  string
	Type    string // document, stylesheet, script, image, …
	Blocked bool   // failed by the harness: not for 127.0.0.1
}

// Page is one tab with a loaded page.
type Page struct {
	t      testing.TB
	ctx    context.Context
	cancel func()
	Width  int

	mu       sync.Mutex
	requests []Request
}

// Local reports whether a request for raw stays on this machine: http(s)
// or ws(s) to 127.0.0.1, or a URL that is no request (data:, about:, blob:).
func Local(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "about", "blob":
		return true
	case "http", "https", "ws", "wss":
		return u.Hostname() == "127.0.0.1"
	}
	return false
}

// Open loads pageURL in a new tab at the viewport width (height 900, or a
// phone's 844 below 600 px, emulated as a mobile device) and waits for the
// load event.
func (b *Browser) Open(t testing.TB, pageURL string, width int) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{t: t, ctx: ctx, cancel: cancel, Width: width}
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // open the tab
		t.Fatalf("new tab: %v", err)
	}
	target := chromedp.FromContext(ctx).Target
	paused := make(chan *fetch.EventRequestPaused, 4096)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}); err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-paused:
				p.decide(ctx, target, e)
			}
		}
	}()
	height, mobile := int64(900), width < 600
	if mobile {
		height = 844
	}
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}})
			return err
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: int64(width), Height: height, DeviceScaleFactor: 1, Mobile: mobile})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("set up tab: %v", err)
	}
	lctx, lcancel := context.WithTimeout(ctx, Timeout)
	defer lcancel()
	if err := chromedp.Do(lctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("load %s at %d px: %v", pageURL, width, err)
	}
	return p
}

// decide records a paused request and lets it go on only to 127.0.0.1.
func (p *Page) decide(ctx context.Context, target *chromedp.Target, e *fetch.EventRequestPaused) {
	r := Request{Type: string(e.ResourceType)}
	if e.Request != nil {
		r.URL, r.Method = e.Request.URL, e.Request.Method
	}
	r.Blocked = !Local(r.URL)
	p.mu.Lock()
	p.requests = append(p.requests, r)
	p.mu.Unlock()
	var err error
	if r.Blocked {
		_, err = cdp.Call(ctx, target, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
	} else {
		_, err = cdp.Call(ctx, target, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
	}
	if err != nil && ctx.Err() == nil {
		p.t.Logf("browsertest: answering the request for %s: %v", r.URL, err)
	}
}

// Requests returns every request the page has made so far.
func (p *Page) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// NonLocal returns the requests that were for another host than 127.0.0.1.
func (p *Page) NonLocal() []Request {
	var out []Request
	for _, r := range p.Requests() {
		if r.Blocked {
			out = append(out, r)
		}
	}
	return out
}

// CheckLocal fails the test when the page asked for anything but
// 127.0.0.1 (or made no request at all, which means the recording is broken).
func (p *Page) CheckLocal() {
	p.t.Helper()
	reqs := p.Requests()
	if len(reqs) == 0 {
		p.t.Errorf("browsertest: no request recorded at %d px", p.Width)
	}
	for _, r := range p.NonLocal() {
		p.t.Errorf("browsertest: the page at %d px asked for %s (%s): only 127.0.0.1 is allowed", p.Width, r.URL, r.Type)
	}
}

func (p *Page) run(what string, a chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, a); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// MaxShotHeight caps a screenshot's height in CSS pixels: a page taller
// than that is taken from its top (a 30,000-px table costs minutes to
// capture on a busy machine and shows nothing more).
var MaxShotHeight = 6000

// Screenshot saves a full-page PNG (at most MaxShotHeight tall) into path
// (directories created) and returns its bytes.
func (p *Page) Screenshot(path string) []byte {
	p.t.Helper()
	size := eval[[]float64](p, `[document.documentElement.scrollWidth, document.documentElement.scrollHeight]`)
	w, h := size[0], math.Min(size[1], float64(MaxShotHeight))
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	yes := true
	png, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &yes, FromSurface: &yes, OptimizeForSpeed: &yes,
			Clip: &page.Viewport{Width: w, Height: h, Scale: 1}})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	})
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return png
}

// Texts returns the trimmed text content of every element matching the CSS
// selector, in document order (none: an empty slice).
func (p *Page) Texts(selector string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).map(e => e.textContent.replace(/\s+/g, " ").trim())`, jsString(selector)))
}

// Text returns the text of the first element matching selector; it fails
// the test when there is none.
func (p *Page) Text(selector string) string {
	p.t.Helper()
	all := p.Texts(selector)
	if len(all) == 0 {
		p.t.Fatalf("no element matches %q", selector)
	}
	return all[0]
}

// Attrs returns attribute name of every element matching selector ("" where absent).
func (p *Page) Attrs(selector, name string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).map(e => e.getAttribute(%s) || "")`, jsString(selector), jsString(name)))
}

// Count returns how many elements match selector.
func (p *Page) Count(selector string) int {
	p.t.Helper()
	return len(p.Texts(selector))
}

// ScrollWidth is the document's width in CSS pixels: wider than the
// viewport means the page scrolls sideways.
func (p *Page) ScrollWidth() int {
	p.t.Helper()
	return eval[int](p, `document.documentElement.scrollWidth`)
}

// Eval evaluates a JavaScript expression through DevTools (not subject to
// the page's CSP) and returns its JSON value decoded into T.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	return eval[T](p, expr)
}

func eval[T any](p *Page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Navigate loads another URL in the same tab (the request log goes on).
func (p *Page) Navigate(pageURL string) {
	p.t.Helper()
	p.run("load "+pageURL, chromedp.Navigate(pageURL))
}

// Close closes the tab.
func (p *Page) Close() { p.cancel() }

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return `"` + r.Replace(s) + `"`
}
