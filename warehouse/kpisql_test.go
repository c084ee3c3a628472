package warehouse_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"chiso/warehouse"
	wfacts "chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// lastMigrationBeforeKPIFiles is the version a warehouse of the releases
// before the kpi files (warehouse/sql) stands at.
const lastMigrationBeforeKPIFiles = 97

// TestKPIFilesUpgrade: a warehouse at the last migration before the kpi
// files, holding the facts of a golden case (written through the old
// triggers), migrates to the files with the same kpi view, the same
// per-day summaries and the same spans; and the new triggers keep them
// when every fact row is rewritten.
func TestKPIFilesUpgrade(t *testing.T) {
	cases, err := filepath.Glob("testdata/kpi/*/facts.sql")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, facts := range cases {
		dir := filepath.Dir(facts)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := warehousetest.New(t)
			p, err := goose.NewProvider(goose.DialectPostgres, st.DB.DB, warehouse.Migrations())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 0); err != nil {
				t.Fatalf("down: %v", err)
			}
			if _, err := p.UpTo(ctx, lastMigrationBeforeKPIFiles); err != nil {
				t.Fatalf("up to %d: %v", lastMigrationBeforeKPIFiles, err)
			}
			if n := count(t, st, `SELECT count(*) FROM pg_proc WHERE proname = 'kpi_regenerate_triggers'`); n != 1 {
				t.Fatalf("version %d is not the old layout (no kpi_regenerate_triggers)", lastMigrationBeforeKPIFiles)
			}
			// The old 00050 seeded the default report periods itself.
			var periods []warehouse.ReportPeriod
			for _, d := range wfacts.DefaultNamedPeriods {
				periods = append(periods, warehouse.ReportPeriod{ID: d.ID, Label: d.Label, FromMD: d.From, ToMD: d.To, FromPrevYear: d.FromPrevYear})
			}
			if err := st.LoadReportPeriods(ctx, periods); err != nil {
				t.Fatal(err)
			}
			kpiExec(t, st, "testdata/kpi/org.sql")
			kpiExec(t, st, facts)
			before := kpiSnapshot(t, st, dir)
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if n := count(t, st, `SELECT count(*) FROM pg_proc WHERE proname IN ('kpi_regenerate_triggers', 'kpi_day_documents_sql')`); n != 0 {
				t.Errorf("the old generator functions are still there after the upgrade")
			}
			kpiCompareSnapshots(t, "after the upgrade", before, kpiSnapshot(t, st, dir))
			for _, q := range []string{`UPDATE documents SET unit_code = unit_code`, `UPDATE meetings SET unit_code = unit_code`,
				`UPDATE dossiers SET unit_code = unit_code`, `UPDATE procedures SET ma_tthc = ma_tthc`, `UPDATE dossier_steps SET unit_code = unit_code`} {
				if _, err := st.DB.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			kpiCompareSnapshots(t, "after rewriting every fact", before, kpiSnapshot(t, st, dir))
		})
	}
}

// kpiSnapshot is what a report reads, as text: the kpi view (every
// standard period), kpi_between of each span of the case's expected.tsv,
// and the per-day summaries.
func kpiSnapshot(t *testing.T, st *warehouse.Store, dir string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for name, q := range map[string]string{
		"kpi view":          `SELECT k::text FROM kpi k ORDER BY period_from, period_to, period, unit_code, indicator`,
		"kpi_day_documents": `SELECT s::text FROM kpi_day_documents s ORDER BY unit_code, day`,
		"kpi_day_meetings":  `SELECT s::text FROM kpi_day_meetings s ORDER BY unit_code, day`,
		"kpi_day_dossiers":  `SELECT s::text FROM kpi_day_dossiers s ORDER BY unit_code, day, late_on`,
	} {
		var rows []string
		if err := st.DB.SelectContext(ctx, &rows, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = strings.Join(rows, "\n")
	}
	for _, e := range kpiReadExpected(t, filepath.Join(dir, "expected.tsv")) {
		rows, err := st.KPIBetween(ctx, e.from, e.to, e.unit)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(r.Indicator + " " + kpiGot(r) + "\n")
		}
		out["kpi_between "+e.from.Format("2006-01-02")+".."+e.to.Format("2006-01-02")+" "+e.unit] = b.String()
	}
	if out["kpi view"] == "" {
		t.Fatalf("the kpi view is empty: the case has no facts?")
	}
	return out
}

func kpiCompareSnapshots(t *testing.T, when string, before, after map[string]string) {
	t.Helper()
	for k, b := range before {
		if a := after[k]; a != b {
			t.Errorf("%s: %s differs:\nbefore:\n%s\nafter:\n%s", when, k, b, a)
		}
	}
}
