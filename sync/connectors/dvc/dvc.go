// Package dvc is the `type: dvc` connector (pull from a portal API, dvc.md
// §2.1) and the dossier push receiver of `chiso run` (§2.2). Both map
// records with mapping/dossiers and write them in batches; a record that
// cannot be read goes to rejects with its raw bytes and a reason naming
// MaHoSo and the field.
//
// Throughput: BenchmarkPull pulls a generated province-year from the
// simulator into an embedded warehouse and reports dossiers/s, the peak Go
// heap and the CPU per dossier of this process and of PostgreSQL (the
// simulator's share included). `make bench` runs it at the default size;
// for a province-year:
//
//	DVC_BENCH_N=1000000 go test ./sync/connectors/dvc -run '^$' -bench Pull -benchtime 1x -benchmem -timeout 60m
//
// (DVC_BENCH_PAGE sets page_size, default 1000; DVC_BENCH_STEPS sets fetch_steps.)
package dvc

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	wire "chiso/adapters/dvc"
	"chiso/adapters/httpx"
	"chiso/adapters/vntime"
	"chiso/mapping/dossiers"
	"chiso/sync/connector"
	"chiso/sync/secret"
)

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

// Connector is the dvc pull connector; its fields are the type-specific keys.
type Connector struct {
	Endpoint string       `yaml:"endpoint"`
	Username secret.Value `yaml:"username"`
	Password secret.Value `yaml:"password"`
	MaDonVi  string       `yaml:"madonvi"`
	Unit     string       `yaml:"unit"`
	// ByCode puts each record in the unit its codes name (MaHoSo's agency
	// code, else DonViXuLy; dossiers.UnitByCode), which must be Unit or
	// under it: a provincial portal covering many communes. A record whose
	// codes name no unit of the tree is rejected.
	ByCode         bool           `yaml:"by_code"`
	PageSize       int            `yaml:"page_size"`
	Overlap        connector.Span `yaml:"overlap"`
	Start          string         `yaml:"start"`
	Chunk          connector.Span `yaml:"chunk"`
	FetchSteps     string         `yaml:"fetch_steps"`
	RequestTimeout time.Duration  `yaml:"request_timeout"`
	TLS            httpx.TLS      `yaml:"tls"`
	Retry          httpx.Retry    `yaml:"retry"`

	env    connector.Env
	client *wire.Client
	start  time.Time
	now    func() time.Time
	log    *slog.Logger
}

func init() {
	connector.Register(connector.Type{
		Name:            "dvc",
		Title:           "Cổng dịch vụ công / hệ thống một cửa (`dvc`)",
		About:           "Lấy hồ sơ thủ tục hành chính theo khoảng thời gian cập nhật (có phần chồng lấn vì cổng còn cập nhật hồ sơ sau khi tiếp nhận). Không lưu thông tin cá nhân (họ tên, số giấy tờ, số điện thoại, trích yếu), kể cả trong bảng `rejects`: xem docs/du-lieu-ca-nhan.md. Ngoài cách lấy này, `chiso run` còn nhận dữ liệu đẩy tới `POST /dvc/DongBoHoSoMC` khi đặt `http.push_token`.",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 15m",
		New:             func() connector.Connector { return New() },
	})
	connector.Register(connector.Type{
		Name:     PushConnector,
		Title:    "Nhận hồ sơ do cổng đẩy tới (`dvc-push`)",
		About:    "Cổng dịch vụ công đẩy hồ sơ tới `POST /dvc/DongBoHoSoMC` và tiến độ xử lý tới `POST /dvc/CapNhatTienDoHoSoMC` của `chiso run`, kèm `Authorization: Bearer <push_token>`. Bộ nhận bật khi đặt `http.push_token` (không khai trong `connectors:`, không chạy theo lịch); hồ sơ thuộc đơn vị `org.self` (với `push_by_code: true`: đơn vị dưới `org.self` mà mã cơ quan của hồ sơ chỉ ra, như `by_code` của `dvc`; tiến độ xử lý theo mã cơ quan ở đầu `MaHoSo`). Mỗi lô là một lần chạy của `dvc-push`, hiện trong `chiso status` như các connector khác. Quy tắc như `dvc`: không lưu thông tin cá nhân (docs/du-lieu-ca-nhan.md); giới hạn kích thước và lô bận: xem docs/van-hanh.md.",
		Sample:   PushSampleConfig,
		Receiver: true,
		New:      func() connector.Connector { return NewPushHandler(nil, secret.Value{}, "", nil) },
	})
}

