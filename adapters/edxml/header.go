package edxml

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// envelopePath is the path of the elements built as a tree.
const envelopePath = "edXML/edXMLEnvelope"

// statusMeanings lists the status codes of edxml.md §2.
var statusMeanings = map[string]string{
	"01": "đã đến", "02": "từ chối tiếp nhận", "03": "đã tiếp nhận", "04": "phân công",
	"05": "đang xử lý", "06": "hoàn thành", "13": "lấy lại / thu hồi",
	"15": "đồng ý cập nhật / lấy lại / thu hồi", "16": "từ chối cập nhật / lấy lại / thu hồi",
}

// StatusMeaning returns the Vietnamese meaning of a status code ("" if unknown).
func StatusMeaning(code string) string { return statusMeanings[code] }

// elPath is the element path of e, e.g. edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From.
func elPath(e *node) string {
	var parts []string
	for x := e; x != nil; x = x.Parent() {
		parts = append(parts, x.Tag)
	}
	var b strings.Builder
	b.WriteString(envelopePath)
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

func childPath(e *node, local string) string { return elPath(e) + "/" + local }

// kids returns the children of e with namespace NS and one of the local names.
func kids(e *node, locals ...string) []*node {
	if e == nil {
		return nil
	}
	var out []*node
	for c := range e.ChildElementsSeq() {
		if matches(c, locals) {
			out = append(out, c)
		}
	}
	return out
}

// kid returns the first child of e in NS with one of the local names.
func kid(e *node, locals ...string) *node {
	if e == nil {
		return nil
	}
	for c := range e.ChildElementsSeq() {
		if matches(c, locals) {
			return c
		}
	}
	return nil
}

func matches(c *node, locals []string) bool {
	for _, l := range locals {
		if c.Tag == l {
			return c.NamespaceURI() == NS
		}
	}
	return false
}

// text returns the trimmed text of the first child named local ("" if none).
func text(e *node, locals ...string) string {
	c := kid(e, locals...)
	if c == nil {
		return ""
	}
	return strings.TrimSpace(c.Text())
}

// freeText returns the trimmed text of the first child named local, cut
// to MaxTextChars characters with a warning.
func freeText(pkg *Package, e *node, locals ...string) string {
	c := kid(e, locals...)
	if c == nil {
		return ""
	}
	return cutText(pkg, c, c.Text())
}

// cutText trims a free-text value of element e and cuts it to MaxTextChars
// characters, with a warning naming the field.
func cutText(pkg *Package, e *node, s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= MaxTextChars {
		return s // no more bytes than the limit, so no more characters
	}
	n := 0
	for i := range s {
		if n == MaxTextChars {
			total := n + utf8.RuneCountInString(s[i:])
			pkg.warnf(elPath(e), "%d characters, more than %d (MaxTextChars): kept cut to the first %d", total, MaxTextChars, MaxTextChars)
			return s[:i]
		}
		n++
	}
	return s
}

// identText returns the trimmed text of the first child named local, an
// identifying field: longer than MaxIdentChars characters is an error.
func (p *parser) identText(e *node, locals ...string) (string, error) {
	c := kid(e, locals...)
	if c == nil {
		return "", nil
	}
	return p.ident(c, c.Text())
}

// ident trims an identifying value of element e and checks its length.
func (p *parser) ident(e *node, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxIdentChars {
		if n := utf8.RuneCountInString(s); n > MaxIdentChars {
			return "", p.errf(elPath(e), "%d characters, more than %d (MaxIdentChars): far beyond any real identifier", n, MaxIdentChars)
		}
	}
	return s, nil
}

// ref reads a ResponseFor element (of a document or a status).
func (p *parser) ref(rf *node) (Ref, error) {
	var r Ref
	var err error
	for _, f := range []struct {
		local string
		dst   *string
	}{{"OrganId", &r.OrganID}, {"Code", &r.Code}, {"PromulgationDate", &r.PromulgationDate}, {"DocumentId", &r.DocumentID}} {
		if *f.dst, err = p.identText(rf, f.local); err != nil {
			return Ref{}, err
		}
	}
	r.OrganID = strings.ToUpper(r.OrganID)
	return r, nil
}

// one returns the single child named local, an error if there are several.
func (p *parser) one(e *node, local string) (*node, error) {
	ks := kids(e, local)
	if len(ks) > 1 {
		return nil, p.errf(childPath(e, local), "element appears %d times, expected once", len(ks))
	}
	if len(ks) == 0 {
		return nil, nil
	}
	return ks[0], nil
}

// optInt parses an optional integer child; an empty element is no value.
func (p *parser) optInt(e *node, local string) (*int, error) {
	c := kid(e, local)
	if c == nil {
		return nil, nil
	}
	s := strings.TrimSpace(c.Text())
	if s == "" {
		return nil, nil
	}
	n, err := parseInt(s)
	if err != nil {
		return nil, p.errf(elPath(c), "%v", err)
	}
	return &n, nil
}

// extract reads the header tree into pkg and checks it.
func (p *parser) extract(pkg *Package) error {
	if p.envelopes == 0 {
		return p.errf("edXML", "no edXMLEnvelope")
	}
	if p.header == nil {
		return p.errf(envelopePath, "no edXMLHeader")
	}
	h := p.header
	mh, err := p.one(h, "MessageHeader")
	if err != nil {
		return err
	}
	st := kid(h, "Status")
	if st == nil && mh != nil {
		st = kid(mh, "Status")
	}
	if mh == nil && st == nil {
		return p.errf(elPath(h), "no MessageHeader")
	}
	hasCode := mh != nil && kid(mh, "Code") != nil
	statusCodeEl := kid(st, "StatusCode")
	if statusCodeEl == nil {
		statusCodeEl = kid(mh, "StatusCode")
	}
	switch {
	case hasCode && st != nil:
		return p.errf(elPath(st), "the header is both a document (MessageHeader/Code) and a status (Status)")
	case hasCode && statusCodeEl != nil:
		return p.errf(elPath(statusCodeEl), "the header is both a document (Code) and a status (StatusCode)")
	case hasCode:
		pkg.Kind = KindEdoc
		if err := p.document(pkg, mh); err != nil {
			return err
		}
	case statusCodeEl != nil || st != nil:
		pkg.Kind = KindStatus
		if err := p.status(pkg, mh, st, statusCodeEl); err != nil {
			return err
		}
	default:
		at := mh
		if at == nil {
			at = h
		}
		return p.errf(elPath(at), "the header is neither a document (no Code) nor a status (no StatusCode)")
	}
	p.signature(pkg, h)
	if p.attachErr != nil {
		return p.attachErr
	}
	if pkg.Kind == KindEdoc {
		return p.manifest(pkg)
	}
	return nil
}

// organ validates the OrganId of a From or To element.
func (p *parser) organ(pkg *Package, e *node) (string, error) {
	c := kid(e, "OrganId")
	if c == nil {
		return "", p.errf(childPath(e, "OrganId"), "missing OrganId")
	}
	code, standard, err := CheckOrganID(c.Text())
	if err != nil {
		return "", p.errf(elPath(c), "%v", err)
	}
	if !standard {
		pkg.warnf(elPath(c), "non-standard OrganId %q", code)
	}
	return code, nil
}

func (p *parser) from(pkg *Package, parents ...*node) error {
	var from *node
	var parent *node
	for _, e := range parents {
		if e == nil {
			continue
		}
		if parent == nil {
			parent = e
		}
		f, err := p.one(e, "From")
		if err != nil {
			return err
		}
		if f != nil {
			from = f
			break
		}
	}
	if from == nil {
		return p.errf(childPath(parent, "From"), "missing From (the sender)")
	}
	code, err := p.organ(pkg, from)
	if err != nil {
		return err
	}
	pkg.From = code
	pkg.FromName = freeText(pkg, from, "OrganName")
	return nil
}

func (p *parser) document(pkg *Package, mh *node) error {
	if err := p.from(pkg, mh); err != nil {
		return err
	}
	for _, step := range []func(*parser, *Package, *node) error{
		(*parser).recipients, (*parser).code, (*parser).promulgation, (*parser).documentType,
		(*parser).subject, (*parser).dueDate, (*parser).otherInfo, (*parser).responses, (*parser).documentID,
	} {
		if err := step(p, pkg, mh); err != nil {
			return err
		}
	}
	return p.trace(pkg, mh)
}

// The steps of document, in the order it runs them: each reads one part
// of the message header into pkg, returns the error that rejects the
// package, or records a warning.

// recipients reads To: at least one, each an organ; a repeated one is
// warned about and kept once.
func (p *parser) recipients(pkg *Package, mh *node) error {
	tos := kids(mh, "To")
	if len(tos) == 0 {
		return p.errf(childPath(mh, "To"), "no To (a document needs at least one recipient)")
	}
	seen := map[string]bool{}
	for _, t := range tos {
		code, err := p.organ(pkg, t)
		if err != nil {
			return err
		}
		if seen[code] {
			pkg.warnf(elPath(t), "recipient %s listed twice", code)
			continue
		}
		seen[code] = true
		pkg.To = append(pkg.To, code)
	}
	return nil
}

// code reads Code: CodeNumber (required, not empty) and CodeNotation.
func (p *parser) code(pkg *Package, mh *node) error {
	code, err := p.one(mh, "Code")
	if err != nil {
		return err
	}
	cn := kid(code, "CodeNumber")
	if cn == nil {
		return p.errf(childPath(code, "CodeNumber"), "missing CodeNumber")
	}
	if pkg.CodeNumber, err = p.ident(cn, cn.Text()); err != nil {
		return err
	}
	if pkg.CodeNumber == "" {
		return p.errf(elPath(cn), "empty CodeNumber")
	}
	if pkg.CodeNotation, err = p.identText(code, "CodeNotation"); err != nil {
		return err
	}
	return nil
}

// promulgation reads PromulgationInfo: the date of issue (required: it
// places the document in a period) and the place.
func (p *parser) promulgation(pkg *Package, mh *node) error {
	pi, err := p.one(mh, "PromulgationInfo")
	if err != nil {
		return err
	}
	if pi == nil {
		return p.errf(childPath(mh, "PromulgationInfo"), "missing PromulgationInfo (the date of issue)")
	}
	pd := kid(pi, "PromulgationDate")
	if pd == nil {
		return p.errf(childPath(pi, "PromulgationDate"), "missing PromulgationDate")
	}
	d, err := ParseDate(pd.Text())
	if err != nil {
		return p.errf(elPath(pd), "%v: the document cannot be placed in a period", err)
	}
	pkg.PromulgationDate = d
	pkg.Place = freeText(pkg, pi, "Place")
	return nil
}

// documentType reads DocumentType (optional): Type, TypeDetail, TypeName.
func (p *parser) documentType(pkg *Package, mh *node) error {
	var err error
	if dt := kid(mh, "DocumentType"); dt != nil {
		if pkg.TypeNumber, err = p.optInt(dt, "Type"); err != nil {
			return err
		}
		if _, err = p.optInt(dt, "TypeDetail"); err != nil {
			return err
		}
		pkg.TypeName = freeText(pkg, dt, "TypeName")
	}
	return nil
}

// subject reads Subject (trích yếu): required, not empty, cut to size.
func (p *parser) subject(pkg *Package, mh *node) error {
	subj := kid(mh, "Subject")
	if subj == nil {
		return p.errf(childPath(mh, "Subject"), "missing Subject (trích yếu)")
	}
	pkg.Subject = cutText(pkg, subj, subj.Text())
	if pkg.Subject == "" {
		return p.errf(elPath(subj), "empty Subject (trích yếu)")
	}
	return nil
}

// dueDate reads DueDate (optional): an unreadable one is ignored and one
// before the date of issue is warned about.
func (p *parser) dueDate(pkg *Package, mh *node) error {
	if dd := kid(mh, "DueDate"); dd != nil && strings.TrimSpace(dd.Text()) != "" {
		due, err := ParseDate(dd.Text())
		if err != nil {
			pkg.warnf(elPath(dd), "%v: ignored", err)
		} else {
			pkg.DueDate = &due
			if due.Before(pkg.PromulgationDate) {
				pkg.warnf(elPath(dd), "DueDate %s is before PromulgationDate %s", due.Format("2006-01-02"), pkg.PromulgationDate.Format("2006-01-02"))
			}
		}
	}
	return nil
}

// otherInfo reads OtherInfo (Priority 0..4, amounts) and SteeringType.
func (p *parser) otherInfo(pkg *Package, mh *node) error {
	var err error
	if oi := kid(mh, "OtherInfo"); oi != nil {
		if pkg.Priority, err = p.optInt(oi, "Priority"); err != nil {
			return err
		}
		if pkg.Priority != nil && (*pkg.Priority < 0 || *pkg.Priority > 4) {
			return p.errf(childPath(oi, "Priority"), "Priority %d outside 0..4", *pkg.Priority)
		}
		for _, f := range []string{"PromulgationAmount", "PageAmount"} {
			if _, err := p.optInt(oi, f); err != nil {
				return err
			}
		}
	}
	pkg.SnapshotID = snapshotID(mh)
	if pkg.SteeringType, err = p.optInt(mh, "SteeringType"); err != nil {
		return err
	}
	return nil
}

// responses reads ResponseFor: the documents this one answers.
func (p *parser) responses(pkg *Package, mh *node) error {
	for _, rf := range kids(mh, "ResponseFor") {
		r, err := p.ref(rf)
		if err != nil {
			return err
		}
		if r != (Ref{}) {
			pkg.ResponseFor = append(pkg.ResponseFor, r)
		}
	}
	return nil
}

// documentID reads DocumentId: missing is a warning; one that is not
// OrganId,yyyy/MM/dd,code of the sender, or whose date is not the date of
// issue, is warned about.
func (p *parser) documentID(pkg *Package, mh *node) error {
	docID, err := p.one(mh, "DocumentId")
	if err != nil {
		return err
	}
	if docID == nil || strings.TrimSpace(docID.Text()) == "" {
		pkg.warnf(childPath(mh, "DocumentId"), "no DocumentId")
	} else {
		if pkg.DocumentID, err = p.ident(docID, docID.Text()); err != nil {
			return err
		}
		p.checkDocumentID(pkg, elPath(docID), pkg.DocumentID, pkg.From, "From/OrganId")
		if _, date, _, ok := SplitDocumentID(pkg.DocumentID); ok {
			if d, err := ParseDate(date); err == nil && !d.Equal(pkg.PromulgationDate) {
				pkg.warnf(elPath(docID), "DocumentId date %s differs from PromulgationDate %s", d.Format("2006-01-02"), pkg.PromulgationDate.Format("2006-01-02"))
			}
		}
	}
	return nil
}

// checkDocumentID warns when a DocumentId is not OrganId,yyyy/MM/dd,code or
// its issuer is not the sender.
func (p *parser) checkDocumentID(pkg *Package, path, id, from, fromLabel string) {
	issuer, date, code, ok := SplitDocumentID(id)
	if !ok || issuer == "" || code == "" {
		pkg.warnf(path, "DocumentId %q is not in the standard form OrganId,yyyy/MM/dd,number/notation", id)
		return
	}
	if !isStandardDate(date) {
		if _, err := ParseDate(date); err != nil {
			pkg.warnf(path, "DocumentId %q: %v", id, err)
		} else {
			pkg.warnf(path, "DocumentId %q: date %q is not in the form yyyy/MM/dd", id, date)
		}
	}
	if from != "" && !strings.EqualFold(issuer, from) {
		pkg.warnf(path, "DocumentId issuer %s differs from %s %s", issuer, fromLabel, from)
	}
}

// trace reads TraceHeaderList: trace headers and the Bussiness block.
func (p *parser) trace(pkg *Package, mh *node) error {
	tl := kid(p.header, "TraceHeaderList")
	for _, th := range kids(tl, "TraceHeader") {
		t := Trace{}
		id := kid(th, "OrganId")
		switch {
		case id == nil:
			pkg.warnf(childPath(th, "OrganId"), "TraceHeader without OrganId")
		default:
			v := strings.TrimSpace(id.Text())
			switch {
			case v == "" || strings.EqualFold(v, "null"):
				pkg.warnf(elPath(id), "TraceHeader OrganId is %q", v)
			case len(v) > MaxIdentChars:
				pkg.warnf(elPath(id), "TraceHeader OrganId of %d bytes, more than %d (MaxIdentChars): ignored", len(v), MaxIdentChars)
			default:
				t.OrganID = strings.ToUpper(v)
			}
		}
		if ts := kid(th, "Timestamp"); ts != nil {
			at, err := ParseTimestamp(ts.Text())
			if err != nil {
				pkg.warnf(elPath(ts), "%v: ignored", err)
			} else {
				t.At = at
			}
		}
		pkg.Trace = append(pkg.Trace, t)
	}

	bus := kids(tl, "Bussiness", "Business")
	if len(bus) == 0 {
		path := envelopePath + "/edXMLHeader/TraceHeaderList/Bussiness"
		if tl == nil {
			path = envelopePath + "/edXMLHeader/TraceHeaderList"
		}
		pkg.warnf(path, "missing Bussiness block: read as a new document (BussinessDocType 0)")
		return nil
	}
	if len(bus) > 1 {
		return p.errf(elPath(bus[1]), "Bussiness appears %d times, expected once", len(bus))
	}
	b := bus[0]
	typ := kid(b, "BussinessDocType", "BusinessDocType")
	if typ != nil && strings.TrimSpace(typ.Text()) != "" {
		n, err := parseInt(typ.Text())
		if err != nil {
			return p.errf(elPath(typ), "%v", err)
		}
		if n < 0 || n > 3 {
			return p.errf(elPath(typ), "BussinessDocType %d outside 0..3", n)
		}
		pkg.BusinessType = n
	}
	pkg.BusinessReason = freeText(pkg, b, "BussinessDocReason", "BusinessDocReason")
	var err error
	if pkg.Paper, err = p.optInt(b, "Paper"); err != nil {
		return err
	}
	if pkg.BusinessType == 0 {
		return nil
	}
	if id, err := p.identText(b, "DocumentId"); err != nil || id != "" {
		pkg.BusinessTarget = id
		return err
	}
	if pkg.BusinessType == 3 {
		for _, ri := range kids(kid(b, "ReplacementInfoList"), "ReplacementInfo") {
			if id, err := p.identText(ri, "DocumentId"); err != nil || id != "" {
				pkg.BusinessTarget = id
				return err
			}
		}
	}
	pkg.BusinessTargetSelf = true
	pkg.warnf(elPath(b), "BussinessDocType %d names no target DocumentId: the target is taken from the package's own header (fallback)", pkg.BusinessType)
	return nil
}

// status reads a status package: the fields sit in MessageHeader (the
// national SDK) or in a Status element (some libraries).
func (p *parser) status(pkg *Package, mh, st, codeEl *node) error {
	if err := p.from(pkg, st, mh); err != nil {
		return err
	}
	// field returns the first of st/mh that has the child.
	field := func(local string) *node {
		if c := kid(st, local); c != nil {
			return c
		}
		return kid(mh, local)
	}
	parent := st
	if parent == nil {
		parent = mh
	}
	if codeEl == nil {
		return p.errf(childPath(parent, "StatusCode"), "missing StatusCode")
	}
	code := strings.TrimSpace(codeEl.Text())
	if len(code) != 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9' {
		return p.errf(elPath(codeEl), "StatusCode %q is not two digits", code)
	}
	s := &Status{Code: code}
	if _, known := statusMeanings[code]; !known {
		pkg.warnf(elPath(codeEl), "unknown status code %q: kept", code)
	}
	if d := field("Description"); d != nil {
		s.Description = cutText(pkg, d, d.Text())
	}
	if code == "02" && s.Description == "" {
		return p.errf(childPath(parent, "Description"), "status 02 (refused) without a reason in Description")
	}
	rf := field("ResponseFor")
	if rf == nil {
		return p.errf(childPath(parent, "ResponseFor"), "status without ResponseFor: no way to identify the original document")
	}
	r, err := p.ref(rf)
	if err != nil {
		return err
	}
	s.ResponseFor = r
	if r.DocumentID == "" && (r.Code == "" || r.PromulgationDate == "") {
		return p.errf(elPath(rf), "no way to identify the original document: neither DocumentId nor Code with PromulgationDate")
	}
	if r.DocumentID != "" {
		p.checkDocumentID(pkg, childPath(rf, "DocumentId"), r.DocumentID, r.OrganID, "ResponseFor/OrganId")
	}
	if r.DocumentID == "" || !docIDParsable(r.DocumentID) {
		if _, err := ParseDate(r.PromulgationDate); err != nil && r.PromulgationDate != "" {
			pkg.warnf(childPath(rf, "PromulgationDate"), "%v", err)
		}
	}
	if ts := field("Timestamp"); ts == nil || strings.TrimSpace(ts.Text()) == "" {
		pkg.warnf(childPath(parent, "Timestamp"), "status without Timestamp")
	} else if at, err := ParseTimestamp(ts.Text()); err != nil {
		pkg.warnf(elPath(ts), "%v: ignored", err)
	} else {
		s.Timestamp = at
	}
	pkg.Status = s
	return nil
}

