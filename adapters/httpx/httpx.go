// Package httpx holds what the HTTP connectors share: TLS options that are
// validated when the config loads (resty only logs certificate errors), and
// a retry policy for network errors, timeouts and 5xx only.
package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/go-resty/resty/v2"
)

// TLS are the tls: keys of an HTTP connector.
type TLS struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Config loads and checks the files; an error names the key at fault
// ("tls.ca_file: ...").
func (t TLS) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in by the admin
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file: %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("tls.cert_file: cert_file and key_file must be set together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Retry are the retry: keys.
type Retry struct {
	Max     int           `yaml:"max"`     // attempts after the first; default 3
	Backoff time.Duration `yaml:"backoff"` // first wait; doubles each time; default 1s
}

// WithDefaults fills zero fields.
func (r Retry) WithDefaults() Retry {
	if r.Max == 0 {
		r.Max = 3
	}
	if r.Backoff == 0 {
		r.Backoff = time.Second
	}
	return r
}

// Retryable reports whether a response/error pair is worth another try:
// network errors, timeouts and 5xx. Never 4xx. (A custom resty condition
// replaces the default one, so err != nil must be checked here.)
func Retryable(resp *resty.Response, err error) bool {
	if err != nil {
		return true
	}
	return resp != nil && resp.StatusCode() >= 500
}

// Backoff returns the wait before attempt n (1-based): exponential with
// full jitter in [d/2, d], capped at max.
func Backoff(base time.Duration, n int, maxWait time.Duration) time.Duration {
	d := base << (n - 1)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// NewClient returns a resty client with the TLS config, per-attempt
// timeout and retry policy applied.
func NewClient(tlsCfg *tls.Config, attemptTimeout time.Duration, r Retry) *resty.Client {
	r = r.WithDefaults()
	c := resty.New().
		SetTLSClientConfig(tlsCfg).
		SetTimeout(attemptTimeout).
		SetRetryCount(r.Max).
		SetRetryWaitTime(r.Backoff).
		SetRetryMaxWaitTime(30 * time.Second).
		AddRetryCondition(Retryable).
		SetRetryAfter(func(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
			n := 1
			if resp != nil && resp.Request != nil {
				n = resp.Request.Attempt
			}
			return Backoff(r.Backoff, n, 30*time.Second), nil
		})
	c.SetHeader("User-Agent", "chiso")
	c.SetLogger(slogLogger{})
	if tr, ok := c.GetClient().Transport.(*http.Transport); ok {
		tr.MaxIdleConnsPerHost = 4
	}
	return c
}

// slogLogger routes resty's own messages to log/slog at debug level: the
// connectors report failures themselves, with their context.
type slogLogger struct{}

func (slogLogger) Errorf(format string, v ...any) {
	slog.Debug("http client: " + fmt.Sprintf(format, v...))
}
func (slogLogger) Warnf(format string, v ...any) {
	slog.Debug("http client: " + fmt.Sprintf(format, v...))
}
func (slogLogger) Debugf(format string, v ...any) {
	slog.Debug("http client: " + fmt.Sprintf(format, v...))
}
