package edxml_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"chiso/adapters/edxml"
)

const subjectPath = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject"

// sampleSubjectChars is the length of the golden sample's subject.
var sampleSubjectChars = utf8.RuneCountInString("Báo cáo kết quả thực hiện cải cách hành chính năm 2025")

// hostileVerdicts is what each hostile input must get: an error (naming the
// element) or a package, and a bound on the heap while it is parsed.
var hostileVerdicts = map[string]struct {
	err     string // in the error; "" when the package must parse
	check   func(t *testing.T, pkg *edxml.Package)
	maxHeap uint64
}{
	"Attributes200k": {err: subjectPath + ": <edXML:Subject> at byte offset 1902 has 200000 attributes, more than 1024 (MaxAttrs)", maxHeap: 96 << 20},
	"CommentSplitSubject": {check: func(t *testing.T, pkg *edxml.Package) {
		subjectCut(t, pkg, 200_000*8+sampleSubjectChars) // "Báo cáo " 200k times
	}, maxHeap: 64 << 20},
	"NamespaceFlood": {check: func(t *testing.T, pkg *edxml.Package) {
		if !strings.HasPrefix(pkg.Subject, "Báo cáo kết quả") || len(pkg.Warnings) != 0 {
			t.Errorf("subject %q, warnings %q", pkg.Subject, pkg.Warnings)
		}
	}, maxHeap: 96 << 20},
	"Nested1M":     {err: "MessageHeader/x/x/x/x/…(244 more)…/x/x/x/x: elements nested deeper than 256 levels (MaxDepth) at byte offset", maxHeap: 32 << 20},
	"Subject200MB": {err: subjectPath + ": a single tag, text, comment or CDATA section from byte offset 1917 is longer than 4194304 bytes (MaxTokenBytes)", maxHeap: 48 << 20},
	"Subject3MB": {check: func(t *testing.T, pkg *edxml.Package) {
		subjectCut(t, pkg, 3<<20/len(subjectUnit)*16+sampleSubjectChars)
	}, maxHeap: 48 << 20},
	"SubjectSplit8MB":    {err: subjectPath + ": the text of this element is longer than 4194304 bytes (MaxTokenBytes) at byte offset", maxHeap: 48 << 20},
	"HeaderElements200k": {err: "MessageHeader/Place: edXMLHeader and edXMLBody hold more than 100000 elements (MaxHeaderElements) at byte offset", maxHeap: 96 << 20},
	"Attachments100k":    {err: "edXML/AttachmentEncoded/Attachment: more than 1000 attachments (MaxAttachments) at byte offset", maxHeap: 16 << 20},
	"NULs200MB":          {err: subjectPath + ": not well-formed XML: a NUL byte at byte offset 1917 (line 40); XML allows it nowhere", maxHeap: 16 << 20},
}

// subjectCut checks a subject of chars characters kept as its first
// MaxTextChars, with a warning.
func subjectCut(t *testing.T, pkg *edxml.Package, chars int) {
	t.Helper()
	if n := utf8.RuneCountInString(pkg.Subject); n != edxml.MaxTextChars || !strings.HasPrefix(pkg.Subject, "Báo cáo") {
		t.Errorf("subject of %d characters (%.40q…), want the first %d", n, pkg.Subject, edxml.MaxTextChars)
	}
	want := subjectPath + ": " + itoa(chars) + " characters, more than 2000 (MaxTextChars): kept cut to the first 2000"
	for _, w := range pkg.Warnings {
		if w == want {
			return
		}
	}
	t.Errorf("warnings %q, want %q", pkg.Warnings, want)
}

