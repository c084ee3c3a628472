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
	if len(spans) == 0 {
		return nil, nil
	}
	ids := make([]string, len(spans))
	from := make([]string, len(spans))
	to := make([]string, len(spans))
	for i, sp := range spans {
		ids[i], from[i], to[i] = sp.ID, dateArg(sp.From), dateArg(sp.To)
	}
	var out []KPIRow
	if err := s.DB.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM kpi_eval($1::text[], $2::date[], $3::date[], $4)`,
		pq.Array(ids), pq.Array(from), pq.Array(to), unit); err != nil {
		return nil, fmt.Errorf("warehouse: kpi of %d spans %s..%s %s: %w", len(spans), from[0], to[len(to)-1], unit, err)
	}
	return out, nil
}
