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

// The kpi files apply when, and only when, their checksum changes: in one
// transaction that drops what an earlier set defined, and rebuilds the
// summaries; a file that fails leaves the warehouse as it was.
func TestKPISQLAppliesOnChecksum(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	files := warehouse.KPISQLFiles()
	applied := func(fs []warehouse.KPISQLFile) bool {
		t.Helper()
		ok, err := st.ApplyKPISQLFiles(ctx, fs)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if sum, err := st.KPISQLApplied(ctx); err != nil || sum != warehouse.KPISQLChecksum(files) {
		t.Fatalf("after Migrate the recorded checksum is %q (%v), want that of the embedded files", sum, err)
	}
	if applied(files) {
		t.Errorf("the same files applied again")
	}
	run, err := st.StartRun(ctx, "archive")
	if err != nil {
		t.Fatal(err)
	}
	must(t, run.UpsertDocument(ctx, doc("K1", "electronic"), facts.Sighting{Source: "edxml-dir", SourceKey: "a.edxml"}))
	must(t, run.Finish(ctx, nil))
	// A summary gone wrong is rebuilt when the files change.
	if _, err := st.DB.ExecContext(ctx, `UPDATE kpi_day_documents SET issued = issued + 5`); err != nil {
		t.Fatal(err)
	}
	extra := append(append([]warehouse.KPISQLFile(nil), files...), warehouse.KPISQLFile{Name: "90_test.sql",
		Text: "CREATE FUNCTION kpi_test_extra() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;"})
	if !applied(extra) {
		t.Fatalf("an added file did not apply")
	}
	if n := count(t, st, `SELECT sum(issued)::int FROM kpi_day_documents`); n != 1 {
		t.Errorf("issued documents in the summaries after applying: %d, want 1 (rebuilt)", n)
	}
	if n := count(t, st, `SELECT count(*) FROM pg_proc WHERE proname = 'kpi_test_extra'`); n != 1 {
		t.Errorf("kpi_test_extra: %d functions, want 1", n)
	}
	// A file that fails: nothing changes, not even the checksum.
	broken := append(append([]warehouse.KPISQLFile(nil), files...), warehouse.KPISQLFile{Name: "90_test.sql", Text: "SELECT no_such_function();"})
	if _, err := st.ApplyKPISQLFiles(ctx, broken); err == nil || !strings.Contains(err.Error(), "90_test.sql") {
		t.Errorf("a failing file: error %v, want one naming 90_test.sql", err)
	}
	if sum, _ := st.KPISQLApplied(ctx); sum != warehouse.KPISQLChecksum(extra) {
		t.Errorf("a failed application changed the recorded checksum")
	}
	if n := count(t, st, `SELECT count(*) FROM pg_proc WHERE proname = 'kpi_test_extra'`); n != 1 {
		t.Errorf("a failed application dropped the kpi objects")
	}
	// Back to the embedded files: what only the extra file defined goes.
	if !applied(files) {
		t.Fatalf("the embedded files did not apply again")
	}
	if n := count(t, st, `SELECT count(*) FROM pg_proc WHERE proname = 'kpi_test_extra'`); n != 0 {
		t.Errorf("kpi_test_extra left behind by a set that no longer defines it")
	}
	if n := count(t, st, `SELECT count(*) FROM kpi_sql_applied`); n != 3 {
		t.Errorf("kpi_sql_applied has %d rows, want 3 (migrate, extra, back)", n)
	}
	if n := count(t, st, `SELECT sum(issued)::int FROM kpi_day_documents`); n != 1 {
		t.Errorf("issued documents in the summaries: %d, want 1", n)
	}
}

// The summary triggers and what they call are static SQL: no EXECUTE,
// no templates (only kpi_eval builds its query, from constant parts).
func TestKPISQLStatic(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	var dynamic []string
	if err := st.DB.SelectContext(ctx, &dynamic, `SELECT p.proname::text FROM pg_proc p
		WHERE p.proname LIKE 'kpi\_%' AND p.prosrc ~* '\mEXECUTE\s' AND p.proname <> 'kpi_eval' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(dynamic) != 0 {
		t.Errorf("kpi functions that EXECUTE dynamic SQL: %v", dynamic)
	}
	var triggers int
	if err := st.DB.GetContext(ctx, &triggers, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'kpi\_%' AND NOT tgisinternal`); err != nil {
		t.Fatal(err)
	}
	if triggers != 21 {
		t.Errorf("%d kpi triggers, want 21 (4 on each fact table, 1 on the meeting caps)", triggers)
	}
}
