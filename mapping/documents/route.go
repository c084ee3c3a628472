package documents

import (
	"fmt"
	"strings"

	"chiso/adapters/edxml"
	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

// Element paths the routing of a package names in its errors (the
// MessageHeader form the national SDK writes).
const (
	pathTo          = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganId"
	pathResponseFor = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/ResponseFor/OrganId"
)

// owner decides the direction of a document package for the archive or
// mailbox of unit, and the unit it belongs to: out, to the sender, when
// From/OrganId is unit or one of its internal units; else in, to the first
// recipient (To/OrganId) that is. ours is false when it is in and none of
// its recipients is unit or under it: the unit is then unit itself (a
// commune's own mailbox holds only what is addressed to it).
func owner(pkg *edxml.Package, unit string, org *orgdir.Directory) (direction, code string, ours bool) {
	if org.IsOurs(unit, pkg.From) {
		return "out", pkg.From, true
	}
	for _, to := range pkg.To {
		if org.IsOurs(unit, to) {
			return "in", to, true
		}
	}
	return "in", unit, false
}

// UnitByCode finds the unit a package belongs to from the organ codes it
// carries, for a connector that covers many communes (the provincial
// document axis, an archive of the province's packages; by_code): a
// document goes to its sender (From/OrganId) when that is root or a unit
// under it (outgoing), else to the first recipient (To/OrganId) that is
// (incoming) — FromPackage's own rule with root as our unit, so that
// FromPackage(pkg, root, …) puts it there. A status package belongs to
// its reporter (From/OrganId) when ours, else to the issuer of the document
// it answers (ResponseFor/OrganId). A package none of whose codes names a
// unit of root's tree is an *edxml.Error naming the field (the package is
// rejected, never counted for the wrong commune, nor for root itself).
func UnitByCode(pkg *edxml.Package, org *orgdir.Directory, root string) (string, error) {
	root = strings.ToUpper(strings.TrimSpace(root))
	if pkg.Kind == edxml.KindStatus {
		if org.IsOurs(root, pkg.From) {
			return pkg.From, nil
		}
		issuer := ""
		if pkg.Status != nil {
			issuer = strings.ToUpper(strings.TrimSpace(pkg.Status.ResponseFor.OrganID))
		}
		if org.IsOurs(root, issuer) {
			return issuer, nil
		}
		return "", &edxml.Error{Path: pathResponseFor, Msg: fmt.Sprintf(
			"neither the reporter (From/OrganId %s) nor the issuer of the document it answers (ResponseFor/OrganId %s) is %s or a unit under it in the org directory; add the unit to the org directory or fix the package",
			organ(org, pkg.From), organ(org, issuer), root)}
	}
	_, code, ours := owner(pkg, root, org)
	if ours {
		return code, nil
	}
	to := make([]string, 0, len(pkg.To))
	for i, c := range pkg.To {
		if i == 5 {
			to = append(to, fmt.Sprintf("… %d more", len(pkg.To)-i))
			break
		}
		to = append(to, organ(org, c))
	}
	if len(to) == 0 {
		to = append(to, "none")
	}
	return "", &edxml.Error{Path: pathTo, Msg: fmt.Sprintf(
		"neither the sender (From/OrganId %s) nor any recipient (To/OrganId %s) is %s or a unit under it in the org directory; add the unit to the org directory or fix the package",
		organ(org, pkg.From), strings.Join(to, ", "), root)}
}

// organ names a code for an error: the code, with its name and relation
// when the org directory knows it.
func organ(org *orgdir.Directory, code string) string {
	if code == "" {
		return `""`
	}
	if u, ok := org.Unit(code); ok {
		return fmt.Sprintf("%s (%s, %s)", code, clip(u.Name, 80), u.Relation)
	}
	return code + " (not in the org directory)"
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// FromPackageByCode maps a package for a connector that covers many
// communes (by_code, root the province): one package gives one document to
// every commune of root's tree it involves, as each commune's own
// warehouse would record it. A document package is the outgoing document
// of its sender when the sender is root or a unit under it, plus one
// incoming document for each other home of the tree among its recipients
// (orgdir.Directory.Home: a commune, or the province for its own units;
// the home of the sender gets none, as its own units exchanging is
// internal): the first recipient within each home, in To order, dated by
// the trace of its arrival at a unit of that home (else the axis's time,
// else its date of issue; see Arrival). Each document's counterpart
// relation is seen from its own unit (orgdir.From). Facts.Document is the
// document of UnitByCode's unit, Facts.Others the rest. Status packages,
// revocations and the errors are FromPackage's and UnitByCode's: a package
// that names no unit of root's tree is UnitByCode's error.
//
// In a directory without levels (a commune's own) the tree is one home:
// the result is FromPackage's.
func FromPackageByCode(pkg *edxml.Package, root string, org *orgdir.Directory, rules *Rules, seen Seen) (Facts, error) {
	root = strings.ToUpper(strings.TrimSpace(root))
	if _, err := UnitByCode(pkg, org, root); err != nil {
		return Facts{}, err
	}
	f, err := FromPackage(pkg, root, org, rules, seen)
	if err != nil || f.Document == nil {
		return f, err
	}
	home := func(code string) string {
		if h := org.Home(code); h != "" {
			return h
		}
		return root
	}
	var docs []Copy
	sender := ""
	if f.Document.Direction == "out" {
		docs = append(docs, Copy{f.Document, f.Sighting})
		sender = home(pkg.From)
	}
	done := map[string]bool{}
	for _, to := range pkg.To {
		if !org.IsOurs(root, to) {
			continue
		}
		h := home(to)
		if h == sender || done[h] {
			continue
		}
		done[h] = true
		d := *f.Document
		d.Direction, d.UnitCode = "in", to
		d.Counterparts = []string{pkg.From}
		d.CounterpartRelation = org.HighestFrom(to, d.Counterparts)
		s := facts.Sighting{SeenAt: seen.At, Medium: "electronic"}
		s.ReceivedAt, s.ReceivedBy = received(pkg, func(code string) bool { return org.IsOurs(h, code) && home(code) == h }, seen.AxisAt)
		d.EventOn = dateOnly(s.ReceivedAt)
		docs = append(docs, Copy{&d, s})
	}
	if len(docs) == 0 {
		return Facts{}, fmt.Errorf("documents: package from %s names no unit of %s", pkg.From, root) // UnitByCode said otherwise
	}
	f.Document, f.Sighting, f.Others = docs[0].Document, docs[0].Sighting, docs[1:]
	return f, nil
}
