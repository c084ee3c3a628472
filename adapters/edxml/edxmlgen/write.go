package edxmlgen

import (
	"bufio"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/vntime"
)

// Namespace is the QCVN 102:2016 namespace of every generated package.
const Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

// WriteOptions tune the bytes of generated packages.
type WriteOptions struct {
	// MaxAttachment caps each attachment's size in bytes (0: the size in the
	// DocSpec). The demo and tests cap it to keep archives small.
	MaxAttachment int64
}

func (o WriteOptions) size(a Attachment) int64 {
	if o.MaxAttachment > 0 && a.Size > o.MaxAttachment {
		return o.MaxAttachment
	}
	return a.Size
}

// xw writes indented XML by hand so attachments can be streamed; the first
// error sticks and is returned by flush.
type xw struct {
	w     *bufio.Writer
	err   error
	depth int
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xw) indent() {
	x.raw("\n")
	for i := 0; i < x.depth; i++ {
		x.raw("  ")
	}
}

func (x *xw) open(name string, attrs ...string) {
	x.indent()
	x.raw("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.raw(" " + attrs[i] + `="`)
		x.text(attrs[i+1])
		x.raw(`"`)
	}
	x.raw(">")
	x.depth++
}

func (x *xw) close(name string) {
	x.depth--
	x.indent()
	x.raw("</" + name + ">")
}

func (x *xw) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

func (x *xw) leaf(name, value string) {
	x.indent()
	x.raw("<" + name + ">")
	x.text(value)
	x.raw("</" + name + ">")
}

