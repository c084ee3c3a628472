package sync

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"chiso/report"
	"chiso/sync/alerts"
	"chiso/warehouse"
)

// TestExampleAlertRules: docs/canh-bao.rules.yml is valid YAML in the
// Prometheus rule-file shape, and every chiso_* metric its expressions use
// is one the daemon exports.
func TestExampleAlertRules(t *testing.T) {
	b, err := os.ReadFile("../docs/canh-bao.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Labels           map[string]string
				Annotations      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	// Give the vectors a series each so that Gather lists them.
	m.observeRun("x", nil, "ok", timeZero, timeZero, nil)
	m.observeOutlooks([]alerts.UnitOutlook{sampleOutlook()}, true, 1)
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, fam := range fams {
		name := fam.GetName()
		known[name] = true
		known[strings.TrimSuffix(name, "_total")] = true
	}
	metric := regexp.MustCompile(`chiso_[a-z_]+`)
	n := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("group %s: rule %+v lacks alert, expr or summary", g.Name, r)
			}
			for _, name := range metric.FindAllString(r.Expr, -1) {
				if !known[name] {
					t.Errorf("rule %s: %s is not a metric of chiso", r.Alert, name)
				}
			}
		}
	}
	if n < 4 {
		t.Errorf("%d rules", n)
	}
}

var timeZero = time.Time{}

func sampleOutlook() alerts.UnitOutlook {
	v, tg, op := 10.0, 15.0, ">="
	return alerts.UnitOutlook{Unit: warehouse.OrgUnit{Code: "000.25.31.H99"}, Outlooks: []report.Outlook{{
		Indicator: "doc_reduction", Actual: warehouse.KPIRow{Value: &v, Target: &tg, Op: &op}, Projection: &v, Status: report.StatusAtRisk}}}
}
