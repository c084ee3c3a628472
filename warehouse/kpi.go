package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"chiso/warehouse/facts"
)

// The kpi SQL lives in sql/*.sql (kpisql.go applies it); this file is the Go
// access to it: targets and report periods in, indicator rows and the
// records behind them out.

// Indicator describes one indicator (table kpi_indicators).
type Indicator struct {
	ID     string `db:"id" json:"id"`
	Ord    int    `db:"ord" json:"ord"`
	Label  string `db:"label" json:"label"`
	Unit   string `db:"unit" json:"unit"` // "%" | "count"
	Kind   string `db:"kind" json:"kind"` // "target" | "info"
	Source string `db:"source" json:"source"`
}

// Indicators lists the indicators in report order.
func (s *Store) Indicators(ctx context.Context) ([]Indicator, error) {
	var out []Indicator
	if err := s.DB.SelectContext(ctx, &out, `SELECT id, ord, label, unit, kind, source FROM kpi_indicators ORDER BY ord`); err != nil {
		return nil, fmt.Errorf("warehouse: indicators: %w", err)
	}
	return out, nil
}

// Target is one target of the targets file.
type Target struct {
	Indicator string  `yaml:"indicator" json:"indicator"`
	Op        string  `yaml:"op" json:"op"` // ">=" | "<=" | "="
	Value     float64 `yaml:"value" json:"value"`
	Unit      string  `yaml:"unit,omitempty" json:"unit,omitempty"` // a unit code for a unit's own target; "" for all
}

// LoadTargets replaces the targets of year with targets (from source, a
// file name kept for lineage), in one transaction.
func (s *Store) LoadTargets(ctx context.Context, year int, targets []Target, source string) error {
	known, err := s.indicatorSet(ctx)
	if err != nil {
		return err
	}
	for i, t := range targets {
		if !known[t.Indicator] {
			return fmt.Errorf("warehouse: targets %s: target %d: indicator: unknown indicator %q", source, i+1, t.Indicator)
		}
		if t.Op != ">=" && t.Op != "<=" && t.Op != "=" {
			return fmt.Errorf("warehouse: targets %s: target %d (%s): op: %q is not one of >=, <=, =", source, i+1, t.Indicator, t.Op)
		}
	}
	if s.commune != "" {
		return s.loadOwnTargets(ctx, year, targets, source)
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("warehouse: targets: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_targets WHERE year = $1`, year); err != nil {
		return fmt.Errorf("warehouse: targets %d: %w", year, err)
	}
	for _, t := range targets {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO kpi_targets (year, unit_code, indicator, op, target, source, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, now())
			ON CONFLICT (year, unit_code, indicator) DO UPDATE
			SET op = EXCLUDED.op, target = EXCLUDED.target, source = EXCLUDED.source, updated_at = now()`,
			year, strings.ToUpper(strings.TrimSpace(t.Unit)), t.Indicator, t.Op, t.Value, source); err != nil {
			return fmt.Errorf("warehouse: target %s: %w", t.Indicator, err)
		}
	}
	return tx.Commit()
}

func (s *Store) indicatorSet(ctx context.Context) (map[string]bool, error) {
	inds, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(inds))
	for _, i := range inds {
		m[i.ID] = true
	}
	return m, nil
}

// ReportPeriod is a named report period (config report_periods). Its
// period id of year Y is ID + "-" + Y; FromPrevYear puts From in Y-1.
type ReportPeriod struct {
	ID           string `db:"id"`
	Label        string `db:"label"`
	FromMD       string `db:"from_md"` // "MM-DD"
	ToMD         string `db:"to_md"`   // "MM-DD"
	FromPrevYear bool   `db:"from_prev_year"`
	Ord          int    `db:"ord"`
}

// LoadReportPeriods replaces the named report periods the kpi view uses.
// A store scoped to a commune changes only its own (loadOwnReportPeriods,
// commune.go).
func (s *Store) LoadReportPeriods(ctx context.Context, periods []ReportPeriod) error {
	if s.commune != "" {
		return s.loadOwnReportPeriods(ctx, periods)
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_report_periods`); err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	for i, p := range periods {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO kpi_report_periods (id, label, from_md, to_md, from_prev_year, ord)
			VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.Label, p.FromMD, p.ToMD, p.FromPrevYear, i+1); err != nil {
			return fmt.Errorf("warehouse: report period %s: %w", p.ID, err)
		}
	}
	return tx.Commit()
}

// ReportPeriods lists the named report periods stored in the warehouse.
func (s *Store) ReportPeriods(ctx context.Context) ([]ReportPeriod, error) {
	var out []ReportPeriod
	if err := s.DB.SelectContext(ctx, &out, `SELECT id, label, from_md, to_md, from_prev_year, ord FROM kpi_report_periods ORDER BY ord, id`); err != nil {
		return nil, fmt.Errorf("warehouse: report periods: %w", err)
	}
	return out, nil
}

