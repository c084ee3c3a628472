package config

import (
	yaml "go.yaml.in/yaml/v3"

	"chiso/warehouse"
)

// Coverage are the coverage: keys: how the completeness of the facts is
// judged (issue 16, docs/chi-tieu.md). A month of a source whose records
// fall under Threshold × what history expected, and that unlikely by
// chance (Poisson probability under Significance), is a gap.
type Coverage struct {
	// Threshold is the share of the expected records under which a month
	// is low (default 0.5: under half).
	Threshold *float64 `yaml:"threshold"`
	// Significance is how unlikely by chance a low month must be (default
	// 0.001): a small source's quiet month is not a gap.
	Significance *float64 `yaml:"significance"`
}

// Settings are the coverage settings with the defaults filled in.
func (c Coverage) Settings() warehouse.CoverageSettings {
	s := warehouse.DefaultCoverage
	if c.Threshold != nil {
		s.Threshold = *c.Threshold
	}
	if c.Significance != nil {
		s.Significance = *c.Significance
	}
	return s
}

func (l *loader) checkCoverage(cfg *Config, top *yaml.Node) {
	node := valueOfKey(top, "coverage")
	line := lineOfKey(top, "coverage")
	if t := cfg.Coverage.Threshold; t != nil && !(*t > 0 && *t <= 1) {
		l.errf(keyLine(node, "threshold", line), "coverage.threshold", "%v: want a share above 0 and at most 1 (0.5: under half of what was expected)", *t)
	}
	if s := cfg.Coverage.Significance; s != nil && !(*s > 0 && *s < 1) {
		l.errf(keyLine(node, "significance", line), "coverage.significance", "%v: want a probability above 0 and under 1 (default 0.001)", *s)
	}
}

// keyLine is the line of key in the mapping node, else def.
func keyLine(node *yaml.Node, key string, def int) int {
	if node == nil {
		return def
	}
	return lineOfKey(node, key)
}
