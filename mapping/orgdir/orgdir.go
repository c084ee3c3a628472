// Package orgdir holds the organisation directory: which agency codes are
// the commune itself, its internal units, higher agencies, peers and so on.
package orgdir

import (
	"sort"
	"strings"

	"chiso/adapters/textnorm"
)

// Relations, ordered from the highest to the lowest priority used when a
// document has several counterparts.
const (
	Self     = "self"
	Internal = "internal"
	Higher   = "higher"
	Peer     = "peer"
	Lower    = "lower"
	External = "external"
)

// ValidRelation reports whether r is one of the relation values.
func ValidRelation(r string) bool {
	switch r {
	case Self, Internal, Higher, Peer, Lower, External:
		return true
	}
	return false
}

// rank orders relations for "highest relation among counterparts".
var rank = map[string]int{Higher: 6, Peer: 5, Lower: 4, Self: 3, Internal: 2, External: 1, "": 0}

// Unit is one entry of the directory.
type Unit struct {
	Code       string   `yaml:"code"`
	Name       string   `yaml:"name"`
	Parent     string   `yaml:"parent"`
	Relation   string   `yaml:"relation"`
	MergedInto string   `yaml:"merged_into"`
	Level      string   `yaml:"level"`   // province | district | commune | "" (facts.ValidLevel)
	Aliases    []string `yaml:"aliases"` // other names a register may use
}

// Directory indexes units by code and by normalised name.
type Directory struct {
	Units  []Unit
	byCode map[string]*Unit
	byName map[string]*Unit
}

// New builds a Directory. Codes are compared upper-cased.
func New(units []Unit) *Directory {
	d := &Directory{Units: units, byCode: map[string]*Unit{}, byName: map[string]*Unit{}}
	for i := range d.Units {
		u := &d.Units[i]
		u.Code = strings.ToUpper(strings.TrimSpace(u.Code))
		u.Parent = strings.ToUpper(strings.TrimSpace(u.Parent))
		u.MergedInto = strings.ToUpper(strings.TrimSpace(u.MergedInto))
		d.byCode[u.Code] = u
		d.byName[textnorm.Key(u.Name)] = u
		for _, a := range u.Aliases {
			d.byName[textnorm.Key(a)] = u
		}
	}
	return d
}

// Unit returns the unit with code, if listed.
func (d *Directory) Unit(code string) (Unit, bool) {
	if d == nil {
		return Unit{}, false
	}
	u, ok := d.byCode[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return Unit{}, false
	}
	return *u, true
}

// Relation returns the relation of code; codes not listed are External.
// A predecessor merged into another unit takes that unit's relation.
func (d *Directory) Relation(code string) string {
	u, ok := d.Unit(code)
	if !ok {
		return External
	}
	if u.MergedInto != "" {
		if m, ok := d.Unit(u.MergedInto); ok {
			return m.Relation
		}
	}
	return u.Relation
}

// Known reports whether code is listed.
func (d *Directory) Known(code string) bool { _, ok := d.Unit(code); return ok }

// ByName resolves an agency by name (case- and diacritic-insensitive) or by
// code written in place of a name.
func (d *Directory) ByName(name string) (Unit, bool) {
	if d == nil {
		return Unit{}, false
	}
	if u, ok := d.Unit(name); ok {
		return u, true
	}
	u, ok := d.byName[textnorm.Key(name)]
	if !ok {
		return Unit{}, false
	}
	return *u, true
}

// Highest returns the highest relation among codes ("" for none).
func (d *Directory) Highest(codes []string) string {
	best := ""
	for _, c := range codes {
		r := d.Relation(c)
		if rank[r] > rank[best] {
			best = r
		}
	}
	return best
}

// IsOurs reports whether code is root or one of its internal descendants
// (or a predecessor merged into one of them).
func (d *Directory) IsOurs(root, code string) bool {
	root = strings.ToUpper(root)
	code = strings.ToUpper(strings.TrimSpace(code))
	for i := 0; i < 32 && code != ""; i++ {
		if code == root {
			return true
		}
		u, ok := d.Unit(code)
		if !ok {
			return false
		}
		if u.MergedInto != "" {
			code = u.MergedInto
			continue
		}
		if u.Relation != Internal && u.Relation != Self {
			return false
		}
		code = u.Parent
	}
	return false
}

// Descendants returns root and its internal descendants and merged
// predecessors, sorted.
func (d *Directory) Descendants(root string) []string {
	var out []string
	for _, u := range d.Units {
		if d.IsOurs(root, u.Code) {
			out = append(out, u.Code)
		}
	}
	if !d.Known(root) {
		out = append(out, strings.ToUpper(root))
	}
	sort.Strings(out)
	return out
}
