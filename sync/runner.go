// Package sync runs chiso's connectors: one run (RunConnector) with its
// decorators (timeout, panic recovery, advisory lock, no overlap), the
// daemon's scheduler over robfig/cron, configuration reload, the HTTP
// endpoints (metrics, health, reload) and backfills.
package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"chiso/sync/config"
	"chiso/sync/connector"
	"chiso/warehouse"
)

// A warehouse run is the sink every connector writes through.
var _ connector.Sink = (*warehouse.Run)(nil)

// Runner runs connectors against a warehouse. One Runner per process: it
// holds the per-connector slots that keep a connector from overlapping
// with itself, across config reloads.
type Runner struct {
	Metrics *Metrics
	Logger  *slog.Logger

	mu    gosync.Mutex
	slots map[string]chan struct{}
}

// NewRunner returns a Runner; nil arguments get defaults.
func NewRunner(m *Metrics, log *slog.Logger) *Runner {
	if m == nil {
		m = NewMetrics()
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{Metrics: m, Logger: log, slots: map[string]chan struct{}{}}
}

func (r *Runner) slot(name string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.slots[name]
	if !ok {
		s = make(chan struct{}, 1)
		r.slots[name] = s
	}
	return s
}

// RunOptions are the extras of one run.
type RunOptions struct {
	// Tick is the schedule instant the run is for (zero: a manual run).
	Tick time.Time
	// Window is a backfill window given to the connector (EnvSetter).
	Window *connector.Window
	// Progress, when set, is a checkpoint committed with the run's last
	// batch (backfill progress), so it moves only with the data.
	Progress *Checkpoint
}

// Checkpoint is one sync_state stream value.
type Checkpoint struct{ Stream, Value string }

// Result is what a run did.
type Result struct {
	RunID                      int64
	Status                     string // ok | partial | failed | skipped
	Fetched, Upserted, Rejects int64
	Duration                   time.Duration
	// Incomplete says why the run could not read all of its source
	// (status partial; the checkpoint stayed before what was not read).
	Incomplete string
}

// RunConnector runs job once now (a manual run: no schedule tick).
func (r *Runner) RunConnector(ctx context.Context, store *warehouse.Store, job *config.ConnectorConfig) error {
	_, err := r.Run(ctx, store, job, RunOptions{})
	return err
}

// Run runs job once. Outermost first: no overlap with itself in this
// process, the advisory lock (one process at a time on a warehouse), the
// schedule tick claimed once, the timeout, then the run record (StartRun …
// Finish commits or rolls back the last batch and records the outcome
// inside the lock) and the panic recovery around the connector's Sync.
// Metrics and the log line are recorded by the one defer below, on every
// return path; a skipped run is counted, never recorded as failed.
func (r *Runner) Run(ctx context.Context, store *warehouse.Store, job *config.ConnectorConfig, opts RunOptions) (res Result, err error) {
	return r.run(ctx, store, job, opts,
		WithNoOverlap(r.slot(job.Name)),
		WithAdvisoryLock(store, job.Name, r.Logger),
		WithOncePerTick(store, job.Name, opts.Tick),
		// Outside the run record: a batch's transaction lives in the
		// context it began in, so the timeout must outlive Finish.
		WithTimeout(job.Timeout),
	)
}

// BatchFunc writes one batch that a receiver was sent (a dossier push)
// through its run, as a connector's Sync writes through its sink.
type BatchFunc func(ctx context.Context, sink connector.Sink) error

// ErrBusy: a batch could not get its turn in time (another batch or run of
// the same connector, here or in another process, kept it); nothing was
// written, and the sender should send it again later.
var ErrBusy = fmt.Errorf("%w: %w", ErrSkipped, connector.ErrBusy)

// BatchOptions bound one batch run.
type BatchOptions struct {
	// Wait is how long the batch waits for its turn (this process's slot,
	// then the advisory lock) before ErrBusy; default 30s.
	Wait time.Duration
	// Timeout bounds the batch's work once it runs; 0: no bound.
	Timeout time.Duration
}

// RunBatch runs fn as one run of the connector name, through the same
// machinery as a scheduled sync: the per-connector slot and advisory lock
// (waited for up to opts.Wait instead of skipping, since the sender is
// waiting for the answer), the timeout, the run record in sync_runs (so it
// shows in chiso status), panic recovery, metrics and the log line.
func (r *Runner) RunBatch(ctx context.Context, store *warehouse.Store, name string, opts BatchOptions, fn BatchFunc) (Result, error) {
	if opts.Wait <= 0 {
		opts.Wait = 30 * time.Second
	}
	return r.runNow(ctx, store, &config.ConnectorConfig{Name: name, Type: "push", Timeout: opts.Timeout, Conn: batchConn{fn}}, opts.Wait)
}

// RunNow is the connector.RunNow of this runner over store: what a
// receiver (the dossier push receiver) runs each batch it is sent with.
func (r *Runner) RunNow(store *warehouse.Store) connector.RunNow {
	return func(ctx context.Context, name string, c connector.Connector, wait, timeout time.Duration) (int64, error) {
		if wait <= 0 {
			wait = 30 * time.Second
		}
		res, err := r.runNow(ctx, store, &config.ConnectorConfig{Name: name, Type: name, Timeout: timeout, Conn: c}, wait)
		return res.RunID, err
	}
}

// runNow runs job once, waiting up to wait for its turn.
func (r *Runner) runNow(ctx context.Context, store *warehouse.Store, job *config.ConnectorConfig, wait time.Duration) (Result, error) {
	return r.run(ctx, store, job, RunOptions{},
		WithTurn(r.slot(job.Name), wait),
		WithAdvisoryLockWait(store, job.Name, wait, r.Logger),
		WithTimeout(job.Timeout),
	)
}

// batchConn lets a BatchFunc run where a connector's Sync does.
type batchConn struct{ fn BatchFunc }

func (batchConn) Validate(connector.Env) error                          { return nil }
func (batchConn) Check(context.Context) error                           { return nil }
func (b batchConn) Sync(ctx context.Context, sink connector.Sink) error { return b.fn(ctx, sink) }

// run is one run of job inside gates (outermost first), recorded and
// observed the same way whatever started it.
func (r *Runner) run(ctx context.Context, store *warehouse.Store, job *config.ConnectorConfig, opts RunOptions, gates ...Decorator) (res Result, err error) {
	start := time.Now()
	var run *warehouse.Run
	r.Metrics.running.WithLabelValues(job.Name).Inc()
	defer func() {
		end := time.Now()
		r.Metrics.running.WithLabelValues(job.Name).Dec()
		res.Duration = end.Sub(start)
		res.Status = outcome(run, err)
		if run != nil {
			res.RunID = run.RunID()
			res.Fetched, res.Upserted, res.Rejects = run.TotalFetched, run.TotalUpserted, run.TotalRejected
		}
		r.Metrics.observeRun(job.Name, run, res.Status, start, end, err)
		attrs := []any{"connector", job.Name, "type", job.Type, "status", res.Status, "duration", res.Duration.Round(time.Millisecond),
			"fetched", res.Fetched, "upserted", res.Upserted, "rejected", res.Rejects}
		if run != nil {
			attrs = append(attrs, "run_id", run.RunID())
			if why := run.IncompleteReason(); why != "" {
				res.Incomplete = why
				attrs = append(attrs, "incomplete", why)
			}
		}
		if !opts.Tick.IsZero() {
			attrs = append(attrs, "tick", opts.Tick.Format(time.RFC3339))
		}
		if opts.Window != nil {
			attrs = append(attrs, "window", windowString(*opts.Window))
		}
		switch {
		case errors.Is(err, ErrSkipped):
			r.Logger.Info("run skipped", append(attrs, "reason", err.Error())...)
		case err != nil:
			r.Logger.Error("run failed", append(attrs, "err", err)...)
		case res.Incomplete != "":
			r.Logger.Warn("run incomplete: the next run reads again what was not read", attrs...)
		default:
			r.Logger.Info("run finished", attrs...)
		}
	}()

	record := func(ctx context.Context) (err error) {
		if run, err = store.StartRun(ctx, job.Name); err != nil {
			return err
		}
		// The run record: commits the last batch (or rolls it back) and
		// writes the outcome, still under the lock.
		defer func() { err = run.Finish(ctx, withCause(ctx, err)) }()
		if opts.Window != nil {
			if err := run.SetWindow(ctx, opts.Window.From, opts.Window.To); err != nil {
				return fmt.Errorf("record window: %w", err)
			}
		}
		sync := func(ctx context.Context) error {
			if es, ok := job.Conn.(connector.EnvSetter); ok && opts.Window != nil {
				env := job.Env
				env.Window = opts.Window
				es.SetEnv(env)
				defer es.SetEnv(job.Env)
			}
			if err := job.Conn.Sync(ctx, scopeSink(store, run)); err != nil {
				return err
			}
			// A window not read whole is not progress: the backfill
			// resumes at it.
			if opts.Progress != nil && run.IncompleteReason() == "" {
				return run.SetCheckpoint(ctx, opts.Progress.Stream, opts.Progress.Value)
			}
			return nil
		}
		return WithRecover(r.Logger, job.Name)(sync)(ctx)
	}
	err = Chain(record, gates...)(ctx)
	if err != nil && !errors.Is(err, ErrSkipped) {
		err = fmt.Errorf("connector %s: %w", job.Name, err)
	}
	return res, err
}

// outcome is the status of a run attempt, as sync_runs and the metrics name it.
func outcome(run *warehouse.Run, err error) string {
	switch {
	case errors.Is(err, ErrSkipped):
		return "skipped"
	case err != nil:
		return "failed"
	case run != nil && (run.TotalRejected > 0 || run.IncompleteReason() != ""):
		return "partial"
	default:
		return "ok"
	}
}

func windowString(w connector.Window) string {
	return w.From.Format(time.DateOnly) + ".." + w.To.Format(time.DateOnly)
}
