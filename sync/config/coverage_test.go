package config_test

import (
	"strings"
	"testing"

	"chiso/sync/config"
	"chiso/warehouse"
)

// The coverage: block: defaults, values, and every mistake with its line.
func TestCoverageBlock(t *testing.T) {
	for _, c := range []struct {
		name, block string
		want        warehouse.CoverageSettings
		errs        []string
	}{
		{name: "absent: defaults", want: warehouse.DefaultCoverage},
		{name: "empty block: defaults", block: "coverage: {}\n", want: warehouse.DefaultCoverage},
		{name: "set", block: "coverage:\n  threshold: 0.4\n  significance: 0.01\n", want: warehouse.CoverageSettings{Threshold: 0.4, Significance: 0.01}},
		{name: "out of range", block: "coverage:\n  threshold: 0\n  significance: 1\n",
			errs: []string{"chiso.yaml:3: coverage.threshold: 0: want a share above 0 and at most 1", "chiso.yaml:4: coverage.significance: 1: want a probability above 0 and under 1"}},
		{name: "unknown key", block: "coverage:\n  treshold: 0.5\n", errs: []string{"chiso.yaml:3: coverage.treshold: unknown key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "org.yaml", directory)
			p := write(t, dir, "chiso.yaml", "org: {self: \"000.25.31.H99\", directory: org.yaml}\n"+c.block)
			cfg, err := config.Load(p)
			if len(c.errs) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, e := range c.errs {
					if !strings.Contains(err.Error(), e) {
						t.Errorf("missing %q in:\n%s", e, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Coverage.Settings(); got != c.want {
				t.Errorf("settings %+v, want %+v", got, c.want)
			}
		})
	}
}
