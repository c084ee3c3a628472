package config_test

import (
	"strings"
	"testing"

	"chiso/report"
	"chiso/sync/config"
)

// The config's default periods are report's one definition; a listed
// period with a default id and no label keeps the default label; any other
// period needs a label.
func TestReportPeriodLabels(t *testing.T) {
	cases := []struct {
		name, periods string
		want          []string // labels, or the error fragment when wantErr
		wantErr       bool
	}{
		{"absent: the defaults", "", labels(report.DefaultNamedPeriods), false},
		{"default id without label", `report_periods: [{id: bc6t, from: "01-01", to: "06-15"}]`, []string{"Báo cáo 6 tháng"}, false},
		{"own label kept", `report_periods: [{id: bc6t, label: "Sáu tháng", from: "01-01", to: "06-15"}]`, []string{"Sáu tháng"}, false},
		{"new id without label", `report_periods: [{id: bc9t, from: "01-01", to: "08-31"}]`, []string{`chiso.yaml:2: report_periods[0].label: required for "bc9t"`}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "org.yaml", directory)
			p := write(t, dir, "chiso.yaml", "org: {self: \"000.25.31.H99\", directory: org.yaml}\n"+tc.periods+"\n")
			cfg, err := config.Load(p)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want[0]) {
					t.Fatalf("err = %v, want …%s…", err, tc.want[0])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rp := range cfg.ReportPeriods {
				got = append(got, rp.Label)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
		})
	}
}

func labels(ps []report.NamedPeriod) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Label
	}
	return out
}