// KPIRow is one row of the kpi view or of kpi_between.
type KPIRow struct {
	Period      string    `db:"period"`
	PeriodFrom  time.Time `db:"period_from"`
	PeriodTo    time.Time `db:"period_to"`
	UnitCode    string    `db:"unit_code"`
	Indicator   string    `db:"indicator"`
	Numerator   int64     `db:"numerator"`
	Denominator *int64    `db:"denominator"`
	Missing     int64     `db:"missing"`
	Value       *float64  `db:"value"`
	Unit        string    `db:"unit"`
	Op          *string   `db:"op"`
	Target      *float64  `db:"target"`
	Met         *bool     `db:"met"`
}

const kpiCols = `period, period_from, period_to, unit_code, indicator, numerator, denominator, missing, value, unit, op, target, met`

// KPIBetween returns every indicator for the span [from, to] (dates) for
// unit rolled up, or for every root unit when unit is "".
func (s *Store) KPIBetween(ctx context.Context, from, to time.Time, unit string) ([]KPIRow, error) {
	var out []KPIRow
	var err error
	if unit == "" {
		err = s.DB.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM kpi_between($1::date, $2::date)`, dateArg(from), dateArg(to))
	} else {
		err = s.DB.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM kpi_between($1::date, $2::date, $3)`, dateArg(from), dateArg(to), unit)
	}
	if err != nil {
		return nil, fmt.Errorf("warehouse: kpi %s..%s %s: %w", dateArg(from), dateArg(to), unit, err)
	}
	return out, nil
}

// KPIView reads the kpi view for one standard period id (e.g. "2026-H1",
// "bc6t-2026"); unit "" means every unit.
func (s *Store) KPIView(ctx context.Context, period, unit string) ([]KPIRow, error) {
	var out []KPIRow
	if err := s.DB.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM kpi WHERE period = $1 AND ($2 = '' OR unit_code = $2)`, period, unit); err != nil {
		return nil, fmt.Errorf("warehouse: kpi view %s: %w", period, err)
	}
	return out, nil
}

// UnitMembers lists the units whose facts roll up into root: root, its
// internal descendants and the predecessors merged into any of them.
func (s *Store) UnitMembers(ctx context.Context, root string) ([]string, error) {
	var out []string
	if err := s.DB.SelectContext(ctx, &out, `SELECT m FROM kpi_unit_members($1) AS m ORDER BY 1`, root); err != nil {
		return nil, fmt.Errorf("warehouse: members of %s: %w", root, err)
	}
	return out, nil
}

// SourceSync is the last run and last successful run of one connector.
type SourceSync struct {
	Connector   string     `db:"connector" json:"connector"`
	LastSuccess *time.Time `db:"last_success" json:"last_success"`
	LastStatus  string     `db:"last_status" json:"last_status"`
	LastRun     time.Time  `db:"last_run" json:"last_run"`
}

// SourceSyncs lists every connector of the store's commune (and of an
// unscoped writer, commune ""; an unscoped store lists every commune's)
// that has run,
// with its last successful sync: the "data sources" of a report's title block.
func (s *Store) SourceSyncs(ctx context.Context) ([]SourceSync, error) {
	var out []SourceSync
	err := s.DB.SelectContext(ctx, &out, `
		SELECT connector,
		       max(coalesce(finished_at, started_at)) FILTER (WHERE status IN ('ok','partial')) AS last_success,
		       (array_agg(status ORDER BY started_at DESC, id DESC))[1] AS last_status,
		       max(started_at) AS last_run
		FROM sync_runs WHERE $1 = '' OR commune IN ('', $1) GROUP BY connector ORDER BY connector`, s.commune)
	if err != nil {
		return nil, fmt.Errorf("warehouse: source syncs: %w", err)
	}
	return out, nil
}

// DocTypeCount counts the logical documents of one type, family, secrecy
// and direction in a period (Cur) and its baseline (Base).
type DocTypeCount struct {
	DocType    string `db:"doc_type"`
	Family     string `db:"family"`
	Secret     bool   `db:"secret"`
	Direction  string `db:"direction"`
	Cur        int64  `db:"cur"`
	Base       int64  `db:"base"`
	Electronic int64  `db:"electronic"`
}

// DocumentsByType counts the documents of unit (rolled up) by type for the
// period [from, to] and the baseline [bfrom, bto]; outgoing documents by
// issue date, incoming ones by reception date.
func (s *Store) DocumentsByType(ctx context.Context, unit string, from, to, bfrom, bto time.Time) ([]DocTypeCount, error) {
	// The members first, so that the planner sees the unit codes and reads
	// only their documents through the (unit_code, date) indexes, which
	// hold every column the count needs (migration 00180): the direction
	// is a constant here, not read, so that the index of outgoing
	// documents (partial, without it) is enough.
	members, err := s.UnitMembers(ctx, unit)
	if err != nil {
		return nil, err
	}
	var out []DocTypeCount
	err = s.DB.SelectContext(ctx, &out, `
		WITH f AS (
		  SELECT doc_type, family, secret, 'out'::text AS direction, electronic, issued_on AS on_date
		  FROM kpi_document_facts
		  WHERE direction = 'out' AND unit_code = ANY($1::text[])
		    AND (issued_on BETWEEN $2 AND $3 OR issued_on BETWEEN $4 AND $5)
		  UNION ALL
		  SELECT doc_type, family, secret, 'in'::text, electronic, event_on
		  FROM kpi_document_facts
		  WHERE direction = 'in' AND unit_code = ANY($1::text[])
		    AND (event_on BETWEEN $2 AND $3 OR event_on BETWEEN $4 AND $5))
		SELECT doc_type, family, secret, direction,
		       count(*) FILTER (WHERE on_date BETWEEN $2 AND $3) AS cur,
		       count(*) FILTER (WHERE on_date BETWEEN $4 AND $5) AS base,
		       count(*) FILTER (WHERE on_date BETWEEN $2 AND $3 AND electronic) AS electronic
		FROM f GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
		pq.Array(members), dateArg(from), dateArg(to), dateArg(bfrom), dateArg(bto))
	if err != nil {
		return nil, fmt.Errorf("warehouse: documents by type of %s: %w", unit, err)
	}
	return out, nil
}

