package edxmlgen_test

import (
	"bytes"
	"context"
	"testing"

	"chiso/adapters/edxml"
	"chiso/adapters/edxml/edxmlgen"
)

// Every generated package is accepted by the edXML parser, without
// warnings, and reads back as generated.
func TestParserAcceptsGenerated(t *testing.T) {
	c := edxmlgen.Corpus(4, "000.25.31.H99", 2026, edxmlgen.WithScale(0.5))
	msgs := append(edxmlgen.Inbox(c), edxmlgen.Outbox(c)...)
	kinds := map[string]int{}
	for _, m := range msgs {
		var b bytes.Buffer
		if err := edxmlgen.WriteMessage(&b, m, edxmlgen.WriteOptions{MaxAttachment: 1000}); err != nil {
			t.Fatal(err)
		}
		p, err := edxml.Parse(context.Background(), &b, m.DocID+".edxml", edxml.Options{})
		if err != nil {
			t.Fatalf("%s %s: %v", m.Kind, m.DocID, err)
		}
		if len(p.Warnings) > 0 {
			t.Errorf("%s %s: warnings %v", m.Kind, m.DocID, p.Warnings)
		}
		kinds[m.Kind]++
		if p.From != m.From {
			t.Errorf("%s %s: From %q, want %q", m.Kind, m.DocID, p.From, m.From)
		}
		switch m.Kind {
		case edxmlgen.KindStatus:
			if p.Kind != edxml.KindStatus || p.Status.Code != m.Status.Code || p.Status.ResponseFor.DocumentID != m.Doc.DocumentID() {
				t.Errorf("status %s read as %+v", m.DocID, p.Status)
			}
		case edxmlgen.KindRevocation:
			if p.BusinessType != 1 || p.BusinessTarget != m.Doc.DocumentID() {
				t.Errorf("revocation %s: type %d target %q", m.DocID, p.BusinessType, p.BusinessTarget)
			}
		default:
			d := m.Doc
			if p.Kind != edxml.KindEdoc || p.Code() != d.Code() || !p.PromulgationDate.Equal(d.IssuedOn) ||
				p.TypeName != d.Type.Name || p.Subject != d.Subject || p.AttachmentCount() != len(d.Attachments) || len(p.To) != len(d.Recipients) {
				t.Errorf("document %s read as %s %v %q %q, %d attachments", m.DocID, p.Code(), p.PromulgationDate, p.TypeName, p.Subject, p.AttachmentCount())
			}
		}
	}
	if kinds[edxmlgen.KindDocument] == 0 || kinds[edxmlgen.KindStatus] == 0 || kinds[edxmlgen.KindRevocation] == 0 {
		t.Fatalf("kinds %v: want each kind", kinds)
	}
}
