// Package status collects what `chiso status` shows: the warehouse, the
// units of the org directory, each connector's runs (last run, last
// success, last error, next run, rows, rejects, stale), the agency codes
// and register names the directory does not know, the baseline days not
// read yet. The CLI prints it as text; the web page's GET /api/v1/status
// and its sources page show the same value (one source).
package status

import (
	"context"
	"time"

	chisosync "chiso/sync"
	"chiso/sync/config"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// Input is what Collect reads.
type Input struct {
	Store    *warehouse.Store
	Config   *config.Config
	Embedded *warehouse.Embedded // nil with an external DSN
	Where    string              // where the data lives, in words
	Now      time.Time
}

// Status is what chiso status shows.
type Status struct {
	Warehouse   string    `json:"warehouse"`
	GeneratedAt time.Time `json:"generated_at"`
	// Restarts are the last restarts of the embedded PostgreSQL.
	Restarts   []Restart   `json:"warehouse_restarts"`
	Units      []Unit      `json:"units"`
	Connectors []Connector `json:"connectors"`
	// UnmappedCodes are counterpart codes not in the org directory (the 20
	// most frequent).
	UnmappedCodes []UnmappedCode `json:"unmapped_codes"`
	// Baseline is the first day the reports need; CoverageGaps the spans
	// from it that a connector with a time window has not read.
	Baseline     string        `json:"baseline"`
	CoverageGaps []CoverageGap `json:"coverage_gaps"`
	// UnresolvedNames are register agency names the directory cannot
	// resolve; RemovedRegisterRows register rows a later export no longer had.
	UnresolvedNames     []UnresolvedName `json:"unresolved_names"`
	RemovedRegisterRows []RemovedRow     `json:"removed_register_rows"`
	// Completeness are the closed months of a source with a gap (too few
	// records, or no successful run after the month's end) or a
	// confirmation (issue 16; chiso coverage).
	Completeness []warehouse.CoverageMonth `json:"completeness"`
}

// Restart is one restart of the embedded warehouse.
type Restart struct {
	At    time.Time `json:"at"`
	Cause string    `json:"cause"`
}

// Unit is a unit of the org directory.
type Unit struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Relation   string  `json:"relation"`
	Parent     *string `json:"parent"`
	MergedInto *string `json:"merged_into"`
}

// Connector is one connector's line.
type Connector struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Schedule string `json:"schedule"`
	// NextRun is the next scheduled run (nil: on request).
	NextRun     *time.Time `json:"next_run"`
	LastRun     *Run       `json:"last_run"`
	LastSuccess *Run       `json:"last_success"`
	LastError   *Run       `json:"last_error"`
	// Rows are the rows the last run upserted; Rejects every reject kept
	// for the connector (reasons in chiso status' sources, never content).
	Rows    int64 `json:"rows"`
	Rejects int64 `json:"rejects"`
	// Stale: no success for three schedule periods, or never a success
	// after a run.
	Stale bool `json:"stale"`
}

// Run is one run of a connector.
type Run struct {
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Status     string     `json:"status"` // ok | partial | failed | running
	Fetched    int64      `json:"fetched"`
	Upserted   int64      `json:"upserted"`
	Rejected   int64      `json:"rejected"`
	Error      *string    `json:"error"`
}

// UnmappedCode is an agency code the org directory does not know.
type UnmappedCode struct {
	Code      string `json:"code"`
	Documents int64  `json:"documents"`
}

