// Package chart draws the web page's charts as SVG on the server (no
// JavaScript): the month-by-month line of an indicator, this year against
// last year, with its target. The SVG scales to its container (viewBox,
// width 100 %), reads on a 360-px phone and prints on A4 in black and
// white: the two years and the target differ by dash pattern and marker,
// not by colour alone, and a legend names them. A title and a generated
// description in Vietnamese make it readable to a screen reader.
package chart

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

// Series is one year of a monthly line.
type Series struct {
	Label  string     // legend text, e.g. "Năm 2026"
	Values []*float64 // one per month of Monthly.Months; nil = no data that month
}

// Monthly is the month-by-month chart of one indicator.
type Monthly struct {
	// ID prefixes the ids inside the SVG (title, description), so that
	// several charts can share a page; letters, digits, '-' and '_' only.
	ID    string
	Title string // the indicator, e.g. "Tỷ lệ cuộc họp trực tuyến"
	// Desc is read by screen readers; empty: generated from the values.
	Desc string
	// Percent: values are percentages (the axis runs 0–100 %), else counts.
	Percent bool
	// Months label the x axis; nil: T1 … T12.
	Months []string
	This   Series // the current year: solid line, filled circles
	Last   Series // the same months of last year: dashed line, hollow squares
	// Target draws a dotted horizontal line at this value (nil: none),
	// named TargetLabel in the legend (default "Chỉ tiêu").
	Target      *float64
	TargetLabel string
}

// Geometry of the drawing, in viewBox units (1 unit = 1 px at 360 px wide);
// the height follows the rows of the legend.
const (
	width   = 360
	left    = 44 // room for the y labels
	right   = 10
	top     = 12
	plotH   = 140
	xLabelY = top + plotH + 16
	legendY = xLabelY + 22
	legendH = 18
)

// Colours: dark enough on white and distinct in grey when printed.
const (
	colThis   = "#1f4e9e"
	colLast   = "#5f6368"
	colTarget = "#b3261e"
	colGrid   = "#d0d4da"
	colText   = "#202124"
)

// DefaultMonths label the twelve months of a calendar year.
var DefaultMonths = []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12"}

// SVG renders m; the result is embedded as is in an HTML page (it is also a
// well-formed standalone SVG document body).
func SVG(m Monthly) template.HTML {
	var b strings.Builder
	_ = Write(&b, m)
	return template.HTML(b.String())
}

