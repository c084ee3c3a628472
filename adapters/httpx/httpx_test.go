package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	for n := 1; n <= 8; n++ {
		for i := 0; i < 50; i++ {
			d := Backoff(100*time.Millisecond, n, 2*time.Second)
			full := min(100*time.Millisecond<<(n-1), 2*time.Second)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %v outside [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestTLSConfigErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		tls  TLS
		want string
	}{
		{TLS{CAFile: filepath.Join(dir, "missing.pem")}, "tls.ca_file"},
		{TLS{CAFile: notPEM}, "tls.ca_file: " + notPEM + " holds no PEM certificate"},
		{TLS{CertFile: notPEM}, "tls.cert_file: cert_file and key_file must be set together"},
		{TLS{CertFile: notPEM, KeyFile: notPEM}, "tls.cert_file"},
	} {
		if _, err := tc.tls.Config(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.tls, err, tc.want)
		}
	}
	if _, err := (TLS{}).Config(); err != nil {
		t.Errorf("empty TLS: %v", err)
	}
}

// 5xx is retried, 4xx is not: counted at a real server.
func TestRetryOnlyServerErrors(t *testing.T) {
	for _, tc := range []struct {
		status   int
		attempts int32
	}{{http.StatusServiceUnavailable, 3}, {http.StatusBadRequest, 1}, {http.StatusUnauthorized, 1}} {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			w.WriteHeader(tc.status)
		}))
		c := NewClient(nil, time.Second, Retry{Max: 2, Backoff: time.Millisecond})
		_, _ = c.R().Get(srv.URL)
		srv.Close()
		if hits.Load() != tc.attempts {
			t.Errorf("status %d: %d attempts, want %d", tc.status, hits.Load(), tc.attempts)
		}
	}
	if !Retryable(nil, errors.New("connection reset")) {
		t.Error("a network error is not retried")
	}
}