// PushSampleConfig documents the keys of the push receiver (push_sample.yaml).
//
//go:embed push_sample.yaml
var PushSampleConfig string

// New returns a connector with the defaults set.
func New() *Connector {
	return &Connector{PageSize: 100, Overlap: connector.Span(48 * time.Hour), Chunk: connector.Span(30 * 24 * time.Hour),
		FetchSteps: "needed", RequestTimeout: 30 * time.Second, now: time.Now, log: slog.Default()}
}

// Validate checks the keys without touching the network, and builds the
// client (TLS material is loaded and checked here).
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, connector.Errf("endpoint", "required: the base URL of the portal API"))
	} else if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, connector.Errf("endpoint", "%q is not an http(s) URL", httpx.RedactURL(c.Endpoint)))
	}
	if !c.Username.IsSet() {
		errs = append(errs, connector.Errf("username", "required"))
	}
	if !c.Password.IsSet() {
		errs = append(errs, connector.Errf("password", "required (use ${ENV} or file:/path)"))
	}
	if strings.TrimSpace(c.MaDonVi) == "" {
		errs = append(errs, connector.Errf("madonvi", "required: the unit code the portal filters on"))
	}
	unit, err := connector.OurUnit(env, c.Unit)
	c.Unit = unit
	if err != nil {
		errs = append(errs, err)
	}
	if err := connector.CheckByCode(env, c.ByCode); err != nil {
		errs = append(errs, err)
	}
	if c.PageSize < 1 || c.PageSize > 1000 {
		errs = append(errs, connector.Errf("page_size", "%d is not between 1 and 1000", c.PageSize))
	}
	if c.Chunk < connector.Span(time.Hour) {
		errs = append(errs, connector.Errf("chunk", "must be at least 1h"))
	}
	switch c.FetchSteps {
	case "needed", "always", "never":
	default:
		errs = append(errs, connector.Errf("fetch_steps", "%q is not needed, always or never", c.FetchSteps))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, connector.Errf("request_timeout", "must be positive"))
	}
	loc := env.Location
	if loc == nil {
		loc = vntime.Location
	}
	if c.Start != "" {
		t, err := time.ParseInLocation("2006-01-02", c.Start, loc)
		if err != nil {
			errs = append(errs, connector.Errf("start", "%q is not a date like 2025-01-01", c.Start))
		}
		c.start = t
	} else if !env.Baseline.IsZero() {
		// A first sync reaches the baseline year of the reports.
		c.start = env.Baseline.In(loc)
	} else {
		now := c.now().In(loc)
		c.start = time.Date(now.Year()-1, 1, 1, 0, 0, 0, 0, loc)
	}
	tlsCfg, err := c.TLS.Config()
	if err != nil {
		errs = append(errs, connector.Errf("tls", "%v", err))
	}
	if len(errs) == 0 {
		c.client = wire.NewClient(wire.Config{Endpoint: c.Endpoint, Username: c.Username.Reveal(), Password: c.Password.Reveal(),
			MaDonVi: strings.TrimSpace(c.MaDonVi), TLS: tlsCfg, Timeout: c.RequestTimeout, Retry: c.Retry, Logger: c.log})
	}
	c.env = env
	return errors.Join(errs...)
}

// SetEnv keeps the environment (and a backfill window) for Sync.
func (c *Connector) SetEnv(env connector.Env) { c.env = env }

// SetLogger sets the logger (default slog.Default()).
func (c *Connector) SetLogger(l *slog.Logger) { c.log = l }

// Check authenticates and reads one page of the last day; it writes nothing.
func (c *Connector) Check(ctx context.Context) (err error) {
	defer func() { err = httpx.RedactErr(err, c.Endpoint) }() // errors reach the terminal and logs
	if c.client == nil {
		return errors.New("dvc: not validated")
	}
	if err := c.client.Auth(ctx); err != nil {
		return err
	}
	now := c.now()
	_, err = c.client.List(ctx, wire.ListQuery{From: now.Add(-24 * time.Hour), To: now, Page: 1, Size: 1})
	return err
}

const stream = "updated"

