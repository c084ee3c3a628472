package dvc

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"chiso/adapters/httpx"
	"chiso/adapters/vntime"

	"github.com/go-resty/resty/v2"
)

// TimeLayout is the wire date form: yyyyMMddHHmmss in Vietnam time.
const TimeLayout = "20060102150405"

// Services of the pull API (dvc.md §2.1).
const (
	ServiceList      = "LayDanhSachHoSo"
	ServiceLookup    = "TraCuuHoSo"
	ServiceSteps     = "LayTienDoHoSo"
	ServiceProcedure = "LayThuTuc"
)

// Date kinds of LayDanhSachHoSo.
const (
	ByUpdate    = "NgayCapNhat"
	ByReception = "NgayTiepNhan"
)

// Config configures a Client.
type Config struct {
	Endpoint string // base URL; /auth and /share are appended
	Username string
	Password string // revealed by the caller only to build the client
	MaDonVi  string // unit code sent with LayDanhSachHoSo
	TLS      *tls.Config
	Timeout  time.Duration // per attempt; default 30s
	Retry    httpx.Retry
	Logger   *slog.Logger
}

// Client is the pull client of the portal API. It keeps one session and
// re-authenticates once when the portal answers error_code 401.
type Client struct {
	cfg     Config
	rc      *resty.Client
	log     *slog.Logger
	mu      sync.Mutex
	session string
}

// APIError is an answer with a non-zero error_code.
type APIError struct {
	Service string
	Code    int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("dvc: %s: error_code %d: %s", e.Service, e.Code, e.Message)
}

// NewClient builds a client; nothing is sent until the first call.
func NewClient(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	cfg.Retry = cfg.Retry.WithDefaults()
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	rc := httpx.NewClient(cfg.TLS, cfg.Timeout, cfg.Retry)
	rc.SetHeader("Content-Type", "application/json")
	rc.SetLogger(restyLog{l: log, url: cfg.Endpoint})
	return &Client{cfg: cfg, rc: rc, log: log}
}

// restyLog routes resty's own messages (retries) to slog at debug level,
// with the endpoint's credentials redacted (resty prints request URLs).
type restyLog struct {
	l   *slog.Logger
	url string
}

func (r restyLog) Errorf(format string, v ...any) { r.debug(format, v...) }
func (r restyLog) Warnf(format string, v ...any)  { r.debug(format, v...) }
func (r restyLog) Debugf(format string, v ...any) { r.debug(format, v...) }
func (r restyLog) debug(format string, v ...any) {
	r.l.Debug("dvc: http: " + httpx.RedactIn(fmt.Sprintf(format, v...), r.url))
}

// response is the answer envelope {"error_code","message","tongSo","result","session"}.
type response struct {
	Code     int
	HasCode  bool
	Message  string
	Total    int
	HasTotal bool
	Size     int // soLuong as the portal served it (0: not said)
	Pages    int // tongSoTrang (0: not said)
	Session  string
	Result   []json.RawMessage // the result array (an object result is one item)
}

// parseResponse decodes the envelope. A valid answer whose result is an
// array (every list page) is split in one pass, its items sub-slices of
// body; anything else takes the general decoder, which also words the error
// of an answer that is not valid JSON.
func parseResponse(body []byte) (response, error) {
	if json.Valid(body) {
		if r, ok := splitResponse(body); ok {
			return r, nil
		}
	}
	return decodeResponse(body)
}

