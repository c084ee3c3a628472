package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// The completeness of the facts (issue 16): the SQL lives in
// sql/70_coverage.sql (coverage_at, the view coverage, coverage_gaps); this
// file is the Go access to it.

// Coverage statuses of a month (column status of the view coverage).
const (
	CoverageOK        = "ok"        // as expected, and a successful run covered the month's end
	CoverageGapStatus = "gap"       // too few records, or no successful run covered the month's end
	CoverageConfirmed = "confirmed" // a gap an admin confirmed as real: counts as complete
	CoverageOpen      = "open"      // the current month: not judged yet
)

// Coverage reasons of a gap (column reason, comma separated).
const (
	CoverageLow   = "low"    // fewer records than threshold × expected, and not by chance
	CoverageNoRun = "no_run" // no successful run of the connector after the month's end
)

// CoverageMonth is one row of the view coverage: one kind of fact
// (documents_out, documents_in, dossiers, meetings), unit, source and month.
type CoverageMonth struct {
	Fact        string     `db:"fact" json:"fact"`
	UnitCode    string     `db:"unit_code" json:"unit"`
	Source      string     `db:"source" json:"source"`
	Connector   string     `db:"connector" json:"connector"`
	Month       time.Time  `db:"month" json:"-"`
	Seen        int64      `db:"seen" json:"seen"`
	LastYear    *int64     `db:"last_year" json:"last_year"`
	Median      *float64   `db:"median" json:"median"`
	Expected    *float64   `db:"expected" json:"expected"`
	RunCovered  *bool      `db:"run_covered" json:"run_covered"`
	LastSuccess *time.Time `db:"last_success" json:"last_success"`
	Status      string     `db:"status" json:"status"`
	Reason      *string    `db:"reason" json:"reason"`
	ConfirmedBy *string    `db:"confirmed_by" json:"confirmed_by"`
	ConfirmedAt *time.Time `db:"confirmed_at" json:"confirmed_at"`
	Note        *string    `db:"note" json:"note"`
}

// MarshalJSON writes the month as "YYYY-MM".
func (c CoverageMonth) MarshalJSON() ([]byte, error) {
	type plain CoverageMonth
	return json.Marshal(struct {
		plain
		Month string `json:"month"`
	}{plain(c), c.MonthText()})
}

// MonthText is the month as YYYY-MM.
func (c CoverageMonth) MonthText() string { return c.Month.Format("2006-01") }

// Reasons lists the reasons of a gap (low, no_run).
func (c CoverageMonth) Reasons() []string {
	if c.Reason == nil || *c.Reason == "" {
		return nil
	}
	return strings.Split(*c.Reason, ",")
}

const coverageCols = `fact, unit_code, source, connector, month, seen, last_year, median, expected,
	run_covered, last_success, status, reason, confirmed_by, confirmed_at, note`

// Coverage returns the coverage as of at (zero: now), every month when all
// is true, else only the gaps and the confirmed months; ordered by
// connector, fact, unit and month.
func (s *Store) Coverage(ctx context.Context, at time.Time, all bool) ([]CoverageMonth, error) {
	if at.IsZero() {
		at = time.Now()
	}
	var out []CoverageMonth
	err := s.DB.SelectContext(ctx, &out, `SELECT `+coverageCols+` FROM coverage_at($1)
		WHERE $2 OR status IN ('gap', 'confirmed')
		ORDER BY connector, fact, unit_code, month`, at, all)
	if err != nil {
		return nil, fmt.Errorf("warehouse: coverage: %w", err)
	}
	return out, nil
}

// CoverageGap is a month with a gap (or a confirmed one) behind one
// indicator of unit Root for span number Span (0-based, CoverageGapsOf):
// in the span, or (InBaseline) in the baseline of a reduction.
type CoverageGap struct {
	Root       string `db:"root"`
	Span       int    `db:"span"`
	Indicator  string `db:"indicator"`
	InBaseline bool   `db:"in_baseline"`
	CoverageMonth
}

// CoverageGaps lists, per indicator, the months with a gap or a
// confirmation behind unit (rolled up) for the span [from, to] and, for
// the reductions, its baseline, as of at (zero: now).
func (s *Store) CoverageGaps(ctx context.Context, unit string, from, to, at time.Time) ([]CoverageGap, error) {
	return s.CoverageGapsOf(ctx, []string{unit}, [][2]time.Time{{from, to}}, at)
}

