// Package vxp is a client of the national document interconnection axis
// (trục liên thông văn bản quốc gia, VXP) as a connected system sees it
// (edxml.md §4): REST over HTTP(S), parameters in HMAC-signed headers, JSON
// answers {"status":"OK"|"FAIL","ErrorCode":…,"ErrorDesc":…}.
//
// Retries (network errors, timeouts, 5xx only) come from adapters/httpx. A
// FAIL "invalid signature" is an *AuthError and is never retried. getEdoc
// answers are decoded while they stream: the base64 package goes straight to
// an io.Writer, never into one string.
package vxp

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"chiso/adapters/httpx"
	"chiso/adapters/vntime"
)

// Operations of the axis.
const (
	OpSendEdoc            = "sendEdoc"
	OpGetReceivedEdocList = "getReceivedEdocList"
	OpGetSentEdocList     = "getSentEdocList"
	OpGetEdoc             = "getEdoc"
	OpUpdateStatus        = "updateStatus"
	OpGetAgenciesList     = "getAgenciesList"
)

// Message types and updateStatus values.
const (
	MessageEdoc   = "edoc"
	MessageStatus = "status"

	StatusDone       = "done"
	StatusFail       = "fail"
	StatusProcessing = "processing"

	// ServiceType is the servicetype header of document exchange.
	ServiceType = "eDoc"
)

// DateLayout is the layout of fromDate/toDate: dd/MM/yyyy HH:mm:ss.
const DateLayout = "02/01/2006 15:04:05"

// Config configures a Client.
type Config struct {
	Endpoint string // base URL; operations are {Endpoint}/{operation}
	SystemID string
	Secret   string      // the HMAC key; only sent as a MAC, never in clear
	TLS      *tls.Config // from httpx.TLS.Config(); nil: defaults
	// AttemptTimeout bounds one HTTP attempt, body included (default 2m).
	AttemptTimeout time.Duration
	Retry          httpx.Retry
	Logger         *slog.Logger
	Now            func() time.Time // default time.Now
}

// Client calls the axis.
type Client struct {
	cfg Config
	rc  *resty.Client
	log *slog.Logger
}

// New returns a Client. It checks the configuration, not the network.
func New(cfg Config) (*Client, error) {
	cfg.Endpoint = strings.TrimRight(strings.TrimSpace(cfg.Endpoint), "/")
	if cfg.Endpoint == "" {
		return nil, errors.New("vxp: endpoint is empty")
	}
	if cfg.SystemID == "" {
		return nil, errors.New("vxp: system_id is empty")
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TLS == nil {
		cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	rc := httpx.NewClient(cfg.TLS, cfg.AttemptTimeout, cfg.Retry)
	rc.SetLogger(restyLogger{l: cfg.Logger, url: cfg.Endpoint})
	maxRetries := cfg.Retry.WithDefaults().Max
	rc.AddRetryHook(func(resp *resty.Response, _ error) {
		// resty does not close the body of a raw (getEdoc) answer it
		// retries; the last one is returned to us and closed there.
		if resp != nil && resp.RawResponse != nil && resp.Request != nil && resp.Request.Attempt <= maxRetries {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.RawResponse.Body, 64<<10))
			_ = resp.RawResponse.Body.Close()
		}
	})
	rc.OnError(func(req *resty.Request, err error) {
		cfg.Logger.Debug("vxp: request failed", "url", httpx.RedactIn(req.URL, cfg.Endpoint), "attempt", req.Attempt, "err", httpx.RedactErr(err, cfg.Endpoint))
	})
	return &Client{cfg: cfg, rc: rc, log: cfg.Logger}, nil
}

// SystemID returns the configured system id.
func (c *Client) SystemID() string { return c.cfg.SystemID }

// AuthError is the axis refusing our signature: wrong secret or system_id.
type AuthError struct {
	SystemID string
	Op       string
	Desc     string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("vxp: %s: authentication failed for system_id %q: the axis answered %q; check system_id and secret", e.Op, e.SystemID, e.Desc)
}

