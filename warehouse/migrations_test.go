package warehouse_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// Every migration's Down section undoes its Up: a warehouse holding facts
// migrates down to nothing and up again, and the facts written afterwards
// give the same summaries as before.
func TestMigrationsDownAndUp(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	p, err := goose.NewProvider(goose.DialectPostgres, st.DB.DB, warehouse.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	write := func() {
		run, err := st.StartRun(ctx, "archive")
		if err != nil {
			t.Fatal(err)
		}
		must(t, run.UpsertDocument(ctx, doc("K1", "electronic"), facts.Sighting{Source: "edxml-dir", SourceKey: "a.edxml"}))
		run.Fetched(1)
		must(t, run.Finish(ctx, nil))
	}
	write()
	before := count(t, st, `SELECT sum(issued)::int FROM kpi_day_documents`)
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if n := count(t, st, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`); n != 0 {
		t.Errorf("%d tables left after migrating down", n)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	write()
	if after := count(t, st, `SELECT sum(issued)::int FROM kpi_day_documents`); after != before || before != 1 {
		t.Errorf("issued documents in the summaries: %d before, %d after migrating down and up", before, after)
	}
}

// The summary trigger functions hold a copy of the SQL templates
// (migration 00060): regenerating them from the current templates must
// change nothing, or a migration replaced a template without calling
// kpi_regenerate_triggers().
func TestKPITriggersMatchTemplates(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	const q = `SELECT string_agg(pg_get_functiondef(p.oid), E'\n' ORDER BY p.proname) FROM pg_proc p
		WHERE p.proname IN ('kpi_documents_trg', 'kpi_meetings_trg', 'kpi_dossiers_trg')`
	var before, after string
	if err := st.DB.GetContext(ctx, &before, q); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `SELECT kpi_regenerate_triggers()`); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.GetContext(ctx, &after, q); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("the summary triggers differ from the templates: a migration changed a template without SELECT kpi_regenerate_triggers()")
	}
	if strings.Count(before, "EXECUTE format") != 0 || strings.Count(before, "ON CONFLICT") != 9 {
		t.Errorf("trigger functions are not the generated static SQL:\n%s", before)
	}
}
