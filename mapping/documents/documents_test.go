package documents

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		typeName, number, notation string
		docType, family, by        string
		warn                       bool
	}{
		{"Báo cáo", "125", "BC-UBND", "bao_cao", "hanh_chinh", "type_name", false},
		{"BÁO CÁO", "125", "VPCP-TTĐT", "bao_cao", "hanh_chinh", "type_name", false},
		{"bao cao", "125", "", "bao_cao", "hanh_chinh", "type_name", false},
		{"Công văn", "7816", "VPCP-TTĐT", "cong_van", "hanh_chinh", "type_name", false},
		{"Giấy mời họp", "12", "GM-UBND", "giay_moi", "hanh_chinh", "type_name", false},
		{"Thông tư liên tịch", "05", "TTLT-BTC-BNV", "thong_tu_lien_tich", "qppl", "type_name", false},
		{"Thông tư", "1223412", "PRO-TEST-CASE1", "thong_tu", "qppl", "type_name", false},
		{"", "12", "QĐ-UBND", "quyet_dinh", "hanh_chinh", "notation", false},
		{"", "12", "QyĐ-UBND", "quy_dinh", "hanh_chinh", "notation", false},
		{"", "3", "HĐ-UBND", "hop_dong", "hanh_chinh", "notation", false},
		{"", "3", "HD-UBND", "huong_dan", "hanh_chinh", "notation", false},
		{"", "4", "CTr-UBND", "chuong_trinh", "hanh_chinh", "notation", false},
		{"", "4", "CT-UBND", "chi_thi", "hanh_chinh", "notation", false},
		{"", "20/2020", "QĐ-TTg", "quyet_dinh", "qppl", "notation", false},
		{"", "20", "2020/QĐ-TTg", "quyet_dinh", "qppl", "notation", false},
		{"", "15", "2021/NĐ-CP", "nghi_dinh", "qppl", "notation", false},
		{"", "15", "TT-VP", "cong_van", "hanh_chinh", "default", false}, // TT without a year is no Thông tư
		{"", "125", "UBND-VP", "cong_van", "hanh_chinh", "default", false},
		{"", "7", "SY-UBND", "khac", "ban_sao", "default", false},
		{"Văn bản chỉ đạo", "9", "VPCP-KGVX", "khac", "hanh_chinh", "default", true},
		{"Tờ trình lạ", "9", "TTr-UBND", "to_trinh", "hanh_chinh", "type_name", false},
	} {
		c := Classify(tc.typeName, tc.number, tc.notation)
		if c.DocType != tc.docType || c.Family != tc.family || c.By != tc.by || (len(c.Warnings) > 0) != tc.warn {
			t.Errorf("Classify(%q, %q, %q) = %+v, want %s %s by %s (warning %v)", tc.typeName, tc.number, tc.notation, c, tc.docType, tc.family, tc.by, tc.warn)
		}
		if c.Label != Label(c.DocType) || c.Label == "" {
			t.Errorf("label %q for %s", c.Label, c.DocType)
		}
	}
}

func TestOverride(t *testing.T) {
	r := DefaultRules()
	if err := r.Override(map[string]string{"Văn bản chỉ đạo": "cong_van", "KL": "thong_bao"}); err != nil {
		t.Fatal(err)
	}
	if c := r.Classify("VĂN BẢN CHỈ ĐẠO", "9", "VPCP-KGVX"); c.DocType != "cong_van" || len(c.Warnings) != 0 {
		t.Errorf("override by name: %+v", c)
	}
	if c := r.Classify("", "9", "KL-UBND"); c.DocType != "thong_bao" {
		t.Errorf("override by abbreviation: %+v", c)
	}
	if c := Classify("", "9", "KL-UBND"); c.DocType != "cong_van" {
		t.Errorf("overrides leaked into the default rules: %+v", c)
	}
	if err := r.Override(map[string]string{"X": "nope"}); err == nil {
		t.Error("unknown doc_type accepted")
	}
}

func TestTypesList(t *testing.T) {
	admin := 0
	seen := map[string]bool{}
	for _, ty := range facts.DocTypes {
		if seen[ty.ID] || ty.Label == "" {
			t.Errorf("bad or duplicate type %+v", ty)
		}
		seen[ty.ID] = true
		if !ty.QPPL && ty.ID != TypeKhac {
			admin++
		}
	}
	if admin != 29 {
		t.Errorf("%d administrative types, want the 29 of Nghị định 30/2020", admin)
	}
}

