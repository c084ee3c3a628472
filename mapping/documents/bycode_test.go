package documents

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
)

// The provincial directory of configs/org-directory.province.example.yaml:
// the province is the root (self, level province), the communes are
// internal units of it (level commune) with their units under them.
const (
	bcProv   = "000.00.00.H99"
	bcA      = "000.25.31.H99"
	bcAVP    = "001.25.31.H99"
	bcATT    = "002.25.31.H99"
	bcMerged = "000.51.31.H99"
	bcB      = "000.26.31.H99"
	bcBTT    = "001.26.31.H99"
	bcC      = "000.27.31.H99"
	bcBo     = "000.00.00.G01"
	bcH98    = "000.00.00.H98"
)

func provincialOrg() *orgdir.Directory {
	return orgdir.New([]orgdir.Unit{
		{Code: bcProv, Name: "UBND tỉnh", Relation: orgdir.Self, Level: "province"},
		{Code: bcA, Name: "UBND xã Yên Định", Parent: bcProv, Relation: orgdir.Internal, Level: "commune"},
		{Code: bcAVP, Name: "Văn phòng xã Yên Định", Parent: bcA, Relation: orgdir.Internal},
		{Code: bcATT, Name: "Trung tâm xã Yên Định", Parent: bcA, Relation: orgdir.Internal},
		{Code: bcMerged, Name: "UBND xã Yên Lư (cũ)", Relation: orgdir.Internal, MergedInto: bcA},
		{Code: bcB, Name: "UBND xã Yên Phong", Parent: bcProv, Relation: orgdir.Internal, Level: "commune"},
		{Code: bcBTT, Name: "Trung tâm xã Yên Phong", Parent: bcB, Relation: orgdir.Internal},
		{Code: bcC, Name: "UBND xã Tam Giang", Parent: bcProv, Relation: orgdir.Internal, Level: "commune"},
		{Code: bcBo, Name: "Bộ Nội vụ", Relation: orgdir.Higher},
		{Code: bcH98, Name: "UBND tỉnh Hà Nam", Relation: orgdir.Peer},
	})
}

// communeOrg is commune A's own directory: A is self, the province higher,
// the other communes peers.
func communeOrg() *orgdir.Directory {
	return orgdir.New([]orgdir.Unit{
		{Code: bcA, Name: "UBND xã Yên Định", Parent: bcProv, Relation: orgdir.Self, Level: "commune"},
		{Code: bcAVP, Name: "Văn phòng xã Yên Định", Parent: bcA, Relation: orgdir.Internal},
		{Code: bcATT, Name: "Trung tâm xã Yên Định", Parent: bcA, Relation: orgdir.Internal},
		{Code: bcMerged, Name: "UBND xã Yên Lư (cũ)", Relation: orgdir.Internal, MergedInto: bcA},
		{Code: bcProv, Name: "UBND tỉnh", Relation: orgdir.Higher},
		{Code: bcB, Name: "UBND xã Yên Phong", Relation: orgdir.Peer},
		{Code: bcBTT, Name: "Trung tâm xã Yên Phong", Relation: orgdir.Peer},
		{Code: bcBo, Name: "Bộ Nội vụ", Relation: orgdir.Higher},
	})
}

var (
	bcIssued = time.Date(2026, 3, 2, 9, 0, 0, 0, vntime.Location)
	bcAxis   = time.Date(2026, 3, 2, 10, 0, 0, 0, vntime.Location)
)

func bcPackage(from string, to []string, trace ...edxml.Trace) *edxml.Package {
	return &edxml.Package{Kind: edxml.KindEdoc, From: from, To: to, CodeNumber: "7", CodeNotation: "UBND-VP",
		PromulgationDate: bcIssued, Trace: trace}
}

// describe lists the documents of f: unit, direction, counterparts,
// relation, and for an incoming one the evidence that dates it.
func describe(f Facts) []string {
	var out []string
	for _, c := range f.Documents() {
		d := c.Document
		s := fmt.Sprintf("%s %s %s %s", d.UnitCode, d.Direction, strings.Join(d.Counterparts, ","), d.CounterpartRelation)
		if d.Direction == "in" {
			s += fmt.Sprintf(" %s %s", c.Sighting.ReceivedBy, c.Sighting.ReceivedAt.In(vntime.Location).Format("01-02 15:04"))
			if got := dateOnly(c.Sighting.ReceivedAt); d.EventOn == nil || !d.EventOn.Equal(*got) {
				s += " event_on " + fmt.Sprint(d.EventOn)
			}
		} else if d.EventOn == nil || !d.EventOn.Equal(*d.IssuedOn) {
			s += " event_on " + fmt.Sprint(d.EventOn)
		}
		if c.Sighting.Medium != "electronic" {
			s += " medium " + c.Sighting.Medium
		}
		out = append(out, s)
	}
	return out
}

