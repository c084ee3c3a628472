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
	"chiso/mapping/dossiers"
	"chiso/sync/connector"
	"chiso/sync/secret"
)

// SampleConfig documents every key of the connector.
const SampleConfig = `
  - name: dvc-tinh
    type: dvc
    schedule: "@every 15m"
    endpoint: https://motcua.bacninh.gov.vn/api/dvc   # /auth and /share are appended
    username: ${CHISO_DVC_USER}
    password: ${CHISO_DVC_PASSWORD}
    madonvi: "000.25.31.H99"          # unit code the portal filters on
    unit: "000.25.31.H99"             # unit_code of the dossiers; default org.self
    page_size: 100                    # 1..1000
    overlap: 2d                       # each run re-reads this much before the checkpoint
    start: "2025-01-01"               # first window start without a checkpoint; default 1 Jan of last year
    chunk: 30d                        # the checkpoint advances after each chunk of this length
    fetch_steps: needed               # needed | always | never (LayTienDoHoSo)
    request_timeout: 30s              # per HTTP attempt
    tls: {ca_file: "", insecure_skip_verify: false}
    retry: {max: 3, backoff: 1s}
`

// Connector is the dvc pull connector; its fields are the type-specific keys.
type Connector struct {
	Endpoint       string         `yaml:"endpoint"`
	Username       secret.Value   `yaml:"username"`
	Password       secret.Value   `yaml:"password"`
	MaDonVi        string         `yaml:"madonvi"`
	Unit           string         `yaml:"unit"`
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
	connector.Register("dvc", func() connector.Connector { return New() })
}

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
		errs = append(errs, connector.Errf("endpoint", "%q is not an http(s) URL", c.Endpoint))
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
		loc = wire.Vietnam
	}
	if c.Start != "" {
		t, err := time.ParseInLocation("2006-01-02", c.Start, loc)
		if err != nil {
			errs = append(errs, connector.Errf("start", "%q is not a date like 2025-01-01", c.Start))
		}
		c.start = t
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
func (c *Connector) Check(ctx context.Context) error {
	if c.client == nil {
		return errors.New("dvc: not validated")
	}
	if err := c.client.Auth(ctx); err != nil {
		return err
	}
	now := c.now()
	_, err := c.client.List(ctx, wire.ListQuery{From: now.Add(-24 * time.Hour), To: now, Page: 1, Size: 1})
	return err
}

const stream = "updated"

// Sync pulls the dossiers updated since the checkpoint (minus the overlap),
// chunk by chunk; the checkpoint moves to a chunk's end when the chunk's
// dossiers commit. With a backfill window, it pulls the dossiers received
// in the window and leaves the checkpoint alone.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	if c.client == nil {
		return errors.New("dvc: not validated")
	}
	name := c.env.Name
	if name == "" {
		name = "dvc"
	}
	w := NewWriter(sink, c.Unit, name, c.log)
	w.Lookup = c.client.Procedure
	loc := c.env.Location
	if loc == nil {
		loc = wire.Vietnam
	}
	if win := c.env.Window; win != nil {
		f, t := win.From.In(loc), win.To.In(loc)
		from := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
		to := time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, loc)
		if err := c.pull(ctx, w, from, to, wire.ByReception); err != nil {
			return err
		}
		return w.Commit(ctx)
	}
	from := c.start
	if cp, ok, err := sink.Checkpoint(ctx, stream); err != nil {
		return err
	} else if ok {
		t, err := time.Parse(time.RFC3339, cp)
		if err != nil {
			return fmt.Errorf("dvc: checkpoint %q: %w", cp, err)
		}
		from = t.Add(-time.Duration(c.Overlap))
	}
	end := c.now().Truncate(time.Second)
	for a := from; a.Before(end); {
		b := a.Add(time.Duration(c.Chunk))
		if b.After(end) {
			b = end
		}
		if err := c.pull(ctx, w, a, b, wire.ByUpdate); err != nil {
			return err
		}
		if err := sink.SetCheckpoint(ctx, stream, b.Format(time.RFC3339)); err != nil {
			return err
		}
		if err := w.Commit(ctx); err != nil {
			return err
		}
		c.log.Debug("dvc: window done", "connector", name, "from", a, "to", b, "written", w.Written, "rejected", w.Rejected)
		a = b
	}
	return nil
}

