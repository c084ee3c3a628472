package warehouse_test

import (
	"context"
	"strings"
	"testing"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// scoped opens a second store on the database of st, scoped to commune.
func scoped(t *testing.T, dsn, commune string, tree ...string) *warehouse.Store {
	t.Helper()
	s, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetCommune(commune, append([]string{commune}, tree...))
	return s
}

// The reference data of two communes (A, B) and their province (P) in one
// warehouse: each daemon writes its own org units, targets and report
// periods and never changes another's.
func TestCommunesReferenceDataApart(t *testing.T) {
	ctx := context.Background()
	dsn := warehousetest.NewDatabase(t)
	a := scoped(t, dsn, "A", "A1")
	b := scoped(t, dsn, "B", "B1")
	p := scoped(t, dsn, "P", "A", "A1", "B", "B1")

	// Org units.
	steps := []struct {
		name  string
		st    *warehouse.Store
		units []warehouse.OrgUnit
	}{
		{"A's directory", a, []warehouse.OrgUnit{
			{Code: "A", Name: "Xã A", Relation: "self", ParentCode: ptr("P")},
			{Code: "A1", Name: "Văn phòng A", Relation: "internal", ParentCode: ptr("A")},
			{Code: "P", Name: "Tỉnh", Relation: "higher"},
			{Code: "B", Name: "Xã B (bạn)", Relation: "peer"},
		}},
		{"B's directory names A's office as its own, A as a peer", b, []warehouse.OrgUnit{
			{Code: "B", Name: "Xã B", Relation: "self", ParentCode: ptr("P")},
			{Code: "B1", Name: "Văn phòng B", Relation: "internal", ParentCode: ptr("B")},
			{Code: "A1", Name: "nhầm", Relation: "internal", ParentCode: ptr("B")},
			{Code: "A", Name: "Xã A (bạn)", Relation: "peer"},
			{Code: "P", Name: "Tỉnh (tên khác)", Relation: "higher"},
		}},
		{"B again without A1: it removes only its own rows", b, []warehouse.OrgUnit{
			{Code: "B", Name: "Xã B", Relation: "self", ParentCode: ptr("P")},
			{Code: "B1", Name: "Văn phòng B", Relation: "internal", ParentCode: ptr("B")},
		}},
		{"the province puts the communes under it", p, []warehouse.OrgUnit{
			{Code: "P", Name: "Tỉnh", Relation: "self"},
			{Code: "A", Name: "Xã A", Relation: "internal", ParentCode: ptr("P")},
			{Code: "B", Name: "Xã B", Relation: "internal", ParentCode: ptr("P")},
		}},
		{"A again: the province's shape stays", a, []warehouse.OrgUnit{
			{Code: "A", Name: "Xã A", Relation: "self", ParentCode: ptr("P")},
			{Code: "A1", Name: "Văn phòng A", Relation: "internal", ParentCode: ptr("A")},
			{Code: "P", Name: "Tỉnh", Relation: "higher"},
		}},
	}
	for _, s := range steps {
		if err := s.st.SyncOrgUnits(ctx, s.units); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	var got []string
	if err := a.DB.Select(&got, `SELECT code || ' ' || name || ' ' || relation || ' ' || COALESCE(parent_code, '-') || ' by ' || written_by FROM org_units ORDER BY code`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"A Xã A internal P by P",
		"A1 Văn phòng A internal A by A",
		"B Xã B internal P by P",
		"B1 Văn phòng B internal B by B",
		"P Tỉnh self - by P",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("org_units:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if members, err := a.UnitMembers(ctx, "P"); err != nil || strings.Join(members, ",") != "A,A1,B,B1,P" {
		t.Errorf("members of P: %v (%v)", members, err)
	}
	// B's daemon narrowed to what the warehouse gives it.
	b2 := scoped(t, dsn, "B", "B1", "A1")
	if dropped, err := b2.NarrowTree(ctx); err != nil || strings.Join(dropped, ",") != "A1" || b2.InTree("A1") {
		t.Errorf("NarrowTree of B claiming A1: dropped %v (%v)", dropped, err)
	}

	// Targets: per commune; the province does not overwrite a commune's.
	tg := func(v float64) []warehouse.Target {
		return []warehouse.Target{{Indicator: "doc_reduction", Op: ">=", Value: v}}
	}
	for _, s := range []struct {
		st *warehouse.Store
		v  float64
	}{{a, 15}, {b, 20}, {p, 30}, {a, 16}} {
		if err := s.st.LoadTargets(ctx, 2026, tg(s.v), "t.yaml"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.LoadTargets(ctx, 2026, []warehouse.Target{{Indicator: "doc_reduction", Op: ">=", Value: 1, Unit: "B1"}}, "t.yaml"); err == nil ||
		!strings.Contains(err.Error(), "B1 is not in the tree of commune A") {
		t.Errorf("A's target for B's unit: %v", err)
	}
	got = nil
	if err := a.DB.Select(&got, `SELECT unit_code || ' ' || target::text || ' by ' || written_by FROM kpi_targets WHERE year = 2026 AND indicator = 'doc_reduction' ORDER BY unit_code`); err != nil {
		t.Fatal(err)
	}
	want = []string{" 15 by ", "A 16 by A", "A1 16 by A", "B 20 by B", "B1 20 by B", "P 30 by P"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("kpi_targets %q, want %q", got, want)
	}

	// Report periods: one list; a commune that defines one differently is
	// told which commune defined it.
	bc6t := warehouse.ReportPeriod{ID: "bc6t", Label: "6 tháng", FromMD: "12-15", ToMD: "06-14", FromPrevYear: true}
	if err := a.LoadReportPeriods(ctx, []warehouse.ReportPeriod{bc6t}); err != nil {
		t.Fatal(err)
	}
	if err := b.LoadReportPeriods(ctx, []warehouse.ReportPeriod{bc6t}); err != nil {
		t.Errorf("B defining bc6t alike: %v", err)
	}
	other := bc6t
	other.ToMD = "06-30"
	if err := b.LoadReportPeriods(ctx, []warehouse.ReportPeriod{other}); err == nil || !strings.Contains(err.Error(), "commune A defines it") {
		t.Errorf("B defining bc6t otherwise: %v", err)
	}
	got = nil
	if err := a.DB.Select(&got, `SELECT id || ' ' || to_md || ' by ' || written_by FROM kpi_report_periods ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	// A took over the default bc6t it redefines; the defaults it does not
	// define stay (another commune may use them).
	if want := "bc6t 06-14 by A|bcnam 11-30 by |nd09-6t 06-14 by |nd09-nam 12-14 by "; strings.Join(got, "|") != want {
		t.Errorf("kpi_report_periods %q, want %q", strings.Join(got, "|"), want)
	}
}