// Sync pulls the dossiers updated since the checkpoint (minus the overlap),
// chunk by chunk; the checkpoint moves to a chunk's end when the chunk's
// dossiers commit. With a backfill window, it pulls the dossiers received
// in the window and leaves the checkpoint alone.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) (err error) {
	defer func() { err = httpx.RedactErr(err, c.Endpoint) }() // errors reach sync_runs.error and chiso status
	if c.client == nil {
		return errors.New("dvc: not validated")
	}
	name := c.env.Name
	if name == "" {
		name = "dvc"
	}
	w := NewWriter(sink, c.Unit, name, c.log)
	w.Lookup = c.client.Procedure
	if c.ByCode {
		w.RouteByCode(c.env.Org)
	}
	loc := c.loc()
	if win := c.env.Window; win != nil {
		f, t := win.From.In(loc), win.To.In(loc)
		from := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
		to := time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, loc)
		incomplete, err := c.pull(ctx, w, from, to, wire.ByReception)
		if err != nil {
			return err
		}
		if incomplete != "" {
			sink.Incomplete("dvc: " + incomplete + "; the backfill resumes at this window when run again")
		} else if err := c.covered(ctx, sink, from, to); err != nil {
			return err
		}
		return w.Commit(ctx)
	}
	from := c.start
	resume := "the next run starts again from " + from.Format(time.DateOnly) + " (no checkpoint yet)"
	if cp, ok, err := sink.Checkpoint(ctx, stream); err != nil {
		return err
	} else if ok {
		t, err := time.Parse(time.RFC3339, cp)
		if err != nil {
			return fmt.Errorf("dvc: checkpoint %q: %w", cp, err)
		}
		from = t.Add(-time.Duration(c.Overlap))
		resume = "the checkpoint stays at " + cp + " and the next run reads from there"
	}
	end := c.now().Truncate(time.Second)
	for a := from; a.Before(end); {
		b := a.Add(time.Duration(c.Chunk))
		if b.After(end) {
			b = end
		}
		incomplete, err := c.pull(ctx, w, a, b, wire.ByUpdate)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("%w; %s", err, resume)
		}
		if incomplete != "" {
			// Keep what was read; the checkpoint stays before the window,
			// so the next run reads it again (and what follows it).
			sink.Incomplete("dvc: " + incomplete + "; " + resume)
			return w.Commit(ctx)
		}
		if err := sink.SetCheckpoint(ctx, stream, b.Format(time.RFC3339)); err != nil {
			return err
		}
		if err := c.covered(ctx, sink, a, b); err != nil {
			return err
		}
		if err := w.Commit(ctx); err != nil {
			return err
		}
		c.log.Debug("dvc: window done", "connector", name, "from", a, "to", b, "written", w.Written, "rejected", w.Rejected)
		resume = "the checkpoint stays at " + b.Format(time.RFC3339) + " and the next run reads from there"
		a = b
	}
	return nil
}

// covered records a window read whole in the connector's coverage
// (connector.CoverageStream, committed with the window's data), so that
// chiso status can say whether the reads reach the baseline year.
func (c *Connector) covered(ctx context.Context, sink connector.Sink, from, to time.Time) error {
	return connector.RecordCoverage(ctx, sink, from, to)
}

func (c *Connector) loc() *time.Location {
	if c.env.Location != nil {
		return c.env.Location
	}
	return vntime.Location
}

// pull reads every page of one window in a three-stage pipeline: one
// goroutine fetches pages, one maps them (and fetches the steps they need),
// and the caller writes them, so the portal, the mapping and the warehouse
// work at the same time with at most a few pages in memory. If the window's
// total changes while paging (dossiers updated meanwhile shift the pages),
// it reads the window again: upserts converge, and no dossier is skipped.
// incomplete is non-empty when the portal did not serve the whole window
// (fewer records than it announced): what was read is stored, and the
// caller must not move the checkpoint past the window.
func (c *Connector) pull(ctx context.Context, w *Writer, from, to time.Time, kind string) (incomplete string, err error) {
	span := from.Format(time.DateTime) + ".." + to.Format(time.DateTime)
	for attempt := 0; attempt < 4; attempt++ {
		changed, incomplete, err := c.pullOnce(ctx, w, from, to, kind, span)
		if err != nil || !changed {
			return incomplete, err
		}
		c.log.Info("dvc: window changed while paging, reading it again", "window", span)
	}
	return "", fmt.Errorf("dvc: %s kept changing while paging", span)
}

type fetched struct {
	page, total int
	records     []json.RawMessage
	items       []item
	// short says why paging stopped before the portal's total ("" when
	// the window was read whole or this is not its last page).
	short string
	err   error
}

