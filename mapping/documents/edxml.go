package documents

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/edxml"
	"chiso/mapping/orgdir"
	"chiso/warehouse"
)

// Facts are the warehouse facts of one edXML package. Document is set for
// document packages (with its Sighting, whose Source and SourceKey the
// caller fills), Status for status packages, Revocation for revocations
// (BussinessDocType 1) and replacements (3).
type Facts struct {
	Document   *warehouse.Document
	Sighting   warehouse.Sighting
	Status     *warehouse.DocumentStatus
	Revocation *warehouse.Revocation
	Class      Classification
	Warnings   []string
}

// FromPackage maps a parsed package to facts for the archive or mailbox of
// unit (our unit code). seen is when the source saw the package (file mtime,
// axis created_time); it dates incoming documents that carry no trace of
// their arrival and statuses without a timestamp. org may be nil (every
// other code is then external); rules nil means DefaultRules.
//
// Direction is out when From/OrganId is unit or one of its internal units,
// else in. Counterparts are the recipients (out) or the sender (in); the
// unit of an incoming document is the first recipient that is ours, else
// unit.
func FromPackage(pkg *edxml.Package, unit string, org *orgdir.Directory, rules *Rules, seen time.Time) (Facts, error) {
	if rules == nil {
		rules = defaultRules
	}
	unit = strings.ToUpper(strings.TrimSpace(unit))
	var f Facts
	switch pkg.Kind {
	case edxml.KindStatus:
		st, err := statusFact(pkg, seen)
		if err != nil {
			return Facts{}, err
		}
		f.Status = st
		return f, nil
	case edxml.KindEdoc:
	default:
		return Facts{}, fmt.Errorf("documents: unknown package kind %q", pkg.Kind)
	}

	f.Class = rules.Classify(pkg.TypeName, pkg.CodeNumber, pkg.CodeNotation)
	f.Warnings = append(f.Warnings, f.Class.Warnings...)
	issued := pkg.PromulgationDate
	key := DocKey(pkg.From, strconv.Itoa(issued.Year()), SeriesRegular, pkg.CodeNumber, pkg.CodeNotation)

	d := &warehouse.Document{
		DocKey:       key,
		DocumentID:   pkg.DocumentID,
		IssuerCode:   pkg.From,
		CodeNumber:   pkg.CodeNumber,
		CodeNotation: pkg.CodeNotation,
		Series:       SeriesRegular,
		DocType:      f.Class.DocType,
		Family:       f.Class.Family,
		Medium:       "electronic", // it travelled as edXML
		IssuedOn:     dateOnly(issued),
		Subject:      pkg.Subject,
		Priority:     pkg.Priority,
	}
	if org.IsOurs(unit, pkg.From) {
		d.Direction = "out"
		d.UnitCode = pkg.From
		d.Counterparts = append([]string{}, pkg.To...)
		d.EventOn = d.IssuedOn
	} else {
		d.Direction = "in"
		d.UnitCode = unit
		for _, to := range pkg.To {
			if org.IsOurs(unit, to) {
				d.UnitCode = to
				break
			}
		}
		d.Counterparts = []string{pkg.From}
		d.EventOn = receivedOn(pkg, unit, org, seen)
	}
	d.CounterpartRelation = org.Highest(d.Counterparts)
	f.Document = d
	f.Sighting = warehouse.Sighting{SeenAt: seen, Medium: "electronic"}

	if pkg.BusinessType == 1 || pkg.BusinessType == 3 {
		rev := &warehouse.Revocation{Kind: pkg.BusinessType, Reason: pkg.BusinessReason, At: lastTrace(pkg)}
		if rev.At.IsZero() {
			rev.At = seen
		}
		if rev.At.IsZero() {
			rev.At = issued
		}
		switch {
		case pkg.BusinessTarget != "":
			id, err := ParseDocumentID(pkg.BusinessTarget)
			if err != nil {
				if pkg.BusinessType == 3 {
					return Facts{}, fmt.Errorf("documents: replaced document: %w", err)
				}
				// A revocation repeats the header of what it revokes.
				f.Warnings = append(f.Warnings, fmt.Sprintf("revocation target %q unreadable (%v): the package's own header is used", pkg.BusinessTarget, err))
				rev.Target = warehouse.DocumentRef{DocKey: key, DocumentID: pkg.DocumentID}
			} else {
				rev.Target = warehouse.DocumentRef{DocKey: id.Key(), DocumentID: pkg.BusinessTarget}
			}
		default:
			rev.Target = warehouse.DocumentRef{DocKey: key, DocumentID: pkg.DocumentID}
		}
		f.Revocation = rev
	}
	return f, nil
}