// CoverageGap is a span of the baseline a connector has not read, with the
// command that reads it. Unknown holds the checkpoint when it cannot be
// read (then From/To span baseline..today).
type CoverageGap struct {
	Connector string  `json:"connector"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Unknown   *string `json:"unknown_checkpoint,omitempty"`
	Command   string  `json:"command"`
	span      connector.DateSpan
}

// Span is the gap as a date span.
func (g CoverageGap) Span() connector.DateSpan { return g.span }

// UnresolvedName is a register agency name not in the directory.
type UnresolvedName struct {
	Connector string `json:"connector"`
	Role      string `json:"role"`
	Name      string `json:"name"`
	Rows      int64  `json:"rows"`
	Example   string `json:"example"`
}

// RemovedRow is a register row missing from a later export.
type RemovedRow struct {
	Connector string `json:"connector"`
	File      string `json:"file"`
	Line      int    `json:"line"`
	Code      string `json:"code"`
}

// Collect reads the status.
func Collect(ctx context.Context, in Input) (*Status, error) {
	cfg, st := in.Config, in.Store
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	out := &Status{Warehouse: in.Where, GeneratedAt: now, Restarts: []Restart{}, Units: []Unit{}, Connectors: []Connector{},
		UnmappedCodes: []UnmappedCode{}, CoverageGaps: []CoverageGap{}, UnresolvedNames: []UnresolvedName{}, RemovedRegisterRows: []RemovedRow{}}
	if in.Embedded != nil {
		restarts, err := in.Embedded.Restarts(5)
		if err != nil {
			return nil, err
		}
		for _, r := range restarts {
			out.Restarts = append(out.Restarts, Restart{At: r.At, Cause: r.Cause})
		}
	}
	units, err := st.OrgUnits(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if (u.Relation == "self" || u.Relation == "internal") && !st.InTree(u.Code) {
			continue // another commune's tree in a shared warehouse
		}
		out.Units = append(out.Units, Unit{Code: u.Code, Name: u.Name, Relation: u.Relation, Parent: u.ParentCode, MergedInto: u.MergedInto})
	}
	sums, err := st.Summaries(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]warehouse.ConnectorSummary{}
	for _, s := range sums {
		byName[s.Connector] = s
	}
	for _, j := range cfg.Jobs {
		c := connectorOf(j.Name, j.Type, j.Schedule, j.Period, byName[j.Name], now)
		if t, err := chisosync.NextRun(j.Name, j.Schedule, now.In(cfg.Location)); err == nil {
			c.NextRun = &t
		}
		out.Connectors = append(out.Connectors, c)
	}
	// The dossier push receiver runs on request: each batch is a run.
	if s, ok := byName[dvcconn.PushConnector]; ok || cfg.HTTP.PushToken.IsSet() {
		out.Connectors = append(out.Connectors, connectorOf(dvcconn.PushConnector, "push", "on request", 0, s, now))
	}
	unmapped, err := st.UnmappedCodes(ctx, 20)
	if err != nil {
		return nil, err
	}
	for _, u := range unmapped {
		out.UnmappedCodes = append(out.UnmappedCodes, UnmappedCode{Code: u.Code, Documents: u.Documents})
	}
	baseline := cfg.Baseline()
	out.Baseline = baseline.Format(time.DateOnly)
	for _, j := range cfg.Jobs {
		v, ok, err := st.Checkpoint(ctx, j.Name, connector.CoverageStream)
		if err != nil {
			return nil, err
		}
		if ok {
			out.CoverageGaps = append(out.CoverageGaps, Gaps(j.Name, v, baseline, now.In(cfg.Location))...)
		}
	}
	names, err := st.UnresolvedNames(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		out.UnresolvedNames = append(out.UnresolvedNames, UnresolvedName{Connector: n.Connector, Role: n.Role, Name: n.Name, Rows: n.Rows, Example: n.Example})
	}
	removed, err := st.RemovedRegisterRows(ctx)
	if err != nil {
		return nil, err
	}
	out.RemovedRegisterRows = removedRows(removed)
	if out.Completeness, err = st.Coverage(ctx, now, false); err != nil {
		return nil, err
	}
	if out.Completeness == nil {
		out.Completeness = []warehouse.CoverageMonth{}
	}
	return out, nil
}

func removedRows(rows []facts.RegisterRow) []RemovedRow {
	out := make([]RemovedRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, RemovedRow{Connector: r.Connector, File: r.File, Line: r.Line, Code: r.Code})
	}
	return out
}

// connectorOf is one connector's line; period 0: no schedule (never stale).
func connectorOf(name, typ, schedule string, period time.Duration, s warehouse.ConnectorSummary, now time.Time) Connector {
	c := Connector{Name: name, Type: typ, Schedule: schedule, Rejects: s.Rejects,
		LastRun: runOf(s.Last), LastSuccess: runOf(s.LastSuccess), LastError: runOf(s.LastError)}
	if s.Last != nil {
		c.Rows = s.Last.Upserted
	}
	if s.LastSuccess != nil {
		c.Stale = period > 0 && now.Sub(s.LastSuccess.StartedAt) > 3*period
	} else {
		c.Stale = s.Last != nil
	}
	return c
}

func runOf(r *warehouse.RunRecord) *Run {
	if r == nil {
		return nil
	}
	return &Run{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: r.Status, Fetched: r.Fetched, Upserted: r.Upserted, Rejected: r.Rejected, Error: r.Error}
}

// Gaps lists the spans from baseline to the last date a connector read
// that its coverage checkpoint v does not hold, each with the command that
// reads it (all of baseline..today when v is unreadable).
func Gaps(name, v string, baseline, today time.Time) []CoverageGap {
	mk := func(span connector.DateSpan, unknown *string) CoverageGap {
		return CoverageGap{Connector: name, From: span.From.Format(time.DateOnly), To: span.To.Format(time.DateOnly),
			Unknown: unknown, Command: connector.BackfillCommand(name, span), span: span}
	}
	cov, err := connector.ParseCoverage(v)
	if err != nil || len(cov) == 0 {
		return []CoverageGap{mk(connector.DateSpan{From: baseline, To: connector.VietnamDate(today)}, &v)}
	}
	var out []CoverageGap
	for _, gap := range cov.Missing(baseline, cov[len(cov)-1].To) {
		out = append(out, mk(gap, nil))
	}
	return out
}
