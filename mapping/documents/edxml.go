package documents

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

// Facts are the warehouse facts of one edXML package. Document is set for
// document packages (with its Sighting, whose Source and SourceKey the
// caller fills), Status for status packages, Revocation for revocations
// (BussinessDocType 1) and replacements (3).
type Facts struct {
	Document *facts.Document
	Sighting facts.Sighting
	// Others are the incoming documents of the other communes of the
	// tree that a package reaches (FromPackageByCode), each with its own
	// sighting; empty for FromPackage.
	Others     []Copy
	Status     *facts.DocumentStatus
	Revocation *facts.Revocation
	Class      Classification
	Warnings   []string
}

// Copy is one document a package gives, with its sighting (whose Source
// and SourceKey the caller fills).
type Copy struct {
	Document *facts.Document
	Sighting facts.Sighting
}

// Documents returns every document of f, Document first, then Others.
func (f Facts) Documents() []Copy {
	if f.Document == nil {
		return nil
	}
	return append([]Copy{{f.Document, f.Sighting}}, f.Others...)
}

// Seen is how a source saw a package.
type Seen struct {
	// At is when the source saw the package (a file's mtime, the axis's
	// created_time). It is lineage only: the time a file system or chiso
	// saw a file is never a received date.
	At time.Time
	// AxisAt is the national axis's own record of when the package
	// reached our mailbox (vxp created_time); zero for an archive. It
	// dates an incoming document that carries no trace of its arrival.
	AxisAt time.Time
}