// Explain roles of a record.
const (
	RoleNumerator   = "numerator"   // counted in the numerator (and the denominator)
	RoleDenominator = "denominator" // in the denominator only
	RolePeriod      = "period"      // reduction indicators: counted in D(P) / M(P)
	RoleBaseline    = "baseline"    // reduction indicators: counted in D(B) / M(B)
	RoleLeftOut     = "left_out"    // looked at and left out (Reason says why)
)

// ExplainRecord is one record behind an indicator.
type ExplainRecord struct {
	Role     string    `db:"role" json:"role"`
	Reason   *string   `db:"reason" json:"reason"`
	Missing  bool      `db:"missing" json:"missing"` // counted in the indicator's missing
	Kind     string    `db:"kind" json:"kind"`       // document | meeting | dossier
	UnitCode string    `db:"unit_code" json:"unit_code"`
	Key      string    `db:"key" json:"key"`
	Date     time.Time `db:"on_date" json:"date"`
	Summary  string    `db:"summary" json:"summary"`
	// DatedBy says which evidence dated a document (ReceivedBy* for an
	// incoming one: trace, status, axis, register, issue_date; issue_date
	// for an outgoing one); nil for meetings and dossiers, and for incoming
	// documents written before the evidence was recorded.
	DatedBy *string         `db:"dated_by" json:"dated_by"`
	Details json.RawMessage `db:"details" json:"details"`
	Total   int64           `db:"total" json:"-"`
}

// explainKind is how explain shows the records of one kind of fact: the
// per-record view, its terms function (sql/60_terms.sql: the rows of the
// one definition of the indicator terms, sql/25_terms.sql, which the
// summaries the kpi sums read too), the record key, a one-line summary
// and the evidence that dated it (columns of the view).
type explainKind struct {
	kind, facts, terms, key, summary, datedBy string
	// dates are the view's date columns a term's on_date is one of: a
	// record none of whose dates is in the span or its baseline has no
	// term there, so the query skips it before classifying it.
	dates []string
}

// explainKinds is keyed by kpi_indicators.source.
var explainKinds = map[string]explainKind{
	"documents": {kind: "document", facts: "kpi_document_facts", terms: "kpi_document_terms", key: "doc_key",
		summary: `concat_ws(' | ', direction, coalesce(code_number || '/' || code_notation, code_notation, document_id), doc_type, family, medium, counterpart_relation, CASE WHEN secret THEN 'mật' END, subject)`,
		datedBy: fmt.Sprintf("CASE WHEN direction = 'in' THEN received_by ELSE '%s' END", facts.ReceivedByIssueDate),
		dates:   []string{"issued_on", "event_on"}},
	"meetings": {kind: "meeting", facts: "kpi_meeting_facts", terms: "kpi_meeting_terms", key: "source || ':' || uid",
		summary: `concat_ws(' | ', title, kind, sessions || ' buổi', CASE WHEN online THEN 'trực tuyến' END, CASE WHEN paperless THEN 'không giấy' END, CASE WHEN scope = 'toan-xa' THEN 'toàn xã' END)`,
		datedBy: "CAST(NULL AS text)", dates: []string{"starts_on"}},
	"dossiers": {kind: "dossier", facts: "kpi_dossier_facts", terms: "kpi_dossier_terms", key: "ma_ho_so",
		summary: `concat_ws(' | ', ma_tthc, channel, level, 'trạng thái ' || status, CASE WHEN result_electronic THEN 'kết quả điện tử' END)`,
		datedBy: "CAST(NULL AS text)", dates: []string{"received_on", "finished_on"}},
}