// FailError is an answer with status FAIL (other than authentication).
type FailError struct {
	Op   string
	Code string
	Desc string
}

func (e *FailError) Error() string {
	return fmt.Sprintf("vxp: %s: the axis answered FAIL (ErrorCode %s): %s", e.Op, e.Code, e.Desc)
}

// HTTPError is an unexpected HTTP status (after retries for 5xx).
type HTTPError struct {
	Op     string
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("vxp: %s: HTTP %d: %s", e.Op, e.Status, e.Body)
}

// ErrTruncated reports a getEdoc body that ended early.
var ErrTruncated = errors.New("vxp: getEdoc answer truncated")

// result is the common part of every answer.
type result struct {
	Status    string `json:"status"`
	ErrorCode flex   `json:"ErrorCode"`
	ErrorDesc string `json:"ErrorDesc"`
}

func (c *Client) check(op string, r result) error {
	if strings.EqualFold(r.Status, "OK") {
		return nil
	}
	desc := strings.ToLower(r.ErrorDesc)
	if r.ErrorCode == "401" || strings.Contains(desc, "signature") || strings.Contains(desc, "unauthori") {
		return &AuthError{SystemID: c.cfg.SystemID, Op: op, Desc: r.ErrorDesc}
	}
	return &FailError{Op: op, Code: string(r.ErrorCode), Desc: r.ErrorDesc}
}

// flex accepts a JSON string, number or null as a string.
type flex string

func (f *flex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flex(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	*f = flex(strings.TrimSpace(string(b)))
	return nil
}

// flexList accepts a JSON array of strings, a string (a JSON array inside a
// string, or comma-separated codes) or null.
type flexList []string

func (f *flexList) UnmarshalJSON(b []byte) error {
	var a []string
	if err := json.Unmarshal(b, &a); err == nil {
		*f = a
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		*f = nil
		return nil
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &a) == nil {
		*f = a
		return nil
	}
	*f = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f = append(*f, p)
		}
	}
	return nil
}

// request sends op with signed params. The caller closes the raw body when raw is set.
func (c *Client) request(ctx context.Context, op string, params []Param, body []byte, raw bool) (*resty.Response, error) {
	r := c.rc.R().SetContext(ctx).SetDoNotParseResponse(raw)
	Sign(r.Header, []byte(c.cfg.Secret), SignParams(c.cfg.SystemID, c.cfg.Now(), params))
	if body != nil {
		r.SetHeader("Content-Type", "application/octet-stream").SetBody(body)
	}
	resp, err := r.Post(c.cfg.Endpoint + "/" + op)
	if err != nil {
		if resp != nil && raw && resp.RawBody() != nil {
			resp.RawBody().Close()
		}
		return nil, httpx.RedactErr(fmt.Errorf("vxp: %s %s: %w", op, httpx.RedactURL(c.cfg.Endpoint), err), c.cfg.Endpoint)
	}
	if resp.StatusCode() >= 300 {
		text := ""
		if raw {
			b, _ := io.ReadAll(io.LimitReader(resp.RawBody(), 512))
			resp.RawBody().Close()
			text = string(b)
		} else {
			text = string(resp.Body())
			if len(text) > 512 {
				text = text[:512]
			}
		}
		return nil, &HTTPError{Op: op, Status: resp.StatusCode(), Body: strings.TrimSpace(text)}
	}
	return resp, nil
}

// call sends op and decodes a small JSON answer into out (which embeds result).
func (c *Client) call(ctx context.Context, op string, params []Param, body []byte, out any, res *result) (empty bool, err error) {
	resp, err := c.request(ctx, op, params, body, false)
	if err != nil {
		return false, err
	}
	b := resp.Body()
	if len(strings.TrimSpace(string(b))) == 0 {
		return true, nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return true, fmt.Errorf("vxp: %s: unreadable answer: %w", op, err)
	}
	return false, c.check(op, *res)
}

