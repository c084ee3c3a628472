package documents

import (
	"bytes"
	"context"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/vntime"
	"chiso/warehouse/facts"
)

// provinceLetter is an incoming công văn from the province to the commune,
// issued 2026-02-10, as the generator writes it.
func provinceLetter(arrived time.Time) edxmlgen.DocSpec {
	t, _ := edxmlgen.TypeByID("cong_van")
	issued := time.Date(2026, 2, 10, 0, 0, 0, 0, vntime.Location)
	return edxmlgen.DocSpec{
		Direction: "in", Unit: "000.25.31.H99", IssuerCode: "000.00.00.H99", IssuerName: "UBND tỉnh Bắc Ninh",
		Recipients: []edxmlgen.Org{{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Relation: edxmlgen.RelSelf}},
		Number:     "412", Notation: "UBND-VP", Type: t, Family: "hanh_chinh", Subject: "Về việc triển khai kế hoạch",
		IssuedOn: issued, IssuedAt: issued.Add(15 * time.Hour), ArrivedAt: arrived, Place: "Bắc Ninh",
		Signer: edxmlgen.Signer{Competence: "TM. UBND", Position: "Chủ tịch", FullName: "Nguyễn Văn A"},
		DocID:  "0123456789abcdef01234567",
	}
}

func parsePackage(t *testing.T, d edxmlgen.DocSpec) *edxml.Package {
	t.Helper()
	var b bytes.Buffer
	if err := edxmlgen.WritePackage(&b, d, edxmlgen.WriteOptions{MaxAttachment: 64}); err != nil {
		t.Fatal(err)
	}
	p, err := edxml.Parse(context.Background(), &b, "letter.edxml", edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// An incoming package is dated by the evidence it carries: the trace of
// its arrival at one of our units, else the axis's created time, else its
// date of issue; the time a file was seen (mtime of a copied archive) never.
func TestArrival(t *testing.T) {
	vn := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, vntime.Location) }
	copied := vn(12, 1, 9) // every file's mtime after a copy
	for _, tc := range []struct {
		name    string
		arrived time.Time // trace of the arrival at our unit (zero: none)
		unit    string    // our unit (the archive's)
		axis    time.Time
		at      time.Time
		by      string
	}{
		{"trace at our unit", vn(2, 11, 8), "000.25.31.H99", time.Time{}, vn(2, 11, 8), facts.ReceivedByTrace},
		{"trace beats the axis", vn(2, 11, 8), "000.25.31.H99", vn(2, 12, 9), vn(2, 11, 8), facts.ReceivedByTrace},
		{"axis created time", time.Time{}, "000.25.31.H99", vn(2, 12, 9), vn(2, 12, 9), facts.ReceivedByAxis},
		{"date of issue, not the mtime", time.Time{}, "000.25.31.H99", time.Time{}, vn(2, 10, 0), facts.ReceivedByIssueDate},
		{"trace at an internal unit of ours", vn(2, 13, 10), "000.25.31.H99", time.Time{}, vn(2, 13, 10), facts.ReceivedByTrace},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := provinceLetter(tc.arrived)
			if tc.name == "trace at an internal unit of ours" {
				d.Unit = "001.25.31.H99"
			}
			f, err := FromPackage(parsePackage(t, d), tc.unit, testOrg, nil, Seen{At: copied, AxisAt: tc.axis})
			if err != nil {
				t.Fatal(err)
			}
			s := f.Sighting
			if f.Document.Direction != "in" || !s.ReceivedAt.Equal(tc.at) || s.ReceivedBy != tc.by || !s.SeenAt.Equal(copied) {
				t.Errorf("sighting received %v by %q (seen %v), want %v by %q", s.ReceivedAt, s.ReceivedBy, s.SeenAt, tc.at, tc.by)
			}
			if got, want := f.Document.EventOn.Format(time.DateOnly), tc.at.Format(time.DateOnly); got != want {
				t.Errorf("event_on %s, want %s", got, want)
			}
		})
	}
}

// A revocation's own arrival says nothing of when the document it revokes
// arrived: it dates the document by its date of issue only.
func TestRevocationDatesNothing(t *testing.T) {
	d := provinceLetter(time.Time{})
	d.RevokedAt = time.Date(2026, 3, 2, 9, 0, 0, 0, vntime.Location)
	var b bytes.Buffer
	if err := edxmlgen.WriteRevocation(&b, d, edxmlgen.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := edxml.Parse(context.Background(), &b, "revocation.edxml", edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := FromPackage(p, "000.25.31.H99", testOrg, nil, Seen{At: d.RevokedAt, AxisAt: d.RevokedAt})
	if err != nil {
		t.Fatal(err)
	}
	if f.Revocation == nil || f.Sighting.ReceivedBy != facts.ReceivedByIssueDate || !f.Sighting.ReceivedAt.Equal(d.IssuedOn) {
		t.Errorf("revocation sighting received %v by %q (revocation %+v)", f.Sighting.ReceivedAt, f.Sighting.ReceivedBy, f.Revocation)
	}
}

// A status package our unit sent without a usable Timestamp is kept but
// never dates a document (it is not dated by the file's mtime either).
func TestStatusWithoutTimestamp(t *testing.T) {
	d := provinceLetter(time.Time{})
	var b bytes.Buffer
	st := edxmlgen.StatusSpec{DocID: "aa", Reporter: edxmlgen.Org{Code: "000.25.31.H99", Name: "UBND xã Yên Định"}, Code: "01", Staff: "Văn thư"}
	if err := edxmlgen.WriteStatus(&b, d, st); err != nil {
		t.Fatal(err)
	}
	raw := bytes.Replace(b.Bytes(), []byte("<edXML:Timestamp>0001/01/01 07:00:00</edXML:Timestamp>"), nil, 1)
	if bytes.Equal(raw, b.Bytes()) {
		t.Fatalf("no Timestamp element to drop in:\n%s", b.Bytes())
	}
	p, err := edxml.Parse(context.Background(), bytes.NewReader(raw), "status.edxml", edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	copied := time.Date(2026, 12, 1, 9, 0, 0, 0, vntime.Location)
	for _, tc := range []struct {
		name    string
		axis    time.Time
		at      time.Time
		undated bool
	}{
		{"archive", time.Time{}, d.IssuedOn, true},
		{"axis", time.Date(2026, 2, 11, 9, 0, 0, 0, vntime.Location), time.Date(2026, 2, 11, 9, 0, 0, 0, vntime.Location), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FromPackage(p, "000.25.31.H99", testOrg, nil, Seen{At: copied, AxisAt: tc.axis})
			if err != nil {
				t.Fatal(err)
			}
			if f.Status == nil || !f.Status.At.Equal(tc.at) || f.Status.Undated != tc.undated {
				t.Errorf("status = %+v, want at %v undated %v", f.Status, tc.at, tc.undated)
			}
		})
	}
}
