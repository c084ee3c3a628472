package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Span is one span of calendar dates [From, To] for KPISpans; ID names it
// in the rows returned (KPIRow.Period).
type Span struct {
	ID       string
	From, To time.Time
}

// KPISpans computes every indicator for each span for unit (rolled up) in
// one statement: the same kpi_eval as KPIBetween, so a span's rows are the
// rows KPIBetween gives for it (e.g. the twelve months of a year for a
// chart). Rows come in span order, then indicator order.
func (s *Store) KPISpans(ctx context.Context, spans []Span, unit string) ([]KPIRow, error) {
	return s.KPISpansOf(ctx, spans, []string{unit})
}

// KPISpansOf is KPISpans for many units at once (each rolled up, e.g. a
// province and each of its communes for the league table), in one
// statement: rows come in span order, then unit code, then indicator
// order; a unit's rows are the ones KPISpans gives for it.
func (s *Store) KPISpansOf(ctx context.Context, spans []Span, units []string) ([]KPIRow, error) {
	if len(spans) == 0 || len(units) == 0 {
		return nil, nil
	}
	ids := make([]string, len(spans))
	from := make([]string, len(spans))
	to := make([]string, len(spans))
	for i, sp := range spans {
		ids[i], from[i], to[i] = sp.ID, dateArg(sp.From), dateArg(sp.To)
	}
	var out []KPIRow
	if err := s.DB.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM kpi_eval($1::text[], $2::date[], $3::date[], $4::text[])`,
		pq.Array(ids), pq.Array(from), pq.Array(to), pq.Array(units)); err != nil {
		return nil, fmt.Errorf("warehouse: kpi of %d spans %s..%s of %d units (%s…): %w", len(spans), from[0], to[len(to)-1], len(units), units[0], err)
	}
	return out, nil
}
