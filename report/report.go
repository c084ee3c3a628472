package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"chiso/adapters/vntime"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// Options select what chiso report prints.
type Options struct {
	Period string // contracts.md §1 period
	Unit   string // unit code (the caller defaults it to org.self)
	Format string // table (default) | csv | json | md | xlsx
	// Named report periods; nil reads them from the warehouse (the config's
	// report_periods, stored by chiso migrate/run), else the defaults.
	Named []NamedPeriod
	Now   time.Time // zero: time.Now()
	// IndicatorsOnly leaves out the documents-by-type and units sheets
	// (Report.DocTypes, Units, UnitRows): what the JSON and the web page's
	// overview show does not need them.
	IndicatorsOnly bool
	// NoDocTypes leaves out the documents-by-type sheet only
	// (Report.DocTypes): the web pages show the units sheet but not that
	// one, which for a province counts every document of two years.
	NoDocTypes bool
}

// Formats are the output formats of chiso report.
var Formats = []string{"table", "csv", "json", "md", "xlsx"}

// ErrUsage marks an error in the user's request (unknown period, unit or
// format): the message says what to fix.
var ErrUsage = errors.New("usage")

// Report is everything the renderers print.
type Report struct {
	Period      Period
	BaseFrom    time.Time
	BaseTo      time.Time
	Unit        warehouse.OrgUnit
	GeneratedAt time.Time
	EstimateTo  *time.Time // end of the span estimates project to
	Elapsed     int        // days with data, for the estimate
	FullDays    int
	// EstimateLinear: some estimate went linear (last year had no data).
	EstimateLinear bool
	// OutlookYear is the year of the early warning (0: none; the period is
	// not in the current year) and OutlookDataEnd its last day with data.
	OutlookYear    int
	OutlookDataEnd time.Time
	Sources        []warehouse.SourceSync
	Rows           []Row
	DocTypes       []DocTypeRow
	Units          []warehouse.OrgUnit // the unit and its internal units, side by side
	UnitRows       map[string]map[string]warehouse.KPIRow
	Frozen         *Frozen `json:"-"` // set when rendered from a snapshot (snapshot.go)
}

// Row is one indicator of the report.
type Row struct {
	warehouse.KPIRow
	Label    string
	Kind     string // target | info
	Source   string // documents | meetings | dossiers
	Baseline warehouse.KPIRow
	HasBase  bool
	Estimate *float64
	// Early warning for the current year (nil/"" for a period of another
	// year): the year-end projection, Đạt / Có nguy cơ / Chưa đạt (or Chưa
	// đủ số liệu) and what it takes by 31 December (outlook.go).
	Projection       *float64
	ProjectionLinear bool
	Status           string
	Needed           *Needed
	// Baseline counts behind a reduction (D(B), D(P)) for the note.
	Cur, Base *int64
	// DataComplete: no month of the facts behind the row (its period, and
	// the baseline of a reduction) has an unconfirmed gap (coverage.go);
	// false makes Met nil ("Chưa đủ số liệu").
	DataComplete bool
	Gaps         []Gap // the unconfirmed gaps
	Confirmed    []Gap // low months an admin confirmed as real
}

// DocTypeRow is one row of the documents-by-type sheet.
type DocTypeRow struct {
	Label      string
	Out, Base  int64
	In         int64
	Electronic int64
	Total      bool // a total or "of which" line
}

// Run builds the report of opts and writes it to w in opts.Format.
func Run(ctx context.Context, st *warehouse.Store, opts Options, w io.Writer) error {
	format := opts.Format
	if format == "" {
		format = "table"
	}
	if !contains(Formats, format) {
		return fmt.Errorf("%w: unknown format %q (use %s)", ErrUsage, format, strings.Join(Formats, ", "))
	}
	if format == "json" {
		opts.IndicatorsOnly = true // the JSON has neither sheet
	}
	r, err := Build(ctx, st, opts)
	if err != nil {
		return err
	}
	return writeAs(r, format, w)
}

// renderer is what can be written in every format of chiso report: the
// report of one unit and the league table.
type renderer interface {
	WriteJSON(io.Writer) error
	WriteCSV(io.Writer) error
	WriteMarkdown(io.Writer) error
	WriteXLSX(io.Writer) error
	WriteTable(io.Writer) error
}

