package edxml_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"chiso/adapters/edxml"
)

// TestWellFormedness covers what XML allows around the root element and in
// tags that encoding/xml lets through: each case is the golden sample with
// one change, and gets the error (with its byte offset) or parses.
func TestWellFormedness(t *testing.T) {
	raw, err := os.ReadFile("testdata/valid/sample_edoc_new.edxml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	bom := "\xEF\xBB\xBF"
	for _, tc := range []struct{ name, in, err string }{
		{"as is", s, ""},
		{"UTF-8 byte order mark", bom + s, ""},
		{"white space after the root", s + "\n \r\n\t", ""},
		{"comment after the root", s + "<!-- archived -->\n", ""},
		{"bytes before the declaration", "1212" + s, `not well-formed XML: text "1212" at byte offset 0, before the root element`},
		{"bytes after a byte order mark", bom + "1212" + s, `not well-formed XML: text "1212" at byte offset 3, before the root element`},
		{"white space before the declaration", "\n" + s, "not well-formed XML: the XML declaration <?xml …?> is at byte offset 1; it may only stand at the very start of the file"},
		{"comment before the declaration", "<!-- x -->" + s, "the XML declaration <?xml …?> is at byte offset 10"},
		{"second declaration", s + `<?xml version="1.0"?>`, "the XML declaration <?xml …?> is at byte offset 5226"},
		{"text after the root", s + "trailing text", `not well-formed XML: text "\ntrailing text" at byte offset 5225, after the root element`},
		{"CDATA before the root", strings.Replace(s, "<edXML ", "<![CDATA[x]]><edXML ", 1), `not well-formed XML: text "x" at byte offset 39, before the root element`},
		{"attribute written twice", strings.Replace(s, "<edXML:Subject>", `<edXML:Subject a="1" a="2">`, 1), `MessageHeader/Subject: not well-formed XML: attribute a written twice on <edXML:Subject> at byte offset 1902`},
		{"attribute written twice among many", strings.Replace(s, "<edXML:Subject>", `<edXML:Subject `+manyAttrs(40)+` x:a="1" b="2" x:a="3">`, 1), `attribute x:a written twice on <edXML:Subject>`},
		{"same name, other prefixes", strings.Replace(s, "<edXML:Subject>", `<edXML:Subject xmlns:x="urn:x" x:a="1" a="2">`, 1), ""},
		{"UTF-16", "\xFF\xFE<\x00?\x00", "the file is encoded in UTF-16 (byte order mark FF FE): edXML packages are read in UTF-8 only"},
		{"element name far too long", strings.Replace(s, "<edXML:Subject>", "<"+strings.Repeat("n", 2000)+"/><edXML:Subject>", 1), "an element name of 2000 bytes at byte offset 1902, longer than 1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := edxml.Parse(context.Background(), strings.NewReader(tc.in), "t.edxml", edxml.Options{})
			if tc.err == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var pe *edxml.Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want an *edxml.Error containing %q", err, tc.err)
			}
		})
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" a" + itoa(i) + `="1"`)
	}
	return b.String()
}

// TestCDATAPayload streams a payload written as CDATA sections, comments and
// plain text mixed: its size is that of the same base64 written plainly,
// and a 64 MB one stays in bounded memory.
func TestCDATAPayload(t *testing.T) {
	plain, err := io.ReadAll((&generatedPackage{payload: 3000}).reader())
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(plain, []byte("QUFB"))
	j := i + bytes.Index(plain[i:], []byte("<"))
	b64 := string(plain[i:j])
	for _, tc := range []struct{ name, payload, err string }{
		{"one CDATA section", "<![CDATA[" + b64 + "]]>", ""},
		{"sections, comments and text", b64[:100] + "<![CDATA[" + b64[100:1000] + "]]><!-- x -->" + b64[1000:2000] + "<![CDATA[]]>" + "<![CDATA[" + b64[2000:] + "]]>", ""},
		{"ampersand in CDATA", "<![CDATA[" + b64[:8] + "&amp;" + b64[8:] + "]]>", "character '&' is not base64"},
		{"unterminated CDATA", "<![CDATA[" + b64, "truncated XML: the file ends inside an attachment payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := string(plain[:i]) + tc.payload + string(plain[j:])
			if tc.name == "unterminated CDATA" {
				in = string(plain[:i]) + tc.payload
			}
			for _, r := range []io.Reader{strings.NewReader(in), &oneByte{strings.NewReader(in)}} {
				pkg, err := edxml.Parse(context.Background(), r, "t.edxml", edxml.Options{})
				switch {
				case tc.err != "":
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("error %v, want %q", err, tc.err)
					}
				case err != nil:
					t.Fatal(err)
				case len(pkg.Attachments) != 1 || pkg.Attachments[0].Size != 3000:
					t.Fatalf("attachments %+v, want one of 3000 bytes", pkg.Attachments)
				}
			}
		})
	}
	t.Run("64 MB in one section", func(t *testing.T) {
		const size = 64 << 20
		in := (&generatedPackage{payload: size, cdata: true}).reader()
		stop := heapPeak()
		pkg, err := edxml.Parse(context.Background(), in, "t.edxml", edxml.Options{})
		peak := stop()
		if err != nil {
			t.Fatal(err)
		}
		if len(pkg.Attachments) != 1 || pkg.Attachments[0].Size != size {
			t.Fatalf("attachments %+v, want one of %d bytes", pkg.Attachments, size)
		}
		if peak > 32<<20 {
			t.Errorf("peak heap %.0f MB for a %d MB CDATA payload", mb(peak), size>>20)
		}
	})
}

// oneByte reads one byte at a time (CDATA markers cut across reads).
type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
