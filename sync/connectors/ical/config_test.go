package ical_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/sync/config"
	"chiso/sync/connectors/ical"
	_ "chiso/sync/connectors/meetingsfile"
)

const orgYAML = `units:
  - {code: "000.25.31.H99", name: "UBND xã Yên Định", parent: "000.00.00.H99", relation: self}
  - {code: "001.25.31.H99", name: "Văn phòng HĐND và UBND xã", parent: "000.25.31.H99", relation: internal}
  - {code: "000.00.00.H99", name: "UBND tỉnh Bắc Ninh", relation: higher}
`

func load(t *testing.T, connectors string) (*config.Config, error) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(orgYAML), 0o644)
	p := filepath.Join(dir, "chiso.yaml")
	os.WriteFile(p, []byte("org: {self: \"000.25.31.H99\", directory: org.yaml}\nconnectors:\n"+connectors), 0o644)
	return config.Load(p)
}

// The connectors' keys decode through the real config loader.
func TestConfigDecode(t *testing.T) {
	t.Setenv("ICAL_USER", "vanphong")
	t.Setenv("ICAL_PW", "s3cret")
	cfg, err := load(t, `  - name: lich-hop
    type: ical
    url: https://lich.yendinh.gov.vn/ical/000.25.31.H99.ics
    username: ${ICAL_USER}
    password: ${ICAL_PW}
    window: {past: 30d, future: 8w}
    timeout: 5m
  - name: so-hop
    type: meetings-file
    path: so-hop.xlsx
    unit: "001.25.31.H99"
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Jobs) != 2 {
		t.Fatalf("jobs: %d", len(cfg.Jobs))
	}
	c := cfg.Jobs[0].Conn.(*ical.Connector)
	if c.Unit != "000.25.31.H99" || time.Duration(c.Window.Past) != 30*24*time.Hour || time.Duration(c.Window.Future) != 56*24*time.Hour || c.Password.Reveal() != "s3cret" {
		t.Errorf("decoded %+v", c)
	}
	if cfg.Jobs[0].Period != 30*time.Minute {
		t.Errorf("default schedule of ical: %v", cfg.Jobs[0].Period)
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := load(t, `  - name: lich-hop
    type: ical
    url: https://lich.yendinh.gov.vn/a.ics
    window: {past: 4x}
    colour: red
  - name: so-hop
    type: meetings-file
    unit: "000.00.00.H99"
`)
	if err == nil {
		t.Fatal("want errors")
	}
	t.Log(err)
	for _, want := range []string{"chiso.yaml:6:", "colour", `"4x" is not a length like 35d`, "so-hop", "path: required", "unit:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
