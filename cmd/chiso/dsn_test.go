package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// check-config fails on a DSN the driver cannot parse, naming FILE:LINE,
// and no command prints the password (the driver's own error quotes it).
func TestCheckConfigBadDSN(t *testing.T) {
	cases := []struct{ name, dsn string }{
		{"space", "postgres://chiso:Kx7 horse@db.xa.local/chiso?sslmode=require"},
		{"percent", "postgres://chiso:Kx7%horse@db.xa.local/chiso?sslmode=require"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyConfigs(t, dir, nil)
			path := filepath.Join(dir, "chiso.example.yaml")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg := strings.Replace(string(b), `  dsn: ""`, `  dsn: ${CHISO_TEST_DSN}`, 1)
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("CHISO_TEST_DSN", c.dsn)
			for _, args := range [][]string{{"check-config"}, {"status"}, {"report", "--period", "2026"}} {
				cmd := args[0]
				var out, errb bytes.Buffer
				code := dispatch(context.Background(), append([]string{"-c", path}, args...), &out, &errb)
				all := out.String() + errb.String()
				if code == 0 {
					t.Errorf("%s: exit 0\n%s", cmd, all)
				}
				if strings.Contains(all, "Kx7") || strings.Contains(all, "horse") {
					t.Errorf("%s prints the password:\n%s", cmd, all)
				}
				want := path + ":" + lineOf(cfg, "CHISO_TEST_DSN") + ": warehouse.dsn: cannot be parsed"
				if !strings.Contains(all, want) {
					t.Errorf("%s: no %q in\n%s", cmd, want, all)
				}
			}
		})
	}
}