func docIDParsable(id string) bool {
	_, date, _, ok := SplitDocumentID(id)
	if !ok {
		return false
	}
	_, err := ParseDate(date)
	return err == nil
}

// signature decides signed/unsigned. Signatures are never verified (the seen
// values are placeholders); an unusable one is a warning, never an error.
func (p *parser) signature(pkg *Package, h *node) {
	var sig *node
	for c := range h.ChildElementsSeq() {
		if (c.Tag == "Signature" || c.Tag == "DigitalSignature") && (c.NamespaceURI() == NS || c.NamespaceURI() == NSDSig) {
			sig = c
			break
		}
	}
	if sig == nil || (sig.FindElement("*") == nil && strings.TrimSpace(sig.Text()) == "") {
		return
	}
	var value, cert string
	var walk func(e *node)
	walk = func(e *node) {
		for c := range e.ChildElementsSeq() {
			switch c.Tag {
			case "SignatureValue":
				value = strings.Join(strings.Fields(c.Text()), "")
			case "X509Certificate":
				if cert == "" {
					cert = strings.Join(strings.Fields(c.Text()), "")
				}
			}
			walk(c)
		}
	}
	walk(sig)
	if value == "" {
		pkg.warnf(elPath(sig), "placeholder signature: no SignatureValue (read as unsigned)")
		return
	}
	pkg.Signed = true
	if _, err := base64.StdEncoding.DecodeString(value); err != nil {
		pkg.warnf(elPath(sig), "placeholder signature: SignatureValue is not base64 (not verified)")
		return
	}
	der, err := base64.StdEncoding.DecodeString(cert)
	if cert == "" || err != nil {
		pkg.warnf(elPath(sig), "placeholder signature: no usable X509Certificate (not verified)")
		return
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		pkg.warnf(elPath(sig), "placeholder signature: X509Certificate does not parse (not verified)")
	}
}

