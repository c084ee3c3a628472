package config

import (
	"fmt"
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

type directoryFile struct {
	Units []orgdir.Unit `yaml:"units"`
}

// readYAMLFile reads path and strictly decodes it into v; on failure the
// loader holds the problems and ok is false.
func readYAMLFile(path, what string, v any) (l *loader, root *yaml.Node, ok bool) {
	l = &loader{file: path}
	b, err := os.ReadFile(path)
	if err != nil {
		l.errf(0, "", "%s: %v", what, err)
		return l, nil, false
	}
	root = &yaml.Node{}
	if err := yaml.Unmarshal(b, root); err != nil {
		line, msg := lineOf(err.Error(), 1)
		l.errf(line, "", "%s", msg)
		return l, nil, false
	}
	if len(root.Content) == 0 {
		l.errf(1, "", "the file is empty")
		return l, nil, false
	}
	return l, root, l.decode(root, v, "")
}

// LoadDirectory reads and validates an org directory file.
func LoadDirectory(path string) (*orgdir.Directory, Problems) {
	var f directoryFile
	l, root, ok := readYAMLFile(path, "org directory", &f)
	if !ok {
		return nil, l.problems
	}
	seqNode := valueOfKey(root.Content[0], "units")
	line := func(i int) int {
		if seqNode != nil && i < len(seqNode.Content) {
			return seqNode.Content[i].Line
		}
		return 1
	}
	codes := map[string]int{}
	selfCount := 0
	for i, u := range f.Units {
		key := fmt.Sprintf("units[%d]", i)
		code := strings.ToUpper(strings.TrimSpace(u.Code))
		if code == "" {
			l.errf(line(i), key+".code", "required")
		} else if strings.ContainsAny(code, " \t,;/") || len(code) > 35 {
			l.errf(line(i), key+".code", "%q is not an agency code (at most 35 letters, digits and dots)", u.Code)
		}
		if first, dup := codes[code]; dup && code != "" {
			l.errf(line(i), key+".code", "duplicate code %s (first on line %d)", code, first)
		}
		codes[code] = line(i)
		if strings.TrimSpace(u.Name) == "" {
			l.errf(line(i), key+".name", "required")
		}
		if !orgdir.ValidRelation(u.Relation) {
			l.errf(line(i), key+".relation", "unknown relation %q (want one of self, internal, higher, peer, lower, external)", u.Relation)
		}
		if !facts.ValidLevel(u.Level) {
			l.errf(line(i), key+".level", "unknown level %q (want province, district or commune, or leave it out)", u.Level)
		}
		if u.Relation == orgdir.Self {
			selfCount++
		}
	}
	for i, u := range f.Units {
		for _, ref := range []struct{ k, v string }{{"parent", u.Parent}, {"merged_into", u.MergedInto}} {
			if ref.v == "" {
				continue
			}
			if _, ok := codes[strings.ToUpper(strings.TrimSpace(ref.v))]; !ok && ref.k == "merged_into" {
				l.errf(line(i), fmt.Sprintf("units[%d].%s", i, ref.k), "%s is not in the directory", ref.v)
			}
		}
	}
	if selfCount > 1 {
		l.errf(1, "units", "%d units have relation self; exactly one unit is the commune", selfCount)
	}
	if len(l.problems) > 0 {
		return nil, l.problems
	}
	return orgdir.New(f.Units), nil
}

// Target is one target of the targets file.
type Target struct {
	Indicator string  `yaml:"indicator"`
	Op        string  `yaml:"op"` // >=, <=, =
	Value     float64 `yaml:"value"`
	Label     string  `yaml:"label"`
	// Unit is a unit code for a target of that unit alone (a commune of a
	// province with a stricter or looser value); empty: every unit.
	Unit string `yaml:"unit"`
}

// Targets is a targets file: the targets of one plan year.
type Targets struct {
	Year    int      `yaml:"year"`
	Plan    string   `yaml:"plan"`
	Targets []Target `yaml:"targets"`
}

// TargetIndicators are the indicators a targets file may set.
var TargetIndicators = []string{
	"doc_reduction", "meeting_reduction", "meeting_online_share", "dossier_full_online_share",
	"result_digitized_share", "electronic_exchange_share", "meeting_materials_ahead_share",
	"meeting_discussion_share", "meeting_duration_share", "commune_wide_conferences",
}

// LoadTargets reads and validates a targets file; a target's unit must be
// in dir (when dir lists any unit).
func LoadTargets(path string, dir *orgdir.Directory) (*Targets, Problems) {
	var t Targets
	l, root, ok := readYAMLFile(path, "targets", &t)
	if !ok {
		return nil, l.problems
	}
	if t.Year < 2000 || t.Year > 2100 {
		l.errf(lineOfKey(root.Content[0], "year"), "year", "%d is not a plan year", t.Year)
	}
	known := map[string]bool{}
	for _, id := range TargetIndicators {
		known[id] = true
	}
	seqNode := valueOfKey(root.Content[0], "targets")
	seen := map[string]bool{}
	for i, tg := range t.Targets {
		line := 1
		if seqNode != nil && i < len(seqNode.Content) {
			line = seqNode.Content[i].Line
		}
		key := fmt.Sprintf("targets[%d]", i)
		if !known[tg.Indicator] {
			l.errf(line, key+".indicator", "unknown indicator %q", tg.Indicator)
		}
		unitKey := strings.ToUpper(strings.TrimSpace(tg.Unit))
		if seen[tg.Indicator+"\x00"+unitKey] {
			if unitKey == "" {
				l.errf(line, key+".indicator", "duplicate target for %s", tg.Indicator)
			} else {
				l.errf(line, key+".indicator", "duplicate target for %s of unit %s", tg.Indicator, unitKey)
			}
		}
		seen[tg.Indicator+"\x00"+unitKey] = true
		if unitKey != "" && dir != nil && len(dir.Units) > 0 && !dir.Known(unitKey) {
			l.errf(line, key+".unit", "%s is not in the org directory", tg.Unit)
		}
		if tg.Op != ">=" && tg.Op != "<=" && tg.Op != "=" {
			l.errf(line, key+".op", "%q: want >=, <= or =", tg.Op)
		}
	}
	if len(l.problems) > 0 {
		return nil, l.problems
	}
	return &t, nil
}
