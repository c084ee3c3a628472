// Package registers maps document-register rows (adapters/register) to
// warehouse documents and sightings: the issuer and recipients resolved
// through the org directory, the type and family classified by
// mapping/documents, and the logical key shared with the archive and the
// axis (architecture.md rule 4). It does no I/O.
package registers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/register"
	"chiso/adapters/textnorm"
	"chiso/adapters/vntime"
	"chiso/mapping/documents"
	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

// Config is what a register file's rows need from the connector's config.
type Config struct {
	Unit           string // our unit: the issuer of outgoing rows, the recipient of incoming ones
	Direction      string // "out" | "in"
	SecretRegister bool   // the separate secret register: every row secret, own number series, no subject
	Org            *orgdir.Directory
	Source         string // sighting source, e.g. "register-file:so-di"
	Base           string // the connector's path: source keys are relative to it
	// Names, when set, memoizes agency-name resolution across the rows of
	// a file (registers repeat the same few names).
	Names *NameCache
}

// NameCache remembers how names resolved. It holds at most a few thousand
// entries; beyond that names are resolved without caching.
type NameCache struct{ m map[string]resolved }

type resolved struct {
	code, key string
	ok        bool
}

// NewNameCache returns an empty cache.
func NewNameCache() *NameCache { return &NameCache{m: map[string]resolved{}} }

const maxCachedNames = 4096

// resolveName resolves name through the cache when there is one.
func (cfg Config) resolveName(name string) resolved {
	if cfg.Names != nil {
		if r, ok := cfg.Names.m[name]; ok {
			return r
		}
	}
	code, ok := resolve(cfg.Org, name)
	r := resolved{code: code, ok: ok}
	if !ok {
		r.key = textnorm.Key(name)
	}
	if cfg.Names != nil && len(cfg.Names.m) < maxCachedNames {
		cfg.Names.m[name] = r
	}
	return r
}

// Roles of an unresolved name.
const (
	RoleIssuer    = "issuer"
	RoleRecipient = "recipient"
)

// Name is an agency name that the org directory could not resolve.
type Name struct {
	Role string // RoleIssuer | RoleRecipient
	Name string // as written
	Key  string // textnorm.Key(Name)
}

// Result is the mapping of one row.
type Result struct {
	Document   facts.Document
	Sighting   facts.Sighting
	Unresolved []Name
	Warnings   []string
}

// FieldError is a row that maps to no document: Field names the register
// field (register.Field*).
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// organID matches a mã định danh written in place of a name (edxml.md §3).
var organID = regexp.MustCompile(`^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2}$`)

// Map turns one register row into the document it records and its sighting.
//
// A secret row (the secret register, or "Độ mật" set) keeps counts and keys
// only: no subject, and no recipient text (a recipient that the org
// directory does not resolve is dropped, with a warning that names none);
// an unresolved issuer is kept as its folded key, which is part of the
// document's key anyway.
func Map(row register.Row, cfg Config) (Result, error) {
	var res Result
	secret := row.Secret || cfg.SecretRegister
	if row.IssuedOn == nil {
		return res, &FieldError{register.FieldIssuedOn, "empty: the document date is needed for its key"}
	}
	d := facts.Document{
		UnitCode:     strings.ToUpper(cfg.Unit),
		Direction:    cfg.Direction,
		CodeNumber:   row.Number,
		CodeNotation: row.Notation,
		Series:       documents.SeriesRegular,
		IsSecret:     row.Secret || cfg.SecretRegister,
		Medium:       row.Medium,
		IssuedOn:     row.IssuedOn,
	}
	if cfg.SecretRegister {
		d.Series = documents.SeriesSecret
	}
	if d.Medium == "" {
		// The register does not say: it proves no electronic copy. An
		// archive or axis sighting of the same document makes it electronic.
		d.Medium = register.Paper
	}

	switch cfg.Direction {
	case "out":
		outgoing(row, cfg, secret, &d, &res)
	case "in":
		if err := incoming(row, cfg, secret, &d, &res); err != nil {
			return res, err
		}
	default:
		return res, fmt.Errorf("registers: direction %q (want out or in)", cfg.Direction)
	}
	if len(d.Counterparts) > 0 {
		d.CounterpartRelation = cfg.Org.HighestFrom(d.UnitCode, d.Counterparts) // as the row's unit sees them (orgdir.From)
	}

	cl := classify(row, d.CodeNumber, d.CodeNotation)
	d.DocType, d.Family = cl.DocType, cl.Family
	res.Warnings = append(res.Warnings, cl.Warnings...)
	if !secret {
		d.Subject = row.TypeSubject
	}
	d.DocKey = documents.DocKey(d.IssuerCode, strconv.Itoa(row.IssuedOn.Year()), d.Series, d.CodeNumber, d.CodeNotation)
	if organID.MatchString(d.IssuerCode) {
		d.DocumentID = d.IssuerCode + "," + row.IssuedOn.Format("2006/01/02") + "," + joinCode(d.CodeNumber, d.CodeNotation)
	}
	res.Document = d
	res.Sighting.Source, res.Sighting.SourceKey, res.Sighting.Medium = cfg.Source, row.SourceKey(cfg.Base), d.Medium
	return res, nil
}

