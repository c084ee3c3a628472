package report_test

import (
	"context"
	"testing"

	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// The default report periods, pinned once: ids, spans and the labels that
// title their reports (indicators.md §Periods).
var wantDefaults = []report.NamedPeriod{
	{ID: "bc6t", Label: "Báo cáo 6 tháng", From: "01-01", To: "05-31"},
	{ID: "bcnam", Label: "Báo cáo năm", From: "01-01", To: "11-30"},
	{ID: "nd09-6t", Label: "Báo cáo 6 tháng (chốt số liệu theo Nghị định 09/2019/NĐ-CP)", From: "12-15", To: "06-14", FromPrevYear: true},
	{ID: "nd09-nam", Label: "Báo cáo năm (chốt số liệu theo Nghị định 09/2019/NĐ-CP)", From: "12-15", To: "12-14", FromPrevYear: true},
}

func TestDefaultPeriodLabels(t *testing.T) {
	if len(report.DefaultNamedPeriods) != len(wantDefaults) {
		t.Fatalf("%d default periods, want %d", len(report.DefaultNamedPeriods), len(wantDefaults))
	}
	for i, want := range wantDefaults {
		if got := report.DefaultNamedPeriods[i]; got != want {
			t.Errorf("default period %d = %+v, want %+v", i, got, want)
		}
	}
	for _, tc := range []struct{ id, label, from, to string }{
		{"bc6t-2026", "Báo cáo 6 tháng năm 2026", "2026-01-01", "2026-05-31"},
		// The year goes after the main part, and "năm" is not repeated.
		{"bcnam-2026", "Báo cáo năm 2026", "2026-01-01", "2026-11-30"},
		{"nd09-6t-2026", "Báo cáo 6 tháng năm 2026 (chốt số liệu theo Nghị định 09/2019/NĐ-CP)", "2025-12-15", "2026-06-14"},
		{"nd09-nam-2026", "Báo cáo năm 2026 (chốt số liệu theo Nghị định 09/2019/NĐ-CP)", "2025-12-15", "2026-12-14"},
	} {
		p, err := report.ParsePeriod(tc.id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Label != tc.label || p.From.Format("2006-01-02") != tc.from || p.To.Format("2006-01-02") != tc.to {
			t.Errorf("%s: %q %s..%s, want %q %s..%s", tc.id, p.Label, p.From.Format("2006-01-02"), p.To.Format("2006-01-02"), tc.label, tc.from, tc.to)
		}
	}
}

// A warehouse nobody has loaded periods into yet holds the defaults of the
// one Go definition, labels included (Store.Migrate seeds them).
func TestMigrationSeedIsTheDefaultPeriods(t *testing.T) {
	st := warehousetest.New(t)
	stored, err := st.ReportPeriods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(report.DefaultNamedPeriods) {
		t.Fatalf("%d seeded periods, want %d", len(stored), len(report.DefaultNamedPeriods))
	}
	for i, d := range report.DefaultNamedPeriods {
		want := warehouse.ReportPeriod{ID: d.ID, Label: d.Label, FromMD: d.From, ToMD: d.To, FromPrevYear: d.FromPrevYear, Ord: i + 1}
		if stored[i] != want {
			t.Errorf("seed row %d = %+v, want %+v", i, stored[i], want)
		}
	}
}