// ReceivedItem is one pending package of getReceivedEdocList.
type ReceivedItem struct {
	DocID       string   `json:"docId"`
	ServiceType string   `json:"serviceType"`
	MessageType string   `json:"messageType"`
	CreatedTime string   `json:"created_time"`
	UpdatedTime string   `json:"updated_time"`
	From        string   `json:"from"`
	To          flexList `json:"to"`
	Status      flex     `json:"status"`
	StatusDesc  string   `json:"status_desc"`
}

// Created parses CreatedTime (dd/MM/yyyy HH:mm:ss, yyyy-MM-dd HH:mm:ss,
// RFC 3339 or epoch milliseconds; Vietnam time when no zone).
func (it ReceivedItem) Created() (time.Time, bool) { return ParseTime(it.CreatedTime) }

// ParseTime reads the axis' time fields.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []string{DateLayout, "2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(l, s, vntime.Location); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	var ms int64
	if _, err := fmt.Sscan(s, &ms); err == nil && ms > 1e11 {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}

// ReceivedList lists the packages waiting for us (getReceivedEdocList) of
// one message type, created in [from, to] when those are not zero. An empty
// or unreadable answer means nothing pending.
func (c *Client) ReceivedList(ctx context.Context, messageType string, from, to time.Time) ([]ReceivedItem, error) {
	params := []Param{{"servicetype", ServiceType}, {"messagetype", messageType}}
	if !from.IsZero() {
		params = append(params, Param{"fromDate", from.In(vntime.Location).Format(DateLayout)})
	}
	if !to.IsZero() {
		params = append(params, Param{"toDate", to.In(vntime.Location).Format(DateLayout)})
	}
	var out struct {
		result
		Data []ReceivedItem `json:"data"`
	}
	empty, err := c.call(ctx, OpGetReceivedEdocList, params, nil, &out, &out.result)
	if empty {
		if err != nil {
			c.log.Warn("vxp: unreadable getReceivedEdocList answer, taken as nothing pending", "err", err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// SentItem is one recipient's delivery state of a package we sent.
type SentItem struct {
	SenderDocID       string `json:"senderDocId"`
	ReceiverDocID     string `json:"receiverDocId"`
	FromCode          string `json:"fromCode"`
	ToCode            string `json:"toCode"`
	Title             string `json:"title"`
	Notation          string `json:"notation"`
	SentTime          string `json:"sentTime"`
	ReceivedTime      string `json:"receivedTime"`
	SendStatus        flex   `json:"sendStatus"`
	SendStatusDesc    string `json:"sendStatusDesc"`
	ReceiveStatus     flex   `json:"receiveStatus"`
	ReceiveStatusDesc string `json:"receiveStatusDesc"`
}

// SentList reports the delivery of a package we sent (getSentEdocList).
func (c *Client) SentList(ctx context.Context, messageType, docID string) ([]SentItem, error) {
	var out struct {
		result
		Data []SentItem `json:"data"`
	}
	empty, err := c.call(ctx, OpGetSentEdocList, []Param{{"servicetype", ServiceType}, {"messagetype", messageType}, {"docId", docID}}, nil, &out, &out.result)
	if empty && err == nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// UpdateStatus acknowledges a received package: done, fail or processing.
// Only a connector configured as the mailbox's consumer may call it.
func (c *Client) UpdateStatus(ctx context.Context, docID, status string) error {
	var out struct{ result }
	empty, err := c.call(ctx, OpUpdateStatus, []Param{{"docId", docID}, {"status", status}}, nil, &out, &out.result)
	if empty && err == nil {
		return fmt.Errorf("vxp: %s %s: empty answer", OpUpdateStatus, docID)
	}
	return err
}

// Agency is one entry of getAgenciesList.
type Agency struct {
	Code   string `json:"code"`
	PCode  string `json:"pcode"`
	Name   string `json:"name"`
	Mail   string `json:"mail"`
	Mobile string `json:"mobile"`
	Fax    string `json:"fax"`
}

// Agencies returns the directory of connected agencies (getAgenciesList).
func (c *Client) Agencies(ctx context.Context) ([]Agency, error) {
	var out struct {
		result
		Data []Agency `json:"data"`
	}
	empty, err := c.call(ctx, OpGetAgenciesList, nil, nil, &out, &out.result)
	if empty && err == nil {
		return nil, fmt.Errorf("vxp: %s: empty answer", OpGetAgenciesList)
	}
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// SendEdoc sends a package (sendEdoc) and returns the axis' DocId. Sending is
// not part of chiso's sync; it serves tools and tests.
func (c *Client) SendEdoc(ctx context.Context, from string, to []string, messageType string, body []byte) (string, error) {
	toJSON, _ := json.Marshal(to)
	params := []Param{{"from", from}, {"servicetype", ServiceType}, {"messagetype", messageType}, {"to", string(toJSON)}, {"hash-file", HashFile(body)}}
	var out struct {
		result
		DocID string `json:"DocId"`
	}
	empty, err := c.call(ctx, OpSendEdoc, params, body, &out, &out.result)
	if empty && err == nil {
		return "", fmt.Errorf("vxp: %s: empty answer", OpSendEdoc)
	}
	return out.DocID, err
}

// GetEdoc downloads one package (getEdoc) and writes the decoded .edxml
// bytes to w while they arrive. The HTTP request is retried (network, 5xx);
// a body that breaks off is ErrTruncated, and w then holds a partial
// package: see FetchEdoc for a retrying variant.
func (c *Client) GetEdoc(ctx context.Context, docID string, w io.Writer) (int64, error) {
	resp, err := c.request(ctx, OpGetEdoc, []Param{{"docId", docID}}, nil, true)
	if err != nil {
		return 0, err
	}
	body := resp.RawBody()
	defer body.Close()
	res, n, err := decodeEdoc(body, w)
	if err != nil {
		if ctx.Err() != nil {
			return n, fmt.Errorf("vxp: %s %s: %w", OpGetEdoc, docID, ctx.Err())
		}
		return n, fmt.Errorf("vxp: %s %s: %w", OpGetEdoc, docID, err)
	}
	if err := c.check(OpGetEdoc, res.result); err != nil {
		return n, err
	}
	if !res.hasData {
		return 0, &FailError{Op: OpGetEdoc, Code: string(res.ErrorCode), Desc: "answer without data for docId " + docID}
	}
	return n, nil
}

// FetchEdoc downloads one package into f (truncated first), retrying when
// the body breaks off midway, with the same backoff as other requests.
func (c *Client) FetchEdoc(ctx context.Context, docID string, f *os.File) (int64, error) {
	r := c.cfg.Retry.WithDefaults()
	for attempt := 1; ; attempt++ {
		if err := f.Truncate(0); err != nil {
			return 0, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		n, err := c.GetEdoc(ctx, docID, f)
		if err == nil || !bodyRetryable(err) || attempt > r.Max || ctx.Err() != nil {
			return n, err
		}
		wait := httpx.Backoff(r.Backoff, attempt, 30*time.Second)
		c.log.Warn("vxp: getEdoc body broke off, retrying", "docId", docID, "attempt", attempt, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return n, fmt.Errorf("vxp: %s %s: %w", OpGetEdoc, docID, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func bodyRetryable(err error) bool {
	var a *AuthError
	var fe *FailError
	var he *HTTPError
	if errors.As(err, &a) || errors.As(err, &fe) || errors.As(err, &he) {
		return false
	}
	return true
}

// IsAuth reports whether err is an authentication failure.
func IsAuth(err error) bool {
	var a *AuthError
	return errors.As(err, &a)
}

// restyLogger routes resty's messages to slog at debug level, with the
// endpoint's credentials redacted (resty prints request URLs).
type restyLogger struct {
	l   *slog.Logger
	url string
}

func (r restyLogger) Errorf(format string, v ...any) { r.debug(format, v...) }
func (r restyLogger) Warnf(format string, v ...any)  { r.debug(format, v...) }
func (r restyLogger) Debugf(format string, v ...any) { r.debug(format, v...) }
func (r restyLogger) debug(format string, v ...any) {
	r.l.Debug("resty: " + httpx.RedactIn(fmt.Sprintf(format, v...), r.url))
}
