package report

import (
	"context"
	"os"
	"reflect"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// TestUnitsSheetEqualsUnitByUnit: the units sheet, computed for all the
// units in one statement, holds for each unit the rows kpi_between gives
// for it alone.
func TestUnitsSheetEqualsUnitByUnit(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	for _, f := range []string{"../warehouse/testdata/kpi/org.sql", "../warehouse/testdata/kpi/rollup-2026h1/facts.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Exec(string(b)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, vntime.Location)
	r, err := Build(ctx, st, Options{Period: "2026-H1", Unit: "000.25.31.H99", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Units) < 3 || len(r.UnitRows[r.Units[1].Code]) == 0 {
		t.Fatalf("units %v rows %v: the case tests nothing", r.Units, r.UnitRows)
	}
	for _, u := range r.Units {
		rows, err := st.KPIBetween(ctx, r.Period.From, r.Period.To, u.Code)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]warehouse.KPIRow{}
		for _, x := range rows {
			want[x.Indicator] = x
		}
		if !reflect.DeepEqual(r.UnitRows[u.Code], want) {
			t.Errorf("%s: units sheet\n%+v\nkpi_between\n%+v", u.Code, r.UnitRows[u.Code], want)
		}
	}
}
