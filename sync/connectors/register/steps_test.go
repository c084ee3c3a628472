package register

import (
	"fmt"
	"testing"
	"time"

	wire "chiso/adapters/register"
	"chiso/adapters/vntime"
	"chiso/mapping/registers"
	"chiso/sync/connector"
	"chiso/warehouse/facts"
)

// Table tests of syncFile's pure steps.

func TestOutsideWindow(t *testing.T) {
	day := func(d int) *time.Time { t := time.Date(2025, 12, d, 0, 0, 0, 0, vntime.Location); return &t }
	w := &connector.Window{From: *day(1), To: *day(5)}
	for _, c := range []struct {
		name string
		w    *connector.Window
		on   *time.Time
		want bool
	}{
		{"no window", nil, day(9), false},
		{"no date", w, nil, false},
		{"first day", w, day(1), false},
		{"last day, whole", w, func() *time.Time { t := day(5).Add(23 * time.Hour); return &t }(), false},
		{"before", w, func() *time.Time { t := day(1).Add(-time.Nanosecond); return &t }(), true},
		{"the day after", w, day(6), true},
	} {
		if got := outsideWindow(c.w, c.on); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMapError(t *testing.T) {
	h := &wire.Header{Titles: []string{"Số, ký hiệu", "Ngày tháng"}, Columns: map[string]int{wire.FieldCode: 0, wire.FieldIssuedOn: 1}}
	for _, c := range []struct {
		name   string
		row    wire.Row
		field  string
		column string
	}{
		{"named by its title", wire.Row{Header: h, Line: 7, Sheet: "S"}, wire.FieldIssuedOn, "Ngày tháng"},
		{"a field without a column", wire.Row{Header: h, Line: 7}, wire.FieldIssuer, wire.FieldIssuer},
		{"no header", wire.Row{Line: 7}, wire.FieldIssuedOn, wire.FieldIssuedOn},
		{"secret row stays secret", wire.Row{Header: h, Line: 7, Secret: true}, wire.FieldCode, "Số, ký hiệu"},
	} {
		e := mapError("so-di.csv", c.row, &registers.FieldError{Field: c.field, Reason: "empty"})
		if e.Column != c.column || e.Field != c.field || e.File != "so-di.csv" || e.Line != 7 || e.Secret != c.row.Secret || e.Sheet != c.row.Sheet {
			t.Errorf("%s: %+v, want column %q", c.name, e, c.column)
		}
	}
}

func TestNoteNamesSorted(t *testing.T) {
	f := &fileRead{names: map[string]*facts.UnresolvedName{}}
	for i, u := range [][]registers.Name{
		{{Role: registers.RoleRecipient, Name: "Hội Nông dân", Key: "hoi nong dan"}},
		{{Role: registers.RoleIssuer, Name: "Công an Huyện", Key: "cong an huyen"}, {Role: registers.RoleRecipient, Name: "Hội nông dân", Key: "hoi nong dan"}},
	} {
		f.noteNames(registers.Result{Unresolved: u, Sighting: facts.Sighting{SourceKey: fmt.Sprintf("so.csv#%d", i+2)}})
	}
	got := fmt.Sprint(sortedNames(f.names))
	want := fmt.Sprint([]facts.UnresolvedName{
		{Role: registers.RoleIssuer, NameKey: "cong an huyen", Name: "Công an Huyện", Rows: 1, Example: "so.csv#3"},
		{Role: registers.RoleRecipient, NameKey: "hoi nong dan", Name: "Hội Nông dân", Rows: 2, Example: "so.csv#2"},
	})
	if got != want {
		t.Errorf("names\n%s\nwant\n%s", got, want)
	}
}
