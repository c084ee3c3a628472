package registers

import (
	"strings"
	"testing"
	"time"

	"chiso/adapters/register"
	"chiso/adapters/vntime"
	"chiso/mapping/documents"
	"chiso/mapping/orgdir"
)

var dir = orgdir.New([]orgdir.Unit{
	{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Relation: "self"},
	{Code: "002.25.31.H99", Name: "Phòng Kinh tế", Parent: "000.25.31.H99", Relation: "internal"},
	{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: "higher", Aliases: []string{"UBND tỉnh"}},
	{Code: "000.00.05.H99", Name: "Sở Nội vụ", Relation: "higher", Aliases: []string{"Sở Nội vụ tỉnh Bắc Ninh"}},
	{Code: "000.26.31.H99", Name: "UBND xã Yên Phong", Relation: "peer"},
})

func date(s string) *time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, vntime.Location)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestMap(t *testing.T) {
	out := Config{Unit: "000.25.31.h99", Direction: "out", Org: dir, Source: "register-file:so-di", Base: "/data/so"}
	in := out
	in.Direction = "in"
	secret := out
	secret.SecretRegister = true

	cases := []struct {
		name string
		cfg  Config
		row  register.Row
		// want
		key, docType, family, medium, relation, subject, issuer, documentID string
		counterparts                                                        []string
		secret                                                              bool
		event                                                               string
		unresolved                                                          []string
		warnings                                                            int
	}{
		{name: "out to higher, type from subject", cfg: out,
			row: register.Row{File: "/data/so/di.xlsx", Sheet: "S", Line: 7, Number: "125", Notation: "BC-UBND", IssuedOn: date("2025-11-20"),
				TypeSubject: "Báo cáo kết quả tháng 11", Recipients: []string{"UBND tỉnh", "Sở Nội vụ tỉnh Bắc Ninh", "Phòng Kinh tế"}, Medium: "electronic"},
			key: documents.DocKey("000.25.31.H99", "2025", "regular", "125", "BC-UBND"), docType: "bao_cao", family: "hanh_chinh",
			medium: "electronic", relation: "higher", subject: "Báo cáo kết quả tháng 11", issuer: "000.25.31.H99",
			documentID:   "000.25.31.H99,2025/11/20,125/BC-UBND",
			counterparts: []string{"000.00.00.H99", "000.00.05.H99", "002.25.31.H99"}, event: "2025-11-20"},
		{name: "out cong van, unknown recipient kept and reported, no medium means paper", cfg: out,
			row: register.Row{File: "/data/so/di.csv", Line: 3, Number: "126", Notation: "UBND-VP", IssuedOn: date("2025-12-03"),
				TypeSubject: "V/v chuyển đổi số", Recipients: []string{"Hội Nông dân xã", "000.99.99.H99"}},
			key: documents.DocKey("000.25.31.H99", "2025", "regular", "126", "UBND-VP"), docType: "cong_van", family: "hanh_chinh",
			medium: "paper", relation: "external", subject: "V/v chuyển đổi số", issuer: "000.25.31.H99",
			documentID:   "000.25.31.H99,2025/12/03,126/UBND-VP",
			counterparts: []string{"Hội Nông dân xã", "000.99.99.H99"}, event: "2025-12-03", unresolved: []string{"recipient:Hội Nông dân xã"}},
		{name: "qppl by year in number", cfg: out,
			row: register.Row{File: "/data/so/di.csv", Line: 4, Number: "20", Notation: "2025/QĐ-UBND", IssuedOn: date("2025-12-05"),
				TypeSubject: "Quyết định ban hành quy chế", Medium: "paper"},
			key: documents.DocKey("000.25.31.H99", "2025", "regular", "20", "2025/QĐ-UBND"), docType: "quyet_dinh", family: "qppl",
			medium: "paper", subject: "Quyết định ban hành quy chế", issuer: "000.25.31.H99",
			documentID: "000.25.31.H99,2025/12/05,20/2025/QĐ-UBND", event: "2025-12-05"},
		{name: "type column wins over subject words", cfg: out,
			row: register.Row{File: "/data/so/di.csv", Line: 5, Number: "1", Notation: "GM-UBND", IssuedOn: date("2026-01-02"),
				DocType: "Giấy mời", TypeSubject: "Họp giao ban", Recipients: []string{"UBND xã Yên Phong"}, Medium: "electronic"},
			key: documents.DocKey("000.25.31.H99", "2026", "regular", "1", "GM-UBND"), docType: "giay_moi", family: "hanh_chinh",
			medium: "electronic", relation: "peer", subject: "Họp giao ban", issuer: "000.25.31.H99",
			documentID: "000.25.31.H99,2026/01/02,1/GM-UBND", counterparts: []string{"000.26.31.H99"}, event: "2026-01-02"},
		{name: "in, issuer by name, received date is the event", cfg: in,
			row: register.Row{File: "/data/so/den.csv", Line: 2, Number: "15", Notation: "KH-UBND", IssuedOn: date("2026-01-02"),
				ReceivedOn: date("2026-01-05"), Issuer: "ubnd tinh bac ninh", TypeSubject: "Kế hoạch CCHC", Medium: "electronic"},
			key: documents.DocKey("000.00.00.H99", "2026", "regular", "15", "KH-UBND"), docType: "ke_hoach", family: "hanh_chinh",
			medium: "electronic", relation: "higher", subject: "Kế hoạch CCHC", issuer: "000.00.00.H99",
			documentID: "000.00.00.H99,2026/01/02,15/KH-UBND", counterparts: []string{"000.00.00.H99"}, event: "2026-01-05"},
		{name: "in, unresolved issuer keyed by folded name, missing arrival date warned", cfg: in,
			row: register.Row{File: "/data/so/den.csv", Line: 3, Number: "9", Notation: "KBNN-KSC", IssuedOn: date("2026-01-07"),
				Issuer: "Kho bạc Nhà nước", TypeSubject: "Thông báo số dư"},
			key: documents.DocKey("kho bac nha nuoc", "2026", "regular", "9", "KBNN-KSC"), docType: "thong_bao", family: "hanh_chinh",
			medium: "paper", relation: "external", subject: "Thông báo số dư", issuer: "kho bac nha nuoc",
			counterparts: []string{"Kho bạc Nhà nước"}, event: "2026-01-07", unresolved: []string{"issuer:Kho bạc Nhà nước"}, warnings: 1},
		{name: "secret row in an ordinary register: secret, no subject, regular series", cfg: in,
			row: register.Row{File: "/data/so/den.csv", Line: 4, Number: "12", Notation: "SNV-VP", IssuedOn: date("2026-01-06"),
				ReceivedOn: date("2026-01-07"), Issuer: "000.00.05.H99", TypeSubject: "Công văn mật", Secret: true, Secrecy: "Mật", Medium: "paper"},
			key: documents.DocKey("000.00.05.H99", "2026", "regular", "12", "SNV-VP"), docType: "cong_van", family: "hanh_chinh",
			medium: "paper", relation: "higher", issuer: "000.00.05.H99", secret: true,
			documentID: "000.00.05.H99,2026/01/06,12/SNV-VP", counterparts: []string{"000.00.05.H99"}, event: "2026-01-07"},
		{name: "secret register: own series, no subject", cfg: secret,
			row: register.Row{File: "/data/so/mat.csv", Line: 2, Number: "125", Notation: "BC-UBND", IssuedOn: date("2025-11-20"),
				TypeSubject: "Báo cáo tình hình an ninh", Recipients: []string{"UBND tỉnh"}},
			key: documents.DocKey("000.25.31.H99", "2025", "secret", "125", "BC-UBND"), docType: "bao_cao", family: "hanh_chinh",
			medium: "paper", relation: "higher", issuer: "000.25.31.H99", secret: true,
			documentID: "000.25.31.H99,2025/11/20,125/BC-UBND", counterparts: []string{"000.00.00.H99"}, event: "2025-11-20"},
	}
	cache := NewNameCache()
	for _, c := range append(cases, cases...) { // the second pass hits the name cache
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Names = cache
			res, err := Map(c.row, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := res.Document
			check := func(field, got, want string) {
				if got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("DocKey", d.DocKey, c.key)
			check("DocType", d.DocType, c.docType)
			check("Family", d.Family, c.family)
			check("Medium", d.Medium, c.medium)
			check("Sighting.Medium", res.Sighting.Medium, c.medium)
			check("CounterpartRelation", d.CounterpartRelation, c.relation)
			check("Subject", d.Subject, c.subject)
			check("IssuerCode", d.IssuerCode, c.issuer)
			check("DocumentID", d.DocumentID, c.documentID)
			check("UnitCode", d.UnitCode, "000.25.31.H99")
			check("Direction", d.Direction, c.cfg.Direction)
			check("Counterparts", strings.Join(d.Counterparts, ","), strings.Join(c.counterparts, ","))
			check("EventOn", d.EventOn.Format("2006-01-02"), c.event)
			check("Sighting.Source", res.Sighting.Source, "register-file:so-di")
			if !strings.HasPrefix(res.Sighting.SourceKey, strings.TrimPrefix(c.row.File, "/data/so/")+"#") {
				t.Errorf("SourceKey = %q, want relative to the base", res.Sighting.SourceKey)
			}
			if d.IsSecret != c.secret {
				t.Errorf("IsSecret = %v, want %v", d.IsSecret, c.secret)
			}
			var un []string
			for _, n := range res.Unresolved {
				un = append(un, n.Role+":"+n.Name)
			}
			check("Unresolved", strings.Join(un, ","), strings.Join(c.unresolved, ","))
			if len(res.Warnings) != c.warnings {
				t.Errorf("warnings = %q, want %d", res.Warnings, c.warnings)
			}
		})
	}
}

