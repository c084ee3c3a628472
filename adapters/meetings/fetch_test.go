package meetings_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"chiso/adapters/httpx"
	wire "chiso/adapters/meetings"
	"chiso/adapters/meetings/meetingssim"
)

// Conditional GET against the simulator over real loopback HTTP: the
// first read returns the feed with its validators, the second a 304, a
// changed feed a 200 again.
func TestFetchConditional(t *testing.T) {
	sim := meetingssim.New(meetingssim.Options{Seed: 1, Username: "vanphong", Password: "s3cret"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ctx := context.Background()
	url := srv.URL + "/ical/000.25.31.H99.ics"
	cl, err := wire.NewClient(wire.ClientOptions{URL: url, Username: "vanphong", Password: "s3cret", Retry: httpx.Retry{Max: 1}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := cl.Fetch(ctx, wire.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || !bytes.HasPrefix(first.Body, []byte("BEGIN:VCALENDAR")) {
		t.Fatalf("first fetch: not modified %v, body starts %q", first.NotModified, first.Body[:min(20, len(first.Body))])
	}
	if first.Validators.ETag == "" || first.Validators.LastModified == "" {
		t.Fatalf("validators missing: %+v", first.Validators)
	}
	second, err := cl.Fetch(ctx, first.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || len(second.Body) != 0 {
		t.Fatalf("second fetch: want 304 without body, got not-modified=%v and %d bytes", second.NotModified, len(second.Body))
	}
	if n := sim.Hits(http.StatusNotModified); n != 1 {
		t.Errorf("server answered %d times 304, want 1", n)
	}
	changed := bytes.Replace(first.Body, []byte("Giao ban đầu tuần UBND xã"), []byte("Giao ban đầu tuần (đổi tên)"), 1)
	sim.SetFeed("000.25.31.H99", changed)
	third, err := cl.Fetch(ctx, first.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if third.NotModified || !bytes.Equal(third.Body, changed) || third.Validators.ETag == first.Validators.ETag {
		t.Fatalf("after a change: not-modified=%v, same body %v, etag %s", third.NotModified, bytes.Equal(third.Body, changed), third.Validators.ETag)
	}
}

func TestFetchErrors(t *testing.T) {
	sim := meetingssim.New(meetingssim.Options{Seed: 1, Username: "vanphong", Password: "s3cret"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cases := []struct {
		url, user, pass, want string
	}{
		{srv.URL + "/ical/000.25.31.H99.ics", "vanphong", "wrong", "401 Unauthorized: check username/password"},
		{srv.URL + "/ical/999.99.99.H99.ics", "vanphong", "s3cret", "404 Not Found"},
	}
	for _, c := range cases {
		cl, err := wire.NewClient(wire.ClientOptions{URL: c.url, Username: c.user, Password: c.pass, Retry: httpx.Retry{Max: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Fetch(context.Background(), wire.Validators{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.pass) {
			t.Errorf("%s: error %v, want %q and no password", c.url, err, c.want)
		}
	}
	for _, bad := range []string{"ftp://x/y.ics", "lich.ics", "https:///x.ics"} {
		if _, err := wire.NewClient(wire.ClientOptions{URL: bad}); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
