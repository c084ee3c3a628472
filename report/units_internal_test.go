package report

import (
	"context"
	"os"
	"reflect"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse/warehousetest"
)

// TestUnitsSheetBothWays: the units sheet computed unit by unit and all
// roots at once (many units: a province's communes) is the same.
func TestUnitsSheetBothWays(t *testing.T) {
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
	defer func(n int) { manyUnits = n }(manyUnits)
	var sheets []*Report
	for _, n := range []int{100, 0} {
		manyUnits = n
		r, err := Build(context.Background(), st, Options{Period: "2026-H1", Unit: "000.25.31.H99", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		sheets = append(sheets, r)
	}
	if len(sheets[0].Units) < 3 || len(sheets[0].UnitRows[sheets[0].Units[1].Code]) == 0 {
		t.Fatalf("units %v rows %v: the case tests nothing", sheets[0].Units, sheets[0].UnitRows)
	}
	if !reflect.DeepEqual(sheets[0].UnitRows, sheets[1].UnitRows) {
		t.Errorf("unit by unit:\n%+v\nall at once:\n%+v", sheets[0].UnitRows, sheets[1].UnitRows)
	}
}