// outgoing: we issued the document, on its date; its recipients are its
// counterparts (a secret row drops, and only counts, those the org
// directory does not resolve).
func outgoing(row register.Row, cfg Config, secret bool, d *facts.Document, res *Result) {
	d.IssuerCode = d.UnitCode
	d.EventOn = row.IssuedOn
	dropped := 0
	for _, name := range row.Recipients {
		r := cfg.resolveName(name)
		if !r.ok && secret {
			dropped++
			continue
		}
		if !r.ok {
			res.Unresolved = append(res.Unresolved, Name{RoleRecipient, name, r.key})
		}
		d.Counterparts = appendUnique(d.Counterparts, r.code)
	}
	if dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d recipient(s) not in the org directory: not recorded for a secret document", dropped))
	}
}

// incoming: the issuer is the counterpart and part of the key (an
// unresolved one as its folded name, so spellings that differ only in case
// or diacritics merge; a secret row keeps no text of it); the row's "Ngày
// đến" dates the arrival, else the document date stands in with a warning.
func incoming(row register.Row, cfg Config, secret bool, d *facts.Document, res *Result) error {
	if row.Issuer == "" {
		return &FieldError{register.FieldIssuer, "empty: the issuing agency is needed for the document's key"}
	}
	r := cfg.resolveName(row.Issuer)
	if !r.ok {
		written := row.Issuer
		if secret {
			written = r.key
		}
		res.Unresolved = append(res.Unresolved, Name{RoleIssuer, written, r.key})
		d.IssuerCode = r.key
		d.Counterparts = []string{written}
	} else {
		d.IssuerCode = r.code
		d.Counterparts = []string{r.code}
	}
	// The row's "Ngày đến" is evidence of the arrival; the warehouse
	// prefers a trace, a status or the axis's time when another source
	// of the same document has one.
	res.Sighting.ReceivedAt, res.Sighting.ReceivedBy = vnMidnight(row.ReceivedOn), facts.ReceivedByRegister
	d.EventOn = row.ReceivedOn
	if d.EventOn == nil {
		d.EventOn = row.IssuedOn
		res.Sighting.ReceivedAt, res.Sighting.ReceivedBy = vnMidnight(row.IssuedOn), facts.ReceivedByIssueDate
		res.Warnings = append(res.Warnings, "received_on empty: the document date stands in for the arrival date")
	}
	return nil
}

// classify decides the row's type: by its type column; without one, by
// the leading words of "Tên loại và trích yếu" when they name a type
// ("Báo cáo kết quả…"), else by the notation.
func classify(row register.Row, number, notation string) documents.Classification {
	if row.DocType != "" {
		return documents.Classify(row.DocType, number, notation)
	}
	cl := documents.Classify(row.TypeSubject, number, notation)
	if cl.By != "type_name" {
		cl = documents.Classify("", number, notation)
	}
	return cl
}

// vnMidnight is the start of a register date (a calendar date) in Vietnam
// time; zero for nil.
func vnMidnight(d *time.Time) time.Time {
	if d == nil {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, vntime.Location)
}

// resolve returns the code of an agency written by name or code; an
// unresolved name comes back as written with ok false. A well-formed code
// that the directory does not list is kept as a code (ok true): it is
// reported as unmapped by the warehouse, not as an unresolved name.
func resolve(dir *orgdir.Directory, name string) (string, bool) {
	if u, ok := dir.ByName(name); ok {
		return u.Code, true
	}
	if c := strings.ToUpper(strings.TrimSpace(name)); organID.MatchString(c) {
		return c, true
	}
	return name, false
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func joinCode(number, notation string) string {
	if notation == "" {
		return number
	}
	return number + "/" + notation
}
