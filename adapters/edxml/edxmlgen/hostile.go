package edxmlgen

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// HostileCase is one file of a hostile archive (issue 19: each bad package
// costs one reject, never the connector).
type HostileCase struct {
	// Name is the file name (no folder), e.g. "bad-subject-c328.edxml".
	Name string
	Data []byte
	// Stored: the package reads (a good one, or one kept with a warning).
	Stored bool
	// Subject is the subject a stored package must have in the warehouse.
	Subject string
	// Field is the element a reject must name in its field ("" when the
	// parser knows none, e.g. a file cut short).
	Field string
	// Reason is a part of the reject's reason.
	Reason string
}

// HostileGood is how many good packages HostileArchive puts in (besides
// the over-long Subject, which is stored too).
const HostileGood = 3

var (
	subjectRe    = regexp.MustCompile(`<edXML:Subject>[^<]*</edXML:Subject>`)
	codeNumberRe = regexp.MustCompile(`<edXML:CodeNumber>[^<]*</edXML:CodeNumber>`)
)

// HostileArchive returns good incoming packages of unit's 2025 corpus
// (seed) next to hostile ones: non-UTF-8 bytes in an element name, in an
// attribute value, in a Subject, inside the quote of a syntax error (an
// entity, an end tag) and before the root element; a
// raw NUL and &#0; in the Subject; a lone surrogate encoded as CESU bytes
// (ED A0 80); an over-long Subject (stored, cut to 2000 characters); a
// CodeNumber over 500 characters; nesting deeper than the parser's limit;
// a truncated file. Every name is distinct and every stored package has a
// document key of its own.
func HostileArchive(seed int64, unit string) ([]HostileCase, error) {
	var docs [][]byte
	var subjects []string
	for _, d := range Corpus(seed, unit, 2025, WithScale(0.05)) {
		if d.Direction != "in" || !d.OnAxis() || d.Secret {
			continue
		}
		var b bytes.Buffer
		if err := WritePackage(&b, d, WriteOptions{MaxAttachment: 2048}); err != nil {
			return nil, err
		}
		if !subjectRe.Match(b.Bytes()) || !codeNumberRe.Match(b.Bytes()) {
			return nil, fmt.Errorf("edxmlgen: package %s has no plain Subject/CodeNumber", d.DocumentID())
		}
		docs = append(docs, b.Bytes())
		subjects = append(subjects, d.Subject)
		if len(docs) == HostileGood+2 {
			break
		}
	}
	if len(docs) < HostileGood+2 {
		return nil, fmt.Errorf("edxmlgen: only %d incoming packages in the corpus", len(docs))
	}
	tmpl := docs[HostileGood+1] // the base of the rejected ones
	subject := func(text string) []byte {
		return subjectRe.ReplaceAllLiteral(tmpl, []byte("<edXML:Subject>"+text+"</edXML:Subject>"))
	}
	header := func(insert string) []byte { // put before the Subject, inside MessageHeader
		loc := subjectRe.FindIndex(tmpl)
		return bytes.Join([][]byte{tmpl[:loc[0]], []byte(insert), tmpl[loc[0]:]}, nil)
	}
	const headerPath = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader"
	const subjectPath = headerPath + "/Subject"
	var cases []HostileCase
	for i := range HostileGood {
		cases = append(cases, HostileCase{Name: fmt.Sprintf("good-%d.edxml", i+1), Data: docs[i], Stored: true, Subject: subjects[i]})
	}
	long := strings.Repeat("Kế hoạch chuyển đổi số ", 120) // 2760 characters
	cases = append(cases,
		HostileCase{Name: "long-subject.edxml", Stored: true, Subject: string([]rune(long)[:2000]),
			Data: subjectRe.ReplaceAllLiteral(docs[HostileGood], []byte("<edXML:Subject>"+long+"</edXML:Subject>"))},
		HostileCase{Name: "bad-element-name-fffe.edxml", Data: header("<Ghi\xff\xfeChu>x</Ghi\xff\xfeChu>"), Field: headerPath, Reason: "invalid XML name: Ghi\uFFFDChu"},
		HostileCase{Name: "bad-attribute-fffe.edxml", Data: bytes.Replace(tmpl, []byte("<edXML:Subject>"), []byte("<edXML:Subject lang=\"v\xff\xfe\">"), 1), Field: headerPath, Reason: "invalid UTF-8"},
		HostileCase{Name: "bad-subject-c328.edxml", Data: subject("Báo cáo \xc3\x28 năm 2025"), Field: subjectPath, Reason: "invalid UTF-8"},
		HostileCase{Name: "bad-entity-quoted.edxml", Data: subject("Báo cáo &x\xff; năm 2025"), Field: subjectPath, Reason: "invalid character entity &x\uFFFD;"},
		HostileCase{Name: "bad-end-tag-quoted.edxml", Data: bytes.Replace(tmpl, []byte("</edXML:Subject>"), []byte("</edXML:Subj\xffect>"), 1), Field: subjectPath, Reason: "invalid XML name: edXML:Subj\uFFFDect"},
		HostileCase{Name: "bad-bytes-before-root.edxml", Data: append([]byte("1212\xff"), tmpl...), Reason: "invalid UTF-8 (line 1"},
		HostileCase{Name: "nul-raw.edxml", Data: subject("Báo cáo \x00 năm 2025"), Field: subjectPath, Reason: "a NUL byte at byte offset"},
		HostileCase{Name: "nul-ref.edxml", Data: subject("Báo cáo &#0; năm 2025"), Field: subjectPath, Reason: "illegal character code U+0000"},
		HostileCase{Name: "cesu-surrogate.edxml", Data: subject("Báo cáo \xed\xa0\x80 năm 2025"), Field: subjectPath, Reason: "invalid UTF-8"},
		HostileCase{Name: "long-identifier.edxml", Field: headerPath + "/Code/CodeNumber", Reason: "501 characters, more than 500 (MaxIdentChars)",
			Data: codeNumberRe.ReplaceAllLiteral(tmpl, []byte("<edXML:CodeNumber>"+strings.Repeat("9", 501)+"</edXML:CodeNumber>"))},
		HostileCase{Name: "deep-nesting.edxml", Data: header(strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300)),
			Field: headerPath + "/a/a/a/a/…(244 more)…/a/a/a/a", Reason: "nested deeper than 256 levels (MaxDepth)"},
		HostileCase{Name: "truncated.edxml", Data: tmpl[:len(tmpl)/3], Field: "edXML/edXMLEnvelope/edXMLBody/edXMLManifest", Reason: "truncated XML"},
	)
	return cases, nil
}
