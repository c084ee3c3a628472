package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse"
)

// The one estimate of chiso (docs/chi-tieu.md, "Ước thực hiện và cảnh báo
// sớm"): a span that has data up to dataEnd is carried to its end by last
// year's profile. Each count (a count indicator, the numerator and the
// denominator of a share, the current count of a reduction) is multiplied
// by last year's count over [from, end] divided by last year's count over
// [from, dataEnd] (both spans moved back one year with YearBack); where last
// year counted nothing over [from, dataEnd] the count goes linear instead
// (× days of the span / days with data) and the estimate says so. The
// report's "Ước thực hiện đến hết kỳ" and the year-end projection of the
// early warning are this estimate over two spans.

// Estimate is the projection of one indicator to the end of a span.
type Estimate struct {
	Value  *float64 // the indicator's value at the end of the span (nil: no estimate)
	Num    float64  // projected numerator (shares, counts) or current count (reductions)
	Den    float64  // projected denominator (shares); last year's full count (reductions)
	Linear bool     // some count went linear: last year had none over the elapsed span
}

// reductionCounts names the count indicator behind each reduction: its
// value this year is D(P), last year's is D(B).
var reductionCounts = map[string]string{
	"doc_reduction":     "documents_issued",
	"meeting_reduction": "meetings_held",
}

// estimator carries counts of [from, dataEnd] to [from, end].
type estimator struct {
	elapsed, full int                         // days with data, days of the span
	part, whole   map[string]warehouse.KPIRow // last year over [from, dataEnd] and [from, end]
}

func newEstimator(ctx context.Context, st kpiReader, unit string, from, dataEnd, end time.Time) (*estimator, error) {
	e := &estimator{elapsed: days(from, dataEnd), full: days(from, end)}
	lyFrom := YearBack(from, false)
	part, err := st.KPIBetween(ctx, lyFrom, YearBack(dataEnd, true), unit)
	if err != nil {
		return nil, err
	}
	whole, err := st.KPIBetween(ctx, lyFrom, YearBack(end, true), unit)
	if err != nil {
		return nil, err
	}
	e.part, e.whole = byIndicator(part), byIndicator(whole)
	return e, nil
}

func byIndicator(rows []warehouse.KPIRow) map[string]warehouse.KPIRow {
	m := make(map[string]warehouse.KPIRow, len(rows))
	for _, x := range rows {
		m[x.Indicator] = x
	}
	return m
}