func (x *xw) flush() error {
	x.raw("\n")
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

const e = "edXML:"

func date(t time.Time) string { return t.In(vntime.Location).Format("2006/01/02") }

func stamp(t time.Time) string { return t.In(vntime.Location).Format("2006/01/02 15:04:05") }

func (x *xw) begin() {
	x.raw(`<?xml version="1.0" encoding="utf-8"?>`)
	x.indent()
	x.raw(`<edXML xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="` + Namespace + `">`)
	x.depth++
	x.open(e+"edXMLEnvelope", "xmlns:edXML", Namespace)
	x.open(e + "edXMLHeader")
}

func (x *xw) org(name string, o Org, inCharge string) {
	x.open(e + name)
	x.leaf(e+"OrganId", o.Code)
	x.leaf(e+"OrganizationInCharge", inCharge)
	x.leaf(e+"OrganName", o.Name)
	if o.Relation == RelSelf || o.Relation == RelInternal {
		x.leaf(e+"OrganAdd", "Trụ sở UBND xã Yên Định, tỉnh Bắc Ninh")
		x.leaf(e+"Email", "ubndxayendinh@bacninh.gov.vn")
		x.leaf(e+"Telephone", "0222 3800 000")
		x.leaf(e+"Fax", "")
		x.leaf(e+"Website", "")
	}
	x.close(e + name)
}

const inCharge = "UBND tỉnh Bắc Ninh"

func (x *xw) messageHeader(d DocSpec) {
	x.open(e + "MessageHeader")
	x.org("From", Org{Code: d.IssuerCode, Name: d.IssuerName, Relation: relOf(d)}, inCharge)
	for _, r := range d.Recipients {
		x.org("To", r, inCharge)
	}
	x.open(e + "Code")
	x.leaf(e+"CodeNumber", d.Number)
	x.leaf(e+"CodeNotation", d.Notation)
	x.close(e + "Code")
	x.open(e + "PromulgationInfo")
	x.leaf(e+"Place", d.Place)
	x.leaf(e+"PromulgationDate", date(d.IssuedOn))
	x.close(e + "PromulgationInfo")
	x.open(e + "DocumentType")
	x.leaf(e+"Type", strconv.Itoa(d.Type.Code))
	x.leaf(e+"TypeName", d.Type.Name)
	x.close(e + "DocumentType")
	x.leaf(e+"Subject", d.Subject)
	x.leaf(e+"Content", d.Subject)
	x.open(e + "SignerInfo")
	x.leaf(e+"Competence", d.Signer.Competence)
	x.leaf(e+"Position", d.Signer.Position)
	x.leaf(e+"FullName", d.Signer.FullName)
	x.close(e + "SignerInfo")
	if !d.DueDate.IsZero() {
		x.leaf(e+"DueDate", date(d.DueDate))
	}
	x.open(e + "ToPlaces")
	for _, r := range d.Recipients {
		x.leaf(e+"Place", r.Name)
	}
	x.leaf(e+"Place", "Lưu: VT")
	x.close(e + "ToPlaces")
	x.open(e + "OtherInfo")
	x.leaf(e+"Priority", strconv.Itoa(d.Priority))
	x.leaf(e+"SphereOfPromulgation", "Liên thông văn bản")
	x.leaf(e+"TyperNotation", "VT")
	x.leaf(e+"PromulgationAmount", strconv.Itoa(len(d.Recipients)+1))
	x.leaf(e+"PageAmount", strconv.Itoa(max(d.Pages, 1)))
	x.close(e + "OtherInfo")
	x.leaf(e+"SteeringType", "0")
	x.leaf(e+"DocumentId", d.DocumentID())
	x.close(e + "MessageHeader")
}

// relOf guesses the issuer's relation for the address block: ours when the
// document is outgoing.
func relOf(d DocSpec) string {
	if d.Direction == "out" {
		return RelSelf
	}
	return RelExternal
}

// hop is one TraceHeader: a system the package went through.
type hop struct {
	organ string
	at    time.Time
}

func (x *xw) trace(hops []hop, docType int, reason, target string) {
	x.open(e + "TraceHeaderList")
	for _, h := range hops {
		x.open(e + "TraceHeader")
		x.leaf(e+"OrganId", h.organ)
		x.leaf(e+"Timestamp", stamp(h.at))
		x.close(e + "TraceHeader")
	}
	x.open(e + "Bussiness")
	x.leaf(e+"BussinessDocType", strconv.Itoa(docType))
	x.leaf(e+"BussinessDocReason", reason)
	if target != "" {
		x.leaf(e+"DocumentId", target)
	}
	x.leaf(e+"Paper", "0")
	x.open(e + "StaffInfo")
	x.leaf(e+"Department", "Văn thư")
	x.leaf(e+"Staff", "Trần Thị Lan")
	x.leaf(e+"Mobile", "0912000111")
	x.leaf(e+"Email", "vanthu@bacninh.gov.vn")
	x.close(e + "StaffInfo")
	x.close(e + "Bussiness")
	x.close(e + "TraceHeaderList")
}

// WritePackage writes the edXML package of document d: the default-namespace
// root, the edXML:-prefixed envelope, a Bussiness block of type 0, the
// manifest and the attachments as base64 wrapped at 76 columns. Attachment
// bytes are generated while they are written: memory does not depend on
// their size.
func WritePackage(w io.Writer, d DocSpec, opts WriteOptions) error {
	x := &xw{w: bufio.NewWriterSize(w, 64<<10)}
	x.begin()
	x.messageHeader(d)
	hops := []hop{{d.IssuerCode, d.IssuedAt}}
	if !d.ArrivedAt.IsZero() {
		hops = append(hops, hop{d.Unit, d.ArrivedAt})
	}
	x.trace(hops, 0, "Văn bản điện tử mới", "")
	x.close(e + "edXMLHeader")
	refs := make([]attachmentRef, len(d.Attachments))
	for i, a := range d.Attachments {
		refs[i] = attachmentRef{a.ContentID, a.Name, a.ContentType, a.Description}
	}
	x.bodyAndAttachments(e, refs, func(i int) {
		x.attachment(d.DocID+d.Attachments[i].ContentID, opts.size(d.Attachments[i]))
	})
	return x.flush()
}

// WriteRevocation writes the package revoking d (BussinessDocType 1): it
// repeats d's MessageHeader and names d in Bussiness/DocumentId. It carries
// no attachments.
func WriteRevocation(w io.Writer, d DocSpec, opts WriteOptions) error {
	x := &xw{w: bufio.NewWriter(w)}
	x.begin()
	x.messageHeader(d)
	at := d.RevokedAt
	if at.IsZero() {
		at = d.IssuedAt.Add(24 * time.Hour)
	}
	reason := d.RevokeReason
	if reason == "" {
		reason = "Thu hồi văn bản điện tử"
	}
	x.trace([]hop{{d.IssuerCode, at}}, 1, reason, d.DocumentID())
	x.close(e + "edXMLHeader")
	x.open(e + "edXMLBody")
	x.open(e+"edXMLManifest", "version", "1.0")
	x.close(e + "edXMLManifest")
	x.close(e + "edXMLBody")
	x.close(e + "edXMLEnvelope")
	x.depth--
	x.indent()
	x.raw("</edXML>")
	return x.flush()
}

// WriteStatus writes the status package st about document d, in the
// national SDK's form: the status fields directly in MessageHeader, no
// TraceHeaderList, no body.
func WriteStatus(w io.Writer, d DocSpec, st StatusSpec) error {
	x := &xw{w: bufio.NewWriter(w)}
	x.begin()
	x.open(e + "MessageHeader")
	x.org("From", st.Reporter, inCharge)
	x.open(e + "ResponseFor")
	x.leaf(e+"OrganId", d.IssuerCode)
	x.leaf(e+"Code", d.Code())
	x.leaf(e+"PromulgationDate", date(d.IssuedOn))
	x.leaf(e+"DocumentId", d.DocumentID())
	x.close(e + "ResponseFor")
	x.open(e + "StaffInfo")
	x.leaf(e+"Department", "Văn thư")
	x.leaf(e+"Staff", st.Staff)
	x.leaf(e+"Mobile", "")
	x.leaf(e+"Email", "")
	x.close(e + "StaffInfo")
	x.leaf(e+"StatusCode", st.Code)
	x.leaf(e+"Description", st.Description)
	x.leaf(e+"Timestamp", stamp(st.At))
	x.close(e + "MessageHeader")
	x.close(e + "edXMLHeader")
	x.close(e + "edXMLEnvelope")
	x.depth--
	x.indent()
	x.raw("</edXML>")
	return x.flush()
}

// lineWriter inserts a newline every 76 characters (MIME base64 lines).
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if l.col == 76 {
			if _, err := l.w.Write([]byte{'\n'}); err != nil {
				return n, err
			}
			l.col = 0
		}
		k := min(76-l.col, len(p))
		m, err := l.w.Write(p[:k])
		n += m
		l.col += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// attachment streams size bytes of a PDF-looking file, base64-encoded.
func (x *xw) attachment(seed string, size int64) {
	x.stream(PDF(seed, size))
}

// PDF returns a reader of exactly size bytes that look like a signed PDF (a
// PDF header, an object with a binary stream, a trailer), generated from
// seed: the same seed gives the same bytes.
func PDF(seed string, size int64) io.Reader {
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed))
	head := "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n3 0 obj\n<< /Length " +
		strconv.FormatInt(max(size-200, 0), 10) + " /Filter /FlateDecode >>\nstream\n"
	tail := "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	if int64(len(head)+len(tail)) > size {
		head, tail = "%PDF-1.7\n", ""
	}
	if int64(len(head)) > size {
		head = head[:size]
	}
	body := size - int64(len(head)) - int64(len(tail))
	return io.MultiReader(
		strings.NewReader(head),
		io.LimitReader(&noise{r: rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))}, body),
		strings.NewReader(tail),
	)
}

