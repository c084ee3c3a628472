package sync

import (
	"github.com/prometheus/client_golang/prometheus"

	"chiso/sync/alerts"
)

// targetMetrics are the early-warning gauges per unit and target for the
// current year, set by each alerts check (docs/van-hanh.md, "Cảnh báo").
type targetMetrics struct {
	value, target, projected, atRisk, complete *prometheus.GaugeVec
	checkOK, checkTime                         prometheus.Gauge
}

func newTargetMetrics(r *prometheus.Registry) *targetMetrics {
	labels := []string{"unit", "indicator"}
	g := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	t := &targetMetrics{
		value:     g("chiso_target_value", "Value of the target's indicator from 1 January to yesterday (% or count); absent without data."),
		target:    g("chiso_target_target", "The target of the indicator for the current year."),
		projected: g("chiso_target_projected", "Year-end projection by last year's month-by-month profile; absent without one."),
		atRisk:    g("chiso_target_at_risk", "1 when the target is not projected to be met (Có nguy cơ, Chưa đạt or Chưa đủ số liệu), 0 when it is (Đạt)."),
		complete:  g("chiso_target_data_complete", "1 when the facts behind the target's outlook have no unconfirmed coverage gap (this year to date, its baseline, last year's profile), 0 when they have."),
		checkOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chiso_alerts_last_check_successful",
			Help: "1 if the last early-warning check (target gauges, events) succeeded, 0 if it failed."}),
		checkTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chiso_alerts_last_check_timestamp_seconds",
			Help: "Unix time of the last early-warning check."}),
	}
	r.MustRegister(t.value, t.target, t.projected, t.atRisk, t.complete, t.checkOK, t.checkTime)
	return t
}

// observeOutlooks replaces the gauges with the outlooks of one check.
func (m *Metrics) observeOutlooks(outs []alerts.UnitOutlook, ok bool, at float64) {
	t := m.targets
	t.checkTime.Set(at)
	if !ok {
		t.checkOK.Set(0)
		return
	}
	t.checkOK.Set(1)
	for _, v := range []*prometheus.GaugeVec{t.value, t.target, t.projected, t.atRisk, t.complete} {
		v.Reset()
	}
	for _, u := range outs {
		for _, o := range u.Outlooks {
			l := prometheus.Labels{"unit": u.Unit.Code, "indicator": o.Indicator}
			if o.Actual.Value != nil {
				t.value.With(l).Set(*o.Actual.Value)
			}
			if o.Actual.Target != nil {
				t.target.With(l).Set(*o.Actual.Target)
			}
			if o.Projection != nil {
				t.projected.With(l).Set(*o.Projection)
			}
			risk := 0.0
			if o.AtRisk() {
				risk = 1
			}
			t.atRisk.With(l).Set(risk)
			complete := 0.0
			if o.DataComplete {
				complete = 1
			}
			t.complete.With(l).Set(complete)
		}
	}
}