func statusFact(pkg *edxml.Package, seen time.Time) (*warehouse.DocumentStatus, error) {
	s := pkg.Status
	if s == nil {
		return nil, fmt.Errorf("documents: status package without status fields")
	}
	st := &warehouse.DocumentStatus{Reporter: pkg.From, Code: s.Code, At: s.Timestamp, Description: s.Description}
	if st.At.IsZero() {
		st.At = seen
	}
	if st.At.IsZero() {
		return nil, fmt.Errorf("documents: status %s without a usable Timestamp", s.Code)
	}
	target, err := StatusTarget(s.ResponseFor)
	if err != nil {
		return nil, err
	}
	st.Target = target
	return st, nil
}

// StatusTarget identifies the document a status answers: by
// ResponseFor/DocumentId, else by ResponseFor/OrganId + Code +
// PromulgationDate.
func StatusTarget(r edxml.Ref) (warehouse.DocumentRef, error) {
	if r.DocumentID != "" {
		if id, err := ParseDocumentID(r.DocumentID); err == nil {
			return warehouse.DocumentRef{DocKey: id.Key(), DocumentID: r.DocumentID}, nil
		}
	}
	if r.OrganID == "" || r.Code == "" || r.PromulgationDate == "" {
		return warehouse.DocumentRef{}, fmt.Errorf("documents: ResponseFor names no document: DocumentId %q unreadable and OrganId/Code/PromulgationDate incomplete", r.DocumentID)
	}
	d, err := edxml.ParseDate(r.PromulgationDate)
	if err != nil {
		return warehouse.DocumentRef{}, fmt.Errorf("documents: ResponseFor/PromulgationDate: %w", err)
	}
	number, notation, _ := strings.Cut(r.Code, "/")
	return warehouse.DocumentRef{
		DocKey:     DocKey(r.OrganID, strconv.Itoa(d.Year()), SeriesRegular, number, notation),
		DocumentID: r.DocumentID,
	}, nil
}

// receivedOn dates an incoming document: the trace of its arrival at one of
// our units, else when the source saw it, else its date of issue.
func receivedOn(pkg *edxml.Package, unit string, org *orgdir.Directory, seen time.Time) *time.Time {
	var at time.Time
	for _, t := range pkg.Trace {
		if t.OrganID != "" && !t.At.IsZero() && org.IsOurs(unit, t.OrganID) && t.At.After(at) {
			at = t.At
		}
	}
	if at.IsZero() {
		at = seen
	}
	if at.IsZero() {
		at = pkg.PromulgationDate
	}
	return dateOnly(at)
}

func lastTrace(pkg *edxml.Package) time.Time {
	var at time.Time
	for _, t := range pkg.Trace {
		if t.At.After(at) {
			at = t.At
		}
	}
	return at
}

// dateOnly is the Vietnam calendar date of t, as midnight UTC (a date column).
func dateOnly(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.In(edxml.Vietnam)
	d := time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// Inspect builds the `chiso inspect edxml` record of a package, classified
// with rules (nil: DefaultRules).
func Inspect(file string, pkg *edxml.Package, rules *Rules) edxml.Inspect {
	if rules == nil {
		rules = defaultRules
	}
	var c edxml.Class
	if pkg.Kind == edxml.KindEdoc {
		cl := rules.Classify(pkg.TypeName, pkg.CodeNumber, pkg.CodeNotation)
		c = edxml.Class{DocType: cl.DocType, TypeName: cl.Label, Family: cl.Family, Warnings: cl.Warnings}
	}
	return edxml.NewInspect(file, pkg, c)
}