// noise is a byte stream from a PRNG; the bytes do not depend on how the
// reader is called (leftover bytes of a word are kept for the next Read).
type noise struct {
	r    *rand.Rand
	buf  [8]byte
	left int
}

func (n *noise) Read(p []byte) (int, error) {
	i := 0
	for i < len(p) {
		if n.left == 0 {
			binary.LittleEndian.PutUint64(n.buf[:], n.r.Uint64())
			n.left = 8
		}
		k := copy(p[i:], n.buf[8-n.left:])
		n.left -= k
		i += k
	}
	return len(p), nil
}

// Message kinds.
const (
	KindDocument   = "document"
	KindRevocation = "revocation"
	KindStatus     = "status"
)

// Message is one package on the axis or in the archive.
type Message struct {
	DocID  string    // axis docId / archive file name
	Type   string    // axis messagetype: "edoc" | "status"
	Kind   string    // KindDocument | KindRevocation | KindStatus
	From   string    // sender OrganId
	To     []string  // recipient OrganIds
	At     time.Time // when it was sent
	Doc    DocSpec   // the document (or the one a status/revocation is about)
	Status StatusSpec
}

// WriteMessage writes m's package.
func WriteMessage(w io.Writer, m Message, opts WriteOptions) error {
	switch m.Kind {
	case KindRevocation:
		return WriteRevocation(w, m.Doc, opts)
	case KindStatus:
		return WriteStatus(w, m.Doc, m.Status)
	case KindDocument:
		return WritePackage(w, m.Doc, opts)
	}
	return fmt.Errorf("edxmlgen: unknown message kind %q", m.Kind)
}

