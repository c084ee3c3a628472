package registergen

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/register"
)

const unit = "000.25.31.H99"

// Every generated register reads back, row for row, as the corpus
// documents it lists: same code, dates, medium and secrecy.
func TestDemoRegistersReadBack(t *testing.T) {
	dir := t.TempDir()
	scale := edxmlgen.WithScale(0.1)
	conns, files, err := WriteDemo(dir, 7, unit, Options{}, scale)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 4 {
		t.Errorf("connectors: %+v", conns)
	}
	exts := map[string]int{}
	for _, f := range files {
		exts[filepath.Ext(f.Path)]++
		docs := Select(edxmlgen.Corpus(7, unit, f.Year, scale), unit, f.Kind)
		if len(docs) != f.Rows || f.Rows == 0 {
			t.Fatalf("%s: %d rows for %d documents", f.Path, f.Rows, len(docs))
		}
		i := 0
		_, err := register.Read(context.Background(), f.Path, register.Options{}, func(r register.Row, bad *register.RowError) error {
			if bad != nil {
				t.Errorf("%v", bad)
				return nil
			}
			d := docs[i]
			i++
			medium := "paper"
			if d.Medium == "electronic" {
				medium = "electronic"
			}
			if f.Kind.Secret {
				medium = "" // the secret registers have no medium column
			}
			if r.Number+"/"+r.Notation != d.Code() || !r.IssuedOn.Equal(d.IssuedOn) || r.Medium != medium || r.Secret != d.Secret {
				t.Errorf("%s row %d = %s %s %s %v, want %s %s %s %v", filepath.Base(f.Path), r.Line, r.Code, r.IssuedOn, r.Medium, r.Secret,
					d.Code(), d.IssuedOn, medium, d.Secret)
			}
			if f.Kind.Direction == "in" && (!r.ReceivedOn.Equal(d.ReceivedOn) || r.Issuer != d.IssuerName) {
				t.Errorf("%s row %d: received %s from %q, want %s from %q", filepath.Base(f.Path), r.Line, r.ReceivedOn, r.Issuer, d.ReceivedOn, d.IssuerName)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if i != len(docs) {
			t.Errorf("%s: read %d rows, want %d", f.Path, i, len(docs))
		}
	}
	if exts[".xlsx"] == 0 || exts[".csv"] == 0 {
		t.Errorf("want both formats: %v", exts)
	}
}

// Quirks: other date forms and codes still read; one typo per register
// is rejected, naming its column.
func TestQuirks(t *testing.T) {
	dir := t.TempDir()
	corpus := edxmlgen.Corpus(3, unit, 2025, edxmlgen.WithScale(0.2))
	for _, format := range []string{"csv", "xlsx"} {
		files, err := Write(filepath.Join(dir, format), unit, 2025, corpus, Options{Format: format, Quirks: true, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			var good, bad int
			_, err := register.Read(context.Background(), f.Path, register.Options{}, func(r register.Row, e *register.RowError) error {
				if e != nil {
					bad++
					if !strings.Contains(e.Error(), "(issued_on): impossible date") {
						t.Errorf("unexpected reject: %v", e)
					}
					return nil
				}
				good++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			wantBad := 0
			if f.Rows > 20 {
				wantBad = 1
			}
			if bad != wantBad || good+bad != f.Rows {
				t.Errorf("%s: %d good %d bad of %d rows", f.Path, good, bad, f.Rows)
			}
		}
	}
}
