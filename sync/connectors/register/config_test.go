package register

import (
	"path/filepath"
	"strings"
	"testing"

	"chiso/sync/config"
)

func loadConfig(t *testing.T, connectors string) (*config.Config, error) {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "org.yaml"), "units:\n  - {code: \"000.25.31.H99\", name: \"UBND xã Yên Định\", relation: self}\n")
	p := filepath.Join(dir, "chiso.yaml")
	write(t, p, "org: {self: \"000.25.31.H99\", directory: org.yaml}\nconnectors:"+connectors)
	return config.Load(p)
}

// The sample config documents valid keys: it loads through the real loader.
func TestSampleConfigLoads(t *testing.T) {
	cfg, err := loadConfig(t, strings.TrimPrefix(SampleConfig, "connectors:"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Jobs) != 1 {
		t.Fatalf("jobs: %+v", cfg.Jobs)
	}
	c, ok := cfg.Jobs[0].Conn.(*Connector)
	if !ok || c.Direction != "out" || c.Path != "registers/di" || len(c.Columns["code"]) != 1 || c.env.Self != "000.25.31.H99" {
		t.Errorf("decoded %+v", cfg.Jobs[0].Conn)
	}
}

func TestConfigErrorsNameTheLine(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"\n  - name: so-den\n    type: register-file\n    path: den.csv\n    direction: sideways\n",
			`chiso.yaml:6: connectors[so-den].direction: "sideways": want out or in`},
		{"\n  - name: so-den\n    type: register-file\n    path: den.csv\n    direction: in\n    sheet_name: x\n",
			"chiso.yaml:7: connectors[so-den].sheet_name: unknown key"},
		{"\n  - name: so-den\n    type: register-file\n    path: den.csv\n    direction: in\n    columns: {so: [\"Số\"]}\n",
			"chiso.yaml:7: connectors[so-den].columns.so: unknown field"},
	}
	for _, c := range cases {
		_, err := loadConfig(t, c.yaml)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