func codes(orgs []Org) []string {
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = o.Code
	}
	return out
}

func docMessages(d DocSpec) []Message {
	ms := []Message{{DocID: d.DocID, Type: "edoc", Kind: KindDocument, From: d.IssuerCode, To: codes(d.Recipients), At: d.IssuedAt, Doc: d}}
	if d.Revoked {
		ms = append(ms, Message{DocID: d.RevokeDocID, Type: "edoc", Kind: KindRevocation, From: d.IssuerCode, To: codes(d.Recipients), At: d.RevokedAt, Doc: d})
	}
	return ms
}

// Inbox returns, in time order, the packages the commune receives over the
// axis: incoming electronic documents from outside the commune, their
// revocations, and the recipients' status reports on the commune's
// outgoing documents.
func Inbox(corpus []DocSpec) []Message {
	var out []Message
	for _, d := range corpus {
		if !d.OnAxis() {
			continue
		}
		if d.Direction == "in" {
			for _, m := range docMessages(d) {
				m.At = m.At.Add(90 * time.Second)
				out = append(out, m)
			}
			continue
		}
		for _, st := range d.Statuses {
			out = append(out, Message{DocID: st.DocID, Type: "status", Kind: KindStatus, From: st.Reporter.Code, To: []string{d.IssuerCode}, At: st.At, Doc: d, Status: st})
		}
	}
	sortMessages(out)
	return out
}

// Outbox returns, in time order, the packages the commune sends over the
// axis: its outgoing electronic documents with an outside recipient and
// their revocations.
func Outbox(corpus []DocSpec) []Message {
	var out []Message
	for _, d := range corpus {
		if d.Direction == "out" && d.OnAxis() {
			out = append(out, docMessages(d)...)
		}
	}
	sortMessages(out)
	return out
}

func sortMessages(ms []Message) {
	// Stable: equal times keep corpus order.
	slices.SortStableFunc(ms, func(a, b Message) int { return a.At.Compare(b.At) })
}

// attachmentRef names one attachment of a package in its manifest and its
// AttachmentEncoded entry.
type attachmentRef struct{ ContentID, Name, ContentType, Description string }

// bodyAndAttachments writes the rest of a package after its edXMLHeader:
// the manifest of refs, the end of the envelope and the attachments, whose
// base64 content writes content(i), then the end of the root.
func (x *xw) bodyAndAttachments(e string, refs []attachmentRef, content func(i int)) {
	x.open(e + "edXMLBody")
	x.open(e+"edXMLManifest", "version", "1.0")
	for _, a := range refs {
		x.open(e+"Reference", "xmlns:xlink", "http://www.w3.org/1999/xlink", "xlink:href", "cid:"+a.ContentID, "xlink:role", "XLinkRole", "xlink:type", "simple")
		x.leaf(e+"Description", a.Description)
		x.leaf(e+"AttachmentName", a.Name)
		x.leaf(e+"ContentType", a.ContentType)
		x.leaf(e+"ContentId", "cid:"+a.ContentID)
		x.close(e + "Reference")
	}
	x.close(e + "edXMLManifest")
	x.close(e + "edXMLBody")
	x.close(e + "edXMLEnvelope")
	x.open("AttachmentEncoded")
	for i, a := range refs {
		x.open("Attachment")
		x.leaf("ContentType", a.ContentType)
		x.leaf("ContentId", a.ContentID)
		x.leaf("Description", a.Description)
		x.indent()
		x.raw("<ContentTransferEncoded>")
		content(i)
		x.raw("</ContentTransferEncoded>")
		x.leaf("AttachmentName", a.Name)
		x.close("Attachment")
	}
	x.close("AttachmentEncoded")
	x.depth--
	x.indent()
	x.raw("</edXML>")
}
