// Package orgdir holds the organisation directory: which agency codes are
// the commune itself, its internal units, higher agencies, peers and so on.
package orgdir

import (
	"slices"
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

// chain returns code (a merged predecessor resolved to its successor) and
// its ancestors through self and internal units, nearest first: the path
// IsOurs walks. It is empty for a code that is not listed, or not self or
// internal.
func (d *Directory) chain(code string) []string {
	code = strings.ToUpper(strings.TrimSpace(code))
	var out []string
	for i := 0; i < 32 && code != ""; i++ {
		u, ok := d.Unit(code)
		if !ok {
			break
		}
		if u.MergedInto != "" {
			code = u.MergedInto
			continue
		}
		if u.Relation != Internal && u.Relation != Self {
			break
		}
		out = append(out, u.Code)
		code = u.Parent
	}
	return out
}

// home is the index in chain of the nearest unit that has a level (-1 for none).
func (d *Directory) home(chain []string) int {
	for i, c := range chain {
		if u, _ := d.Unit(c); u.Level != "" {
			return i
		}
	}
	return -1
}

// Home returns the home of code: the nearest of code and its ancestors
// (through self and internal parents, merged predecessors followed) that
// has a level — in a provincial directory the commune a unit belongs to,
// or the province for the province's own units. It is "" when none has a
// level (a commune's own directory without levels, or a code outside the
// tree).
func (d *Directory) Home(code string) string {
	ch := d.chain(code)
	if i := d.home(ch); i >= 0 {
		return ch[i]
	}
	return ""
}

// From is the directory as seen from one unit's home (see RelationFrom).
type From struct {
	d         *Directory
	home      string
	ancestors []string // above home, nearest first; empty: the directory's own relations stand
	top       string
}

// From returns the view of the directory from unit's home.
func (d *Directory) From(unit string) From {
	ch := d.chain(unit)
	i := d.home(ch)
	if i < 0 || i == len(ch)-1 {
		// No level on the way up (a commune's own directory), or the home
		// is the root itself: the directory's relations are the home's.
		return From{d: d}
	}
	return From{d: d, home: ch[i], ancestors: ch[i+1:], top: ch[len(ch)-1]}
}

// Relation returns the relation of code to the viewpoint's home: self for
// the home (or a predecessor merged into it), internal for a unit under
// it, higher for the units above it (the province, a district) and their
// own units that belong to no lower home, peer for a unit of another home
// of the tree (another commune); a code outside the tree keeps the
// directory's relation. Without a home (no level on the way up from the
// unit, or the home is the root) it is exactly Directory.Relation.
func (f From) Relation(code string) string {
	if f.home == "" {
		return f.d.Relation(code)
	}
	ch := f.d.chain(code)
	if len(ch) == 0 || ch[len(ch)-1] != f.top {
		return f.d.Relation(code)
	}
	if ch[0] == f.home {
		return Self
	}
	if slices.Contains(ch, f.home) {
		return Internal
	}
	h := ch[len(ch)-1]
	if i := f.d.home(ch); i >= 0 {
		h = ch[i]
	}
	if slices.Contains(f.ancestors, ch[0]) || slices.Contains(f.ancestors, h) {
		return Higher
	}
	return Peer
}

// Highest returns the highest relation among codes seen from the home ("" for none).
func (f From) Highest(codes []string) string {
	best := ""
	for _, c := range codes {
		if r := f.Relation(c); rank[r] > rank[best] {
			best = r
		}
	}
	return best
}

// RelationFrom returns the relation of code to the home of unit (the
// commune unit belongs to in a provincial directory): see From.Relation.
// In a commune's own directory it is Relation.
func (d *Directory) RelationFrom(unit, code string) string { return d.From(unit).Relation(code) }

// HighestFrom returns the highest relation among codes as seen from the
// home of unit ("" for none); in a commune's own directory it is Highest.
func (d *Directory) HighestFrom(unit string, codes []string) string {
	return d.From(unit).Highest(codes)
}
