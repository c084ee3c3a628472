package report

import (
	"context"
	"time"

	"chiso/warehouse"
)

// kpiReader is where Build and the estimates read indicator rows: the
// warehouse, or a kpiMemo over it.
type kpiReader interface {
	KPIBetween(ctx context.Context, from, to time.Time, unit string) ([]warehouse.KPIRow, error)
	Indicators(ctx context.Context) ([]warehouse.Indicator, error)
}

// kpiMemo answers KPIBetween from the spans it prefetched in one
// statement (warehouse.KPISpans: the same kpi_eval, span by span) and asks
// the warehouse for any other; each span is computed once per report.
type kpiMemo struct {
	*warehouse.Store
	rows map[kpiKey][]warehouse.KPIRow
}

type kpiKey struct {
	from, to, unit string
}

func newKPIMemo(st *warehouse.Store) *kpiMemo {
	return &kpiMemo{Store: st, rows: map[kpiKey][]warehouse.KPIRow{}}
}

func keyOf(from, to time.Time, unit string) kpiKey {
	return kpiKey{from.Format(time.DateOnly), to.Format(time.DateOnly), unit}
}

// spanID is how kpi_between names a span (its rows' period).
func spanID(from, to time.Time) string {
	return from.Format(time.DateOnly) + ".." + to.Format(time.DateOnly)
}

// prefetch computes the spans of unit in one statement.
func (m *kpiMemo) prefetch(ctx context.Context, unit string, spans [][2]time.Time) error {
	var req []warehouse.Span
	seen := map[kpiKey]bool{}
	for _, s := range spans {
		k := keyOf(s[0], s[1], unit)
		if _, done := m.rows[k]; done || seen[k] || s[1].Before(s[0]) {
			continue
		}
		seen[k] = true
		req = append(req, warehouse.Span{ID: spanID(s[0], s[1]), From: s[0], To: s[1]})
	}
	if len(req) == 0 {
		return nil
	}
	rows, err := m.Store.KPISpans(ctx, req, unit)
	if err != nil {
		return err
	}
	for k := range seen {
		m.rows[k] = []warehouse.KPIRow{}
	}
	for _, r := range rows {
		k := keyOf(r.PeriodFrom, r.PeriodTo, unit)
		m.rows[k] = append(m.rows[k], r)
	}
	return nil
}

// KPIBetween is warehouse.Store.KPIBetween, from the memo when it can.
func (m *kpiMemo) KPIBetween(ctx context.Context, from, to time.Time, unit string) ([]warehouse.KPIRow, error) {
	k := keyOf(from, to, unit)
	if rows, ok := m.rows[k]; ok {
		return rows, nil
	}
	rows, err := m.Store.KPIBetween(ctx, from, to, unit)
	if err != nil {
		return nil, err
	}
	m.rows[k] = rows
	return rows, nil
}
