package sync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	gosync "sync"
	"time"

	"github.com/robfig/cron/v3"

	"chiso/sync/config"
	"chiso/warehouse"
)

// errStopping is the cause recorded on runs cut by a shutdown.
var errStopping = errors.New("interrupted: chiso is stopping (SIGTERM/SIGINT); the open batch was rolled back and the next run resumes from the last checkpoint")

// Options configure a Daemon.
type Options struct {
	Store      *warehouse.Store
	ConfigPath string         // reloaded on SIGHUP and POST /-/reload
	Config     *config.Config // the config loaded at startup
	Logger     *slog.Logger
	Metrics    *Metrics // nil: a fresh registry
	// OnReload, when set, is called with a newly loaded config before it
	// replaces the running one (e.g. to load the org directory into the
	// warehouse); an error fails the reload and keeps the running config.
	OnReload func(ctx context.Context, cfg *config.Config) error
	// Warehouse, when set, is the embedded PostgreSQL this daemon owns: it
	// is checked every SuperviseEvery (default 2 s) and restarted with
	// backoff when it dies; meanwhile /readyz and /healthz answer 503 and
	// no run starts.
	Warehouse      Supervised
	SuperviseEvery time.Duration
	// Timeouts of the HTTP server; zero fields take DefaultHTTPTimeouts.
	HTTPTimeouts HTTPTimeouts
}

// HTTPTimeouts bound how long the HTTP server keeps a connection: a client
// that sends its headers or body too slowly, or keeps an idle keep-alive
// connection open, is disconnected.
type HTTPTimeouts struct {
	ReadHeader time.Duration // the request headers
	Read       time.Duration // the whole request, body included (a push of http.push_max_body_mb)
	Write      time.Duration // from the end of the headers to the end of the answer (a push is answered after it is stored)
	Idle       time.Duration // an idle keep-alive connection
}

// DefaultHTTPTimeouts are the timeouts of chiso run's HTTP server.
var DefaultHTTPTimeouts = HTTPTimeouts{ReadHeader: 10 * time.Second, Read: 5 * time.Minute, Write: 15 * time.Minute, Idle: 90 * time.Second}