// manifest cross-checks edXMLBody/edXMLManifest/Reference with the
// attachments that streamed by.
func (p *parser) manifest(pkg *Package) error {
	byID := map[string]int{}
	for i, a := range p.attachments {
		if err := checkAttachmentName(a.Name); err != nil {
			return p.errf("edXML/AttachmentEncoded/Attachment/AttachmentName", "%v", err)
		}
		if a.ContentID == "" {
			continue
		}
		if _, dup := byID[a.ContentID]; dup {
			return p.errf("edXML/AttachmentEncoded/Attachment/ContentId", "duplicate ContentId %q", a.ContentID)
		}
		byID[a.ContentID] = i
	}
	pkg.Attachments = p.attachments

	if p.earlyForm {
		pkg.warnf(envelopePath+"/edXMLAttachments", "early gateway form: %d attachment(s) in edXMLEnvelope/edXMLAttachments, no manifest", len(p.attachments))
		return nil
	}
	mf := kid(p.body, "edXMLManifest")
	refs := kids(mf, "Reference")
	used := map[string]bool{}
	for _, ref := range refs {
		id := text(ref, "ContentId")
		if id == "" {
			id = ref.SelectAttrValue("href", "")
		}
		id = strings.TrimPrefix(strings.TrimSpace(id), "cid:")
		name := text(ref, "AttachmentName")
		if err := checkAttachmentName(name); err != nil {
			return p.errf(childPath(ref, "AttachmentName"), "%v", err)
		}
		if id == "" {
			return p.errf(childPath(ref, "ContentId"), "Reference %q without ContentId", name)
		}
		if used[id] {
			return p.errf(childPath(ref, "ContentId"), "duplicate ContentId %q in the manifest", id)
		}
		used[id] = true
		i, ok := byID[id]
		if !ok {
			return p.errf(elPath(ref), "Reference cid:%s (%q) has no payload in AttachmentEncoded", id, name)
		}
		if p.attachments[i].Size == 0 {
			return p.errf(elPath(ref), "Reference cid:%s (%q) has an empty payload", id, name)
		}
	}
	for _, a := range p.attachments {
		if a.ContentID == "" || !used[a.ContentID] {
			pkg.warnf("edXML/AttachmentEncoded/Attachment", "orphan attachment %q (ContentId %q) not in the manifest", a.Name, a.ContentID)
		}
	}
	return nil
}