func TestDocKey(t *testing.T) {
	for _, tc := range []struct {
		issuer, year, series, number, notation, want string
	}{
		{"000.25.31.h99", "2025", "", "125", "BC-UBND", "000.25.31.H99|2025|regular|125/BC-UBND"},
		{"000.25.31.H99", "2025", "secret", "1", "UBND-VP", "000.25.31.H99|2025|secret|1/UBND-VP"},
		{"000.00.00.G03", "2020", "regular", "20/2020", "QĐ-TTg", "000.00.00.G03|2020|regular|20/2020/QĐ-TTg"},
		{"000.00.00.G03", "2020", "regular", "20", "2020/QĐ-TTg", "000.00.00.G03|2020|regular|20/2020/QĐ-TTg"},
		{"000.25.31.H99", "2025", "regular", "05", "TTr-UBND", "000.25.31.H99|2025|regular|5/TTr-UBND"},
		{"000.25.31.H99", "2025", "regular", "0", "QyĐ-UBND", "000.25.31.H99|2025|regular|0/QyĐ-UBND"},
		// Decomposed Vietnamese is composed (NFC), never folded.
		{"000.25.31.H99", "2025", "regular", "7", "TB-U\u031BB", "000.25.31.H99|2025|regular|7/TB-\u01AFB"},
	} {
		if got := DocKey(tc.issuer, tc.year, tc.series, tc.number, tc.notation); got != tc.want {
			t.Errorf("DocKey(%q, %q, %q, %q, %q) = %q, want %q", tc.issuer, tc.year, tc.series, tc.number, tc.notation, got, tc.want)
		}
	}
	if DocKey("X", "2025", "", "1", "QĐ-UBND") == DocKey("X", "2025", "", "1", "QD-UBND") {
		t.Error("notation was ASCII-folded")
	}
	if DocKey("X", "2025", "regular", "1", "UBND-VP") == DocKey("X", "2025", "secret", "1", "UBND-VP") {
		t.Error("secret series shares the regular key")
	}
}

