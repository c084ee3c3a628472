package sync

import (
	"context"
	"fmt"
	"time"
)

// Supervised is a database server the daemon keeps running: the embedded
// PostgreSQL (*warehouse.Embedded).
type Supervised interface {
	// Check returns nil while the server runs, else why it is not running.
	Check() error
	// Restart starts the server again after Check reported it dead.
	Restart(ctx context.Context) error
	// RecordRestart keeps a restart and its cause for `chiso status`.
	RecordRestart(at time.Time, cause string) error
}

// supervisorState is what /healthz, /readyz and dispatch see of the
// supervised server; d.mu guards it.
type supervisorState struct {
	downSince time.Time
	cause     string
	attempts  int
}

// warehouseDown describes the outage of the supervised warehouse, or ""
// when it runs.
func (d *Daemon) warehouseDown() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.super
	if s.downSince.IsZero() {
		return ""
	}
	return fmt.Sprintf("the embedded PostgreSQL is down since %s (%s); restart attempt %d",
		s.downSince.Format(time.RFC3339), s.cause, s.attempts)
}

// supervise checks the server every opts.SuperviseEvery and restarts it
// with backoff (1 s doubling up to a minute) when it died, until ctx ends.
func (d *Daemon) supervise(ctx context.Context, srv Supervised) {
	every := d.opts.SuperviseEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := srv.Check()
		if err == nil {
			continue
		}
		d.restart(ctx, srv, err)
	}
}

// restart restarts a dead server, retrying with backoff until it runs
// again or ctx ends; meanwhile the daemon reports not ready.
func (d *Daemon) restart(ctx context.Context, srv Supervised, cause error) {
	since := time.Now()
	d.mu.Lock()
	d.super = supervisorState{downSince: since, cause: cause.Error()}
	d.mu.Unlock()
	d.log.Error("the embedded PostgreSQL died; restarting it", "cause", cause)
	d.metrics.observeWarehouseUp(false)
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		d.mu.Lock()
		d.super.attempts = attempt
		d.mu.Unlock()
		err := srv.Restart(ctx)
		if err == nil {
			// The pooled connections died with the old server.
			d.store.DropIdleConns()
			break
		}
		d.log.Error("restarting the embedded PostgreSQL failed", "attempt", attempt, "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
	at := time.Now()
	if err := srv.RecordRestart(at, cause.Error()); err != nil {
		d.log.Warn("cannot record the warehouse restart", "err", err)
	}
	d.mu.Lock()
	attempts := d.super.attempts
	d.super = supervisorState{}
	d.mu.Unlock()
	d.metrics.observeWarehouseUp(true)
	d.metrics.warehouseRestarts.Inc()
	d.log.Warn("the embedded PostgreSQL was restarted", "after", cause, "down_for", at.Sub(since).Round(time.Millisecond), "attempts", attempts)
	d.catchUpAll()
}

// catchUpAll runs, for every connector, the latest tick that no daemon
// has run yet (the ticks that fell while the warehouse was down).
func (d *Daemon) catchUpAll() {
	cfg := d.Config()
	now := time.Now().In(cfg.Location)
	for _, job := range cfg.Jobs {
		s, err := connectorSchedule(job.Name, job.Schedule)
		if err != nil {
			continue
		}
		if tick := prevTick(s, now); !tick.IsZero() {
			d.catchUp(job, tick)
		}
	}
}
