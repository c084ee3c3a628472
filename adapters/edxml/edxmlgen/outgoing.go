package edxmlgen

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Outgoing is a document package a unit sends itself (chiso writes the
// report package of a snapshot this way): no generated content, the
// attachments' bytes come from readers.
type Outgoing struct {
	From     Org
	To       []Org
	InCharge string // OrganizationInCharge of From and To
	// CodeNumber and CodeNotation are the số and ký hiệu (a package needs
	// a CodeNumber: a placeholder when the QLVB numbers the document).
	CodeNumber, CodeNotation string
	DocumentID               string // "" writes none
	Place                    string
	IssuedOn                 time.Time // PromulgationDate
	Type                     DocType
	Subject                  string
	Content                  string
	Appendix                 string // OtherInfo/Appendixes/Appendix ("" for none)
	At                       time.Time
	Attachments              []OutgoingAttachment
}

// OutgoingAttachment is one attachment of an Outgoing package, read from
// Body while it is written (base64, 76 columns).
type OutgoingAttachment struct {
	ContentID, Name, ContentType, Description string
	Body                                      io.Reader
}

// WriteOutgoing writes the package of o in the form WritePackage writes:
// the default-namespace root, the edXML:-prefixed envelope, a Bussiness
// block of type 0, the manifest and the attachments streamed as base64.
// The signer is left empty: the QLVB adds it when the document is signed.
func WriteOutgoing(w io.Writer, o Outgoing) error {
	if o.From.Code == "" || len(o.To) == 0 || o.Subject == "" || o.IssuedOn.IsZero() || o.CodeNumber == "" {
		return fmt.Errorf("edxmlgen: outgoing package: From, To, CodeNumber, Subject and IssuedOn are required")
	}
	for _, a := range o.Attachments {
		if a.ContentID == "" || a.Name == "" || strings.ContainsAny(a.Name, `/\`) {
			return fmt.Errorf("edxmlgen: outgoing package: attachment %q: a ContentID and a plain file name are required", a.Name)
		}
	}
	x := &xw{w: bufio.NewWriterSize(w, 64<<10)}
	x.begin()
	x.open(e + "MessageHeader")
	x.org("From", Org{Code: o.From.Code, Name: o.From.Name}, o.InCharge)
	for _, r := range o.To {
		x.org("To", Org{Code: r.Code, Name: r.Name}, o.InCharge)
	}
	x.open(e + "Code")
	x.leaf(e+"CodeNumber", o.CodeNumber)
	x.leaf(e+"CodeNotation", o.CodeNotation)
	x.close(e + "Code")
	x.open(e + "PromulgationInfo")
	x.leaf(e+"Place", o.Place)
	x.leaf(e+"PromulgationDate", date(o.IssuedOn))
	x.close(e + "PromulgationInfo")
	x.open(e + "DocumentType")
	x.leaf(e+"Type", strconv.Itoa(o.Type.Code))
	x.leaf(e+"TypeName", o.Type.Name)
	x.close(e + "DocumentType")
	x.leaf(e+"Subject", o.Subject)
	x.leaf(e+"Content", o.Content)
	x.open(e + "SignerInfo")
	x.leaf(e+"Competence", "")
	x.leaf(e+"Position", "")
	x.leaf(e+"FullName", "")
	x.close(e + "SignerInfo")
	x.open(e + "ToPlaces")
	for _, r := range o.To {
		x.leaf(e+"Place", r.Name)
	}
	x.leaf(e+"Place", "Lưu: VT")
	x.close(e + "ToPlaces")
	x.open(e + "OtherInfo")
	x.leaf(e+"Priority", "0")
	x.leaf(e+"SphereOfPromulgation", "Liên thông văn bản")
	x.leaf(e+"TyperNotation", "")
	x.leaf(e+"PromulgationAmount", strconv.Itoa(len(o.To)+1))
	x.leaf(e+"PageAmount", "1")
	if o.Appendix != "" {
		x.open(e + "Appendixes")
		x.leaf(e+"Appendix", o.Appendix)
		x.close(e + "Appendixes")
	}
	x.close(e + "OtherInfo")
	x.leaf(e+"SteeringType", "0")
	if o.DocumentID != "" {
		x.leaf(e+"DocumentId", o.DocumentID)
	}
	x.close(e + "MessageHeader")
	x.open(e + "TraceHeaderList")
	x.open(e + "TraceHeader")
	x.leaf(e+"OrganId", o.From.Code)
	x.leaf(e+"Timestamp", stamp(o.At))
	x.close(e + "TraceHeader")
	x.open(e + "Bussiness")
	x.leaf(e+"BussinessDocType", "0")
	x.leaf(e+"BussinessDocReason", "Văn bản điện tử mới")
	x.leaf(e+"Paper", "0")
	x.close(e + "Bussiness")
	x.close(e + "TraceHeaderList")
	x.close(e + "edXMLHeader")
	refs := make([]attachmentRef, len(o.Attachments))
	for i, a := range o.Attachments {
		refs[i] = attachmentRef{a.ContentID, a.Name, a.ContentType, a.Description}
	}
	x.bodyAndAttachments(e, refs, func(i int) { x.stream(o.Attachments[i].Body) })
	return x.flush()
}

// stream writes r base64-encoded, wrapped at 76 columns.
func (x *xw) stream(r io.Reader) {
	if x.err != nil {
		return
	}
	enc := base64.NewEncoder(base64.StdEncoding, &lineWriter{w: x.w})
	if _, err := io.Copy(enc, r); err != nil {
		x.err = err
		return
	}
	x.err = enc.Close()
}
