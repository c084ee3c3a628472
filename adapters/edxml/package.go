// Package edxml reads edXML document and status packages (QCVN 102:2016 and
// its 2022 amendment) as the national axis, QLVB systems and their archives
// exchange them.
//
// Parsing is streaming: the file is tokenized by a fast path for the common
// shapes of markup and by encoding/xml for everything else (so what is
// accepted and the syntax errors are encoding/xml's), attachment payloads are
// validated (base64) and measured by a byte scanner without being held in
// memory, and only the header and the manifest are built as a small element
// tree, whose elements are then matched by namespace URI and local name,
// never by prefix.
// What real producers send is tolerated as edxml.md lists it (with
// warnings); everything else that is wrong is an *Error naming the file, the
// element path and the problem.
package edxml

import (
	"fmt"
	"time"
)

// Namespace URIs.
const (
	// NS is the QCVN 102:2016 namespace (unchanged in 2022).
	NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
	// NSDSig is the XML-DSig namespace some producers put Signature in.
	NSDSig = "http://www.w3.org/2000/09/xmldsig#"
)

// Kinds of package.
const (
	KindEdoc   = "edoc"
	KindStatus = "status"
)

// DefaultMaxSize is the default size limit of a package (256 MiB): far
// larger than any real package, small enough to refuse garbage early.
const DefaultMaxSize int64 = 256 << 20

// Options tune Parse.
type Options struct {
	// MaxSize is the largest accepted package in bytes; 0 means DefaultMaxSize.
	MaxSize int64
}

func (o Options) maxSize() int64 {
	if o.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return o.MaxSize
}

// Package is what chiso keeps of one edXML package: the header facts, the
// attachment inventory and the warnings about departures from the standard.
type Package struct {
	Kind string // KindEdoc or KindStatus

	From     string   // From/OrganId, upper-cased
	FromName string   // From/OrganName
	To       []string // To/OrganId, upper-cased, duplicates removed (edoc)

	CodeNumber       string
	CodeNotation     string    // kept as written: never upper-cased or folded
	PromulgationDate time.Time // date of issue (Vietnam midnight); zero for status packages
	Place            string
	TypeNumber       *int // DocumentType/Type: producer-specific numbering
	TypeName         string
	Subject          string
	DueDate          *time.Time
	Priority         *int // OtherInfo/Priority 0..4 (urgency)
	SteeringType     *int // meaning uncertain: kept, not interpreted
	DocumentID       string
	ResponseFor      []Ref // documents this one answers (edoc)
	// SnapshotID is the id of the chiso snapshot (chốt số liệu) a report
	// package chiso wrote carries ("chiso-snapshot:ID" in Content or in
	// OtherInfo/Appendixes/Appendix); "" otherwise.
	SnapshotID string

	// BusinessType is Bussiness/BussinessDocType: 0 new, 1 revoke, 2 update,
	// 3 replace (0 when there is no Bussiness block).
	BusinessType   int
	BusinessReason string
	// BusinessTarget is the DocumentId the package revokes, updates or
	// replaces (types 1..3). Empty with BusinessTargetSelf set when the
	// target is the package's own header identity (the fallback).
	BusinessTarget     string
	BusinessTargetSelf bool
	Paper              *int // meaning uncertain: kept, not interpreted

	Trace []Trace

	Status *Status // status packages only

	Attachments []Attachment
	Signed      bool

	Warnings []string
}

// Ref identifies another document: ResponseFor of a document or a status.
type Ref struct {
	OrganID          string
	Code             string // "number/notation"
	PromulgationDate string // as written
	DocumentID       string
}

// Trace is one TraceHeader: a system the package went through.
type Trace struct {
	OrganID string
	At      time.Time // zero when missing or unparsable (warned)
}

// Status is the status part of a status package.
type Status struct {
	Code        string // two digits, e.g. "01"
	ResponseFor Ref    // the original document
	Timestamp   time.Time
	Description string
}

// Attachment is one attachment, measured but not kept.
type Attachment struct {
	ContentID   string // without "cid:"
	Name        string
	ContentType string
	Description string
	Size        int64 // decoded bytes
}

// AttachmentCount is the number of attachments.
func (p *Package) AttachmentCount() int { return len(p.Attachments) }

// Code returns "number/notation" (just the number when there is no notation).
func (p *Package) Code() string {
	if p.CodeNotation == "" {
		return p.CodeNumber
	}
	return p.CodeNumber + "/" + p.CodeNotation
}

func (p *Package) warnf(path, format string, args ...any) {
	p.Warnings = append(p.Warnings, path+": "+fmt.Sprintf(format, args...))
}

// Error is an invalid package: the file, the element path (e.g.
// edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId) and the problem.
type Error struct {
	File string
	Path string // empty for problems of the file as a whole
	Msg  string
	Err  error // underlying error, if any
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.File != "" {
		s = e.File + ": " + s
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// CheckComplete applies the checks every accepted real sample passes
// (TestRealSamples): a sender, kind edoc or status; a document with
// recipients, a date of issue and attachments; a status naming the
// document it is about. Packages chiso writes pass them too.
func CheckComplete(p *Package) error {
	if p.From == "" || (p.Kind != KindEdoc && p.Kind != KindStatus) {
		return fmt.Errorf("incomplete package: kind %q from %q", p.Kind, p.From)
	}
	if p.Kind == KindEdoc && (len(p.To) == 0 || p.PromulgationDate.IsZero() || len(p.Attachments) == 0) {
		return fmt.Errorf("document without recipients, date or attachments: %d recipients, date %v, %d attachments",
			len(p.To), p.PromulgationDate, len(p.Attachments))
	}
	if p.Kind == KindStatus && (p.Status == nil || p.Status.ResponseFor.DocumentID == "") {
		return fmt.Errorf("status without its original document: %+v", p.Status)
	}
	return nil
}
