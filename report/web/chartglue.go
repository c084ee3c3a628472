package web

import (
	"html/template"
)

// monthChart draws the month-by-month line of an indicator, this year
// against last year, with its target.
//
// PLACEHOLDER until report/web/chart (owner: webui) lands: it then calls
// chart.SVG(chart.Monthly{...}) with the same arguments.
func monthChart(id, title string, percent bool, thisLabel string, this []*float64, lastLabel string, last []*float64, target *float64) template.HTML {
	_, _, _, _, _, _, _ = id, title, percent, thisLabel, this, lastLabel, last
	_ = target
	return template.HTML(`<p class="chart-placeholder">Biểu đồ theo tháng: đang chuẩn bị.</p>`)
}