// One package of the provincial axis is one document per commune it
// involves, each with the relation and the arrival its commune's own
// warehouse would give it.
func TestFromPackageByCode(t *testing.T) {
	org := provincialOrg()
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, vntime.Location) }
	for _, c := range []struct {
		name string
		pkg  *edxml.Package
		axis time.Time
		want []string
	}{
		{"province to two communes", bcPackage(bcProv, []string{bcA, bcBTT}, edxml.Trace{OrganID: bcAVP, At: at(3, 8)}, edxml.Trace{OrganID: bcBTT, At: at(4, 9)}), bcAxis, []string{
			bcProv + " out " + bcA + "," + bcBTT + " internal",
			bcA + " in " + bcProv + " higher trace 03-03 08:00", // A's trace dates A's copy
			bcBTT + " in " + bcProv + " higher trace 03-04 09:00",
		}},
		{"commune to the province", bcPackage(bcAVP, []string{bcProv}), bcAxis, []string{
			bcAVP + " out " + bcProv + " higher",
			bcProv + " in " + bcAVP + " internal axis 03-02 10:00",
		}},
		{"commune to a commune, its own unit and the ministry", bcPackage(bcA, []string{bcB, bcATT, bcBo}), time.Time{}, []string{
			bcA + " out " + bcB + "," + bcATT + "," + bcBo + " higher",
			bcB + " in " + bcA + " peer issue_date 03-02 09:00", // no trace, no axis time: its date of issue
		}},
		{"ministry to several units of two communes", bcPackage(bcBo, []string{bcH98, bcATT, bcA, bcBTT, bcB}, edxml.Trace{OrganID: bcA, At: at(3, 7)}), bcAxis, []string{
			bcATT + " in " + bcBo + " higher trace 03-03 07:00", // the first recipient of A, dated by A's trace
			bcBTT + " in " + bcBo + " higher axis 03-02 10:00",
		}},
		{"the province's copy is not dated by a commune's trace", bcPackage(bcBo, []string{bcProv, bcMerged}, edxml.Trace{OrganID: bcA, At: at(5, 7)}), bcAxis, []string{
			bcProv + " in " + bcBo + " higher axis 03-02 10:00",
			bcMerged + " in " + bcBo + " higher trace 03-05 07:00",
		}},
		{"within one commune", bcPackage(bcAVP, []string{bcATT, bcA}), bcAxis, []string{
			bcAVP + " out " + bcATT + "," + bcA + " self",
		}},
		{"another province to a commune", bcPackage(bcH98, []string{bcC}), bcAxis, []string{
			bcC + " in " + bcH98 + " peer axis 03-02 10:00",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := FromPackageByCode(c.pkg, bcProv, org, nil, Seen{At: bcAxis, AxisAt: c.axis})
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(f); !slices.Equal(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			// The first document is UnitByCode's.
			u, err := UnitByCode(c.pkg, org, bcProv)
			if err != nil || f.Document.UnitCode != u {
				t.Errorf("first document of %s, UnitByCode %s %v", f.Document.UnitCode, u, err)
			}
			for _, o := range f.Others {
				if o.Document.DocKey != f.Document.DocKey || o.Document == f.Document {
					t.Errorf("copy %+v: not its own document of the same key", o.Document)
				}
			}
		})
	}

	// A revocation: one revocation, each copy dated by the date of issue.
	rev := bcPackage(bcProv, []string{bcA, bcB}, edxml.Trace{OrganID: bcA, At: at(9, 9)})
	rev.BusinessType = 1
	f, err := FromPackageByCode(rev, bcProv, org, nil, Seen{AxisAt: bcAxis})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{bcProv + " out " + bcA + "," + bcB + " internal", bcA + " in " + bcProv + " higher issue_date 03-02 09:00", bcB + " in " + bcProv + " higher issue_date 03-02 09:00"}
	if got := describe(f); !slices.Equal(got, want) || f.Revocation == nil {
		t.Errorf("revocation: %q, %+v", got, f.Revocation)
	}

	// A package of no unit of the province is UnitByCode's error; a
	// status package is FromPackage's.
	if _, err := FromPackageByCode(bcPackage(bcH98, []string{"000.01.00.H98"}), bcProv, org, nil, Seen{}); edxml.ErrorPath(err) != pathTo {
		t.Errorf("outsider: %v", err)
	}
	st := &edxml.Package{Kind: edxml.KindStatus, From: bcB, Status: &edxml.Status{Code: "01", Timestamp: bcAxis,
		ResponseFor: edxml.Ref{OrganID: bcProv, Code: "7/UBND-VP", PromulgationDate: "2026/03/02"}}}
	if f, err := FromPackageByCode(st, bcProv, org, nil, Seen{}); err != nil || f.Status == nil || f.Document != nil || len(f.Others) != 0 {
		t.Errorf("status: %+v, %v", f, err)
	}
}