// Write renders m to w.
func Write(w io.Writer, m Monthly) error {
	months := m.Months
	if months == nil {
		months = DefaultMonths
	}
	if len(months) == 0 {
		return fmt.Errorf("chart %q: no months", m.Title)
	}
	if len(m.This.Values) > len(months) || len(m.Last.Values) > len(months) {
		return fmt.Errorf("chart %q: more values than months (%d, %d > %d)", m.Title, len(m.This.Values), len(m.Last.Values), len(months))
	}
	id := safeID(m.ID)
	lo, hi, ticks := scale(m)
	plotW := float64(width - left - right)
	step := plotW / float64(len(months))
	xOf := func(i int) float64 { return left + step*(float64(i)+0.5) }
	yOf := func(v float64) float64 { return top + plotH - (v-lo)/(hi-lo)*plotH }

	// Legend under the plot: sample line + marker + text, one entry per
	// row-slot; three entries fit 360 px in two rows.
	type entry struct {
		label, colour, dash, marker string
		sw                          float64
	}
	var entries []entry
	if hasAny(m.This.Values) {
		entries = append(entries, entry{orDefault(m.This.Label, "Năm nay"), colThis, "", "circle", 2.5})
	}
	if hasAny(m.Last.Values) { // a year without any value gets no legend entry
		entries = append(entries, entry{orDefault(m.Last.Label, "Năm trước"), colLast, "6 4", "square", 2})
	}
	if m.Target != nil {
		label := m.TargetLabel
		if label == "" {
			label = "Chỉ tiêu " + valueText(*m.Target, m.Percent)
		}
		entries = append(entries, entry{label, colTarget, "2 3", "", 1.5})
	}
	rows := max(1, (len(entries)+1)/2)
	h := legendY + (rows-1)*legendH + 12

	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-title %s-desc" font-family="sans-serif" font-size="11">`+"\n",
		width, h, id, id)
	p(`<title id="%s-title">%s</title>`+"\n", id, esc(m.Title))
	desc := m.Desc
	if desc == "" {
		desc = describe(m, months)
	}
	p(`<desc id="%s-desc">%s</desc>`+"\n", id, esc(desc))

	// Grid and y labels.
	p(`<g class="grid" stroke="%s" stroke-width="1">`+"\n", colGrid)
	for _, t := range ticks {
		y := yOf(t)
		p(`<line x1="%d" y1="%s" x2="%d" y2="%s"/>`+"\n", left, f1(y), width-right, f1(y))
	}
	p("</g>\n")
	p(`<g class="y-labels" fill="%s" text-anchor="end">`+"\n", colText)
	for _, t := range ticks {
		p(`<text x="%d" y="%s">%s</text>`+"\n", left-4, f1(yOf(t)+4), esc(valueText(t, m.Percent)))
	}
	p("</g>\n")
	// X labels: every month when they fit, else every other one.
	every := 1
	if step < 22 {
		every = 2
	}
	p(`<g class="x-labels" fill="%s" text-anchor="middle">`+"\n", colText)
	for i, l := range months {
		if i%every == 0 {
			p(`<text x="%s" y="%d">%s</text>`+"\n", f1(xOf(i)), xLabelY, esc(l))
		}
	}
	p("</g>\n")

	if m.Target != nil {
		y := yOf(clamp(*m.Target, lo, hi))
		p(`<line class="target" x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="2 3"/>`+"\n",
			left, f1(y), width-right, f1(y), colTarget)
	}
	line := func(class string, s Series, colour, dash string, sw float64, marker func(x, y float64, tip string)) {
		if len(s.Values) == 0 {
			return
		}
		// Missing months break the line.
		var d strings.Builder
		pen := false
		for i, v := range s.Values {
			if v == nil {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			if d.Len() > 0 {
				d.WriteByte(' ')
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, f1(xOf(i)), f1(yOf(clamp(*v, lo, hi))))
			pen = true
		}
		p(`<g class="%s">`+"\n", class)
		if d.Len() > 0 {
			dashAttr := ""
			if dash != "" {
				dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
			}
			p(`<path d="%s" fill="none" stroke="%s" stroke-width="%s"%s stroke-linejoin="round"/>`+"\n", d.String(), colour, f1(sw), dashAttr)
		}
		for i, v := range s.Values {
			if v != nil {
				marker(xOf(i), yOf(clamp(*v, lo, hi)), fmt.Sprintf("%s, %s: %s", s.Label, months[i], valueText(*v, m.Percent)))
			}
		}
		p("</g>\n")
	}
	line("last", m.Last, colLast, "6 4", 2, func(x, y float64, tip string) {
		p(`<rect x="%s" y="%s" width="7" height="7" fill="#fff" stroke="%s" stroke-width="1.5"><title>%s</title></rect>`+"\n",
			f1(x-3.5), f1(y-3.5), colLast, esc(tip))
	})
	line("this", m.This, colThis, "", 2.5, func(x, y float64, tip string) {
		p(`<circle cx="%s" cy="%s" r="3.5" fill="%s"><title>%s</title></circle>`+"\n", f1(x), f1(y), colThis, esc(tip))
	})

	p(`<g class="legend" fill="%s">`+"\n", colText)
	for i, e := range entries {
		x := float64(left) + float64(i%2)*155
		y := float64(legendY + (i/2)*legendH)
		dash := ""
		if e.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, e.dash)
		}
		p(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`+"\n", f1(x), f1(y), f1(x+24), f1(y), e.colour, f1(e.sw), dash)
		switch e.marker {
		case "circle":
			p(`<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", f1(x+12), f1(y), e.colour)
		case "square":
			p(`<rect x="%s" y="%s" width="7" height="7" fill="#fff" stroke="%s" stroke-width="1.5"/>`+"\n", f1(x+8.5), f1(y-3.5), e.colour)
		}
		p(`<text x="%s" y="%s">%s</text>`+"\n", f1(x+30), f1(y+4), esc(e.label))
	}
	p("</g>\n")
	if !hasAny(m.This.Values) && !hasAny(m.Last.Values) {
		p(`<text class="empty" x="%s" y="%s" text-anchor="middle" fill="%s">Chưa có số liệu theo tháng</text>`+"\n",
			f1(left+plotW/2), f1(top+plotH/2), colText)
	}
	p("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// scale returns the y range and the grid values: 0–100 for percentages
// (wider when a value falls outside, e.g. a negative reduction), 0 to a
// round ceiling for counts.
func scale(m Monthly) (lo, hi float64, ticks []float64) {
	lo, hi = 0, 0
	if m.Percent {
		hi = 100
	}
	for _, s := range [][]*float64{m.This.Values, m.Last.Values} {
		for _, v := range s {
			if v != nil {
				lo, hi = math.Min(lo, *v), math.Max(hi, *v)
			}
		}
	}
	if m.Target != nil {
		lo, hi = math.Min(lo, *m.Target), math.Max(hi, *m.Target)
	}
	if m.Percent && lo == 0 && hi == 100 {
		return 0, 100, []float64{0, 25, 50, 75, 100}
	}
	step := niceStep((hi - lo) / 4)
	first, last := math.Floor(lo/step), math.Max(math.Ceil(hi/step), math.Floor(lo/step)+1)
	for i := first; i <= last; i++ {
		ticks = append(ticks, i*step)
	}
	return first * step, last * step, ticks
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten (at least 1).
func niceStep(x float64) float64 {
	if x <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*p >= x {
			return f * p
		}
	}
	return 10 * p
}

// describe says in words what the chart shows, month by month.
func describe(m Monthly, months []string) string {
	kind := "số lượng"
	if m.Percent {
		kind = "tỷ lệ phần trăm"
	}
	parts := []string{fmt.Sprintf("Biểu đồ đường theo tháng (%s) của %s.", kind, m.Title)}
	for _, s := range []Series{m.This, m.Last} {
		if len(s.Values) == 0 {
			continue
		}
		var vals []string
		for i, v := range s.Values {
			t := "không có số liệu"
			if v != nil {
				t = valueText(*v, m.Percent)
			}
			vals = append(vals, months[i]+" "+t)
		}
		parts = append(parts, orDefault(s.Label, "Năm")+": "+strings.Join(vals, ", ")+".")
	}
	if m.Target != nil {
		parts = append(parts, orDefault(m.TargetLabel, "Chỉ tiêu "+valueText(*m.Target, m.Percent))+".")
	}
	return strings.Join(parts, " ")
}

// valueText writes v the Vietnamese way: decimal comma, at most one decimal.
func valueText(v float64, percent bool) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	s = strings.Replace(s, ".", ",", 1)
	if percent {
		s += "%"
	}
	return s
}

func f1(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func hasAny(vs []*float64) bool {
	for _, v := range vs {
		if v != nil {
			return true
		}
	}
	return false
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func safeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "chart"
	}
	return b.String()
}

// esc escapes text for XML and HTML alike.
func esc(s string) string { return template.HTMLEscapeString(s) }
