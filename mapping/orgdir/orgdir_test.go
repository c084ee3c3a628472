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