// writeAs writes r to w in format (one of Formats; table by default).
func writeAs(r renderer, format string, w io.Writer) error {
	switch format {
	case "json":
		return r.WriteJSON(w)
	case "csv":
		return r.WriteCSV(w)
	case "md":
		return r.WriteMarkdown(w)
	case "xlsx":
		return r.WriteXLSX(w)
	default:
		return r.WriteTable(w)
	}
}

// namedPeriods returns the configured report periods.
func namedPeriods(ctx context.Context, st *warehouse.Store, opts Options) ([]NamedPeriod, error) {
	if opts.Named != nil {
		return opts.Named, nil
	}
	stored, err := st.ReportPeriods(ctx)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return DefaultNamedPeriods, nil
	}
	out := make([]NamedPeriod, len(stored))
	for i, p := range stored {
		out[i] = NamedPeriod{ID: p.ID, Label: p.Label, From: p.FromMD, To: p.ToMD, FromPrevYear: p.FromPrevYear}
	}
	return out, nil
}

// resolve parses the period and finds the unit.
func resolve(ctx context.Context, st *warehouse.Store, period, unit string, named []NamedPeriod) (Period, warehouse.OrgUnit, []warehouse.OrgUnit, error) {
	p, err := ParsePeriod(period, named)
	if err != nil {
		return p, warehouse.OrgUnit{}, nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	units, err := st.OrgUnits(ctx)
	if err != nil {
		return p, warehouse.OrgUnit{}, nil, err
	}
	code := strings.ToUpper(strings.TrimSpace(unit))
	for _, u := range units {
		if u.Code == code {
			return p, u, units, nil
		}
	}
	if code == "" {
		return p, warehouse.OrgUnit{}, nil, fmt.Errorf("%w: no unit given (--unit CODE, or org.self in the config)", ErrUsage)
	}
	return p, warehouse.OrgUnit{}, nil, fmt.Errorf("%w: unknown unit %q: not in the org directory (chiso status lists the units)", ErrUsage, unit)
}

// Build computes the report without rendering it.
func Build(ctx context.Context, st *warehouse.Store, opts Options) (*Report, error) {
	named, err := namedPeriods(ctx, st, opts)
	if err != nil {
		return nil, err
	}
	p, unit, units, err := resolve(ctx, st, opts.Period, opts.Unit, named)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	inds, err := st.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	// The indicator rows, the sources and the two other sheets read
	// statements of their own, all at once (on connections of the pool).
	sheets := &Report{Period: p, Unit: unit}
	sheets.BaseFrom, sheets.BaseTo = p.Baseline()
	var r *Report
	var sources []warehouse.SourceSync
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		r, err = buildRows(gctx, st, p, unit, inds, now, nil, nil)
		return err
	})
	g.Go(func() error {
		var err error
		sources, err = st.SourceSyncs(gctx)
		return err
	})
	if !opts.IndicatorsOnly {
		if !opts.NoDocTypes {
			g.Go(func() error { return sheets.buildDocTypes(gctx, st) })
		}
		g.Go(func() error { return sheets.buildUnits(gctx, st, units) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.Sources = sources
	r.DocTypes, r.Units, r.UnitRows = sheets.DocTypes, sheets.Units, sheets.UnitRows
	return r, nil
}

// buildRows computes the indicator rows of unit for p: a report without
// its sources, documents by type and units (the league table builds one
// per commune). It reads the kpi from kpi, which holds the spans of
// reportSpans (the league's memo prefetched them for all its units); nil:
// a memo of its own, prefetched for unit. It reads the coverage from cov,
// which holds the spans of reportCoverageSpans (the league's, read for all
// its units); nil: read for unit, in one call.
func buildRows(ctx context.Context, st *warehouse.Store, p Period, unit warehouse.OrgUnit, inds []warehouse.Indicator, now time.Time, kpi *kpiMemo, cov *coverageMemo) (*Report, error) {
	now = now.In(vntime.Location)
	if kpi == nil || cov == nil {
		kpi = newKPIMemo(st, inds)
		var err error
		if cov, err = readInputs(ctx, st, kpi, []string{unit.Code}, p, now); err != nil {
			return nil, err
		}
	}
	r := &Report{Period: p, Unit: unit, GeneratedAt: now}
	r.BaseFrom, r.BaseTo = p.Baseline()
	cur, err := kpi.KPIBetween(ctx, p.From, p.To, unit.Code)
	if err != nil {
		return nil, err
	}
	base, err := kpi.KPIBetween(ctx, r.BaseFrom, r.BaseTo, unit.Code)
	if err != nil {
		return nil, err
	}
	byInd := func(rows []warehouse.KPIRow) map[string]warehouse.KPIRow {
		m := map[string]warehouse.KPIRow{}
		for _, x := range rows {
			m[x.Indicator] = x
		}
		return m
	}
	cm, bm := byInd(cur), byInd(base)
	end, elapsed, full, estimate := p.EstimateSpan(now)
	var est *estimator
	em := cm
	if estimate {
		r.EstimateTo, r.Elapsed, r.FullDays = &end, elapsed, full
		dataEnd := p.From.AddDate(0, 0, elapsed-1)
		if dataEnd.Before(p.To) {
			rows, err := kpi.KPIBetween(ctx, p.From, dataEnd, unit.Code)
			if err != nil {
				return nil, err
			}
			em = byInd(rows)
		}
		if est, err = newEstimator(ctx, kpi, unit.Code, p.From, dataEnd, end); err != nil {
			return nil, err
		}
	}
	outlook := map[string]Outlook{}
	if p.From.Year() <= now.Year() && p.To.Year() >= now.Year() {
		outs, err := yearOutlook(ctx, kpi, cov, unit.Code, now)
		if err != nil {
			return nil, err
		}
		r.OutlookYear = now.Year()
		for _, o := range outs {
			outlook[o.Indicator] = o
			r.OutlookDataEnd = o.DataEnd
		}
	}
	for _, ind := range inds {
		k, ok := cm[ind.ID]
		if !ok {
			continue
		}
		row := Row{KPIRow: k, Label: ind.Label, Kind: ind.Kind, Source: ind.Source}
		if b, ok := bm[ind.ID]; ok {
			row.Baseline, row.HasBase = b, true
		}
		if ek, ok := em[ind.ID]; est != nil && ok {
			e := est.estimate(ek, em)
			row.Estimate = e.Value
			r.EstimateLinear = r.EstimateLinear || e.Linear && e.Value != nil
		}
		if o, ok := outlook[ind.ID]; ok {
			row.Projection, row.ProjectionLinear, row.Status, row.Needed = o.Projection, o.Linear, o.Status, o.Needed
		}
		switch ind.ID {
		case "doc_reduction":
			row.Cur, row.Base = countOf(cm, "documents_issued"), k.Denominator
		case "meeting_reduction":
			row.Cur, row.Base = countOf(cm, "meetings_held"), k.Denominator
		}
		r.Rows = append(r.Rows, row)
	}
	if err := r.applyCoverage(ctx, cov); err != nil {
		return nil, err
	}
	return r, nil
}

// readInputs reads what the reports of units for p need from the
// warehouse up front: the kpi of reportSpans into kpi, and the coverage of
// reportCoverageSpans, which it returns. The two statements run at once,
// on two connections of the pool (each one PostgreSQL backend, so on two
// cores); neither depends on the other.
func readInputs(ctx context.Context, st *warehouse.Store, kpi *kpiMemo, units []string, p Period, now time.Time) (*coverageMemo, error) {
	var cov *coverageMemo
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return kpi.prefetch(gctx, units, reportSpans(p, now)) })
	g.Go(func() error {
		var err error
		cov, err = readCoverage(gctx, st, units, reportCoverageSpans(p, now), now)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return cov, nil
}

// reportSpans are the spans a report of p reads for its unit, computed in
// one statement up front: the period, its baseline, the estimate's and the
// year outlook's spans of this year and last (the same dates as
// newEstimator and yearOutlook use; a span missed here is read on its
// own). They depend on p and now only, so the league reads them for all
// its units at once.
func reportSpans(p Period, now time.Time) [][2]time.Time {
	now = now.In(vntime.Location)
	bf, bt := p.Baseline()
	out := [][2]time.Time{{p.From, p.To}, {bf, bt}}
	ly := func(from, dataEnd, end time.Time) {
		out = append(out, [2]time.Time{from, dataEnd}, [2]time.Time{YearBack(from, false), YearBack(dataEnd, true)}, [2]time.Time{YearBack(from, false), YearBack(end, true)})
	}
	if end, elapsed, _, ok := p.EstimateSpan(now); ok {
		ly(p.From, p.From.AddDate(0, 0, elapsed-1), end)
	}
	if p.From.Year() <= now.Year() && p.To.Year() >= now.Year() {
		y := now.Year()
		from, end := date(y, 1, 1), date(y, 12, 31)
		dataEnd := date(y, now.Month(), now.Day()).AddDate(0, 0, -1)
		if !dataEnd.Before(from) {
			ly(from, dataEnd, end)
		}
	}
	return out
}

func countOf(m map[string]warehouse.KPIRow, id string) *int64 {
	if r, ok := m[id]; ok {
		n := r.Numerator
		return &n
	}
	return nil
}

func (r *Report) buildDocTypes(ctx context.Context, st *warehouse.Store) error {
	counts, err := st.DocumentsByType(ctx, r.Unit.Code, r.Period.From, r.Period.To, r.BaseFrom, r.BaseTo)
	if err != nil {
		return err
	}
	// One row per administrative type of facts.DocTypes, in its order.
	var rows []DocTypeRow
	idx := map[string]int{}
	for _, t := range facts.DocTypes {
		if !t.QPPL {
			idx[t.ID] = len(rows)
			rows = append(rows, DocTypeRow{Label: t.ReportLabel()})
		}
	}
	var total, qppl, secret, other DocTypeRow
	total.Label, total.Total = "Tổng số văn bản hành chính", true
	qppl.Label, qppl.Total = "Văn bản quy phạm pháp luật", true
	secret.Label, secret.Total = "Trong đó: văn bản mật (hành chính)", true
	other.Label, other.Total = "Văn bản khác (chuyên ngành, Đảng, bản sao, chưa xác định nhóm)", true
	add := func(d *DocTypeRow, c warehouse.DocTypeCount) {
		if c.Direction == "out" {
			d.Out += c.Cur
			d.Base += c.Base
		} else {
			d.In += c.Cur
		}
		d.Electronic += c.Electronic
	}
	for _, c := range counts {
		switch c.Family {
		case "hanh_chinh":
			i, ok := idx[c.DocType]
			if !ok {
				i = idx["khac"]
			}
			add(&rows[i], c)
			add(&total, c)
			if c.Secret {
				add(&secret, c)
			}
		case "qppl":
			add(&qppl, c)
		default:
			add(&other, c)
		}
	}
	r.DocTypes = append(append(rows, total, secret, qppl), other)
	return nil
}

// buildUnits computes the indicators of the unit's internal units (and
// its own), side by side: one statement for all of them.
func (r *Report) buildUnits(ctx context.Context, st *warehouse.Store, all []warehouse.OrgUnit) error {
	members, err := st.UnitMembers(ctx, r.Unit.Code)
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	r.Units = []warehouse.OrgUnit{r.Unit}
	for _, u := range all {
		if in[u.Code] && u.Code != r.Unit.Code && u.Relation == "internal" && u.MergedInto == nil {
			r.Units = append(r.Units, u)
		}
	}
	codes := make([]string, len(r.Units))
	r.UnitRows = map[string]map[string]warehouse.KPIRow{}
	for i, u := range r.Units {
		codes[i] = u.Code
		r.UnitRows[u.Code] = map[string]warehouse.KPIRow{}
	}
	p := r.Period
	rows, err := st.KPISpansOf(ctx, []warehouse.Span{{ID: spanID(p.From, p.To), From: p.From, To: p.To}}, codes)
	if err != nil {
		return err
	}
	for _, x := range rows {
		r.UnitRows[x.UnitCode][x.Indicator] = x
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WriteFile renders the report into path (the -o flag): written to a
// temporary file first, so a failed run leaves no half file.
func WriteFile(path string, render func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := render(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
