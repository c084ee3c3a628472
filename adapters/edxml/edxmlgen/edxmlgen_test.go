package edxmlgen

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const demo = "000.25.31.H99"

func TestCorpusDeterministic(t *testing.T) {
	a := Corpus(7, demo, 2025, WithScale(0.1))
	b := Corpus(7, demo, 2025, WithScale(0.1))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different corpora")
	}
	c := Corpus(8, demo, 2025, WithScale(0.1))
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same corpus")
	}
}

type stats struct {
	out, outHC, in, secret, secretElectronic, revoked, refused int
	higherAll, higherElectronic                                int
}

func count(c []DocSpec) stats {
	var s stats
	for _, d := range c {
		if d.Direction == "out" {
			s.out++
			if d.Family == "hanh_chinh" {
				s.outHC++
			}
		} else {
			s.in++
		}
		if d.Secret {
			s.secret++
			if d.Medium == "electronic" {
				s.secretElectronic++
			}
		}
		if d.Revoked {
			s.revoked++
		}
		for _, st := range d.Statuses {
			if st.Code == StatusRefused {
				s.refused++
			}
		}
		higher := d.Direction == "in" && strings.HasPrefix(d.IssuerCode, "000.00.")
		for _, r := range d.Recipients {
			higher = higher || r.Relation == RelHigher
		}
		if higher && !d.Secret {
			s.higherAll++
			if d.Medium == "electronic" {
				s.higherElectronic++
			}
		}
	}
	return s
}

func TestCorpusRealistic(t *testing.T) {
	s25 := count(Corpus(1, demo, 2025))
	s26 := count(Corpus(1, demo, 2026))
	red := float64(s25.outHC-s26.outHC) / float64(s25.outHC)
	share := float64(s26.higherElectronic) / float64(s26.higherAll)
	cases := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"2025 outgoing", float64(s25.out), 1200, 2000},
		{"2025 incoming", float64(s25.in), 2000, 3500},
		{"2026 reduction of administrative documents", red, 0.15, 0.20},
		{"2025 secret documents", float64(s25.secret), 10, 100},
		{"secret documents sent electronically", float64(s25.secretElectronic + s26.secretElectronic), 0, 0},
		{"2025 revocations", float64(s25.revoked), 3, 40},
		{"2025 refusals (status 02)", float64(s25.refused), 3, 200},
		{"2026 electronic share with higher agencies", share, 0.95, 0.999},
	}
	for _, c := range cases {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s = %.3f, want in [%.3f, %.3f]", c.name, c.got, c.lo, c.hi)
		}
	}
}

var codeRe = regexp.MustCompile(`^([0-9]+|[0-9]{2}/20[0-9]{2})/[A-Za-zĐđ]+(-[A-Za-zĐđ]+)?$`)

func TestCorpusNumbering(t *testing.T) {
	c := Corpus(3, demo, 2025, WithScale(0.3))
	seen := map[string]bool{}
	for _, d := range c {
		if !codeRe.MatchString(d.Code()) {
			t.Errorf("%s: bad số/ký hiệu %q", d.DocID, d.Code())
		}
		if d.Direction == "in" && d.ReceivedOn.Before(d.IssuedOn) {
			t.Errorf("%s: received %v before issued %v", d.Code(), d.ReceivedOn, d.IssuedOn)
		}
		if d.Direction == "out" && !d.ReceivedOn.IsZero() {
			t.Errorf("%s: outgoing with a received date", d.Code())
		}
		series := "regular"
		if d.Secret {
			series = "secret"
		}
		// The logical key of architecture.md rule 4 must be unique.
		k := d.Unit + "|" + d.Direction + "|" + d.IssuerCode + "|" + series + "|" + d.Code()
		if seen[k] {
			t.Errorf("duplicate logical document %s", k)
		}
		seen[k] = true
		if d.Secret && (d.Medium != "paper" || d.OnAxis() || d.SecretLevel == "") {
			t.Errorf("%s: secret document must be paper, off the axis, with a level", d.Code())
		}
		for i := 1; i < len(d.Statuses); i++ {
			if d.Statuses[i].Reporter.Code == d.Statuses[i-1].Reporter.Code && d.Statuses[i].At.Before(d.Statuses[i-1].At) {
				t.Errorf("%s: statuses out of order", d.Code())
			}
		}
	}
}

// header walks a package with encoding/xml, checks every element is in the
// QCVN namespace, and returns the text of elements by local name plus the
// decoded attachments.
func header(t *testing.T, data []byte) (map[string][]string, [][]byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	texts := map[string][]string{}
	var atts [][]byte
	var stack []string
	var buf strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if v.Name.Space != Namespace {
				t.Fatalf("element %s in namespace %q", v.Name.Local, v.Name.Space)
			}
			if len(stack) == 0 && v.Name.Local != "edXML" {
				t.Fatalf("root %s", v.Name.Local)
			}
			stack = append(stack, v.Name.Local)
			buf.Reset()
		case xml.CharData:
			buf.Write(v)
		case xml.EndElement:
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if name == "ContentTransferEncoded" {
				b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(buf.String(), "\n", ""))
				if err != nil {
					t.Fatalf("attachment base64: %v", err)
				}
				atts = append(atts, b)
			} else {
				texts[name] = append(texts[name], strings.TrimSpace(buf.String()))
			}
			buf.Reset()
		}
	}
	return texts, atts
}