// FromPackage maps a parsed package to facts for the archive or mailbox of
// unit (our unit code). org may be nil (every other code is then
// external); rules nil means DefaultRules.
//
// Direction is out when From/OrganId is unit or one of its internal units,
// else in. Counterparts are the recipients (out) or the sender (in); the
// unit of an incoming document is the first recipient that is ours, else
// unit (see owner; a connector covering many communes checks first that
// the package names one of root's units, UnitByCode). An incoming document's sighting carries the evidence of its
// arrival that the package holds (see Arrival); the warehouse dates the
// document by the best evidence of all its sightings and of the status
// packages our unit sent for it.
func FromPackage(pkg *edxml.Package, unit string, org *orgdir.Directory, rules *Rules, seen Seen) (Facts, error) {
	if rules == nil {
		rules = defaultRules
	}
	unit = strings.ToUpper(strings.TrimSpace(unit))
	var f Facts
	switch pkg.Kind {
	case edxml.KindStatus:
		st, err := statusFact(pkg, seen.AxisAt)
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

	d := &facts.Document{
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
	d.Direction, d.UnitCode, _ = owner(pkg, unit, org)
	if d.Direction == "out" {
		d.Counterparts = append([]string{}, pkg.To...)
		d.EventOn = d.IssuedOn
	} else {
		d.Counterparts = []string{pkg.From}
	}
	// The relation as the document's unit sees it: in a provincial
	// directory a commune's exchange with the province is with a higher
	// agency (orgdir.From), as in the commune's own directory.
	d.CounterpartRelation = org.HighestFrom(d.UnitCode, d.Counterparts)
	f.Document = d
	f.Sighting = facts.Sighting{SeenAt: seen.At, Medium: "electronic"}
	if d.Direction == "in" {
		f.Sighting.ReceivedAt, f.Sighting.ReceivedBy = received(pkg, func(code string) bool { return org.IsOurs(unit, code) }, seen.AxisAt)
		d.EventOn = dateOnly(f.Sighting.ReceivedAt)
	}

	if pkg.BusinessType == 1 || pkg.BusinessType == 3 {
		rev := &facts.Revocation{Kind: pkg.BusinessType, Reason: pkg.BusinessReason, At: lastTrace(pkg)}
		if rev.At.IsZero() {
			rev.At = seen.AxisAt
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
				rev.Target = facts.DocumentRef{DocKey: key, DocumentID: pkg.DocumentID}
			} else {
				rev.Target = facts.DocumentRef{DocKey: id.Key(), DocumentID: pkg.BusinessTarget}
			}
		default:
			rev.Target = facts.DocumentRef{DocKey: key, DocumentID: pkg.DocumentID}
		}
		f.Revocation = rev
	}
	return f, nil
}

// statusFact maps a status package. Its time is its own Timestamp, else
// the axis's record of the package (axisAt); a status with neither is kept
// (its code still moves the lifecycle) dated by its document's date of
// issue and marked Undated, so that it never dates a document.
func statusFact(pkg *edxml.Package, axisAt time.Time) (*facts.DocumentStatus, error) {
	s := pkg.Status
	if s == nil {
		return nil, fmt.Errorf("documents: status package without status fields")
	}
	st := &facts.DocumentStatus{Reporter: pkg.From, Code: s.Code, At: s.Timestamp, Description: s.Description}
	if st.At.IsZero() {
		st.At = axisAt
	}
	target, err := StatusTarget(s.ResponseFor)
	if err != nil {
		return nil, err
	}
	st.Target = target
	if st.At.IsZero() {
		d, err := edxml.ParseDate(s.ResponseFor.PromulgationDate)
		if err != nil {
			return nil, fmt.Errorf("documents: status %s without a usable Timestamp, and ResponseFor/PromulgationDate: %w", s.Code, err)
		}
		st.At, st.Undated = d, true
	}
	return st, nil
}

// StatusTarget identifies the document a status answers: by
// ResponseFor/DocumentId, else by ResponseFor/OrganId + Code +
// PromulgationDate.
func StatusTarget(r edxml.Ref) (facts.DocumentRef, error) {
	if r.DocumentID != "" {
		if id, err := ParseDocumentID(r.DocumentID); err == nil {
			return facts.DocumentRef{DocKey: id.Key(), DocumentID: r.DocumentID}, nil
		}
	}
	if r.OrganID == "" || r.Code == "" || r.PromulgationDate == "" {
		return facts.DocumentRef{}, fmt.Errorf("documents: ResponseFor names no document: DocumentId %q unreadable and OrganId/Code/PromulgationDate incomplete", r.DocumentID)
	}
	d, err := edxml.ParseDate(r.PromulgationDate)
	if err != nil {
		return facts.DocumentRef{}, fmt.Errorf("documents: ResponseFor/PromulgationDate: %w", err)
	}
	number, notation, _ := strings.Cut(r.Code, "/")
	return facts.DocumentRef{
		DocKey:     DocKey(r.OrganID, strconv.Itoa(d.Year()), SeriesRegular, number, notation),
		DocumentID: r.DocumentID,
	}, nil
}

// Arrival is the evidence an incoming package itself carries of when it
// reached our unit: the trace of its arrival at one of our units (the
// latest such TraceHeader), else the axis's own record of the package
// (axisAt, zero for an archive), else its date of issue. The evidence of
// the other sources (status packages our unit sent, the register's "Ngày
// đến") is weighed by the warehouse; the order of all of them is
// facts.ReceivedEvidence.
func Arrival(pkg *edxml.Package, unit string, org *orgdir.Directory, axisAt time.Time) (time.Time, string) {
	return arrival(pkg, func(code string) bool { return org.IsOurs(unit, code) }, axisAt)
}

// received is the evidence of an incoming document's arrival in its
// sighting: Arrival at the units ours accepts, except for a revocation,
// which repeats the header of what it revokes: its trace and its time on
// the axis are those of the revocation, which say nothing of when the
// document itself arrived (its date of issue stands in).
func received(pkg *edxml.Package, ours func(string) bool, axisAt time.Time) (time.Time, string) {
	if pkg.BusinessType == 1 {
		return pkg.PromulgationDate, facts.ReceivedByIssueDate
	}
	return arrival(pkg, ours, axisAt)
}

// arrival is Arrival with the units that count as ours given by ours.
func arrival(pkg *edxml.Package, ours func(string) bool, axisAt time.Time) (time.Time, string) {
	var at time.Time
	for _, t := range pkg.Trace {
		if t.OrganID != "" && !t.At.IsZero() && ours(t.OrganID) && t.At.After(at) {
			at = t.At
		}
	}
	switch {
	case !at.IsZero():
		return at, facts.ReceivedByTrace
	case !axisAt.IsZero():
		return axisAt, facts.ReceivedByAxis
	}
	return pkg.PromulgationDate, facts.ReceivedByIssueDate
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
	v := t.In(vntime.Location)
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