// scale carries n (counted over the elapsed span) to the full span:
// n × lyWhole / lyPart, or n × full / elapsed when lyPart is 0.
func (e *estimator) scale(n int64, lyPart, lyWhole int64) (float64, bool) {
	if lyPart > 0 {
		return float64(n) * float64(lyWhole) / float64(lyPart), false
	}
	return float64(n) * float64(e.full) / float64(e.elapsed), true
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// estimate projects the row k of [from, dataEnd]; cur holds every row of
// that span (a reduction reads its count indicator there).
func (e *estimator) estimate(k warehouse.KPIRow, cur map[string]warehouse.KPIRow) Estimate {
	id := k.Indicator
	if countID, ok := reductionCounts[id]; ok {
		c, ok := cur[countID]
		lyWhole := e.whole[countID].Numerator
		if !ok || lyWhole == 0 {
			return Estimate{}
		}
		n, lin := e.scale(c.Numerator, e.part[countID].Numerator, lyWhole)
		v := round2(100 * (float64(lyWhole) - n) / float64(lyWhole))
		return Estimate{Value: &v, Num: n, Den: float64(lyWhole), Linear: lin}
	}
	num, lin := e.scale(k.Numerator, e.part[id].Numerator, e.whole[id].Numerator)
	if k.Denominator == nil {
		v := round2(num)
		return Estimate{Value: &v, Num: num, Linear: lin}
	}
	var pd, wd int64
	if x := e.part[id].Denominator; x != nil {
		pd = *x
	}
	if x := e.whole[id].Denominator; x != nil {
		wd = *x
	}
	den, lin2 := e.scale(*k.Denominator, pd, wd)
	if den <= 0 {
		return Estimate{}
	}
	// Two profiles may carry the numerator past the denominator: the rest
	// of the span adds at most as many to the numerator as to the denominator.
	num = math.Min(num, float64(k.Numerator)+den-float64(*k.Denominator))
	v := round2(100 * num / den)
	return Estimate{Value: &v, Num: num, Den: den, Linear: lin || lin2}
}

// Statuses of the early warning.
const (
	StatusMet     = "Đạt"        // the projection reaches the target
	StatusAtRisk  = "Có nguy cơ" // the projection misses it, but it can still be reached
	StatusMissed  = "Chưa đạt"   // it can no longer be reached
	StatusNoData  = "Chưa đủ số liệu"
	neededMaxKind = "max_count"
	neededMinKind = "min_share"
)

// Needed says what it takes to reach a target by 31 December.
type Needed struct {
	// Kind: max_count (a reduction or a ceiling on a count: how many are
	// still allowed) or min_share (a share: the share needed over the rest
	// of the year).
	Kind  string `json:"kind"`
	Until string `json:"until"` // YYYY-MM-DD, 31 December
	// max_count: the most in the whole year that still reaches the target,
	// how many so far, and how many more are allowed (negative: over).
	AllowedTotal *int64 `json:"allowed_total,omitempty"`
	Used         *int64 `json:"used,omitempty"`
	Remaining    *int64 `json:"remaining,omitempty"`
	// min_share: expected denominator of the rest of the year (last year's
	// profile), the numerator needed of it, and that as a share (%).
	ExpectedRest *float64 `json:"expected_rest,omitempty"`
	NeededCount  *float64 `json:"needed_count,omitempty"`
	Share        *float64 `json:"share,omitempty"`
	// Reachable is false when the target can no longer be reached.
	Reachable bool   `json:"reachable"`
	Text      string `json:"text"` // what it takes, in Vietnamese
}

// Outlook is the early warning of one target for a year: the actual to
// date, the year-end projection, the status and what it takes.
type Outlook struct {
	Indicator  string
	Label      string
	Unit       string // unit code
	Year       int
	DataEnd    time.Time        // last day with data (yesterday)
	Actual     warehouse.KPIRow // 1 January .. DataEnd
	Projection *float64
	Linear     bool
	Status     string
	Needed     *Needed
	// DataComplete: no unconfirmed coverage gap (report.CoverageGaps) in
	// the facts behind the outlook: this year to date (and its cùng kỳ for a
	// reduction) and last year's profile. Gaps lists them.
	DataComplete bool
	Gaps         []Gap
}

// AtRisk reports whether the target is not projected to be met (at risk,
// missed or without data).
func (o Outlook) AtRisk() bool { return o.Status != StatusMet }

// YearOutlook computes the early warning of every target of unit for the
// year of now (Vietnam time): actual from 1 January to yesterday, projected
// to 31 December by last year's profile.
func YearOutlook(ctx context.Context, st *warehouse.Store, unit string, now time.Time) ([]Outlook, error) {
	from, to := outlookCoverageSpan(now)
	cov, err := readCoverage(ctx, st, []string{unit}, [][2]time.Time{{from, to}}, now)
	if err != nil {
		return nil, err
	}
	return yearOutlook(ctx, st, cov, unit, now)
}

// outlookCoverageSpan is the one look at the coverage the year outlook of
// now takes: the months from 1 January last year to the last day with
// data hold this year to date, a reduction's cùng kỳ and last year's whole
// profile (the year before, "baseline" of that span, is left out).
func outlookCoverageSpan(now time.Time) (from, to time.Time) {
	now = now.In(vntime.Location)
	y := now.Year()
	first := date(y, 1, 1)
	to = date(y, now.Month(), now.Day()).AddDate(0, 0, -1) // today is not over
	if to.Before(first) {
		to = first
	}
	return YearBack(first, false), to
}

// yearOutlook is YearOutlook reading indicator rows from st (the warehouse or
// Build's memo) and the coverage from cov (Build's, which holds the span of
// outlookCoverageSpan).
func yearOutlook(ctx context.Context, st kpiReader, cov *coverageMemo, unit string, now time.Time) ([]Outlook, error) {
	now = now.In(vntime.Location)
	y := now.Year()
	from, end := date(y, 1, 1), date(y, 12, 31)
	dataEnd := date(y, now.Month(), now.Day()).AddDate(0, 0, -1) // today is not over
	inds, err := st.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	labels := map[string]warehouse.Indicator{}
	for _, i := range inds {
		labels[i.ID] = i
	}
	if dataEnd.Before(from) { // 1 January: nothing yet; what it takes is still known
		dataEnd = from.AddDate(0, 0, -1)
	}
	span := dataEnd
	if span.Before(from) {
		span = from
	}
	rows, err := st.KPIBetween(ctx, from, span, unit)
	if err != nil {
		return nil, err
	}
	cur := byIndicator(rows)
	if dataEnd.Before(from) {
		for id, k := range cur { // an empty span: zero counts
			k.Numerator, k.Value, k.Met = 0, nil, nil
			if k.Denominator != nil {
				zero := int64(0)
				k.Denominator = &zero
			}
			cur[id] = k
		}
	}
	e, err := newEstimator(ctx, st, unit, from, span, end)
	if err != nil {
		return nil, err
	}
	if dataEnd.Before(from) {
		e.part = map[string]warehouse.KPIRow{}
	}
	cf, ct := outlookCoverageSpan(now)
	spanGaps, _, err := cov.gaps(ctx, unit, cf, ct)
	if err != nil {
		return nil, err
	}
	gaps := map[string][]Gap{}
	for id, gs := range spanGaps {
		for _, g := range gs {
			if !g.Baseline {
				gaps[id] = append(gaps[id], g)
			}
		}
	}
	var out []Outlook
	for _, ind := range inds {
		k, ok := cur[ind.ID]
		if !ok || ind.Kind != "target" || k.Target == nil || k.Op == nil {
			continue
		}
		o := Outlook{Indicator: ind.ID, Label: ind.Label, Unit: unit, Year: y, DataEnd: dataEnd, Actual: k}
		if !dataEnd.Before(from) {
			est := e.estimate(k, cur)
			o.Projection, o.Linear = est.Value, est.Linear
		}
		o.Needed = e.needed(k, cur, end)
		o.Gaps = gaps[ind.ID]
		o.DataComplete = len(o.Gaps) == 0
		o.Status = status(o)
		out = append(out, o)
	}
	return out, nil
}

// meets is the kpi SQL's comparison of a value with a target.
func meets(v float64, op string, target float64) bool {
	switch op {
	case ">=":
		return v >= target
	case "<=":
		return v <= target
	default:
		return v == target
	}
}

func status(o Outlook) string {
	switch {
	case o.Needed != nil && !o.Needed.Reachable:
		return StatusMissed
	case o.Projection == nil:
		return StatusNoData
	case !o.DataComplete:
		return StatusNoData // a number with a gap in its facts never reads Đạt, nor a risk it may not have
	case meets(*o.Projection, *o.Actual.Op, *o.Actual.Target):
		return StatusMet
	default:
		return StatusAtRisk
	}
}

// needed computes what it takes by end; nil when the target's kind has no
// such figure (e.g. a reduction without any count last year).
func (e *estimator) needed(k warehouse.KPIRow, cur map[string]warehouse.KPIRow, end time.Time) *Needed {
	op, t := *k.Op, *k.Target
	until := end.Format("2006-01-02")
	day := end.Format("02/01/2006")
	if countID, ok := reductionCounts[k.Indicator]; ok {
		base := e.whole[countID].Numerator // last year's full count, D(B)
		if base == 0 || op == "<=" {
			return nil
		}
		// The most P with round2((B − P) / B × 100) ≥ target, as the kpi SQL compares.
		allowed := int64(math.Floor(float64(base) * (100 - t) / 100))
		for allowed+1 <= base && round2(100*float64(base-allowed-1)/float64(base)) >= t {
			allowed++
		}
		for allowed >= 0 && round2(100*float64(base-allowed)/float64(base)) < t {
			allowed--
		}
		return maxCount(allowed, cur[countID].Numerator, until, day, countNoun(countID))
	}
	if k.Denominator == nil { // a count with a ceiling
		if op != "<=" {
			return nil
		}
		return maxCount(int64(math.Floor(t)), k.Numerator, until, day, countNoun(k.Indicator))
	}
	// A share: the numerator still needed of the rest of the year.
	var pd, wd int64
	if x := e.part[k.Indicator].Denominator; x != nil {
		pd = *x
	}
	if x := e.whole[k.Indicator].Denominator; x != nil {
		wd = *x
	}
	d := *k.Denominator
	total, _ := e.scale(d, pd, wd)
	if d == 0 && pd == 0 {
		total = float64(wd) // nothing yet this year: last year's whole count is what is expected
	}
	rest := math.Max(total-float64(d), 0)
	if float64(d)+rest == 0 {
		return nil // none so far and none expected: nothing to aim at
	}
	need := t/100*(float64(d)+rest) - float64(k.Numerator)
	n := &Needed{Kind: neededMinKind, Until: until, ExpectedRest: ptr(round2(rest)), NeededCount: ptr(round2(math.Max(need, 0)))}
	switch {
	case need <= 1e-9 && rest == 0:
		n.Share, n.Reachable = ptr(0.0), true
		n.Text = "đã đạt; theo diễn biến năm trước không còn phát sinh thêm đến " + day
	case need <= 1e-9:
		n.Share, n.Reachable = ptr(0.0), true
		n.Text = fmt.Sprintf("đã bảo đảm chỉ tiêu kể cả khi phần còn lại đến %s (dự kiến khoảng %s) không đạt", day, num(math.Round(rest), true, ","))
	case rest <= 0 || need > rest+1e-9:
		n.Reachable = false
		if rest > 0 {
			n.Share = ptr(round2(100 * need / rest))
		}
		n.Text = "không còn đạt được"
	default:
		n.Share, n.Reachable = ptr(round2(100*need/rest)), true
		n.Text = fmt.Sprintf("cần đạt %s%% trong phần còn lại đến %s (khoảng %s trên %s dự kiến)",
			num(*n.Share, false, ","), day, num(math.Ceil(need-1e-9), true, ","), num(math.Round(rest), true, ","))
	}
	return n
}

func maxCount(allowed, used int64, until, day, noun string) *Needed {
	rem := allowed - used
	n := &Needed{Kind: neededMaxKind, Until: until, AllowedTotal: &allowed, Used: &used, Remaining: &rem, Reachable: rem >= 0}
	if rem >= 0 {
		n.Text = fmt.Sprintf("còn được tối đa %d %s đến %s (cả năm tối đa %d, đã có %d)", rem, noun, day, allowed, used)
	} else {
		n.Text = fmt.Sprintf("không còn đạt được: đã có %d %s, cả năm tối đa %d", used, noun, allowed)
	}
	return n
}

func countNoun(id string) string {
	if u, ok := countUnits[id]; ok {
		return u
	}
	return "bản ghi"
}

func ptr[T any](v T) *T { return &v }

// TargetText is the target as the report writes it (e.g. "≥ 15%").
func (o Outlook) TargetText(sep string) string { return targetText(o.Actual, sep) }

// ValueText is the value to date as the report writes it.
func (o Outlook) ValueText(sep string) string { return valueText(o.Actual.Value, o.Actual.Unit, sep) }

// Text is the early warning in one line: status, projection, what it takes.
func (o Outlook) Text(sep string) string {
	s := outlookText(o.Status, o.Projection, o.Linear, o.Needed, o.Actual.Unit, sep)
	if len(o.Gaps) > 0 {
		s += "; chưa đủ số liệu: " + joinBySource(o.Gaps, false)
	}
	return s
}

func outlookText(status string, projection *float64, linear bool, needed *Needed, unit, sep string) string {
	if status == "" {
		return ""
	}
	parts := []string{status}
	if projection != nil {
		p := "ước cả năm " + valueText(projection, unit, sep)
		if linear {
			p += " (ước tuyến tính: năm trước không có số liệu cùng kỳ)"
		}
		parts = append(parts, p)
	}
	if needed != nil {
		parts = append(parts, needed.Text)
	}
	return strings.Join(parts, "; ")
}
