package edxml_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/vntime"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"2025/11/20", "2025-11-20", ""},
		{"2025-11-20", "2025-11-20", ""},
		{"30/10/2020", "2020-10-30", ""},
		{" 2025/1/5 ", "2025-01-05", ""},
		{"2025/02/30", "", `impossible date "2025/02/30"`},
		{"2025/13/01", "", `impossible date "2025/13/01"`},
		{"2020/06/02(Ngày ban hành)", "", `unparsable date`},
		{"", "", `unparsable date ""`},
	} {
		got, err := edxml.ParseDate(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDate(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Format("2006-01-02") != tc.want || got.Location() != vntime.Location {
			t.Errorf("ParseDate(%q) = %v, %v; want %s in Vietnam time", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2025/11/20 08:15:30", "2025-11-20T08:15:30+07:00"},
		{"2025-11-20 08:15:30", "2025-11-20T08:15:30+07:00"},
		{"20/11/2025 08:15:30", "2025-11-20T08:15:30+07:00"},
		{"2025-11-20T01:15:30Z", "2025-11-20T08:15:30+07:00"},
		{"2025/11/20 25:00:00", ""},
		{"hôm qua", ""},
	} {
		got, err := edxml.ParseTimestamp(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseTimestamp(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %s", tc.in, got.Format(time.RFC3339), err, tc.want)
		}
	}
}

func TestCheckOrganID(t *testing.T) {
	for _, tc := range []struct {
		in, code string
		standard bool
		err      string
	}{
		{"000.25.31.H99", "000.25.31.H99", true, ""},
		{"000.46.24.h44", "000.46.24.H44", true, ""},
		{"28.22.H17", "28.22.H17", false, ""},
		{"001.00.20.TT2", "001.00.20.TT2", true, ""}, // matches the standard pattern
		{"020100107370", "020100107370", false, ""},
		{"G12", "G12", false, ""},
		{"vxp.saas.03", "VXP.SAAS.03", false, ""},
		{"", "", false, "empty OrganId"},
		{"null", "", false, `"null"`},
		{"000.25.31 H99", "", false, "invalid character ' '"},
		{"000.25.31.H99,000.00.00.H99", "", false, "invalid character ','"},
		{strings.Repeat("A", 36), "", false, "longer than 35"},
	} {
		code, std, err := edxml.CheckOrganID(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("CheckOrganID(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || code != tc.code || std != tc.standard {
			t.Errorf("CheckOrganID(%q) = %q, %v, %v; want %q, %v", tc.in, code, std, err, tc.code, tc.standard)
		}
	}
}

func TestSplitDocumentID(t *testing.T) {
	for _, tc := range []struct {
		in, issuer, date, code string
		ok                     bool
	}{
		{"000.00.00.G22,2018/09/20,7816/VPCP-TTĐT", "000.00.00.G22", "2018/09/20", "7816/VPCP-TTĐT", true},
		{"000.00.00.G22,2018/09/20,12/KH-UBND,PC", "000.00.00.G22", "2018/09/20", "12/KH-UBND,PC", true},
		{"9fbfbad2-f1f8-4256-a2eb-50fb1061cddb", "", "", "", false},
		{"a,b", "", "", "", false},
	} {
		i, d, c, ok := edxml.SplitDocumentID(tc.in)
		if i != tc.issuer || d != tc.date || c != tc.code || ok != tc.ok {
			t.Errorf("SplitDocumentID(%q) = %q %q %q %v", tc.in, i, d, c, ok)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	raw, err := os.ReadFile("testdata/valid/sample_edoc_new.edxml")
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(len(raw) - 100)
	// From a file: refused from its size alone.
	_, err = edxml.ParseFile(context.Background(), "testdata/valid/sample_edoc_new.edxml", edxml.Options{MaxSize: limit})
	if err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("ParseFile over the limit: %v", err)
	}
	// From a stream: refused once the limit is passed.
	_, err = edxml.Parse(context.Background(), bytes.NewReader(raw), "stream.edxml", edxml.Options{MaxSize: limit})
	if err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("Parse over the limit: %v", err)
	}
	// Exactly at the limit is fine.
	if _, err := edxml.Parse(context.Background(), bytes.NewReader(raw), "stream.edxml", edxml.Options{MaxSize: int64(len(raw))}); err != nil {
		t.Errorf("Parse at the limit: %v", err)
	}
	// A limit hit inside an attachment payload (the streamed part).
	big := &generatedPackage{payload: 1 << 20}
	_, err = edxml.Parse(context.Background(), big.reader(), "big.edxml", edxml.Options{MaxSize: 512 << 10})
	if err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("Parse of a big payload over the limit: %v", err)
	}
}

// generatedPackage is a valid package whose attachment is generated on the
// fly: payload decoded bytes, base64 in 76-column lines.
type generatedPackage struct {
	payload int64
	// cdata writes the payload as one CDATA section.
	cdata bool
}

func (g *generatedPackage) reader() io.Reader {
	raw, err := os.ReadFile(filepath.Join("testdata", "valid", "sample_edoc_new.edxml"))
	if err != nil {
		panic(err)
	}
	s := string(raw)
	const marker = "JVBERi0xLjQK"
	i := strings.Index(s, marker)
	open, end := "", ""
	if g.cdata {
		open, end = "<![CDATA[", "]]>"
	}
	return io.MultiReader(strings.NewReader(s[:i]+open), &base64Gen{left: g.payload}, strings.NewReader(end+s[i+len(marker):]))
}

// base64Gen produces the base64 of left bytes of 'A' ("QUFB" per 3 bytes),
// wrapped at 76 columns, without ever holding it.
type base64Gen struct {
	left    int64
	pending []byte
	col     int
}

var genNL, genQUFB, genQUE, genQQ = []byte("\n"), []byte("QUFB"), []byte("QUE="), []byte("QQ==")

func (b *base64Gen) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(b.pending) == 0 {
			if b.left <= 0 {
				break
			}
			switch {
			case b.col >= 76:
				b.pending, b.col = genNL, 0
				continue
			case b.left >= 3:
				b.pending = genQUFB
				b.left -= 3
			case b.left == 2:
				b.pending, b.left = genQUE, 0
			default:
				b.pending, b.left = genQQ, 0
			}
			b.col += 4
		}
		c := copy(p[n:], b.pending)
		b.pending = b.pending[c:]
		n += c
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestLargeAttachmentBoundedMemory parses a package with a 50 MB attachment
// from a generating reader: the heap must stay far below the payload size.
func TestLargeAttachmentBoundedMemory(t *testing.T) {
	const payload = 50 << 20
	stop := heapPeak()
	pkg, err := edxml.Parse(context.Background(), (&generatedPackage{payload: payload}).reader(), "big.edxml", edxml.Options{})
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Attachments) != 1 || pkg.Attachments[0].Size != payload {
		t.Fatalf("attachments = %+v, want one of %d bytes", pkg.Attachments, payload)
	}
	if peak > 50<<20 {
		t.Errorf("peak HeapInuse %.0f MB while parsing a %d MB attachment", mb(peak), payload>>20)
	} else {
		t.Logf("peak HeapInuse %.1f MB for a %d MB attachment", mb(peak), payload>>20)
	}
}

func TestErrorsNameTheFile(t *testing.T) {
	_, err := edxml.ParseFile(context.Background(), "testdata/does-not-exist.edxml", edxml.Options{})
	var pe *edxml.Error
	if !errors.As(err, &pe) || pe.File != "testdata/does-not-exist.edxml" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func BenchmarkParseHeaderOnly(b *testing.B) {
	for _, f := range []string{"sample_edoc_new.edxml", "sample_status_01.edxml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "valid", f))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := edxml.Parse(context.Background(), bytes.NewReader(raw), f, edxml.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packages/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "packages/cpu-s")
			}
		})
	}
}

func BenchmarkParseLargeAttachment(b *testing.B) {
	for _, size := range []int64{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size * 4 / 3)
			for b.Loop() {
				if _, err := edxml.Parse(context.Background(), (&generatedPackage{payload: size}).reader(), "big.edxml", edxml.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