// Each commune's documents from the provincial axis equal those the same
// package gives the commune's own archive (FromPackage with its own
// directory): unit, direction, counterparts, relation and arrival.
func TestFromPackageByCodeAsOwnWarehouse(t *testing.T) {
	prov, own := provincialOrg(), communeOrg()
	tr := edxml.Trace{OrganID: bcATT, At: time.Date(2026, 3, 3, 8, 0, 0, 0, vntime.Location)}
	for _, pkg := range []*edxml.Package{
		bcPackage(bcProv, []string{bcATT, bcB}, tr),
		bcPackage(bcAVP, []string{bcProv}),
		bcPackage(bcA, []string{bcB, bcBo}),
		bcPackage(bcB, []string{bcA}, tr),
		bcPackage(bcBo, []string{bcBTT, bcMerged}, tr),
	} {
		f, err := FromPackageByCode(pkg, bcProv, prov, nil, Seen{AxisAt: bcAxis})
		if err != nil {
			t.Fatal(err)
		}
		var inA []string
		for _, s := range describe(f) {
			if u, _, _ := strings.Cut(s, " "); prov.Home(u) == bcA {
				inA = append(inA, s)
			}
		}
		g, err := FromPackage(pkg, bcA, own, nil, Seen{AxisAt: bcAxis})
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(g); !slices.Equal(inA, got) {
			t.Errorf("%s → %v: provincial %q, own warehouse %q", pkg.From, pkg.To, inA, got)
		}
	}
}

// In a commune's directory FromPackageByCode is FromPackage: one document.
func TestFromPackageByCodeCommune(t *testing.T) {
	org := communeOrg()
	for _, pkg := range []*edxml.Package{bcPackage(bcBo, []string{bcATT, bcA}), bcPackage(bcAVP, []string{bcProv, bcB})} {
		f, err := FromPackageByCode(pkg, bcA, org, nil, Seen{AxisAt: bcAxis})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := FromPackage(pkg, bcA, org, nil, Seen{AxisAt: bcAxis})
		if got, want := describe(f), describe(g); !slices.Equal(got, want) || len(got) != 1 {
			t.Errorf("%q, FromPackage %q", got, want)
		}
	}
}

// FromPackage in a provincial directory: the relation is the one the
// document's unit sees (a commune's exchange with the province is with a
// higher agency), where the directory alone says self or internal.
func TestFromPackageRelationFromUnit(t *testing.T) {
	org := provincialOrg()
	for _, c := range []struct {
		pkg        *edxml.Package
		unit, want string
	}{
		{bcPackage(bcAVP, []string{bcProv}), bcAVP, orgdir.Higher},    // the directory: self
		{bcPackage(bcProv, []string{bcBTT}), bcProv, orgdir.Internal}, // the province's own outgoing
		{bcPackage(bcA, []string{bcB}), bcA, orgdir.Peer},             // the directory: internal
	} {
		f, err := FromPackage(c.pkg, bcProv, org, nil, Seen{})
		if err != nil || f.Document.UnitCode != c.unit || f.Document.CounterpartRelation != c.want {
			t.Errorf("%s → %v: %s %s, %v; want %s %s", c.pkg.From, c.pkg.To, f.Document.UnitCode, f.Document.CounterpartRelation, err, c.unit, c.want)
		}
	}
	// A commune's archive: the province→commune package is higher.
	f, err := FromPackage(bcPackage(bcProv, []string{bcATT}), bcA, org, nil, Seen{})
	if err != nil || f.Document.UnitCode != bcATT || f.Document.Direction != "in" || f.Document.CounterpartRelation != orgdir.Higher {
		t.Errorf("province to a commune's unit: %+v %v", f.Document, err)
	}
}
