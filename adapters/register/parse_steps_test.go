package register

import (
	"strings"
	"testing"
)

// Table tests of parse's named steps over one row of a header with the
// columns code, issued_on, received_on, secrecy, medium.
func TestParseSteps(t *testing.T) {
	h := &Header{Titles: []string{"Số, ký hiệu", "Ngày tháng", "Ngày đến", "Độ mật", "Hình thức"},
		Columns: map[string]int{FieldCode: 0, FieldIssuedOn: 1, FieldReceivedOn: 2, FieldSecrecy: 3, FieldMedium: 4}}
	newRP := func(secretRegister bool, cells ...string) *rowParse {
		r := &rowReader{opt: Options{Secret: secretRegister}, file: "so.csv", header: h}
		return &rowParse{r: r, line: 7, cells: cells, row: Row{Header: h}}
	}
	problems := func(rp *rowParse) string {
		var f []string
		for _, p := range rp.problems {
			f = append(f, p.Field)
		}
		return strings.Join(f, ",")
	}
	cases := []struct {
		name           string
		secretRegister bool
		cells          []string
		run            func(*rowParse) string
		want           string
	}{
		{"skip: blank", false, []string{" ", ""}, func(rp *rowParse) string { return boolStr(rp.skip()) }, "true"},
		{"skip: column numbers", false, []string{"(1)", "(2)", "(3)"}, func(rp *rowParse) string { return boolStr(rp.skip()) }, "true"},
		{"skip: section title", false, []string{"Tháng 11"}, func(rp *rowParse) string { return boolStr(rp.skip()) }, "true"},
		{"skip: a document number is kept", false, []string{"12/UBND-VP"}, func(rp *rowParse) string { return boolStr(rp.skip()) }, "false"},
		{"skip: a date is kept", false, []string{"", "05/01/2026"}, func(rp *rowParse) string { return boolStr(rp.skip()) }, "false"},
		{"secrecy: the secret register", true, []string{"1/UBND"}, func(rp *rowParse) string { rp.secrecy(); return boolStr(rp.secret) + " " + rp.quote("x") }, "true [not quoted: secret document]"},
		{"secrecy: Độ mật set", false, []string{"1/UBND", "", "", "Mật"}, func(rp *rowParse) string { rp.secrecy(); return boolStr(rp.secret) }, "true"},
		{"secrecy: ordinary row quotes", false, []string{"1/UBND"}, func(rp *rowParse) string { rp.secrecy(); return boolStr(rp.secret) + " " + rp.quote("x") }, `false "x"`},
		{"clean text: NUL and bad UTF-8, in column order", false, []string{"1/UB\x00ND", "", "\xff"}, func(rp *rowParse) string { rp.secrecy(); rp.cleanText(); return problems(rp) }, "code,received_on"},
		{"code and dates", false, []string{" 12 /  UBND-VP ", "05/01/2026", "07/01/2026"}, func(rp *rowParse) string {
			rp.secrecy()
			rp.codeAndDates()
			return rp.row.Number + "|" + rp.row.Notation + "|" + rp.row.IssuedOn.Format("2006-01-02") + "|" + rp.row.ReceivedOn.Format("2006-01-02") + "|" + problems(rp)
		}, "12|UBND-VP|2026-01-05|2026-01-07|"},
		{"dates: the document date is required", false, []string{"12/UBND", "", "07/01/2026"}, func(rp *rowParse) string { rp.secrecy(); rp.codeAndDates(); return problems(rp) }, "issued_on"},
		{"secrecy value: unreadable", false, []string{"1/UBND", "", "", "bí mật quốc gia?"}, func(rp *rowParse) string { rp.secrecy(); rp.secrecyValue(); return problems(rp) }, "secrecy"},
		{"medium: electronic", false, []string{"1/UBND", "", "", "", "Điện tử"}, func(rp *rowParse) string { rp.secrecy(); rp.medium(); return rp.row.Medium + "|" + problems(rp) }, "electronic|"},
		{"medium: unreadable", false, []string{"1/UBND", "", "", "", "fax"}, func(rp *rowParse) string { rp.secrecy(); rp.medium(); return problems(rp) }, "medium"},
		{"problem: the first names the others", false, []string{"1/UB\x00ND", "", "\xff"}, func(rp *rowParse) string {
			rp.secrecy()
			rp.cleanText()
			p := rp.problem()
			return p.Field + " " + boolStr(strings.Contains(p.Reason, `; column "Ngày đến" (received_on)`))
		}, "code true"},
		{"problem: none", false, []string{"1/UBND"}, func(rp *rowParse) string { return boolStr(rp.problem() == nil) }, "true"},
	}
	for _, c := range cases {
		if got := c.run(newRP(c.secretRegister, c.cells...)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