// checkAttachmentName refuses names that could escape a folder when saved.
func checkAttachmentName(name string) error {
	if strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("unsafe AttachmentName %q: path separators are not allowed", name)
	}
	if name == ".." || strings.Contains(name, "..") && (strings.HasPrefix(name, "..") || strings.HasSuffix(name, "..")) {
		return fmt.Errorf("unsafe AttachmentName %q: \"..\" is not allowed", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("unsafe AttachmentName %q: control character", name)
		}
	}
	return nil
}

// snapshotToken marks the id of a chiso snapshot (chốt số liệu) in the
// text of a report package chiso wrote: "chiso-snapshot:" and 64 hex digits.
var snapshotToken = regexp.MustCompile(`chiso-snapshot:([0-9a-f]{64})`)

// snapshotID finds the snapshot id of a report package chiso wrote: in
// MessageHeader/Content, else in OtherInfo/Appendixes/Appendix ("" when
// neither carries one).
func snapshotID(mh *node) string {
	texts := []string{text(mh, "Content")}
	for _, a := range kids(kid(kid(mh, "OtherInfo"), "Appendixes"), "Appendix") {
		texts = append(texts, a.Text())
	}
	for _, t := range texts {
		if m := snapshotToken.FindStringSubmatch(t); m != nil {
			return m[1]
		}
	}
	return ""
}
