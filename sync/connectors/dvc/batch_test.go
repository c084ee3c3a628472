package dvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

func ptrTo[T any](v T) *T { return &v }

// TestUpsertDossiersMatchesSingleRowWrites writes the same dossiers through
// the batch path (Run.UpsertDossiers, column arrays) and the single-row path
// (Run.UpsertDossier) and wants the same facts: text that needs escaping
// in an array literal, NULLs, the word NULL, copies of one dossier in one
// batch (the latest update wins, whatever the order), repeated steps.
func TestUpsertDossiersMatchesSingleRowWrites(t *testing.T) {
	at := func(h int) *time.Time { v := time.Date(2025, 3, 1, h, 30, 15, 123456000, time.UTC); return &v }
	base := facts.Dossier{UnitCode: unit, Source: "dvc-tinh", MaTTHC: "1.001193", Status: ptrTo(4), ReceivedAt: at(1),
		SourceUpdatedAt: at(2), Channel: ptrTo("online"), InputDigitized: true, Supplements: 2}
	with := func(ma string, f func(d *facts.Dossier)) facts.Dossier {
		d := base
		d.MaHoSo = ma
		if f != nil {
			f(&d)
		}
		return d
	}
	steps := []facts.DossierStep{
		{At: *at(1), Status: ptrTo(4), Actor: "Công chức"},                             // the same instant given again below: collapses
		{At: *at(1), Status: ptrTo(2), Actor: `Công chức "một cửa" \ {bộ phận}, tổ 1`}, // the last given wins
		{At: *at(3), Actor: "NULL"},
	}
	sighting := func(raw string) facts.DossierSighting {
		return facts.DossierSighting{Source: "dvc-tinh", SourceKey: "madonvi:" + unit, Raw: []byte(raw)}
	}
	batch := []facts.DossierWrite{
		{Dossier: with(unit+"-A", nil), Steps: steps, Sighting: sighting(`{"MaHoSo":"A","TrichYeu":"a \"b\" \\ c, {d}"}`)},
		{Dossier: with(unit+"-B", func(d *facts.Dossier) {
			d.MaTTHC, d.Status, d.Channel, d.ReceivedAt, d.SourceUpdatedAt = "", nil, nil, nil, nil
		}), Sighting: sighting(`  {"MaHoSo" : "B", "x": [1, 2.5e3, true, null]}  `)},
		{Dossier: with(unit+"-C", func(d *facts.Dossier) { d.MaTTHC = "NULL"; d.ResultMethod = ptrTo("postal") }),
			Sighting: sighting(`{"MaHoSo":"C","v":"\u0110\u1ed3ng \t tab"}`)},
		// Two copies of D: the newer first, then an older one that must not win.
		{Dossier: with(unit+"-D", func(d *facts.Dossier) { d.Status, d.SourceUpdatedAt = ptrTo(10), at(9) }),
			Sighting: sighting(`{"MaHoSo":"D","v":2}`)},
		{Dossier: with(unit+"-D", func(d *facts.Dossier) { d.Status, d.SourceUpdatedAt = ptrTo(4), at(5) }),
			Sighting: sighting(`{"MaHoSo":"D","v":1}`)},
		{Dossier: with(`000.25.31.H99-"quoted"\back`, nil), Sighting: sighting(`{}`)},
	}
	ctx := context.Background()
	write := func(single bool) string {
		st := warehousetest.New(t)
		run, err := st.StartRun(ctx, "dvc-tinh")
		if err != nil {
			t.Fatal(err)
		}
		if single {
			for _, w := range batch {
				if err := run.UpsertDossier(ctx, w.Dossier, w.Steps, w.Sighting); err != nil {
					t.Fatal(err)
				}
			}
		} else if err := run.UpsertDossiers(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := run.Finish(ctx, nil); err != nil {
			t.Fatal(err)
		}
		return snapshot(t, st)
	}
	want, got := write(true), write(false)
	if got != want {
		t.Fatalf("batch writes differ from single-row writes:\n%s", diffLines(want, got))
	}
	for _, s := range []string{"10 ", "Công chức \"một cửa\"", "NULL"} {
		if !strings.Contains(got, s) {
			t.Errorf("snapshot lacks %q:\n%s", s, got)
		}
	}
}

// TestUpsertDossiersOddBytes: text and raw records that PostgreSQL cannot
// take as they are (invalid UTF-8, NUL bytes, a raw record that is not
// JSON) do not fail the batch: the dossiers are stored, the text cleaned.
func TestUpsertDossiersOddBytes(t *testing.T) {
	st := warehousetest.New(t)
	ctx := context.Background()
	run, err := st.StartRun(ctx, "dvc-tinh")
	if err != nil {
		t.Fatal(err)
	}
	batch := []facts.DossierWrite{
		{Dossier: facts.Dossier{UnitCode: unit, MaHoSo: unit + "-X", MaTTHC: "1.0\xff01", Source: "dvc-tinh"},
			Steps:    []facts.DossierStep{{At: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Actor: "a\x00b"}},
			Sighting: facts.DossierSighting{Source: "dvc-tinh", SourceKey: "k", Raw: []byte("{\"v\":\"\xff\"}")}},
		{Dossier: facts.Dossier{UnitCode: unit, MaHoSo: unit + "-Y", Source: "dvc-tinh"},
			Sighting: facts.DossierSighting{Source: "dvc-tinh", SourceKey: "k", Raw: []byte(`{"broken":`)}},
		{Dossier: facts.Dossier{UnitCode: unit, MaHoSo: unit + "-Z", Source: "dvc-tinh"},
			Sighting: facts.DossierSighting{Source: "dvc-tinh", SourceKey: "k", Raw: []byte(`{"v":"\u0000","w":"\ud800"}`)}},
	}
	if err := run.UpsertDossiers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ q, want string }{
		{`SELECT ma_tthc FROM dossiers WHERE ma_ho_so = '` + unit + `-X'`, "1.0\uFFFD01"},
		{`SELECT actor FROM dossier_steps`, "ab"},
		{`SELECT raw->>'v' FROM dossier_sightings WHERE ma_ho_so = '` + unit + `-X'`, "\uFFFD"},
		{`SELECT coalesce(raw::text, 'SQL NULL') FROM dossier_sightings WHERE ma_ho_so = '` + unit + `-Y'`, "SQL NULL"},
		{`SELECT coalesce(raw::text, 'SQL NULL') FROM dossier_sightings WHERE ma_ho_so = '` + unit + `-Z'`, "SQL NULL"},
	} {
		var got string
		if err := st.DB.Get(&got, c.q); err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
}
