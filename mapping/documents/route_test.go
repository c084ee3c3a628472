package documents

import (
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/mapping/orgdir"
)

func TestUnitByCode(t *testing.T) {
	const (
		prov   = "000.00.00.H99"
		a      = "000.25.31.H99" // commune A
		aUnit  = "001.25.31.H99" // a unit of A
		b      = "000.26.31.H99" // commune B
		merged = "000.51.31.H99" // merged into A
		other  = "000.00.00.H98" // another province
		bo     = "000.00.00.G01"
	)
	org := orgdir.New([]orgdir.Unit{
		{Code: prov, Name: "UBND tỉnh", Relation: orgdir.Self},
		{Code: a, Name: "UBND xã Yên Định", Parent: prov, Relation: orgdir.Internal},
		{Code: aUnit, Name: "Văn phòng HĐND và UBND xã Yên Định", Parent: a, Relation: orgdir.Internal},
		{Code: b, Name: "UBND xã Yên Phong", Parent: prov, Relation: orgdir.Internal},
		{Code: merged, Name: "UBND xã Yên Lư (cũ)", Relation: orgdir.Internal, MergedInto: a},
		{Code: other, Name: "UBND tỉnh Hà Nam", Relation: orgdir.Peer},
		{Code: bo, Name: "Bộ Nội vụ", Relation: orgdir.Higher},
	})
	doc := func(from string, to ...string) *edxml.Package {
		return &edxml.Package{Kind: edxml.KindEdoc, From: from, To: to, CodeNumber: "1", CodeNotation: "UBND-VP",
			PromulgationDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	}
	status := func(from, issuer string) *edxml.Package {
		return &edxml.Package{Kind: edxml.KindStatus, From: from, Status: &edxml.Status{Code: "01", ResponseFor: edxml.Ref{OrganID: issuer}}}
	}
	for _, c := range []struct {
		name      string
		pkg       *edxml.Package
		root      string
		want, dir string
		path, err string
	}{
		{name: "outgoing of a commune's unit", pkg: doc(aUnit, bo), root: prov, want: aUnit, dir: "out"},
		{name: "incoming to a commune", pkg: doc(bo, b), root: prov, want: b, dir: "in"},
		{name: "incoming: the first recipient of the tree", pkg: doc(bo, other, aUnit, b), root: prov, want: aUnit, dir: "in"},
		{name: "between two communes: the sender's", pkg: doc(a, b), root: prov, want: a, dir: "out"},
		{name: "merged predecessor", pkg: doc(bo, merged), root: prov, want: merged, dir: "in"},
		{name: "a commune's root", pkg: doc(bo, aUnit), root: a, want: aUnit, dir: "in"},
		{name: "another province's", pkg: doc(other, "000.01.00.H98"), root: prov, path: pathTo,
			err: "neither the sender (From/OrganId 000.00.00.H98 (UBND tỉnh Hà Nam, peer)) nor any recipient (To/OrganId 000.01.00.H98 (not in the org directory)) is 000.00.00.H99 or a unit under it"},
		{name: "to the other commune from a commune's root", pkg: doc(bo, b), root: a, path: pathTo, err: "is 000.25.31.H99 or a unit under it"},
		{name: "status of our outgoing document", pkg: status(bo, aUnit), root: prov, want: aUnit},
		{name: "status our unit sent", pkg: status(b, bo), root: prov, want: b},
		{name: "status of no unit of ours", pkg: status(bo, other), root: prov, path: pathResponseFor,
			err: "neither the reporter (From/OrganId 000.00.00.G01 (Bộ Nội vụ, higher)) nor the issuer of the document it answers (ResponseFor/OrganId 000.00.00.H98"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := UnitByCode(c.pkg, org, c.root)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || edxml.ErrorPath(err) != c.path {
					t.Fatalf("got %q, %v (path %q), want error %q at %s", got, err, edxml.ErrorPath(err), c.err, c.path)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v, want %q", got, err, c.want)
			}
			if c.pkg.Kind != edxml.KindEdoc {
				return
			}
			// FromPackage with the root as our unit puts the document there.
			f, err := FromPackage(c.pkg, c.root, org, nil, Seen{})
			if err != nil || f.Document.UnitCode != c.want || f.Document.Direction != c.dir {
				t.Fatalf("FromPackage: %+v, %v; want %s %s", f.Document, err, c.dir, c.want)
			}
		})
	}
}