func TestPackagesWellFormed(t *testing.T) {
	c := Corpus(5, demo, 2025, WithScale(0.2))
	opts := WriteOptions{MaxAttachment: 4000}
	msgs := append(Inbox(c), Outbox(c)...)
	byKind := map[string]int{}
	for _, m := range msgs {
		if byKind[m.Kind] >= 20 {
			continue
		}
		byKind[m.Kind]++
		var b bytes.Buffer
		if err := WriteMessage(&b, m, opts); err != nil {
			t.Fatal(err)
		}
		tx, atts := header(t, b.Bytes())
		if got := tx["OrganId"][0]; got != m.From {
			t.Errorf("%s %s: From/OrganId %q, want %q", m.Kind, m.DocID, got, m.From)
		}
		switch m.Kind {
		case KindStatus:
			if tx["StatusCode"][0] != m.Status.Code || tx["DocumentId"][0] != m.Doc.DocumentID() {
				t.Errorf("status %s: %v", m.DocID, tx)
			}
		case KindRevocation:
			if tx["BussinessDocType"][0] != "1" || tx["DocumentId"][1] != m.Doc.DocumentID() {
				t.Errorf("revocation %s: %v", m.DocID, tx)
			}
		case KindDocument:
			if tx["CodeNumber"][0] != m.Doc.Number || tx["CodeNotation"][0] != m.Doc.Notation || tx["PromulgationDate"][0] != date(m.Doc.IssuedOn) {
				t.Errorf("document %s: %v", m.DocID, tx)
			}
			if len(atts) != len(m.Doc.Attachments) || len(atts) == 0 {
				t.Fatalf("document %s: %d attachments, want %d", m.DocID, len(atts), len(m.Doc.Attachments))
			}
			for i, a := range m.Doc.Attachments {
				want, _ := io.ReadAll(PDF(m.DocID+a.ContentID, opts.size(a)))
				if !bytes.Equal(atts[i], want) || !bytes.HasPrefix(atts[i], []byte("%PDF-")) {
					t.Errorf("document %s: attachment %d differs", m.DocID, i)
				}
			}
			if lines := strings.Split(b.String(), "\n"); !wrapped(lines) {
				t.Errorf("document %s: base64 not wrapped at 76 columns", m.DocID)
			}
		}
	}
	for _, k := range []string{KindDocument, KindRevocation, KindStatus} {
		if byKind[k] == 0 {
			t.Errorf("no %s message generated", k)
		}
	}
}

func wrapped(lines []string) bool {
	for _, l := range lines {
		if len(l) > 76 && !strings.Contains(l, "<") {
			return false
		}
	}
	return true
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// A large attachment is streamed: memory does not grow with its size.
func TestLargeAttachmentStreams(t *testing.T) {
	d := Corpus(1, demo, 2025, WithScale(0.02))[0]
	d.Attachments = []Attachment{{ContentID: "big", Name: "big.pdf", ContentType: "application/pdf", Size: 48 << 20}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var w countWriter
	if err := WritePackage(&w, d, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if w.n < 64<<20 {
		t.Fatalf("wrote %d bytes, want > 64 MiB of base64", w.n)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("allocated %d bytes for a 48 MiB attachment: not streamed", grew)
	}
}

func TestWriteArchive(t *testing.T) {
	root := t.TempDir()
	c := Corpus(9, demo, 2025, WithScale(0.05))
	n, err := WriteArchive(root, c, WriteOptions{MaxAttachment: 2000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range c {
		if d.Medium == "electronic" && !d.Secret {
			want[d.DocID] = true
			if d.Revoked {
				want[d.RevokeDocID] = true
			}
			for _, st := range d.Statuses {
				want[st.DocID] = true
			}
		}
	}
	pathRe := regexp.MustCompile(`^2025/([1-9]|1[0-2])/[0-9a-f]{24}\.edxml$`)
	got := 0
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if !pathRe.MatchString(filepath.ToSlash(rel)) {
			t.Errorf("archive path %s", rel)
		}
		id := strings.TrimSuffix(filepath.Base(p), ".edxml")
		if !want[id] {
			t.Errorf("unexpected file %s (paper or secret?)", rel)
		}
		got++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		header(t, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != n || n != len(want) || n == 0 {
		t.Fatalf("archive has %d files, WriteArchive said %d, want %d", got, n, len(want))
	}
}

func BenchmarkWritePackage200MB(b *testing.B) {
	d := Corpus(1, demo, 2025, WithScale(0.02))[0]
	d.Attachments = []Attachment{{ContentID: "big", Name: "big.pdf", ContentType: "application/pdf", Size: 200 << 20}}
	b.SetBytes(200 << 20)
	for b.Loop() {
		if err := WritePackage(io.Discard, d, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCorpus(b *testing.B) {
	for b.Loop() {
		Corpus(1, demo, 2025)
	}
}
