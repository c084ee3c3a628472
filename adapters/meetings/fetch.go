package meetings

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"

	"chiso/adapters/httpx"
)

// MaxFeedBytes bounds a feed's size: a commune calendar of several years
// is well under a megabyte; anything near this limit is not a calendar.
const MaxFeedBytes = 32 << 20

// Validators are the cache validators of the last feed read.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// FetchResult is the answer to a conditional GET.
type FetchResult struct {
	NotModified bool // 304: the feed has not changed since Validators
	Body        []byte
	Validators  Validators // of this response (the old ones on 304)
}

// Client fetches one iCalendar URL.
type Client struct {
	url      string // as requested, credentials included
	shown    string // for messages: credentials redacted
	username string
	password string
	http     *resty.Client
}

// ClientOptions configure a Client.
type ClientOptions struct {
	URL      string
	Username string // basic auth, optional
	Password string
	TLS      *tls.Config
	Timeout  time.Duration // per attempt; default 60s
	Retry    httpx.Retry
}

// NewClient checks the URL and builds a client. No error, and no message
// of the client, holds a credential of the URL (user:password@, token
// parameters) or the basic-auth password.
func NewClient(o ClientOptions) (*Client, error) {
	shown := httpx.RedactURL(o.URL)
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %q is not a URL: %s", shown, httpx.RedactIn(err.Error(), o.URL, o.Password))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url: %q: the scheme must be http or https (webcal:// feeds are https://)", shown)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url: %q has no host", shown)
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	hc := httpx.NewClient(o.TLS, o.Timeout, o.Retry)
	hc.SetResponseBodyLimit(MaxFeedBytes)
	return &Client{url: u.String(), shown: httpx.RedactURL(u.String()), username: o.Username, password: o.Password, http: hc}, nil
}

// URL is the feed address, credentials redacted.
func (c *Client) URL() string { return c.shown }

// errorf builds an error naming the feed, scrubbed of its credentials
// (%w keeps the cause reachable, e.g. context.DeadlineExceeded).
func (c *Client) errorf(format string, args ...any) error {
	return httpx.RedactErr(fmt.Errorf("ical: GET %s: "+format, append([]any{c.shown}, args...)...), c.url, c.password)
}

// Fetch GETs the feed, conditionally when v carries validators. A 304 is a
// NotModified result without a body.
func (c *Client) Fetch(ctx context.Context, v Validators) (FetchResult, error) {
	req := c.http.R().SetContext(ctx).SetHeader("Accept", "text/calendar, */*;q=0.5")
	if c.username != "" || c.password != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	if v.ETag != "" {
		req.SetHeader("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.SetHeader("If-Modified-Since", v.LastModified)
	}
	resp, err := req.Get(c.url)
	if err != nil {
		if errors.Is(err, resty.ErrResponseBodyTooLarge) {
			return FetchResult{}, c.errorf("the feed is larger than %d bytes", MaxFeedBytes)
		}
		return FetchResult{}, c.errorf("%w", err)
	}
	switch code := resp.StatusCode(); {
	case code == http.StatusNotModified:
		return FetchResult{NotModified: true, Validators: v}, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return FetchResult{}, c.errorf("%s: check username/password", resp.Status())
	case code != http.StatusOK:
		return FetchResult{}, c.errorf("%s", resp.Status())
	}
	return FetchResult{
		Body: resp.Body(),
		Validators: Validators{
			ETag:         resp.Header().Get("ETag"),
			LastModified: resp.Header().Get("Last-Modified"),
		},
	}, nil
}

// Check fetches the feed once, unconditionally, and discards it, so that
// an admin can test the URL and credentials.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.Fetch(ctx, Validators{})
	return err
}