func (t HTTPTimeouts) withDefaults() HTTPTimeouts {
	d := DefaultHTTPTimeouts
	if t.ReadHeader > 0 {
		d.ReadHeader = t.ReadHeader
	}
	if t.Read > 0 {
		d.Read = t.Read
	}
	if t.Write > 0 {
		d.Write = t.Write
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// Daemon runs every connector on its schedule and serves the HTTP
// endpoints (metrics, health, readiness, reload, and any handler mounted
// with Handle).
type Daemon struct {
	opts    Options
	store   *warehouse.Store
	log     *slog.Logger
	metrics *Metrics
	runner  *Runner
	mux     *http.ServeMux
	alerts  *alertsState

	reloadMu gosync.Mutex // one reload at a time

	mu       gosync.Mutex
	cfg      *config.Config
	clock    clock
	entries  map[string]cron.EntryID
	stopping bool
	super    supervisorState

	runCtx    context.Context // parent of every run; cancelled on stop
	cancelRun context.CancelCauseFunc
	runs      gosync.WaitGroup

	srv      *http.Server
	ln       net.Listener
	serveErr chan error
}

// NewDaemon returns a daemon ready to Start.
func NewDaemon(opts Options) (*Daemon, error) {
	if opts.Store == nil || opts.Config == nil {
		return nil, errors.New("sync: NewDaemon needs a store and a config")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	d := &Daemon{
		opts:    opts,
		store:   opts.Store,
		log:     opts.Logger,
		metrics: opts.Metrics,
		runner:  NewRunner(opts.Metrics, opts.Logger),
		mux:     http.NewServeMux(),
		cfg:     opts.Config,
		entries: map[string]cron.EntryID{},
	}
	d.runCtx, d.cancelRun = context.WithCancelCause(context.Background())
	d.alerts = newAlertsState(d)
	d.routes()
	return d, nil
}

// Handle mounts another handler on the daemon's HTTP server (e.g. the
// dossier push receiver at /dvc/). Call it before Start.
func (d *Daemon) Handle(pattern string, h http.Handler) { d.mux.Handle(pattern, h) }

// Runner returns the daemon's runner: handlers that write (the dossier
// push receiver) run their batches through it, so that they are locked,
// recorded and observed like scheduled syncs.
func (d *Daemon) Runner() *Runner { return d.runner }

// Metrics returns the daemon's metrics.
func (d *Daemon) Metrics() *Metrics { return d.metrics }

// Config returns the running config.
func (d *Daemon) Config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// Addr is the address the HTTP server listens on (after Start).
func (d *Daemon) Addr() net.Addr { return d.ln.Addr() }

// Run starts the daemon and blocks until ctx is cancelled (SIGTERM,
// SIGINT), then stops gracefully.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.Start(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-d.serveErr:
		d.log.Error("HTTP server stopped", "err", err)
		stopErr := d.Stop()
		return errors.Join(fmt.Errorf("http: %w", err), stopErr)
	}
	return d.Stop()
}

// Start opens the HTTP listener and starts scheduling. Connectors whose
// latest schedule tick was never run (a new warehouse, a daemon that was
// down) run at once: cron does not catch up missed runs by itself.
func (d *Daemon) Start(ctx context.Context) error {
	cfg := d.Config()
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	d.ln = ln
	to := d.opts.HTTPTimeouts.withDefaults()
	d.srv = &http.Server{Handler: d.mux, ReadHeaderTimeout: to.ReadHeader, ReadTimeout: to.Read, WriteTimeout: to.Write, IdleTimeout: to.Idle,
		ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}
	tlsOn := cfg.HTTP.TLS.CertFile != ""
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(cfg.Path(cfg.HTTP.TLS.CertFile), cfg.Path(cfg.HTTP.TLS.KeyFile))
		if err != nil {
			ln.Close()
			return fmt.Errorf("http.tls: %w", err)
		}
		d.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	d.serveErr = make(chan error, 1)
	go func() {
		var err error
		if tlsOn {
			err = d.srv.ServeTLS(ln, "", "")
		} else {
			err = d.srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			d.serveErr <- err
		}
	}()

	if d.opts.Warehouse != nil {
		d.metrics.observeWarehouseUp(true)
		d.runs.Add(1)
		go func() { defer d.runs.Done(); d.supervise(d.runCtx, d.opts.Warehouse) }()
	}
	d.mu.Lock()
	d.clock = newCronClock(cfg.Location, d.log)
	catchUp := d.schedule(cfg, nil)
	d.mu.Unlock()
	d.clock.Start()
	for _, p := range catchUp {
		d.catchUp(p.job, p.tick)
	}
	d.dispatchAlerts(true) // the gauges from the start, not after check_every
	d.metrics.observeReload(true, time.Now())
	d.log.Info("chiso daemon started", "http", ln.Addr().String(), "tls", tlsOn, "connectors", len(cfg.Jobs), "config", cfg.File)
	return nil
}

// pendingRun is a run to dispatch once d.mu is released.
type pendingRun struct {
	job  *config.ConnectorConfig
	tick time.Time
}

// schedule replaces the cron entries with cfg's jobs; d.mu is held. It
// returns the catch-up runs of the jobs that prev did not have: their
// latest tick, run at once if no daemon has run it yet. Running syncs are not
// touched: they finish with the job they started with, and the
// per-connector slot keeps the new entry from overlapping them.
func (d *Daemon) schedule(cfg *config.Config, prev *config.Config) []pendingRun {
	for name, id := range d.entries {
		d.clock.Remove(id)
		delete(d.entries, name)
	}
	known := map[string]bool{}
	if prev != nil {
		for _, j := range prev.Jobs {
			known[j.Name] = true
		}
	}
	d.scheduleAlerts(cfg)
	now := time.Now().In(cfg.Location)
	var catchUp []pendingRun
	for _, job := range cfg.Jobs {
		s, err := connectorSchedule(job.Name, job.Schedule)
		if err != nil { // the loader validated it; keep going with the others
			d.log.Error("bad schedule", "connector", job.Name, "schedule", job.Schedule, "err", err)
			continue
		}
		d.entries[job.Name] = d.clock.Add(s, func(tick time.Time) { d.dispatch(job, tick) })
		if !known[job.Name] {
			if tick := prevTick(s, now); !tick.IsZero() {
				catchUp = append(catchUp, pendingRun{job, tick})
			}
		}
	}
	return catchUp
}

// dispatch starts a run in its own goroutine and returns at once, so a
// cron job never blocks; the runner decides whether it runs or is skipped.
func (d *Daemon) dispatch(job *config.ConnectorConfig, tick time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopping {
		return
	}
	if !d.super.downSince.IsZero() {
		// Not a run: it could not even write its run record. The next tick,
		// or the catch-up after a restart, runs it.
		d.log.Warn("run not started: the embedded PostgreSQL is being restarted", "connector", job.Name, "cause", d.super.cause)
		return
	}
	d.runs.Add(1)
	go func() { defer d.runs.Done(); d.runOne(job, tick) }()
}

// catchUp runs job for its latest tick unless a daemon already has. When
// the connector's last run never finished (its process was killed), the
// run goes without claiming the tick: the tick was claimed by the run that
// did not finish, and the data it did not commit is still due.
func (d *Daemon) catchUp(job *config.ConnectorConfig, tick time.Time) {
	unfinished, err := d.store.HasUnfinishedRun(d.runCtx, job.Name)
	if err != nil {
		d.log.Warn("catch-up: cannot read the last run", "connector", job.Name, "err", err)
	}
	if unfinished {
		d.log.Info("the last run of this connector did not finish: running it again now", "connector", job.Name)
		tick = time.Time{}
	}
	d.dispatch(job, tick)
}

func (d *Daemon) runOne(job *config.ConnectorConfig, tick time.Time) {
	_, _ = d.runner.Run(d.runCtx, d.store, job, RunOptions{Tick: tick})
}

// Stop stops scheduling, cancels the running syncs (their open batches
// roll back; what they flushed stays), waits for them, and shuts the HTTP
// server down.
func (d *Daemon) Stop() error {
	d.mu.Lock()
	d.stopping = true
	clk := d.clock
	d.mu.Unlock()
	d.log.Info("stopping: no new runs; cancelling running syncs")
	if clk != nil {
		<-clk.Stop().Done()
	}
	d.cancelRun(errStopping)
	d.runs.Wait()
	var err error
	if d.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = d.srv.Shutdown(ctx)
	}
	d.log.Info("chiso daemon stopped")
	return err
}