func itoa(n int) string {
	s := ""
	for ; n > 0 || s == ""; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// TestHostileInputs parses each hostile input at the size the issue names,
// generated as a stream: each gets its verdict in bounded memory (these took
// from 0.3 GB to 1 GB, or minutes, before the limits).
func TestHostileInputs(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			v, ok := hostileVerdicts[c.name]
			if !ok {
				t.Fatal("no verdict for this case")
			}
			stop := heapPeak()
			pkg, err := edxml.Parse(context.Background(), c.gen(c.n), c.name+".edxml", edxml.Options{})
			peak := stop()
			switch {
			case v.err == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case v.err != "" && err == nil:
				t.Fatalf("accepted, want an error containing %q", v.err)
			case v.err != "":
				var pe *edxml.Error
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), v.err) {
					t.Fatalf("error %q (%T), want an *edxml.Error containing %q", err, err, v.err)
				}
				storable(t, err.Error())
			default:
				v.check(t, pkg)
			}
			if peak > v.maxHeap {
				t.Errorf("peak heap %.1f MB, want at most %.0f MB", mb(peak), mb(v.maxHeap))
			}
			t.Logf("peak heap %.1f MB", mb(peak))
		})
	}
}

// storable fails when s could not be stored as PostgreSQL text.
func storable(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		t.Errorf("error text is not storable (bad UTF-8 or NUL): %q", s)
	}
}

// TestUncleanText puts bytes and characters that cannot be stored as text
// (or are not XML) into header fields, attributes and a payload: each
// package is rejected naming the element, with a storable message.
func TestUncleanText(t *testing.T) {
	b, a := sampleAround(subjectOpen, true)
	for _, tc := range []struct{ name, subject, err string }{
		{"NUL byte", "Báo cáo\x00", subjectPath + ": not well-formed XML: a NUL byte at byte offset 1926 (line 40)"},
		{"NUL reference", "Báo cáo &#0;", subjectPath + ": not well-formed XML: line 40: illegal character code U+0000"},
		{"NUL hex reference", "Báo cáo &#x0;", subjectPath + ": not well-formed XML: line 40: illegal character code U+0000"},
		{"invalid UTF-8", "Báo c\xe1o", subjectPath + ": invalid UTF-8 (line 40, in the text or tag from byte offset 1917)"},
		{"UTF-8 of a surrogate", "Báo cáo \xed\xa0\x80", subjectPath + ": invalid UTF-8"},
		{"Latin-1 byte", "B\xe1o c\xe1o", subjectPath + ": invalid UTF-8"},
		{"control character", "Báo\x01cáo", subjectPath + ": not well-formed XML: line 40: illegal character code U+0001"},
		{"U+FFFE", "Báo \uFFFE", subjectPath + ": not well-formed XML: line 40: illegal character code U+FFFE"},
		{"NUL in an attribute", `x" a="` + "\x00", "MessageHeader: not well-formed XML: a NUL byte at byte offset 1926 (line 40)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := b + subjectOpen + tc.subject + a
			if strings.HasPrefix(tc.subject, `x"`) {
				in = b + `<edXML:Subject b="` + tc.subject + `">x` + a
			}
			_, err := edxml.Parse(context.Background(), strings.NewReader(in), "t.edxml", edxml.Options{})
			var pe *edxml.Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want an *edxml.Error containing %q", err, tc.err)
			}
			storable(t, err.Error())
		})
	}
	t.Run("NUL in a payload", func(t *testing.T) {
		src := io.MultiReader((&generatedPackage{payload: 1 << 20}).reader())
		raw, _ := io.ReadAll(src)
		i := strings.Index(string(raw), "QUFB")
		raw[i+1000] = 0
		_, err := edxml.Parse(context.Background(), strings.NewReader(string(raw)), "t.edxml", edxml.Options{})
		want := "edXML/AttachmentEncoded/Attachment/ContentTransferEncoded: not well-formed XML: a NUL byte at byte offset " + itoa(i+1000)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
}

// BenchmarkParseHostile parses each hostile input at the size the issue
// names and reports its peak heap next to the time and allocations
// (make bench; the "before" figures are in the closing note of issue 19).
func BenchmarkParseHostile(b *testing.B) {
	for _, c := range hostileCases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			cpu0 := cpuTime()
			for b.Loop() {
				stop := heapPeak()
				_, err := edxml.Parse(context.Background(), c.gen(c.n), c.name+".edxml", edxml.Options{})
				peak = max(peak, stop())
				if (err == nil) != (hostileVerdicts[c.name].err == "") {
					b.Fatalf("verdict changed: %v", err)
				}
			}
			b.ReportMetric(mb(peak), "peak-heap-MB")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			}
		})
	}
}
