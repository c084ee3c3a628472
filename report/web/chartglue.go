package web

import (
	"html/template"

	"chiso/report/web/chart"
)

// monthChart draws the month-by-month line of an indicator, this year
// against last year, with its target line named targetLabel (report/web/chart:
// the one drawing).
func monthChart(id, title string, percent bool, thisLabel string, this []*float64, lastLabel string, last []*float64, target *float64, targetLabel string) template.HTML {
	return chart.SVG(chart.Monthly{ID: "c-" + id, Title: title, Percent: percent,
		This: chart.Series{Label: thisLabel, Values: this}, Last: chart.Series{Label: lastLabel, Values: last}, Target: target, TargetLabel: targetLabel})
}