// splitResponse reads a valid JSON answer; ok is false when it is not an
// object with an array (or null, or no) result.
func splitResponse(b []byte) (r response, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return r, false
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		ks := i
		i = skipValue(b, i) // the key
		key := b[ks+1 : i-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(b[ks:i], &k) != nil {
				return r, false
			}
			key = []byte(k)
		}
		i = skipSpace(b, i)
		i = skipSpace(b, i+1) // ':'
		vs := i
		i = skipValue(b, i)
		v := b[vs:i]
		switch string(key) {
		case "result":
			switch v[0] {
			case '[':
				j := skipSpace(v, 1)
				for j < len(v)-1 {
					es := j
					j = skipValue(v, j)
					r.Result = append(r.Result, json.RawMessage(v[es:j:j]))
					j = skipSpace(v, j)
					if v[j] == ',' {
						j = skipSpace(v, j+1)
					}
				}
			case 'n':
			default:
				return r, false
			}
		default:
			r.setField(string(key), v)
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return r, true
}

// setField keeps a top-level member of an answer other than result (both
// readers of an answer, splitResponse and decodeResponse, use it); unknown
// members are ignored.
func (r *response) setField(key string, v []byte) {
	switch key {
	case "error_code", "errorCode":
		r.Code, r.HasCode = code(v)
	case "message":
		r.Message = scalarText(v)
	case "tongSo":
		r.Total, r.HasTotal = code(v)
	case "soLuong":
		r.Size, _ = code(v)
	case "tongSoTrang":
		r.Pages, _ = code(v)
	case "session":
		r.Session = scalarText(v)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the value starting at b[i]; b is valid JSON.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// decodeResponse decodes the envelope, streaming over result[] item by item.
func decodeResponse(body []byte) (response, error) {
	var r response
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return r, fmt.Errorf("answer: %s", shortErr(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return r, errors.New("answer: not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return r, fmt.Errorf("answer: %s", shortErr(err))
		}
		key, _ := t.(string)
		if key == "result" {
			t, err := dec.Token()
			if err != nil {
				return r, fmt.Errorf("answer: result: %s", shortErr(err))
			}
			switch t {
			case json.Delim('['):
				for i := 0; dec.More(); i++ {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return r, fmt.Errorf("answer: result[%d]: %s", i, shortErr(err))
					}
					r.Result = append(r.Result, raw)
				}
				if _, err := dec.Token(); err != nil {
					return r, fmt.Errorf("answer: result: %s", shortErr(err))
				}
			case json.Delim('{'):
				// One object: re-read it whole from its start.
				var rest map[string]json.RawMessage
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return r, fmt.Errorf("answer: result: %s", shortErr(err))
					}
					var v json.RawMessage
					if err := dec.Decode(&v); err != nil {
						return r, fmt.Errorf("answer: result: %s", shortErr(err))
					}
					if rest == nil {
						rest = map[string]json.RawMessage{}
					}
					rest[fmt.Sprint(kt)] = v
				}
				if _, err := dec.Token(); err != nil {
					return r, fmt.Errorf("answer: result: %s", shortErr(err))
				}
				b, _ := json.Marshal(rest)
				r.Result = []json.RawMessage{b}
			case nil:
			default:
				return r, errors.New("answer: result: expected an array or an object")
			}
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return r, fmt.Errorf("answer: %s: %s", key, shortErr(err))
		}
		r.setField(key, v)
	}
	if _, err := dec.Token(); err != nil {
		return r, fmt.Errorf("answer: %s", shortErr(err))
	}
	return r, nil
}

// post sends body to path and parses the answer. Network errors, timeouts
// and 5xx are retried by resty; an answer that is cut or not JSON (a proxy
// dropping the connection mid-body) is retried here the same number of times.
func (c *Client) post(ctx context.Context, path string, body any) (response, error) {
	var lastErr error
	for attempt := 0; attempt <= c.cfg.Retry.Max; attempt++ {
		if attempt > 0 {
			wait := httpx.Backoff(c.cfg.Retry.Backoff, attempt, 30*time.Second)
			select {
			case <-ctx.Done():
				return response{}, ctx.Err()
			case <-time.After(wait):
			}
		}
		resp, err := c.rc.R().SetContext(ctx).SetBody(body).Post(c.cfg.Endpoint + path)
		if err != nil {
			if ctx.Err() != nil {
				return response{}, ctx.Err()
			}
			return response{}, httpx.RedactErr(fmt.Errorf("dvc: POST %s: %w", path, err), c.cfg.Endpoint)
		}
		if resp.StatusCode() >= 500 {
			return response{}, fmt.Errorf("dvc: POST %s: HTTP %d after %d retries", path, resp.StatusCode(), c.cfg.Retry.Max)
		}
		r, perr := parseResponse(resp.Body())
		if resp.StatusCode() == http.StatusUnauthorized || resp.StatusCode() == http.StatusForbidden {
			if perr != nil || !r.HasCode || r.Code == 0 {
				r = response{Code: 401, HasCode: true, Message: resp.Status()}
			}
			return r, nil
		}
		if resp.StatusCode() >= 300 {
			msg := resp.Status()
			if perr == nil && r.Message != "" {
				msg += ": " + r.Message
			}
			return response{}, fmt.Errorf("dvc: POST %s: %s", path, msg)
		}
		if perr != nil {
			lastErr = fmt.Errorf("dvc: POST %s: %w", path, perr)
			c.log.Warn("dvc: unreadable answer, retrying", "path", path, "attempt", attempt+1, "err", perr)
			continue
		}
		return r, nil
	}
	return response{}, lastErr
}

// Auth opens a session.
func (c *Client) Auth(ctx context.Context) error {
	r, err := c.post(ctx, "/auth", map[string]string{"username": c.cfg.Username, "password": c.cfg.Password})
	if err != nil {
		return err
	}
	if r.Code != 0 {
		return &APIError{Service: "auth", Code: r.Code, Message: r.Message}
	}
	if r.Session == "" {
		return errors.New("dvc: auth: the answer carries no session")
	}
	c.mu.Lock()
	c.session = r.Session
	c.mu.Unlock()
	return nil
}

// share calls one service with the session, authenticating first when
// needed and once more when the session has expired (error_code 401).
func (c *Client) share(ctx context.Context, service string, args map[string]any) (response, error) {
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		sess := c.session
		c.mu.Unlock()
		if sess == "" {
			if err := c.Auth(ctx); err != nil {
				return response{}, err
			}
			c.mu.Lock()
			sess = c.session
			c.mu.Unlock()
		}
		body := map[string]any{"session": sess, "service": service}
		for k, v := range args {
			body[k] = v
		}
		r, err := c.post(ctx, "/share", body)
		if err != nil {
			return response{}, fmt.Errorf("%s: %w", service, err)
		}
		if r.Code == 401 && attempt == 0 {
			c.log.Info("dvc: session expired, authenticating again")
			c.mu.Lock()
			if c.session == sess {
				c.session = ""
			}
			c.mu.Unlock()
			continue
		}
		if r.Code != 0 {
			return response{}, &APIError{Service: service, Code: r.Code, Message: r.Message}
		}
		return r, nil
	}
}