func TestParseDocumentID(t *testing.T) {
	for _, tc := range []struct {
		in, key, err string
	}{
		{"000.00.00.G22,2018/09/20,7816/VPCP-TTĐT", "000.00.00.G22|2018|regular|7816/VPCP-TTĐT", ""},
		{"000.00.00.g22,2018-09-20,7816/VPCP-TTĐT", "000.00.00.G22|2018|regular|7816/VPCP-TTĐT", ""},
		{"000.00.00.G22,2014/02/30,7806/VPCP-TTĐT", "000.00.00.G22|2014|regular|7806/VPCP-TTĐT", ""}, // impossible date: year kept
		{"000.25.31.H99,2025/11/20,12/KH-UBND,VP", "000.25.31.H99|2025|regular|12/KH-UBND,VP", ""},
		{"9fbfbad2-f1f8-4256-a2eb-50fb1061cddb", "", "not OrganId"},
		{"X,someday,1/A", "", "no year"},
	} {
		id, err := ParseDocumentID(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDocumentID(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || id.Key() != tc.key {
			t.Errorf("ParseDocumentID(%q) = %+v (%s), %v; want %s", tc.in, id, id.Key(), err, tc.key)
		}
	}
}

var testOrg = orgdir.New([]orgdir.Unit{
	{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: orgdir.Self},
	{Code: "001.25.31.H99", Name: "Văn phòng", Parent: "000.25.31.H99", Relation: orgdir.Internal},
	{Code: "000.00.00.H99", Name: "UBND tỉnh", Relation: orgdir.Higher},
	{Code: "000.00.05.H99", Name: "Sở Nội vụ", Parent: "000.00.00.H99", Relation: orgdir.Higher},
})

func parse(t *testing.T, rel string) *edxml.Package {
	t.Helper()
	p, err := edxml.ParseFile(context.Background(), filepath.Join("../../adapters/edxml/testdata", rel), edxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFromPackage(t *testing.T) {
	seen := time.Date(2025, 11, 25, 9, 0, 0, 0, vntime.Location)
	outKey := "000.25.31.H99|2025|regular|125/BC-UBND"
	t.Run("outgoing document", func(t *testing.T) {
		f, err := FromPackage(parse(t, "valid/sample_edoc_new.edxml"), "000.25.31.H99", testOrg, nil, Seen{At: seen})
		if err != nil {
			t.Fatal(err)
		}
		d := f.Document
		if d == nil || d.Direction != "out" || d.UnitCode != "000.25.31.H99" || d.DocKey != outKey || d.DocType != "bao_cao" ||
			d.Family != "hanh_chinh" || d.Medium != "electronic" || d.CounterpartRelation != "higher" ||
			strings.Join(d.Counterparts, ",") != "000.00.00.H99,000.00.05.H99" || d.EventOn.Format("2006-01-02") != "2025-11-20" ||
			d.DocumentID != "000.25.31.H99,2025/11/20,125/BC-UBND" {
			t.Errorf("document = %+v", d)
		}
		if f.Status != nil || f.Revocation != nil || f.Sighting.Medium != "electronic" || !f.Sighting.SeenAt.Equal(seen) {
			t.Errorf("facts = %+v", f)
		}
	})
	t.Run("incoming document of another archive", func(t *testing.T) {
		// The same package in the province's archive is incoming there.
		f, err := FromPackage(parse(t, "valid/sample_edoc_new.edxml"), "000.00.05.H99", testOrg, nil, Seen{At: seen})
		if err != nil {
			t.Fatal(err)
		}
		d := f.Document
		if d.Direction != "in" || d.UnitCode != "000.00.05.H99" || d.DocKey != outKey || strings.Join(d.Counterparts, ",") != "000.25.31.H99" ||
			d.CounterpartRelation != "self" || d.EventOn.Format("2006-01-02") != "2025-11-20" {
			t.Errorf("document = %+v (event %v)", d, d.EventOn)
		}
		// No trace of its arrival at 000.00.05.H99 and no axis: the date of
		// issue, never the time the file was seen.
		if f.Sighting.ReceivedBy != facts.ReceivedByIssueDate || !f.Sighting.SeenAt.Equal(seen) {
			t.Errorf("sighting = %+v", f.Sighting)
		}
	})
	t.Run("revocation falls back to its own header", func(t *testing.T) {
		f, err := FromPackage(parse(t, "valid/sample_edoc_revocation.edxml"), "000.25.31.H99", testOrg, nil, Seen{At: seen})
		if err != nil {
			t.Fatal(err)
		}
		if f.Revocation == nil || f.Revocation.Kind != 1 || f.Revocation.Target.DocKey != outKey || f.Document.DocKey != outKey {
			t.Errorf("revocation = %+v", f.Revocation)
		}
	})
	t.Run("replacement targets the replaced document", func(t *testing.T) {
		p := parse(t, "valid/sample_edoc_new.edxml")
		p.BusinessType, p.BusinessTarget = 3, "000.25.31.H99,2025/10/02,98/BC-UBND"
		f, err := FromPackage(p, "000.25.31.H99", testOrg, nil, Seen{At: seen})
		if err != nil {
			t.Fatal(err)
		}
		if f.Revocation == nil || f.Revocation.Kind != 3 || f.Revocation.Target.DocKey != "000.25.31.H99|2025|regular|98/BC-UBND" || f.Document.DocKey != outKey {
			t.Errorf("replacement = %+v", f.Revocation)
		}
	})
	t.Run("status by DocumentId", func(t *testing.T) {
		f, err := FromPackage(parse(t, "valid/sample_status_02.edxml"), "000.25.31.H99", testOrg, nil, Seen{At: seen})
		if err != nil {
			t.Fatal(err)
		}
		s := f.Status
		if f.Document != nil || s == nil || s.Target.DocKey != outKey || s.Code != "02" || s.Reporter != "000.00.05.H99" ||
			s.At.Format(time.RFC3339) != "2025-11-20T09:02:41+07:00" || s.Description == "" {
			t.Errorf("status = %+v", s)
		}
	})
	t.Run("status by Code and PromulgationDate", func(t *testing.T) {
		f, err := FromPackage(parse(t, "valid/status_guid_documentid_fallback.edxml"), "000.25.31.H99", testOrg, nil, Seen{At: seen})
		if err != nil {
			t.Fatal(err)
		}
		if f.Status.Target.DocKey != outKey {
			t.Errorf("status target = %+v", f.Status.Target)
		}
	})
	t.Run("status naming no document", func(t *testing.T) {
		p := parse(t, "valid/status_guid_documentid_fallback.edxml")
		p.Status.ResponseFor.PromulgationDate = ""
		if _, err := FromPackage(p, "000.25.31.H99", testOrg, nil, Seen{At: seen}); err == nil {
			t.Error("accepted a status whose document cannot be identified")
		}
	})
}

// TestRealSamplesMap maps every real producer package that parses: none may
// fail, and documents get a key, a type and a direction.
func TestRealSamplesMap(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/specs/real-samples/edxml/*.edxml")
	if len(files) == 0 {
		t.Skip("real samples not found")
	}
	mapped := 0
	for _, f := range files {
		p, err := edxml.ParseFile(context.Background(), f, edxml.Options{})
		if err != nil {
			continue // the three rejected samples (tested in adapters/edxml)
		}
		fs, err := FromPackage(p, "000.00.00.H41", nil, nil, Seen{At: time.Now()})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		mapped++
		if d := fs.Document; d != nil && (d.DocKey == "" || d.DocType == "" || d.Family == "" || (d.Direction != "in" && d.Direction != "out")) {
			t.Errorf("%s: incomplete document %+v", filepath.Base(f), d)
		}
		if s := fs.Status; s != nil && s.Target.DocKey != "000.00.00.G22|2015|regular|7816/VPCP-TTĐT" {
			t.Errorf("%s: status target %q", filepath.Base(f), s.Target.DocKey)
		}
	}
	if mapped != 22 {
		t.Errorf("mapped %d real samples, want 22", mapped)
	}
}
