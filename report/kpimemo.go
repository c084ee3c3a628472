package report

import (
	"context"
	"sync"
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
// statement (warehouse.KPISpansOf: the same kpi_eval, span by span and
// unit by unit) and asks the warehouse for any other; each span of a unit
// is computed once. The league table shares one memo between the reports
// of all its units, built at once: it is safe for concurrent use.
type kpiMemo struct {
	st   *warehouse.Store
	inds []warehouse.Indicator // nil: read from the warehouse
	mu   sync.Mutex
	rows map[kpiKey][]warehouse.KPIRow
}

type kpiKey struct {
	from, to, unit string
}

// newKPIMemo returns an empty memo over st answering Indicators with inds
// (nil: from st).
func newKPIMemo(st *warehouse.Store, inds []warehouse.Indicator) *kpiMemo {
	return &kpiMemo{st: st, inds: inds, rows: map[kpiKey][]warehouse.KPIRow{}}
}

func keyOf(from, to time.Time, unit string) kpiKey {
	return kpiKey{from.Format(time.DateOnly), to.Format(time.DateOnly), unit}
}

// spanID is how kpi_between names a span (its rows' period).
func spanID(from, to time.Time) string {
	return from.Format(time.DateOnly) + ".." + to.Format(time.DateOnly)
}

// prefetch computes the spans of every unit of units in one statement.
func (m *kpiMemo) prefetch(ctx context.Context, units []string, spans [][2]time.Time) error {
	var req []warehouse.Span
	reqUnits := map[string]bool{}
	seen := map[kpiKey]bool{}
	spanSeen := map[[2]string]bool{}
	m.mu.Lock()
	for _, s := range spans {
		if s[1].Before(s[0]) {
			continue
		}
		for _, u := range units {
			k := keyOf(s[0], s[1], u)
			if _, done := m.rows[k]; done || seen[k] {
				continue
			}
			seen[k] = true
			reqUnits[u] = true
			if sk := [2]string{k.from, k.to}; !spanSeen[sk] {
				spanSeen[sk] = true
				req = append(req, warehouse.Span{ID: spanID(s[0], s[1]), From: s[0], To: s[1]})
			}
		}
	}
	m.mu.Unlock()
	if len(req) == 0 {
		return nil
	}
	var codes []string
	for _, u := range units { // in the caller's order
		if reqUnits[u] {
			codes = append(codes, u)
			delete(reqUnits, u)
		}
	}
	rows, err := m.st.KPISpansOf(ctx, req, codes)
	if err != nil {
		return err
	}
	got := map[kpiKey][]warehouse.KPIRow{}
	for _, r := range rows {
		k := keyOf(r.PeriodFrom, r.PeriodTo, r.UnitCode)
		got[k] = append(got[k], r)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range seen {
		if _, done := m.rows[k]; !done {
			m.rows[k] = append([]warehouse.KPIRow{}, got[k]...)
		}
	}
	return nil
}

// KPIBetween is warehouse.Store.KPIBetween, from the memo when it can.
func (m *kpiMemo) KPIBetween(ctx context.Context, from, to time.Time, unit string) ([]warehouse.KPIRow, error) {
	k := keyOf(from, to, unit)
	m.mu.Lock()
	rows, ok := m.rows[k]
	m.mu.Unlock()
	if ok {
		return rows, nil
	}
	rows, err := m.st.KPIBetween(ctx, from, to, unit)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.rows[k] = rows
	m.mu.Unlock()
	return rows, nil
}

// Indicators is warehouse.Store.Indicators, read once.
func (m *kpiMemo) Indicators(ctx context.Context) ([]warehouse.Indicator, error) {
	if m.inds != nil {
		return m.inds, nil
	}
	return m.st.Indicators(ctx)
}
