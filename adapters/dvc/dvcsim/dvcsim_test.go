package dvcsim_test

import (
	"bytes"
	"testing"

	"chiso/adapters/dvc"
	"chiso/adapters/dvc/dvcsim"
	"chiso/mapping/dossiers"
)

// TestGenerated checks what the generator promises: records computed from
// their index (same seed, same bytes), ordered by update, valid for the
// mapping, and a mix that includes the edge cases.
func TestGenerated(t *testing.T) {
	g := dvcsim.Generate(42, "000.25.31.H99", 2025, 3000)
	if !bytes.Equal(g.Record(123), dvcsim.Generate(42, "000.25.31.H99", 2025, 3000).Record(123)) {
		t.Fatal("the same seed gives different records")
	}
	statuses := map[string]int{}
	var noChannel, hidden5, online, warned int
	for i := 0; i < g.Len(); i++ {
		if i > 0 && g.Updated(i).Before(g.Updated(i-1)) {
			t.Fatalf("record %d updated before record %d", i, i-1)
		}
		if j, ok := g.Index(g.MaHoSo(i)); !ok || j != i {
			t.Fatalf("Index(MaHoSo(%d)) = %d %v", i, j, ok)
		}
		raw := g.Record(i)
		rec, err := dvc.DecodeRecord(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := dossiers.MapRecord(rec, raw, dossiers.Options{Unit: "u", Steps: g.Steps(i)})
		if err != nil {
			t.Fatalf("generated record %d does not map: %v", i, err)
		}
		if g.Updated(i).Year() != 2025 {
			t.Fatalf("record %d updated in %d", i, g.Updated(i).Year())
		}
		statuses[rec.TrangThaiHoSo.String()]++
		if res.Dossier.Channel == nil {
			noChannel++
		} else if *res.Dossier.Channel == "online" {
			online++
		}
		if rec.TrangThaiHoSo.String() == "9" && res.Dossier.Status != nil && *res.Dossier.Status == 5 {
			hidden5++
		}
		if len(res.Warnings) > 0 {
			warned++
		}
	}
	for _, s := range []string{"1", "3", "4", "5", "7", "8", "9", "10", "0", ""} {
		if statuses[s] == 0 {
			t.Errorf("no dossier with status %q in 3000", s)
		}
	}
	if noChannel == 0 || hidden5 == 0 || online < 1200 || warned == 0 {
		t.Errorf("mix: no channel %d, 9 hiding 5 %d, online %d, with warnings %d", noChannel, hidden5, online, warned)
	}
}
