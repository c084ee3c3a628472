package orgdir

import (
	"slices"
	"testing"
)

func demo() *Directory {
	return New([]Unit{
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: Self},
		{Code: "001.25.31.H99", Name: "Văn phòng HĐND và UBND xã", Parent: "000.25.31.H99", Relation: Internal},
		{Code: "000.51.31.h99", Name: "UBND xã Yên Định (cũ)", Relation: Internal, MergedInto: "000.25.31.H99"},
		{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: Higher, Aliases: []string{"UBND tỉnh"}},
		{Code: "000.26.31.H99", Name: "UBND xã Yên Phong", Relation: Peer},
	})
}

func TestRelations(t *testing.T) {
	d := demo()
	for _, tc := range []struct{ code, want string }{
		{"000.25.31.H99", Self},
		{"001.25.31.h99", Internal},
		{" 000.00.00.H99 ", Higher},
		{"000.51.31.H99", Self}, // a merged predecessor takes its successor's relation
		{"020100107370", External},
	} {
		if got := d.Relation(tc.code); got != tc.want {
			t.Errorf("Relation(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
	if got := d.Highest([]string{"000.26.31.H99", "000.00.00.H99", "X"}); got != Higher {
		t.Errorf("Highest = %q", got)
	}
	if got := d.Highest(nil); got != "" {
		t.Errorf("Highest(nil) = %q", got)
	}
}

func TestTreeAndNames(t *testing.T) {
	d := demo()
	for _, tc := range []struct {
		code string
		ours bool
	}{{"000.25.31.H99", true}, {"001.25.31.H99", true}, {"000.51.31.H99", true}, {"000.00.00.H99", false}, {"ZZZ", false}} {
		if got := d.IsOurs("000.25.31.H99", tc.code); got != tc.ours {
			t.Errorf("IsOurs(%s) = %v", tc.code, got)
		}
	}
	want := []string{"000.25.31.H99", "000.51.31.H99", "001.25.31.H99"}
	if got := d.Descendants("000.25.31.H99"); !slices.Equal(got, want) {
		t.Errorf("Descendants = %v, want %v", got, want)
	}
	for _, name := range []string{"ubnd tinh", "UBND TỈNH BẮC NINH", "Ủy ban nhân dân tỉnh Bắc Ninh", "000.00.00.h99"} {
		u, ok := d.ByName(name)
		if name == "Ủy ban nhân dân tỉnh Bắc Ninh" {
			if ok {
				t.Errorf("ByName(%q) resolved without an alias", name)
			}
			continue
		}
		if !ok || u.Code != "000.00.00.H99" {
			t.Errorf("ByName(%q) = %v %v", name, u, ok)
		}
	}
}

// provincial is a province's directory: the province is the root, the
// communes (one of them in a district) and their units are under it.
func provincial() *Directory {
	return New([]Unit{
		{Code: "000.00.00.H99", Name: "UBND tỉnh", Relation: Self, Level: "province"},
		{Code: "000.00.01.H99", Name: "Sở Nội vụ", Parent: "000.00.00.H99", Relation: Internal},
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: Internal, Level: "commune"},
		{Code: "001.25.31.H99", Name: "Văn phòng xã Yên Định", Parent: "000.25.31.H99", Relation: Internal},
		{Code: "000.51.31.H99", Name: "UBND xã Yên Lư (cũ)", Relation: Internal, MergedInto: "000.25.31.H99"},
		{Code: "000.26.31.H99", Name: "UBND xã Yên Phong", Parent: "000.00.00.H99", Relation: Internal, Level: "commune"},
		{Code: "001.26.31.H99", Name: "Trung tâm xã Yên Phong", Parent: "000.26.31.H99", Relation: Internal},
		{Code: "000.30.00.H99", Name: "UBND huyện", Parent: "000.00.00.H99", Relation: Internal, Level: "district"},
		{Code: "001.30.00.H99", Name: "Văn phòng huyện", Parent: "000.30.00.H99", Relation: Internal},
		{Code: "000.31.30.H99", Name: "UBND xã Tam Giang", Parent: "000.30.00.H99", Relation: Internal, Level: "commune"},
		{Code: "000.00.00.G01", Name: "Bộ Nội vụ", Relation: Higher},
		{Code: "000.00.00.H98", Name: "UBND tỉnh Hà Nam", Relation: Peer},
		{Code: "000.00.00.L01", Name: "Trường", Relation: Lower},
	})
}

func TestRelationFromProvincial(t *testing.T) {
	const (
		prov, so, a, aVP, merged = "000.00.00.H99", "000.00.01.H99", "000.25.31.H99", "001.25.31.H99", "000.51.31.H99"
		b, bTT, dist, distVP, e  = "000.26.31.H99", "001.26.31.H99", "000.30.00.H99", "001.30.00.H99", "000.31.30.H99"
		bo, h98, lower, unknown  = "000.00.00.G01", "000.00.00.H98", "000.00.00.L01", "000.99.99.H99"
	)
	d := provincial()
	for _, c := range []struct{ unit, code, want string }{
		// From a commune's unit: its commune is self, the province above it higher.
		{aVP, a, Self},
		{aVP, merged, Self},
		{aVP, aVP, Internal},
		{a, " 001.25.31.h99 ", Internal},
		{aVP, prov, Higher},
		{aVP, so, Higher}, // a unit of the province's own
		{aVP, b, Peer},
		{aVP, bTT, Peer},
		{aVP, dist, Peer}, // a district above other communes
		{aVP, distVP, Peer},
		{aVP, e, Peer},
		{merged, prov, Higher}, // a predecessor is seen from its successor
		// Outside the tree: the directory's relation.
		{aVP, bo, Higher},
		{aVP, h98, Peer},
		{aVP, lower, Lower},
		{aVP, unknown, External},
		// A commune in a district: the district and its units are above it.
		{e, dist, Higher},
		{e, distVP, Higher},
		{e, prov, Higher},
		{e, a, Peer},
		{e, e, Self},
		// The district's own units: its communes are under it.
		{distVP, e, Internal},
		{distVP, dist, Self},
		{distVP, prov, Higher},
		{distVP, a, Peer},
		// The province (the root) and its own units: the directory's relations.
		{prov, a, Internal},
		{prov, prov, Self},
		{so, aVP, Internal},
		{so, bo, Higher},
		// A unit outside the tree, or unknown: the directory's relations.
		{bo, a, Internal},
		{unknown, prov, Self},
	} {
		if got := d.RelationFrom(c.unit, c.code); got != c.want {
			t.Errorf("RelationFrom(%s, %s) = %q, want %q", c.unit, c.code, got, c.want)
		}
	}
	for _, c := range []struct {
		unit  string
		codes []string
		want  string
	}{
		{aVP, []string{b, prov}, Higher},
		{aVP, []string{b, aVP}, Peer},
		{prov, []string{a, b}, Internal},
		{b, []string{a, h98}, Peer},
		{a, nil, ""},
	} {
		if got := d.HighestFrom(c.unit, c.codes); got != c.want {
			t.Errorf("HighestFrom(%s, %v) = %q, want %q", c.unit, c.codes, got, c.want)
		}
	}
	for code, want := range map[string]string{aVP: a, merged: a, a: a, so: prov, prov: prov, distVP: dist, e: e, bo: "", unknown: ""} {
		if got := d.Home(code); got != want {
			t.Errorf("Home(%s) = %q, want %q", code, got, want)
		}
	}
}

// In a commune's own directory (with or without a level on the commune)
// RelationFrom is Relation from every unit, for every code.
func TestRelationFromCommune(t *testing.T) {
	for _, level := range []string{"", "commune"} {
		d := demo()
		if level != "" {
			units := slices.Clone(d.Units)
			units[0].Level = level
			d = New(units)
		}
		codes := []string{"020100107370", "000.99.31.H99", ""}
		for _, u := range d.Units {
			codes = append(codes, u.Code)
		}
		for _, unit := range codes {
			for _, code := range codes {
				if got, want := d.RelationFrom(unit, code), d.Relation(code); got != want {
					t.Errorf("level %q: RelationFrom(%s, %s) = %q, Relation = %q", level, unit, code, got, want)
				}
			}
			if got, want := d.HighestFrom(unit, codes), d.Highest(codes); got != want {
				t.Errorf("level %q: HighestFrom(%s) = %q, Highest = %q", level, unit, got, want)
			}
		}
	}
	var nilDir *Directory
	if got := nilDir.RelationFrom("A", "B"); got != External {
		t.Errorf("nil directory: %q", got)
	}
}
