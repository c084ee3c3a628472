package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/adapters/vntime"
	"chiso/sync/config"
	"chiso/sync/connector"
	"chiso/sync/secret"
)

// dirConn is a small connector type registered for these tests: a path and
// a secret, validated statically like the real ones.
type dirConn struct {
	Path  string       `yaml:"path"`
	Token secret.Value `yaml:"token"`
	Depth int          `yaml:"depth"`
}

func (c *dirConn) Validate(connector.Env) error {
	if c.Path == "" {
		return connector.Errf("path", "required")
	}
	return nil
}
func (c *dirConn) Check(context.Context) error                { return nil }
func (c *dirConn) Sync(context.Context, connector.Sink) error { return nil }

func init() {
	connector.Register(connector.Type{Name: "test-dir", DefaultSchedule: "@every 1h", New: func() connector.Connector { return &dirConn{Depth: 3} }})
}

const directory = `units:
  - {code: "000.25.31.H99", name: "UBND xã Yên Định", relation: self}
  - {code: "000.00.00.H99", name: "UBND tỉnh", relation: higher}
`

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadValid(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "org.yaml", directory)
	t.Setenv("CHISO_TEST_TOKEN", "s3cret")
	p := write(t, dir, "chiso.yaml", `org: {self: "000.25.31.H99", directory: org.yaml}
connectors:
  - name: archive
    type: test-dir
    schedule: "@every 15m"
    timeout: 5m
    path: /srv/qlvb
    token: ${CHISO_TEST_TOKEN}
`)
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Jobs) != 1 || cfg.Jobs[0].Period.Minutes() != 15 {
		t.Fatalf("jobs = %+v", cfg.Jobs)
	}
	c := cfg.Jobs[0].Conn.(*dirConn)
	if c.Token.Reveal() != "s3cret" || c.Depth != 3 {
		t.Errorf("decoded %+v", c)
	}
	if cfg.Location != vntime.Location || cfg.Warehouse.DataDir != filepath.Join(dir, "var/chiso") {
		t.Errorf("defaults: %v %v", cfg.Location, cfg.Warehouse.DataDir)
	}
}

// Every mistake is reported in one pass, each with its file and line.
func TestLoadReportsAllProblems(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "org.yaml", `units:
  - {code: "000.25.31.H99", name: "UBND xã Yên Định", relation: self}
  - {code: "000.00.00.H99", name: "UBND tỉnh", relation: superior}
`)
	os.Unsetenv("CHISO_MISSING_SECRET")
	p := write(t, dir, "chiso.yaml", `org: {self: "000.25.31.H99", directory: org.yaml}
warehouse:
  dta_dir: /tmp/x
connectors:
  - name: archive
    type: test-dir
    schedule: "@every 5m"
    timeout: 10m
    path: /srv/qlvb
  - name: archive
    type: test-dir
    schedule: "61 * * * *"
    path: /srv/other
    depth: deep
    token: ${CHISO_MISSING_SECRET}
  - name: portal
    type: no-such-type
  - name: empty
    type: test-dir
`)
	_, err := config.Load(p)
	var probs config.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"chiso.yaml:3: warehouse.dta_dir: unknown key",
		"chiso.yaml:8: connectors[archive].timeout: 10m0s is longer than the schedule period 5m0s",
		"chiso.yaml:10: connectors[archive].name: duplicate connector name (first defined on line 5)",
		"chiso.yaml:12: connectors[archive].schedule:",
		"chiso.yaml:14: connectors[archive].depth: cannot unmarshal !!str `deep` into int",
		"chiso.yaml:15: connectors[archive].token: environment variable CHISO_MISSING_SECRET is not set",
		"chiso.yaml:16: connectors[portal].type: unknown connector type \"no-such-type\"",
		"chiso.yaml:18: connectors[empty].path: required",
		"org.yaml:3: units[1].relation: unknown relation \"superior\"",
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	if len(probs) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(probs), len(want), got)
	}
}

func TestSecretRedacts(t *testing.T) {
	s := secret.New("hunter2")
	for _, out := range []string{s.String(), strings.TrimSpace(sprintf("%v %+v %s %#v", s, s, s, s))} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	b, _ := s.MarshalJSON()
	if strings.Contains(string(b), "hunter2") {
		t.Errorf("secret leaked in JSON: %s", b)
	}
	err := errors.New("login failed for " + sprintf("%v", s))
	if strings.Contains(err.Error(), "hunter2") {
		t.Error("secret leaked in error")
	}
}

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		period string
		bad    bool
	}{
		{"@every 15m", "15m0s", false},
		{"*/5 * * * *", "5m0s", false},
		{"0 30 7 * * *", "24h0m0s", false},
		{"0 8 * * 1-5", "24h0m0s", false},
		{"@hourly", "1h0m0s", false},
		{"61 * * * *", "", true},
		{"every day", "", true},
	} {
		_, p, err := config.ParseSchedule(tc.spec)
		if (err != nil) != tc.bad || (!tc.bad && p.String() != tc.period) {
			t.Errorf("%q: period %v err %v", tc.spec, p, err)
		}
	}
}