// pager walks the pages of one window by what the portal says of them:
// the total (tongSo) decides when the window is done, not the length of a
// page; a portal that serves fewer records per page than asked (a page
// cap) is asked for pages of the size it serves, so that page numbers mean
// the same records whichever way the portal counts them; and a page that
// comes back shorter than it should (empty in the middle) is asked again
// before the window is declared incomplete.
type pager struct {
	c                *Connector
	from, to         time.Time
	kind, span       string
	size, read, page int
}

// next fetches the next page; done is true when the window is read whole
// or cannot be (short is then the reason).
func (p *pager) next(ctx context.Context) (f fetched, done bool) {
	retry := p.c.Retry.WithDefaults()
	for try := 0; ; try++ {
		pg, err := p.c.client.List(ctx, wire.ListQuery{From: p.from, To: p.to, DateKind: p.kind, Page: p.page, Size: p.size})
		if err != nil {
			return fetched{page: p.page, err: fmt.Errorf("dvc: %s page %d: %w", p.span, p.page, err)}, true
		}
		n := len(pg.Records)
		f = fetched{page: p.page, total: pg.Total, records: pg.Records}
		if p.page == 1 && n > 0 && n < p.size && (!pg.HasTotal || n < pg.Total) {
			// The portal caps its pages (it may say so in soLuong): ask
			// for pages of the size it serves from now on.
			served := n
			if pg.Size > 0 && pg.Size < p.size {
				served = pg.Size
			}
			p.c.log.Info("dvc: the portal serves smaller pages than asked; paging by its size",
				"window", p.span, "asked", p.size, "served", served)
			p.size = served
		}
		short, last := p.judge(pg, n)
		if short == "" || try >= retry.Max {
			p.read += n
			p.page++
			if short != "" {
				f.short = fmt.Sprintf("%s (asked %d times)", short, try+1)
				return f, true
			}
			return f, last
		}
		p.c.log.Warn("dvc: page shorter than the portal's total says; asking again", "window", p.span, "page", p.page, "got", n, "try", try+1)
		select {
		case <-ctx.Done():
			return fetched{page: p.page, err: ctx.Err()}, true
		case <-time.After(httpx.Backoff(retry.Backoff, try+1, 30*time.Second)):
		}
	}
}

// judge decides, from one page of n records, whether the window is done
// (last) or the page is short of what the portal announced (short: why).
func (p *pager) judge(pg wire.Page, n int) (short string, last bool) {
	got := p.read + n
	if !pg.HasTotal {
		// No total: only an empty page (or the announced page count) ends
		// the window.
		return "", n == 0 || pg.Pages > 0 && p.page >= pg.Pages
	}
	if got >= pg.Total {
		return "", true
	}
	if n < p.size {
		return fmt.Sprintf("page %d (size %d) held %d records while the portal announced %d in the window and %d were read before it",
			p.page, p.size, n, pg.Total, p.read), false
	}
	return "", false
}

