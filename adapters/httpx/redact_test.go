package httpx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://vanphong:s3cret@lich.example.vn/a.ics", "https://vanphong:[redacted]@lich.example.vn/a.ics"},
		{"https://vp:p@ss w%rd@lich.example.vn/a.ics", "https://vp:[redacted]@lich.example.vn/a.ics"},
		{"https://lich.example.vn/a.ics?user=vp&token=abc123", "https://lich.example.vn/a.ics?user=vp&token=[redacted]"},
		{"https://calendar.google.com/calendar/ical/x%40gmail.com/private-0a1b2c3d/basic.ics", "https://calendar.google.com/calendar/ical/x%40gmail.com/private-[redacted]/basic.ics"},
		{"https://lich.example.vn/a@b.ics", "https://lich.example.vn/a@b.ics"},
		{"https://vp@lich.example.vn/a.ics", "https://vp@lich.example.vn/a.ics"},
	}
	for _, c := range cases {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactIn(t *testing.T) {
	raw := "https://vp:s3cr%20et@lich.example.vn/a.ics"
	msg := `Get "https://vp:s3cr%20et@lich.example.vn/a.ics": dial tcp; password "s3cr et" and s3cr%20et; basic auth hunter22`
	got := RedactIn(msg, raw, "hunter22")
	for _, leak := range []string{"s3cr", "hunter22"} {
		if strings.Contains(got, leak) {
			t.Errorf("%q still holds %q", got, leak)
		}
	}
	if !strings.Contains(got, "https://vp:[redacted]@lich.example.vn/a.ics") {
		t.Errorf("the redacted URL is missing: %q", got)
	}
}

// RedactErr keeps an error with nothing to scrub as it is (callers may
// compare it), and hides the credential of one that has some while
// errors.Is still reaches the cause.
func TestRedactErrKeepsCleanErrors(t *testing.T) {
	clean := errors.New("vxp: getEdoc: HTTP 503")
	if got := RedactErr(clean, "https://axis.example/vxp?token=abc123"); got != clean {
		t.Errorf("clean error wrapped: %v", got)
	}
	dirty := fmt.Errorf("GET https://u:pw-secret@axis.example/vxp: %w", context.DeadlineExceeded)
	got := RedactErr(dirty, "https://u:pw-secret@axis.example/vxp")
	if strings.Contains(got.Error(), "pw-secret") || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("RedactErr = %v", got)
	}
}