// ExplainIndicators lists the indicator ids explain knows: every
// indicator of kpi_indicators, in report order.
func (s *Store) ExplainIndicators(ctx context.Context) ([]string, error) {
	inds, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(inds))
	for _, i := range inds {
		if _, ok := explainKinds[i.Source]; ok {
			out = append(out, i.ID)
		}
	}
	return out, nil
}

// explainQuery lists the records of the unit tree of $1 with their terms
// for one indicator ($6) in the span [$2, $3] (and its baseline, for a
// reduction): the role of each record follows from its terms alone.
const explainQuery = `
WITH r AS (
  SELECT CASE WHEN t.baseline THEN CASE WHEN NOT t.in_numerator THEN 'left_out'
                                        WHEN t.on_date BETWEEN $2::date AND $3::date THEN 'period' ELSE 'baseline' END
              WHEN t.in_numerator THEN 'numerator' WHEN t.in_denominator THEN 'denominator' ELSE 'left_out' END AS role,
         t.missing, '%[2]s' AS kind, v.unit_code, %[3]s AS key, t.on_date,
         %[4]s AS summary, to_jsonb(v) AS details, %[5]s AS dated_by, t.reason
  FROM (SELECT * FROM %[1]s v WHERE v.unit_code IN (SELECT kpi_unit_members($1)) AND (%[7]s)
        OFFSET 0) v  -- each record classified once, not once per term
  CROSS JOIN LATERAL %[6]s(v, $3::date) t
  WHERE t.indicator = $6
    AND (t.on_date BETWEEN $2::date AND $3::date
         OR (t.baseline AND t.on_date BETWEEN kpi_year_back($2::date, false) AND kpi_year_back($3::date, true))))
SELECT role, reason, missing, kind, unit_code, key, on_date, summary, details, dated_by, count(*) OVER () AS total
FROM r
ORDER BY CASE role WHEN 'numerator' THEN 1 WHEN 'period' THEN 1 WHEN 'baseline' THEN 2 WHEN 'denominator' THEN 3 ELSE 4 END,
         on_date, key
LIMIT $4 OFFSET $5`

// Explain lists the records behind indicator for unit (rolled up) and the
// span [from, to]: numerator first, then denominator only, then left out,
// each by date. It returns one page (limit, offset) and the total count.
// The conditions are the indicator terms of the kpi SQL (25_terms.sql, as
// rows by 60_terms.sql).
func (s *Store) Explain(ctx context.Context, indicator string, from, to time.Time, unit string, limit, offset int) ([]ExplainRecord, int64, error) {
	var source []string
	if err := s.DB.SelectContext(ctx, &source, `SELECT source FROM kpi_indicators WHERE id = $1`, indicator); err != nil {
		return nil, 0, fmt.Errorf("warehouse: explain %s: %w", indicator, err)
	}
	var k explainKind
	ok := len(source) == 1
	if ok {
		k, ok = explainKinds[source[0]]
	}
	if !ok {
		return nil, 0, fmt.Errorf("warehouse: explain: unknown indicator %q", indicator)
	}
	var near []string
	for _, d := range k.dates {
		near = append(near, fmt.Sprintf("v.%[1]s BETWEEN $2::date AND $3::date OR v.%[1]s BETWEEN kpi_year_back($2::date, false) AND kpi_year_back($3::date, true)", d))
	}
	q := fmt.Sprintf(explainQuery, k.facts, k.kind, k.key, k.summary, k.datedBy, k.terms, strings.Join(near, " OR "))
	var rows []ExplainRecord
	if err := s.DB.SelectContext(ctx, &rows, q, unit, dateArg(from), dateArg(to), limit, offset, indicator); err != nil {
		return nil, 0, fmt.Errorf("warehouse: explain %s %s..%s %s: %w", indicator, dateArg(from), dateArg(to), unit, err)
	}
	var total int64
	if len(rows) > 0 {
		total = rows[0].Total
	} else if offset > 0 {
		// The page is past the end: count to report the total anyway.
		if _, t, err := s.Explain(ctx, indicator, from, to, unit, 1, 0); err == nil {
			total = t
		}
	}
	return rows, total, nil
}

// dateArg formats a calendar date for a date parameter (no time zone shift).
func dateArg(t time.Time) string { return t.Format("2006-01-02") }
