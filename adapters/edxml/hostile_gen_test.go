package edxml_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Hostile inputs (issue 19), generated as streams from a valid package so
// that no huge file is committed: each is the golden sample with one part
// blown up n times.

// repeatReader yields unit n times, or the bytes of gen(i) for i < n.
type repeatReader struct {
	unit    []byte
	gen     func(i int64) []byte
	n, i    int64
	pending []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if len(r.pending) == 0 {
			if r.i >= r.n {
				break
			}
			if r.gen != nil {
				r.pending = r.gen(r.i)
			} else {
				r.pending = r.unit
			}
			r.i++
		}
		c := copy(p[w:], r.pending)
		r.pending = r.pending[c:]
		w += c
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// hostileCase is one hostile input of size n (the unit each case repeats).
type hostileCase struct {
	name string
	n    int64 // the size named in the issue
	// small is a size that main's code still parses in seconds ("before").
	small int64
	gen   func(n int64) io.Reader
}

// sampleAround returns the golden sample split around the first marker (the
// marker itself removed from what follows when cut is true).
func sampleAround(marker string, cut bool) (string, string) {
	raw, err := os.ReadFile(filepath.Join("testdata", "valid", "sample_edoc_new.edxml"))
	if err != nil {
		panic(err)
	}
	s := string(raw)
	i := strings.Index(s, marker)
	if i < 0 {
		panic("marker not in sample: " + marker)
	}
	if cut {
		return s[:i], s[i+len(marker):]
	}
	return s[:i], s[i:]
}

// splice is before + the repeated part + after.
func splice(before string, part io.Reader, after string) io.Reader {
	return io.MultiReader(strings.NewReader(before), part, strings.NewReader(after))
}

const subjectOpen = "<edXML:Subject>"

// subjectUnit is the text hostile subjects repeat (16 characters, 22
// bytes); the sample's own subject follows it.
var subjectUnit = []byte("Báo cáo kết quả ")

var hostileCases = []hostileCase{
	{"Attributes200k", 200_000, 20_000, func(n int64) io.Reader {
		// <edXML:Subject a0="1" a1="1" … a199999="1">
		b, a := sampleAround(subjectOpen, true)
		return splice(b+"<edXML:Subject", &repeatReader{n: n, gen: func(i int64) []byte {
			return fmt.Appendf(nil, " a%d=\"1\"", i)
		}}, ">"+a)
	}},
	{"CommentSplitSubject", 200_000, 20_000, func(n int64) io.Reader {
		// The subject's text in n pieces: "Báo cáo <!-- -->" n times.
		b, a := sampleAround(subjectOpen, true)
		return splice(b+subjectOpen, &repeatReader{n: n, unit: []byte("Báo cáo <!-- -->")}, a)
	}},
	{"NamespaceFlood", 200_000, 10_000, func(n int64) io.Reader {
		// Before the envelope (extra root children are ignored): 200
		// nested elements declaring n/200 prefixes each, then n elements
		// using them, each resolved against every declaration in scope.
		const levels = 200
		per := max(1, n/levels)
		b, a := sampleAround("<edXML:edXMLEnvelope", false)
		open := &repeatReader{n: levels, gen: func(l int64) []byte {
			var s strings.Builder
			s.WriteString("<f")
			for k := range per {
				fmt.Fprintf(&s, " xmlns:p%d_%d=\"urn:x:%d:%d\"", l, k, l, k)
			}
			s.WriteString(">")
			return []byte(s.String())
		}}
		uses := &repeatReader{n: n, gen: func(i int64) []byte {
			return fmt.Appendf(nil, "<p0_%d:u/>", i%per)
		}}
		closes := &repeatReader{n: levels, unit: []byte("</f>")}
		return splice(b, io.MultiReader(open, uses, closes), a)
	}},
	{"Nested1M", 1_000_000, 100_000, func(n int64) io.Reader {
		// n elements nested inside MessageHeader.
		b, a := sampleAround(subjectOpen, false)
		return splice(b, io.MultiReader(&repeatReader{n: n, unit: []byte("<x>")}, &repeatReader{n: n, unit: []byte("</x>")}), a)
	}},
	{"Subject200MB", 200 << 20, 20 << 20, func(n int64) io.Reader {
		// A subject of n bytes of Vietnamese text (no markup).
		b, a := sampleAround(subjectOpen, true)
		return splice(b+subjectOpen, &repeatReader{n: n / int64(len(subjectUnit)), unit: subjectUnit}, a)
	}},
	{"Subject3MB", 3 << 20, 3 << 20, func(n int64) io.Reader {
		// A subject of 3 MB in one piece: under the hard limit.
		b, a := sampleAround(subjectOpen, true)
		return splice(b+subjectOpen, &repeatReader{n: n / int64(len(subjectUnit)), unit: subjectUnit}, a)
	}},
	{"SubjectSplit8MB", 8 << 20, 8 << 20, func(n int64) io.Reader {
		// 8 MB of subject in pieces of 16 KB split by comments: each
		// piece is small, the field is not.
		b, a := sampleAround(subjectOpen, true)
		unit := append([]byte(strings.Repeat("Báo cáo ", 1638)), "<!---->"...)
		return splice(b+subjectOpen, &repeatReader{n: n / int64(len(unit)), unit: unit}, a)
	}},
	{"HeaderElements200k", 200_000, 200_000, func(n int64) io.Reader {
		// n empty elements side by side in MessageHeader.
		b, a := sampleAround(subjectOpen, false)
		return splice(b, &repeatReader{n: n, unit: []byte("<edXML:Place/>")}, a)
	}},
	{"Attachments100k", 100_000, 100_000, func(n int64) io.Reader {
		// n one-byte attachments after the real one.
		b, a := sampleAround("</AttachmentEncoded>", false)
		return splice(b, &repeatReader{n: n, gen: func(i int64) []byte {
			return fmt.Appendf(nil, "<Attachment><ContentId>x%d</ContentId><AttachmentName>x%d.txt</AttachmentName><ContentTransferEncoded>QQ==</ContentTransferEncoded></Attachment>\n", i, i)
		}}, a)
	}},
	{"NULs200MB", 200 << 20, 20 << 20, func(n int64) io.Reader {
		// n NUL bytes in the subject.
		b, a := sampleAround(subjectOpen, true)
		return splice(b+subjectOpen, &repeatReader{n: n / 4096, unit: make([]byte, 4096)}, a)
	}},
}
