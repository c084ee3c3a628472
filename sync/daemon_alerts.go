package sync

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"chiso/sync/alerts"
	"chiso/sync/config"
)

// The early warning runs from the daemon's scheduler like a connector: an
// alerts check every alerts.check_every (target gauges, events queued) and
// a delivery pass every alerts.deliver_every (due deliveries and retries).
// Entries of the clock are named with a leading "@", which no connector
// name has.
const (
	alertsCheckEntry   = "@alerts-check"
	alertsDeliverEntry = "@alerts-deliver"
)

// alertsState keeps one check and one delivery pass at a time per daemon.
type alertsState struct {
	svc                *alerts.Service
	checking, delivers atomic.Bool
}

func newAlertsState(d *Daemon) *alertsState {
	host, _ := os.Hostname()
	return &alertsState{svc: &alerts.Service{Store: d.store, Log: d.log.With("component", "alerts"),
		Instance: fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())}}
}

// scheduleAlerts adds the two alerts entries; d.mu is held.
func (d *Daemon) scheduleAlerts(cfg *config.Config) {
	a := cfg.Alerts
	every := func(v config.Duration, def time.Duration) time.Duration { // a config not made by config.Load
		if v.D() < time.Second {
			return def
		}
		return v.D()
	}
	check, deliver := every(a.CheckEvery, 15*time.Minute), every(a.DeliverEvery, time.Minute)
	d.entries[alertsCheckEntry] = d.clock.Add(alignedEvery{period: check, off: offset(alertsCheckEntry, check)},
		func(time.Time) { d.dispatchAlerts(true) })
	d.entries[alertsDeliverEntry] = d.clock.Add(alignedEvery{period: deliver, off: offset(alertsDeliverEntry, deliver)},
		func(time.Time) { d.dispatchAlerts(false) })
}

// dispatchAlerts runs a check (and then a delivery pass) or a delivery pass
// in its own goroutine, unless one is still going.
func (d *Daemon) dispatchAlerts(check bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopping || !d.super.downSince.IsZero() {
		return
	}
	flag := &d.alerts.delivers
	if check {
		flag = &d.alerts.checking
	}
	if !flag.CompareAndSwap(false, true) {
		return
	}
	cfg := d.cfg
	d.runs.Add(1)
	go func() {
		defer d.runs.Done()
		defer flag.Store(false)
		if check {
			d.alertsCheck(cfg)
		}
		d.alertsDeliver(cfg)
	}()
}

// AlertsCheck runs one early-warning check now (tests, chiso run at start).
func (d *Daemon) AlertsCheck() { d.alertsCheck(d.Config()); d.alertsDeliver(d.Config()) }

func (d *Daemon) alertsCheck(cfg *config.Config) {
	outs, err := d.alerts.svc.Check(d.runCtx, cfg, time.Now())
	d.metrics.observeOutlooks(outs, err == nil, float64(time.Now().Unix()))
	if err != nil && d.runCtx.Err() == nil {
		d.log.Error("alerts check failed", "err", err)
	}
}

func (d *Daemon) alertsDeliver(cfg *config.Config) {
	if _, _, err := d.alerts.svc.Deliver(d.runCtx, cfg); err != nil && d.runCtx.Err() == nil {
		d.log.Error("alert delivery pass failed", "err", err)
	}
}