// Reload loads the config file again. On any problem the running config
// stays in use and the error (every problem, FILE:LINE: key: message) is
// returned; on success the new jobs replace the old ones from their next
// tick, without killing running syncs.
func (d *Daemon) Reload(ctx context.Context) (err error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	path := d.opts.ConfigPath
	defer func() {
		d.metrics.observeReload(err == nil, time.Now())
		if err != nil {
			d.log.Error("config reload failed; the running config stays in use", "file", path, "err", err)
		} else {
			d.log.Info("config reloaded", "file", path, "connectors", len(d.Config().Jobs))
		}
	}()
	cfg, err := config.Load(path)
	if err != nil {
		return fmt.Errorf("config reload failed, the running config stays in use:\n%w", err)
	}
	if d.opts.OnReload != nil {
		if err := d.opts.OnReload(ctx, cfg); err != nil {
			return fmt.Errorf("config reload failed, the running config stays in use: %w", err)
		}
	}
	d.mu.Lock()
	if d.stopping {
		d.mu.Unlock()
		return errors.New("config reload: the daemon is stopping")
	}
	old := d.cfg
	for _, w := range restartOnly(old, cfg) {
		d.log.Warn("this setting changes only when chiso restarts", "key", w)
	}
	for _, p := range cfg.Warnings {
		d.log.Warn("config warning", "problem", p.String())
	}
	d.cfg = cfg
	var catchUp []pendingRun
	if d.clock != nil {
		catchUp = d.schedule(cfg, old)
	}
	d.mu.Unlock()
	for _, p := range catchUp {
		d.catchUp(p.job, p.tick)
	}
	return nil
}

// restartOnly lists the keys that differ between a and b but are read
// only at startup.
func restartOnly(a, b *config.Config) []string {
	var out []string
	if a.Warehouse.DSN.Reveal() != b.Warehouse.DSN.Reveal() {
		out = append(out, "warehouse.dsn")
	}
	if a.Warehouse.DataDir != b.Warehouse.DataDir {
		out = append(out, "warehouse.data_dir")
	}
	if a.Warehouse.ListenTCP != b.Warehouse.ListenTCP {
		out = append(out, "warehouse.listen_tcp")
	}
	if a.HTTP.Listen != b.HTTP.Listen {
		out = append(out, "http.listen")
	}
	if a.HTTP.TLS != b.HTTP.TLS {
		out = append(out, "http.tls")
	}
	if a.HTTP.PushToken.Reveal() != b.HTTP.PushToken.Reveal() {
		out = append(out, "http.push_token")
	}
	if a.HTTP.PushByCode != b.HTTP.PushByCode {
		out = append(out, "http.push_by_code")
	}
	if a.HTTP.PushMaxBodyMB != b.HTTP.PushMaxBodyMB || a.HTTP.PushMaxInFlightMB != b.HTTP.PushMaxInFlightMB {
		out = append(out, "http.push_max_body_mb/push_max_inflight_mb")
	}
	if !reflect.DeepEqual(a.Web, b.Web) {
		out = append(out, "web")
	}
	if a.Timezone != b.Timezone {
		out = append(out, "timezone")
	}
	return out
}
