package warehouse_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// TestKPISpansEqualsKPIBetween: many spans in one statement give, span by
// span, the rows KPIBetween gives for each (the months of two years, a
// year, a half, a span across a year end), for a unit and its sub-unit.
func TestKPISpansEqualsKPIBetween(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	kpiExec(t, st, "testdata/kpi/org.sql")
	kpiExec(t, st, "testdata/kpi/rollup-2026h1/facts.sql")
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	var spans []warehouse.Span
	for _, y := range []int{2025, 2026} {
		for m := time.January; m <= time.December; m++ {
			f := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
			spans = append(spans, warehouse.Span{ID: f.Format("2006-01"), From: f, To: f.AddDate(0, 1, -1)})
		}
	}
	spans = append(spans, warehouse.Span{ID: "y", From: d("2026-01-01"), To: d("2026-12-31")}, warehouse.Span{ID: "h", From: d("2026-01-01"), To: d("2026-06-30")},
		warehouse.Span{ID: "x", From: d("2025-12-15"), To: d("2026-06-14")})
	for _, unit := range []string{"000.25.31.H99", "001.25.31.H99"} {
		rows, err := st.KPISpans(ctx, spans, unit)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string][]warehouse.KPIRow{}
		for _, r := range rows {
			r.Period = "" // the span's ID here, its dates in kpi_between
			k := r.PeriodFrom.Format(time.DateOnly) + r.PeriodTo.Format(time.DateOnly)
			byID[k] = append(byID[k], r)
		}
		nonzero := 0
		for _, sp := range spans {
			want, err := st.KPIBetween(ctx, sp.From, sp.To, unit)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i].Period = ""
				if want[i].Numerator != 0 {
					nonzero++
				}
			}
			got := byID[sp.From.Format(time.DateOnly)+sp.To.Format(time.DateOnly)]
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: KPISpans %+v\nKPIBetween %+v", unit, sp.ID, got, want)
			}
		}
		if nonzero == 0 {
			t.Errorf("%s: every numerator is 0: the case tests nothing", unit)
		}
	}
}

// TestKPISpansOfEqualsKPISpans: the spans of many units in one statement
// give, unit by unit, the rows KPISpans gives for each (a unit and its
// sub-unit, whose facts roll up into both; a unit given twice counts once).
func TestKPISpansOfEqualsKPISpans(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	kpiExec(t, st, "testdata/kpi/org.sql")
	kpiExec(t, st, "testdata/kpi/rollup-2026h1/facts.sql")
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	spans := []warehouse.Span{{ID: "y", From: d("2026-01-01"), To: d("2026-12-31")}, {ID: "h", From: d("2026-01-01"), To: d("2026-06-30")},
		{ID: "ly", From: d("2025-01-01"), To: d("2025-12-31")}}
	units := []string{"001.25.31.H99", "000.25.31.H99", "001.25.31.H99"}
	rows, err := st.KPISpansOf(ctx, spans, units)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]warehouse.KPIRow{}
	for _, r := range rows {
		got[r.UnitCode] = append(got[r.UnitCode], r)
	}
	if len(got) != 2 {
		t.Fatalf("rows of %d units, want 2", len(got))
	}
	for _, unit := range units[:2] {
		want, err := st.KPISpans(ctx, spans, unit)
		if err != nil {
			t.Fatal(err)
		}
		nonzero := 0
		for _, w := range want {
			if w.Numerator != 0 {
				nonzero++
			}
		}
		if nonzero == 0 || !reflect.DeepEqual(got[unit], want) {
			t.Errorf("%s: KPISpansOf %+v\nKPISpans %+v (%d nonzero)", unit, got[unit], want, nonzero)
		}
	}
}
