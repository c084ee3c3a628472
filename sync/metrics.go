package sync

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chiso/warehouse"
)

// Metrics are the daemon's Prometheus metrics, on their own registry.
type Metrics struct {
	Registry *prometheus.Registry

	runs         *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	fetched      *prometheus.CounterVec
	upserted     *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	lastRun      *prometheus.GaugeVec
	running      *prometheus.GaugeVec
	skipped      *prometheus.CounterVec
	overruns     *prometheus.CounterVec
	reloadOK     prometheus.Gauge
	reloadTime   prometheus.Gauge
	reloadOKTime prometheus.Gauge

	warehouseUp       prometheus.Gauge
	warehouseRestarts prometheus.Counter

	targets *targetMetrics
}

// NewMetrics registers chiso's metrics (and the Go/process collectors) on
// a fresh registry.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chiso_sync_runs_total",
			Help: "Connector runs by outcome: ok, partial (some records rejected), failed."}, []string{"connector", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "chiso_sync_run_duration_seconds",
			Help:    "Duration of connector runs (excluding skipped ones).",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800}}, []string{"connector"}),
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chiso_sync_records_fetched_total",
			Help: "Records read from upstream (committed)."}, []string{"connector"}),
		upserted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chiso_sync_records_upserted_total",
			Help: "Facts written to the warehouse (committed)."}, []string{"connector"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chiso_sync_records_rejected_total",
			Help: "Records kept in rejects because they failed validation (committed)."}, []string{"connector"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chiso_sync_last_success_timestamp_seconds",
			Help: "Unix time of the end of the last ok or partial run of this process."}, []string{"connector"}),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chiso_sync_last_run_timestamp_seconds",
			Help: "Unix time of the end of the last run (any outcome) of this process."}, []string{"connector"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chiso_sync_running",
			Help: "1 while a run of the connector is in progress in this process."}, []string{"connector"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chiso_sync_skipped_total",
			Help: "Runs not started, by reason: locked (another process runs the connector), served (another daemon ran this tick), overrun (the previous run is still going)."},
			[]string{"connector", "reason"}),
		overruns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chiso_sync_overruns_total",
			Help: "Schedule ticks that came while the previous run of the connector was still going."}, []string{"connector"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chiso_config_last_reload_successful",
			Help: "1 if the last configuration (re)load succeeded, 0 if it failed (the previous config is still in use)."}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chiso_config_last_reload_timestamp_seconds",
			Help: "Unix time of the last configuration (re)load attempt."}),
		reloadOKTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chiso_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration (re)load."}),
		warehouseUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chiso_warehouse_up",
			Help: "1 while the embedded PostgreSQL that this daemon supervises runs, 0 while it is down and being restarted."}),
		warehouseRestarts: prometheus.NewCounter(prometheus.CounterOpts{Name: "chiso_warehouse_restarts_total",
			Help: "Times this daemon restarted the embedded PostgreSQL after it died."}),
	}
	r.MustRegister(m.runs, m.duration, m.fetched, m.upserted, m.rejected, m.lastSuccess, m.lastRun, m.running,
		m.skipped, m.overruns, m.reloadOK, m.reloadTime, m.reloadOKTime, m.warehouseUp, m.warehouseRestarts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.targets = newTargetMetrics(r)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// observeRun records the outcome of one run attempt. run is nil when the
// run never started (skipped, or the warehouse refused the run record).
func (m *Metrics) observeRun(connector string, run *warehouse.Run, status string, start, end time.Time, err error) {
	if errors.Is(err, ErrSkipped) {
		reason := "locked"
		switch {
		case errors.Is(err, ErrOverrun):
			reason = "overrun"
			m.overruns.WithLabelValues(connector).Inc()
		case errors.Is(err, ErrServed):
			reason = "served"
		}
		m.skipped.WithLabelValues(connector, reason).Inc()
		return
	}
	m.runs.WithLabelValues(connector, status).Inc()
	m.duration.WithLabelValues(connector).Observe(end.Sub(start).Seconds())
	m.lastRun.WithLabelValues(connector).Set(float64(end.Unix()))
	if status != "failed" {
		m.lastSuccess.WithLabelValues(connector).Set(float64(end.Unix()))
	}
	if run != nil {
		m.fetched.WithLabelValues(connector).Add(float64(run.TotalFetched))
		m.upserted.WithLabelValues(connector).Add(float64(run.TotalUpserted))
		m.rejected.WithLabelValues(connector).Add(float64(run.TotalRejected))
	}
}

func (m *Metrics) observeReload(ok bool, at time.Time) {
	m.reloadTime.Set(float64(at.Unix()))
	if ok {
		m.reloadOK.Set(1)
		m.reloadOKTime.Set(float64(at.Unix()))
	} else {
		m.reloadOK.Set(0)
	}
}

func (m *Metrics) observeWarehouseUp(up bool) {
	if up {
		m.warehouseUp.Set(1)
	} else {
		m.warehouseUp.Set(0)
	}
}