func (c *Connector) pullOnce(ctx context.Context, w *Writer, from, to time.Time, kind, span string) (changed bool, incomplete string, err error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan fetched, 1)
	go func() {
		defer close(raw)
		pg := &pager{c: c, from: from, to: to, kind: kind, span: span, size: c.PageSize, page: 1}
		for {
			f, done := pg.next(pctx)
			select {
			case raw <- f:
			case <-pctx.Done():
				return
			}
			if done {
				return
			}
		}
	}()
	pages := make(chan fetched, 1)
	go func() {
		defer close(pages)
		for f := range raw {
			if f.err == nil {
				f.items, f.err = c.prepare(pctx, w, f.records)
				f.records = nil
			}
			select {
			case pages <- f:
			case <-pctx.Done():
				return
			}
			if f.err != nil {
				return
			}
		}
	}()
	total, read := -1, 0
	for f := range pages {
		if f.err != nil {
			return false, "", f.err
		}
		if total >= 0 && f.total != total {
			return true, "", nil
		}
		total = f.total
		read += len(f.items)
		w.Sink.Fetched(len(f.items))
		if err := c.store(ctx, w, f.items, fmt.Sprintf("pull %s %s, page %d", kind, span, f.page)); err != nil {
			return false, "", err
		}
		if f.short != "" {
			incomplete = fmt.Sprintf("window %s: read %d of the %d dossiers the portal announced: %s", span, read, total, f.short)
		}
		if f.page%20 == 0 {
			if err := w.Commit(ctx); err != nil {
				return false, "", err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return false, "", err
	}
	if incomplete == "" && read < total {
		incomplete = fmt.Sprintf("window %s: read %d of the %d dossiers the portal announced", span, read, total)
	}
	return false, incomplete, nil
}

// item is one record of a page, prepared for writing.
type item struct {
	raw   []byte
	rec   wire.Record
	opt   dossiers.Options // the record's unit (w.UnitOf) and lineage
	res   dossiers.Result
	err   error
	steps []wire.Step
}

// mapItem decodes, routes (w.UnitOf) and maps one record of a page.
func mapItem(w *Writer, raw []byte, opt dossiers.Options) item {
	it := item{raw: raw, opt: opt}
	if it.rec, it.err = wire.DecodeRecord(raw); it.err != nil {
		return it
	}
	if it.opt.Unit, it.err = w.UnitOf(it.rec); it.err != nil {
		return it
	}
	it.res, it.err = dossiers.MapRecord(it.rec, raw, it.opt)
	return it
}

// prepare maps one page without touching the warehouse. A record that does
// not map is fetched again alone (TraCuuHoSo) in case the page was damaged
// in transit; if it still does not map, it will be rejected. Steps are
// fetched (concurrently) for the records whose derived fields depend on them.
func (c *Connector) prepare(ctx context.Context, w *Writer, records []json.RawMessage) ([]item, error) {
	opt := dossiers.Options{Unit: c.Unit, Source: w.Source, SourceKey: "madonvi:" + strings.TrimSpace(c.MaDonVi)}
	items := make([]item, len(records))
	var need []int
	for i, raw := range records {
		it := &items[i]
		*it = mapItem(w, raw, opt)
		if it.err != nil {
			var fe *wire.FieldError
			if errors.As(it.err, &fe) && fe.MaHoSo != "" {
				again, lerr := c.client.Lookup(ctx, fe.MaHoSo)
				if lerr != nil && ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if lerr == nil && again != nil {
					// Read it as the list would have served it (without the
					// inline steps TraCuuHoSo adds), so that the outcome does
					// not depend on the fault.
					again = withoutMember(again, "QuaTrinhXuLy")
					if it2 := mapItem(w, again, opt); it2.err == nil {
						c.log.Info("dvc: record unreadable in the page but fine alone", "ma_ho_so", fe.MaHoSo, "first_error", it.err)
						*it = it2
					}
				}
			}
			if it.err != nil {
				continue
			}
		}
		if c.FetchSteps == "always" && len(it.rec.QuaTrinhXuLy) == 0 || c.FetchSteps == "needed" && dossiers.NeedsSteps(it.rec) {
			need = append(need, i)
		}
	}
	if len(need) > 0 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		sem := make(chan struct{}, 8)
		for _, i := range need {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				steps, err := c.client.Steps(ctx, items[i].rec.MaHoSo.String())
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				items[i].steps = steps
			}(i)
		}
		wg.Wait()
		if firstErr != nil {
			return nil, fmt.Errorf("dvc: steps: %w", firstErr)
		}
		for _, i := range need {
			if len(items[i].steps) == 0 {
				continue
			}
			o := items[i].opt
			o.Steps = items[i].steps
			res, err := dossiers.MapRecord(items[i].rec, items[i].raw, o)
			if err != nil {
				return nil, fmt.Errorf("dvc: %w", err) // cannot happen: the record mapped without steps
			}
			items[i].res = res
		}
	}
	return items, nil
}

// store writes a prepared page: dossiers, or rejects for those that
// failed; page says where the page is (the pull can be repeated: the
// portal keeps the original).
func (c *Connector) store(ctx context.Context, w *Writer, items []item, page string) error {
	for i, it := range items {
		if it.err != nil {
			loc := fmt.Sprintf("%s, record %d", page, i)
			if err := w.Reject(ctx, NewReject(it.raw, loc, "", false, fmt.Errorf("%s: %w", loc, it.err))); err != nil {
				return err
			}
			continue
		}
		if err := w.Add(ctx, it.res); err != nil {
			return err
		}
	}
	return nil
}

// withoutMember returns the JSON object raw without one member.
func withoutMember(raw []byte, key string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	if _, ok := m[key]; !ok {
		return raw
	}
	delete(m, key)
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return b
}
