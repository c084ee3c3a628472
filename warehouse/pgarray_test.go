package warehouse_test

import (
	"database/sql"
	"testing"

	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// The one array encoder: its literal for each kind of hostile or edge text,
// and what a real PostgreSQL stores from it (an element of nil is NULL).
// Text follows facts.StorableText (bad UTF-8 → U+FFFD, NUL dropped).
func TestArrayLiteral(t *testing.T) {
	null := (*string)(nil)
	str := func(s string) *string { return &s }
	cases := []struct {
		name   string
		in     []string
		orNull bool
		lit    string
		stored []*string
	}{
		{"no elements", nil, false, `{}`, nil},
		{"plain", []string{"a", "Quyết định"}, false, `{"a","Quyết định"}`, []*string{str("a"), str("Quyết định")}},
		{"double quotes", []string{`say "hi"`}, false, `{"say \"hi\""}`, []*string{str(`say "hi"`)}},
		{"backslashes", []string{`C:\x\`}, false, `{"C:\\x\\"}`, []*string{str(`C:\x\`)}},
		{"comma, braces, spaces", []string{" a,b}{ "}, false, `{" a,b}{ "}`, []*string{str(" a,b}{ ")}},
		{"NUL dropped", []string{"a\x00b"}, false, `{"ab"}`, []*string{str("ab")}},
		{"NUL only is empty text, not NULL", []string{"\x00"}, false, `{""}`, []*string{str("")}},
		{"bad UTF-8 replaced", []string{"a\xffb"}, false, "{\"a\uFFFDb\"}", []*string{str("a\uFFFDb")}},
		{"bad UTF-8 and NUL", []string{"\xc3\x00x"}, false, "{\"\uFFFDx\"}", []*string{str("\uFFFDx")}},
		{"empty text is empty", []string{""}, false, `{""}`, []*string{str("")}},
		{"empty as NULL", []string{"", "x", ""}, true, `{NULL,"x",NULL}`, []*string{null, str("x"), null}},
		{"the word NULL is text", []string{"NULL"}, true, `{"NULL"}`, []*string{str("NULL")}},
	}
	st := warehousetest.New(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lit := warehouse.ArrayLiteral(c.in, c.orNull)
			if lit != c.lit {
				t.Errorf("literal %q, want %q", lit, c.lit)
			}
			var got []sql.NullString
			if err := st.DB.Select(&got, `SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i`, lit); err != nil {
				t.Fatalf("PostgreSQL refused %q: %v", lit, err)
			}
			if len(got) != len(c.stored) {
				t.Fatalf("stored %d elements, want %d", len(got), len(c.stored))
			}
			for i, g := range got {
				w := c.stored[i]
				switch {
				case w == nil && g.Valid:
					t.Errorf("element %d: %q, want NULL", i, g.String)
				case w != nil && (!g.Valid || g.String != *w):
					t.Errorf("element %d: %+v, want %q", i, g, *w)
				case w != nil && g.String != facts.StorableText(c.in[i]):
					t.Errorf("element %d: %q is not StorableText(%q)", i, g.String, c.in[i])
				}
			}
		})
	}
}