func TestMapSecretRegisterKeyDiffers(t *testing.T) {
	row := register.Row{File: "a.csv", Line: 2, Number: "1", Notation: "UBND-VP", IssuedOn: date("2026-03-02")}
	cfg := Config{Unit: "000.25.31.H99", Direction: "out", Org: dir}
	a, _ := Map(row, cfg)
	cfg.SecretRegister = true
	b, _ := Map(row, cfg)
	if a.Document.DocKey == b.Document.DocKey {
		t.Fatalf("secret and ordinary 1/UBND-VP share key %q", a.Document.DocKey)
	}
}

func TestMapErrors(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		row   register.Row
		field string
	}{
		{"no date", Config{Unit: "X", Direction: "out", Org: dir}, register.Row{Number: "1", Notation: "BC-UBND"}, register.FieldIssuedOn},
		{"in without issuer", Config{Unit: "X", Direction: "in", Org: dir}, register.Row{Number: "1", Notation: "BC-UBND", IssuedOn: date("2026-01-01")}, register.FieldIssuer},
	}
	for _, c := range cases {
		_, err := Map(c.row, c.cfg)
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("%s: err = %v, want a FieldError on %s", c.name, err, c.field)
		}
	}
}

// A commune's register mapped with the provincial directory (the province
// self, the communes internal, level commune): the counterparts' relation
// is the one the commune's own directory gives (orgdir.From).
func TestMapProvincialDirectory(t *testing.T) {
	prov := orgdir.New([]orgdir.Unit{
		{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: orgdir.Self, Level: "province", Aliases: []string{"UBND tỉnh"}},
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: orgdir.Internal, Level: "commune"},
		{Code: "002.25.31.H99", Name: "Phòng Kinh tế", Parent: "000.25.31.H99", Relation: orgdir.Internal},
		{Code: "000.26.31.H99", Name: "UBND xã Yên Phong", Parent: "000.00.00.H99", Relation: orgdir.Internal, Level: "commune"},
	})
	for _, c := range []struct {
		dir      string
		names    []string
		relation string
	}{
		{"out", []string{"UBND tỉnh", "Phòng Kinh tế"}, orgdir.Higher},
		{"out", []string{"UBND xã Yên Phong"}, orgdir.Peer},
		{"out", []string{"Phòng Kinh tế"}, orgdir.Internal},
		{"in", []string{"UBND tỉnh"}, orgdir.Higher},
		{"in", []string{"UBND xã Yên Phong"}, orgdir.Peer},
	} {
		cfg := Config{Unit: "000.25.31.H99", Direction: c.dir, Org: prov, Source: "register-file:so", Base: "/data"}
		row := register.Row{File: "/data/so.csv", Line: 2, Number: "5", Notation: "UBND-VP", IssuedOn: date("2026-03-02"), ReceivedOn: date("2026-03-03"), TypeSubject: "Công văn"}
		if c.dir == "out" {
			row.Recipients = c.names
		} else {
			row.Issuer = c.names[0]
		}
		res, err := Map(row, cfg)
		if err != nil || res.Document.CounterpartRelation != c.relation {
			t.Errorf("%s %v: %q, %v; want %q", c.dir, c.names, res.Document.CounterpartRelation, err, c.relation)
		}
	}
}