// ListQuery selects one page of LayDanhSachHoSo.
type ListQuery struct {
	From, To time.Time // inclusive
	DateKind string    // ByUpdate (default) or ByReception
	Page     int       // 1-based
	Size     int
}

// Page is one page of dossiers: raw records, and what the portal says of
// the window and its paging.
type Page struct {
	Total    int  // tongSo: dossiers in the window
	HasTotal bool // the answer carried tongSo
	Size     int  // soLuong of the answer when the portal says it (it may cap the one asked); 0: not said
	Pages    int  // tongSoTrang when the portal says it; 0: not said
	Records  []json.RawMessage
}

// List fetches one page of dossiers.
func (c *Client) List(ctx context.Context, q ListQuery) (Page, error) {
	if q.DateKind == "" {
		q.DateKind = ByUpdate
	}
	r, err := c.share(ctx, ServiceList, map[string]any{
		"madonvi": c.cfg.MaDonVi, "tuNgay": q.From.In(vntime.Location).Format(TimeLayout), "denNgay": q.To.In(vntime.Location).Format(TimeLayout),
		"loaiNgay": q.DateKind, "trang": q.Page, "soLuong": q.Size,
	})
	if err != nil {
		return Page{}, err
	}
	return Page{Total: r.Total, HasTotal: r.HasTotal, Size: r.Size, Pages: r.Pages, Records: r.Result}, nil
}

// Lookup fetches one dossier by its code (TraCuuHoSo); nil when unknown.
func (c *Client) Lookup(ctx context.Context, maHoSo string) (json.RawMessage, error) {
	r, err := c.share(ctx, ServiceLookup, map[string]any{"mahoso": maHoSo})
	if err != nil {
		return nil, err
	}
	if len(r.Result) == 0 {
		return nil, nil
	}
	return r.Result[0], nil
}

// Steps fetches the processing steps of a dossier (LayTienDoHoSo).
func (c *Client) Steps(ctx context.Context, maHoSo string) ([]Step, error) {
	r, err := c.share(ctx, ServiceSteps, map[string]any{"mahoso": maHoSo})
	if err != nil {
		return nil, err
	}
	steps := make([]Step, 0, len(r.Result))
	for _, raw := range r.Result {
		s, err := DecodeStep(raw)
		if err != nil {
			return nil, fmt.Errorf("dvc: %s: %w", ServiceSteps, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// Procedure is a catalogue entry as LayThuTuc returns it.
type Procedure struct {
	MaTTHC   Str `json:"MaTTHC"`
	TenTTHC  Str `json:"TenTTHC"`
	MucDo    Str `json:"MucDo"`    // toan_trinh | mot_phan | khong (also 4/3/2 of the older scale)
	CoKetQua Str `json:"CoKetQua"` // 1/0
	SoNgay   Str `json:"SoNgay"`   // legal maximum in working days
}

// Procedure fetches a catalogue entry (LayThuTuc); nil when unknown.
func (c *Client) Procedure(ctx context.Context, maTTHC string) (*Procedure, error) {
	r, err := c.share(ctx, ServiceProcedure, map[string]any{"maTTHC": maTTHC})
	if err != nil {
		return nil, err
	}
	if len(r.Result) == 0 {
		return nil, nil
	}
	var p Procedure
	if err := json.Unmarshal(r.Result[0], &p); err != nil {
		return nil, fmt.Errorf("dvc: %s %s: %s", ServiceProcedure, maTTHC, shortErr(err))
	}
	return &p, nil
}