// CoverageGapsOf is CoverageGaps of many units and spans at once (a
// report's period and year outlook, the league table's communes): the
// coverage is computed once for all of them; each row says which unit
// (Root) and span (Span, the index in spans) it is behind, ordered by
// unit, span, indicator and month.
func (s *Store) CoverageGapsOf(ctx context.Context, units []string, spans [][2]time.Time, at time.Time) ([]CoverageGap, error) {
	if at.IsZero() {
		at = time.Now()
	}
	from, to := make([]string, len(spans)), make([]string, len(spans))
	for i, sp := range spans {
		from[i], to[i] = dateArg(sp[0]), dateArg(sp[1])
	}
	var out []CoverageGap
	err := s.DB.SelectContext(ctx, &out, `SELECT root, span - 1 AS span, indicator, in_baseline, fact, unit_code, source, connector, month, seen,
		       NULL::bigint AS last_year, NULL::double precision AS median, expected,
		       NULL::boolean AS run_covered, NULL::timestamptz AS last_success, status, reason, confirmed_by, confirmed_at, note
		FROM coverage_gaps_of($1::text[], $2::date[], $3::date[], $4)`, pq.Array(units), pq.Array(from), pq.Array(to), at)
	if err != nil {
		return nil, fmt.Errorf("warehouse: coverage gaps of %s %s..%s: %w", strings.Join(units, ","), strings.Join(from, ","), strings.Join(to, ","), err)
	}
	return out, nil
}

// CoverageSettings are the config's coverage: block.
type CoverageSettings struct {
	// Threshold: a month with fewer records than Threshold × expected is a
	// gap (when that is unlikely by chance).
	Threshold float64
	// Significance: how unlikely by chance (Poisson probability) a low
	// month must be to count as a gap.
	Significance float64
}

// DefaultCoverage are the settings when the config has no coverage: block.
var DefaultCoverage = CoverageSettings{Threshold: 0.5, Significance: 0.001}

// LoadCoverageSettings stores the settings the coverage judgement reads.
func (s *Store) LoadCoverageSettings(ctx context.Context, c CoverageSettings) error {
	if _, err := s.DB.ExecContext(ctx, `
		INSERT INTO coverage_settings (id, threshold, significance, updated_at) VALUES (true, $1, $2, now())
		ON CONFLICT (id) DO UPDATE SET threshold = EXCLUDED.threshold, significance = EXCLUDED.significance, updated_at = now()
		WHERE (coverage_settings.threshold, coverage_settings.significance) IS DISTINCT FROM (EXCLUDED.threshold, EXCLUDED.significance)`,
		c.Threshold, c.Significance); err != nil {
		return fmt.Errorf("warehouse: coverage settings: %w", err)
	}
	return nil
}

// CoverageConfirmation is a month an admin confirmed as complete.
type CoverageConfirmation struct {
	Connector   string    `db:"connector"`
	Month       time.Time `db:"month"`
	Note        string    `db:"note"`
	ConfirmedBy string    `db:"confirmed_by"`
	ConfirmedAt time.Time `db:"confirmed_at"`
}

// ConfirmCoverage records that the month (any day of it) of connector is
// complete as it is: its low volume or missing run is real. The
// confirmation belongs to the store's commune (org.self; ” for a store
// not scoped to one) and speaks for the units of its tree. The connector
// must be one the warehouse knows (a source of facts or a run); confirming
// again replaces the note, who and when.
func (s *Store) ConfirmCoverage(ctx context.Context, connector string, month time.Time, note, by string) error {
	connector = strings.TrimSpace(connector)
	note = strings.TrimSpace(note)
	by = strings.TrimSpace(by)
	switch {
	case connector == "":
		return fmt.Errorf("warehouse: coverage confirm: connector: required")
	case note == "":
		return fmt.Errorf("warehouse: coverage confirm %s: note: required (why the month is complete as it is)", connector)
	case by == "":
		return fmt.Errorf("warehouse: coverage confirm %s: by: required (who confirms)", connector)
	}
	var known bool
	if err := s.DB.GetContext(ctx, &known, `SELECT EXISTS (SELECT 1 FROM sync_runs WHERE connector = $1)
		OR EXISTS (SELECT 1 FROM coverage_at(now()) WHERE connector = $1)`, connector); err != nil {
		return fmt.Errorf("warehouse: coverage confirm %s: %w", connector, err)
	}
	if !known {
		return fmt.Errorf("warehouse: coverage confirm: connector: %q has neither run nor delivered facts (chiso coverage lists the connectors)", connector)
	}
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.DB.ExecContext(ctx, `
		INSERT INTO coverage_confirmations (commune, connector, month, note, confirmed_by, confirmed_at) VALUES ($5, $1, $2::date, $3, $4, now())
		ON CONFLICT (commune, connector, month) DO UPDATE SET note = EXCLUDED.note, confirmed_by = EXCLUDED.confirmed_by, confirmed_at = now()`,
		connector, dateArg(first), note, by, s.commune); err != nil {
		return fmt.Errorf("warehouse: coverage confirm %s %s: %w", connector, first.Format("2006-01"), err)
	}
	return nil
}

// CoverageConfirmations lists the confirmations of the store's commune
// (every one for a store not scoped to a commune), by connector and month.
func (s *Store) CoverageConfirmations(ctx context.Context) ([]CoverageConfirmation, error) {
	var out []CoverageConfirmation
	if err := s.DB.SelectContext(ctx, &out, `SELECT connector, month, note, confirmed_by, confirmed_at FROM coverage_confirmations
		WHERE commune = $1 OR $1 = '' ORDER BY connector, month, commune`, s.commune); err != nil {
		return nil, fmt.Errorf("warehouse: coverage confirmations: %w", err)
	}
	return out, nil
}
