package edxml

import (
	"context"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// Table tests of the steps of (*parser).document, each over a message
// header fragment: the error that rejects the package (its element path
// and words), or what the step read and how many warnings.
func TestDocumentSteps(t *testing.T) {
	type step func(*parser, *Package, *node) error
	cases := []struct {
		name   string
		step   step
		xml    string
		got    func(*Package) string
		want   string
		warns  int
		errHas string
	}{
		{"recipients: none", (*parser).recipients, ``, nil, "", 0, "no To"},
		{"recipients: one listed twice", (*parser).recipients,
			`<To><OrganId>000.00.05.H99</OrganId></To><To><OrganId>000.00.05.H99</OrganId></To><To><OrganId>000.25.31.H99</OrganId></To>`,
			func(p *Package) string { return strings.Join(p.To, ",") }, "000.00.05.H99,000.25.31.H99", 1, ""},
		{"code: number and notation", (*parser).code, `<Code><CodeNumber> 12 </CodeNumber><CodeNotation>UBND-VP</CodeNotation></Code>`,
			func(p *Package) string { return p.CodeNumber + "/" + p.CodeNotation }, "12/UBND-VP", 0, ""},
		{"code: empty number", (*parser).code, `<Code><CodeNumber> </CodeNumber></Code>`, nil, "", 0, "empty CodeNumber"},
		{"code: no number", (*parser).code, `<Code><CodeNotation>UBND-VP</CodeNotation></Code>`, nil, "", 0, "missing CodeNumber"},
		{"promulgation: date and place", (*parser).promulgation,
			`<PromulgationInfo><Place>Yên Định</Place><PromulgationDate>2026/01/05</PromulgationDate></PromulgationInfo>`,
			func(p *Package) string { return p.PromulgationDate.Format("2006-01-02") + " " + p.Place }, "2026-01-05 Yên Định", 0, ""},
		{"promulgation: missing", (*parser).promulgation, ``, nil, "", 0, "missing PromulgationInfo"},
		{"promulgation: bad date", (*parser).promulgation, `<PromulgationInfo><PromulgationDate>5 tháng 1</PromulgationDate></PromulgationInfo>`, nil, "", 0, "cannot be placed in a period"},
		{"document type", (*parser).documentType, `<DocumentType><Type>1</Type><TypeName>Công văn</TypeName></DocumentType>`,
			func(p *Package) string { return p.TypeName }, "Công văn", 0, ""},
		{"document type: bad Type", (*parser).documentType, `<DocumentType><Type>x</Type></DocumentType>`, nil, "", 0, "Type"},
		{"subject: missing", (*parser).subject, ``, nil, "", 0, "missing Subject"},
		{"subject: empty", (*parser).subject, `<Subject>  </Subject>`, nil, "", 0, "empty Subject"},
		{"subject", (*parser).subject, `<Subject>V/v chuyển đổi số</Subject>`, func(p *Package) string { return p.Subject }, "V/v chuyển đổi số", 0, ""},
		{"due date: unreadable is ignored", (*parser).dueDate, `<DueDate>sớm</DueDate>`, func(p *Package) string { return boolText(p.DueDate == nil) }, "true", 1, ""},
		{"due date: read", (*parser).dueDate, `<DueDate>2026/02/01</DueDate>`, func(p *Package) string { return p.DueDate.Format("2006-01-02") }, "2026-02-01", 0, ""},
		{"other info: priority out of range", (*parser).otherInfo, `<OtherInfo><Priority>7</Priority></OtherInfo>`, nil, "", 0, "outside 0..4"},
		{"other info: priority and steering", (*parser).otherInfo, `<OtherInfo><Priority>2</Priority></OtherInfo><SteeringType>1</SteeringType>`,
			func(p *Package) string { return boolText(*p.Priority == 2 && *p.SteeringType == 1) }, "true", 0, ""},
		{"responses: none", (*parser).responses, ``, func(p *Package) string { return boolText(len(p.ResponseFor) == 0) }, "true", 0, ""},
		{"document id: missing is a warning", (*parser).documentID, ``, func(p *Package) string { return p.DocumentID }, "", 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := etree.NewDocument()
			if err := doc.ReadFromString(`<edXML:MessageHeader xmlns:edXML="` + NS + `">` + inNS(c.xml) + `</edXML:MessageHeader>`); err != nil {
				t.Fatal(err)
			}
			p := newParser(context.Background(), strings.NewReader(""), "t.edxml", Options{})
			pkg := &Package{}
			err := c.step(p, pkg, doc.Root())
			switch {
			case c.errHas != "":
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("err %v, want one saying %q", err, c.errHas)
				}
				return
			case err != nil:
				t.Fatalf("err %v", err)
			}
			if got := c.got(pkg); got != c.want || len(pkg.Warnings) != c.warns {
				t.Errorf("%q (warnings %v), want %q with %d warnings", got, pkg.Warnings, c.want, c.warns)
			}
		})
	}
}

// inNS puts every element of a fragment in the edXML namespace.
func inNS(s string) string {
	s = strings.ReplaceAll(s, "</", "\x00")
	s = strings.ReplaceAll(s, "<", "<edXML:")
	return strings.ReplaceAll(s, "\x00", "</edXML:")
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