// pull reads every page of one window in a three-stage pipeline: one
// goroutine fetches pages, one maps them (and fetches the steps they need),
// and the caller writes them, so the portal, the mapping and the warehouse
// work at the same time with at most a few pages in memory. If the window's
// total changes while paging (dossiers updated meanwhile shift the pages),
// it reads the window again: upserts converge, and no dossier is skipped.
func (c *Connector) pull(ctx context.Context, w *Writer, from, to time.Time, kind string) error {
	span := from.Format(time.DateTime) + ".." + to.Format(time.DateTime)
	for attempt := 0; attempt < 4; attempt++ {
		changed, err := c.pullOnce(ctx, w, from, to, kind, span)
		if err != nil || !changed {
			return err
		}
		c.log.Info("dvc: window changed while paging, reading it again", "window", span)
	}
	return fmt.Errorf("dvc: %s kept changing while paging", span)
}

type fetched struct {
	page, total int
	records     []json.RawMessage
	items       []item
	err         error
}

func (c *Connector) pullOnce(ctx context.Context, w *Writer, from, to time.Time, kind, span string) (changed bool, err error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan fetched, 1)
	go func() {
		defer close(raw)
		for page := 1; ; page++ {
			p, err := c.client.List(pctx, wire.ListQuery{From: from, To: to, DateKind: kind, Page: page, Size: c.PageSize})
			if err != nil {
				err = fmt.Errorf("dvc: %s page %d: %w", span, page, err)
			}
			select {
			case raw <- fetched{page: page, total: p.Total, records: p.Records, err: err}:
			case <-pctx.Done():
				return
			}
			if err != nil || len(p.Records) == 0 || page*c.PageSize >= p.Total {
				return
			}
		}
	}()
	pages := make(chan fetched, 1)
	go func() {
		defer close(pages)
		for f := range raw {
			if f.err == nil {
				f.items, f.err = c.prepare(pctx, w.Source, f.records)
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
	total := -1
	for f := range pages {
		if f.err != nil {
			return false, f.err
		}
		if total >= 0 && f.total != total {
			return true, nil
		}
		total = f.total
		w.Sink.Fetched(len(f.items))
		if err := c.store(ctx, w, f.items); err != nil {
			return false, err
		}
		if f.page%20 == 0 {
			if err := w.Commit(ctx); err != nil {
				return false, err
			}
		}
	}
	return false, ctx.Err()
}

// item is one record of a page, prepared for writing.
type item struct {
	raw   []byte
	rec   wire.Record
	res   dossiers.Result
	err   error
	steps []wire.Step
}

// prepare maps one page without touching the warehouse. A record that does
// not map is fetched again alone (TraCuuHoSo) in case the page was damaged
// in transit; if it still does not map, it will be rejected. Steps are
// fetched (concurrently) for the records whose derived fields depend on them.
func (c *Connector) prepare(ctx context.Context, source string, records []json.RawMessage) ([]item, error) {
	opt := dossiers.Options{Unit: c.Unit, Source: source, SourceKey: "madonvi:" + strings.TrimSpace(c.MaDonVi)}
	items := make([]item, len(records))
	var need []int
	for i, raw := range records {
		it := &items[i]
		it.raw = raw
		it.rec, it.err = wire.DecodeRecord(raw)
		if it.err == nil {
			it.res, it.err = dossiers.MapRecord(it.rec, raw, opt)
		}
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
					if rec2, err2 := wire.DecodeRecord(again); err2 == nil {
						if res2, err2 := dossiers.MapRecord(rec2, again, opt); err2 == nil {
							c.log.Info("dvc: record unreadable in the page but fine alone", "ma_ho_so", fe.MaHoSo, "first_error", it.err)
							*it = item{raw: again, rec: rec2, res: res2}
						}
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
			o := opt
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

// store writes a prepared page: dossiers, or rejects for those that failed.
func (c *Connector) store(ctx context.Context, w *Writer, items []item) error {
	for i, it := range items {
		if it.err != nil {
			if err := w.Reject(ctx, rejectKey("", it.err, fmt.Sprintf("record#%d", i)), it.raw, it.err); err != nil {
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
