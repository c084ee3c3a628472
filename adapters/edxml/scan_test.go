package edxml

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// outcome is what Parse made of an input: the package as JSON or the error.
func outcome(raw []byte, r io.Reader, onlyDecoder bool) string {
	decoderOnly = onlyDecoder
	defer func() { decoderOnly = false }()
	if r == nil {
		r = bytes.NewReader(raw)
	}
	pkg, err := Parse(context.Background(), r, "in.edxml", Options{})
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(pkg)
	if err != nil {
		return "json: " + err.Error()
	}
	return string(b)
}

// corpusFiles are the golden and real sample packages (of edxml-more, the
// small ones: its two large files repeat SDK samples of the first set).
func corpusFiles(t testing.TB) [][]byte {
	var files []string
	real := realSamplesDir()
	for _, g := range []string{"testdata/valid/*.edxml", "testdata/invalid/*.edxml", filepath.Join(real, "edxml", "*.edxml"), filepath.Join(real, "edxml-more", "*.edxml")} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("only %d sample files", len(files))
	}
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f, "edxml-more") && len(raw) > 64<<10 {
			continue
		}
		out = append(out, raw)
	}
	return out
}

// mutations derives inputs that exercise both tokenizer paths: line-end
// styles, references, comments, CDATA, odd spacing, truncations and byte
// flips.
func mutations(raw []byte, r *rand.Rand) [][]byte {
	out := [][]byte{
		raw,
		bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n")),
		bytes.ReplaceAll(raw, []byte("\n"), []byte("\r")),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Subject>A &amp; B &#273;&#x1EA1; "), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Subject><!-- c -->x<![CDATA[<y>]]>"), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Subject >  "), 1),
		bytes.Replace(raw, []byte("</edXML:Subject>"), []byte("</edXML:Subject\n>"), 1),
		bytes.Replace(raw, []byte("<edXML:CodeNumber>"), []byte("<edXML:CodeNumber a='1' b = \"x&lt;y\" c=\"\t\n\">"), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Subject>]]>"), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Subject>\x01"), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Subject>&bogus;"), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte("<edXML:Sübject>"), 1),
		bytes.Replace(raw, []byte("<edXML:Fax></edXML:Fax>"), []byte("<edXML:Fax/>"), 1),
		bytes.Replace(raw, []byte("<edXML:Fax></edXML:Fax>"), []byte("<edXML:Fax / >"), 1),
		bytes.Replace(raw, []byte(`encoding="utf-8"`), []byte(`encoding="latin1"`), 1),
		bytes.Replace(raw, []byte(`version="1.0"`), []byte(`version="1.1"`), 1),
		bytes.Replace(raw, []byte("?>"), []byte("?>\n<?pi some data?>"), 1),
		bytes.Replace(raw, []byte("<edXML:edXMLHeader>"), []byte("<edXML:edXMLHeader><a:b:c/>"), 1),
		append(append([]byte{}, raw...), "\n<!-- trailer -->\n"...),
		append(append([]byte{}, raw...), "trailing text"...),
		append([]byte("1212"), raw...),
		append([]byte("\n"), raw...),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte(`<edXML:Subject a="1" b="2" a="3">`), 1),
		bytes.Replace(raw, []byte("ContentTransferEncoded>"), []byte("ContentTransferEncoded><![CDATA[]]><!-- c -->"), 1),
		bytes.Replace(raw, []byte("ContentTransferEncoded>"), []byte("ContentTransferEncoded><![CDATA[QUFB]]>"), 1),
	}
	for i := 0; i < 12 && len(raw) > 0; i++ {
		out = append(out, raw[:r.IntN(len(raw))])
		b := append([]byte{}, raw...)
		const flips = "<>&/=\"' \r\n]\x00\xff?!:a"
		b[r.IntN(len(b))] = flips[r.IntN(len(flips))]
		out = append(out, b)
	}
	return out
}

// TestFastPathMatchesDecoder parses every sample and many variants of them
// with the fast tokenizer and with encoding/xml alone: the packages and the
// errors must be the same, whatever the read sizes.
func TestFastPathMatchesDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, raw := range corpusFiles(t) {
		for _, in := range mutations(raw, r) {
			n++
			want := outcome(in, nil, true)
			if got := outcome(in, nil, false); got != want {
				t.Fatalf("input %d: fast path differs\n got: %.400s\nwant: %.400s\ninput:\n%.2000s", n, got, want, in)
			}
			if got := outcome(in, iotest.OneByteReader(bytes.NewReader(in)), false); got != want {
				t.Fatalf("input %d, one byte per read: fast path differs\n got: %.400s\nwant: %.400s", n, got, want)
			}
		}
	}
	t.Logf("%d inputs", n)
}

// TestLongTokens crosses the read buffer: a text and an attribute longer
// than it go through the decoder.
func TestLongTokens(t *testing.T) {
	raw, err := os.ReadFile("testdata/valid/sample_edoc_new.edxml")
	if err != nil {
		t.Fatal(err)
	}
	long := bytes.Repeat([]byte("Báo cáo "), readBufSize/5)
	for i, in := range [][]byte{
		bytes.Replace(raw, []byte("<edXML:Subject>"), append([]byte("<edXML:Subject>"), long...), 1),
		bytes.Replace(raw, []byte("<edXML:Subject>"), []byte(fmt.Sprintf("<edXML:Subject x=%q>", long)), 1),
	} {
		want := outcome(in, nil, true)
		if got := outcome(in, nil, false); got != want {
			t.Errorf("case %d: got %.300s\nwant %.300s", i, got, want)
		}
	}
}

func FuzzFastPathMatchesDecoder(f *testing.F) {
	for _, raw := range corpusFiles(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if want, got := outcome(in, nil, true), outcome(in, nil, false); got != want {
			t.Fatalf("fast path differs\n got: %.400s\nwant: %.400s", got, want)
		}
	})
}

// TestB64Counter checks the streamed base64 check against encoding/base64
// on the same text with white space removed, fed in chunks of every size.
func TestB64Counter(t *testing.T) {
	long := make([]byte, 10000)
	for i := range long {
		long[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(long)
	for _, in := range []string{
		"", "QQ==", "QUE=", "QUFB", "QUFBQQ==", "Q===", "QQ=A", "QQ=", "QUFB\nQUFB\r\n", " Q U F B ",
		"QUFB&#13;&#10;QUFB", "QUFB&#xA;QQ==", "QUFB&amp;", "QUFB&#13", "QUFB*", "QUFB\x00", "QUFB\xff",
		"QQ==\n", "QQ== QQ==", "QQ==\nQUFB", enc, enc[:len(enc)-1], wrap(enc, 76), wrap(enc, 64) + "=",
	} {
		stripped := strings.NewReplacer("\n", "", "\r", "", " ", "", "\t", "", "&#13;", "", "&#10;", "", "&#xA;", "").Replace(in)
		want, werr := base64.StdEncoding.DecodeString(stripped)
		for _, size := range []int{1, 3, 4, 5, 77, 4096, len(in) + 1} {
			var b b64Counter
			b.reset()
			for rest := []byte(in); len(rest) > 0; {
				n := min(size, len(rest))
				b.writeChunk(rest[:n])
				rest = rest[n:]
			}
			got, err := b.finish()
			if (err != nil) != (werr != nil) || err == nil && got != int64(len(want)) {
				t.Errorf("%.40q in chunks of %d: %d, %v; encoding/base64: %d, %v", in, size, got, err, len(want), werr)
			}
		}
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}
