package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCheckConfigExample(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), []string{"-c", "../../configs/chiso.example.yaml", "check-config"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "OK (15 units, 8 connectors, 10 targets for 2026)") {
		t.Errorf("stdout: %s", out.String())
	}
}

// Three different mistakes: all three reported, each with its line.
func TestCheckConfigThreeMistakes(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile("../../configs/chiso.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"org-directory.example.yaml", "targets-2026.yaml", "procedures.example.csv", "secrets/vxp.secret", "secrets/dvc.username", "secrets/dvc.password"} {
		b, err := os.ReadFile(filepath.Join("../../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	cfg := string(example)
	// 1: an unknown key; 2: a bad cron spec; 3: a missing ${ENV} secret.
	cfg = strings.Replace(cfg, "  data_dir: ../var/chiso", "  data_dri: ../var/chiso", 1)
	cfg = strings.Replace(cfg, `schedule: "@every 30m"`, `schedule: "every half hour"`, 1)
	cfg = strings.Replace(cfg, "secret: file:secrets/vxp.secret", "secret: ${CHISO_TEST_UNSET_SECRET}", 1)
	os.Unsetenv("CHISO_TEST_UNSET_SECRET")
	path := filepath.Join(dir, "chiso.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)

	var out, errb bytes.Buffer
	code := dispatch(context.Background(), []string{"check-config", "-c", path}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	want := map[string]string{
		"warehouse.data_dri: unknown key":                  lineOf(cfg, "data_dri:"),
		`connectors[lich-hop].schedule: "every half hour"`: lineOf(cfg, "every half hour"),
		"CHISO_TEST_UNSET_SECRET is not set":               lineOf(cfg, "CHISO_TEST_UNSET_SECRET"),
	}
	if len(lines) != 3 {
		t.Errorf("%d lines, want 3:\n%s", len(lines), errb.String())
	}
	for frag, line := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, path+":"+line+": ") && strings.Contains(l, frag) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %s:%s: …%s… in\n%s", path, line, frag, errb.String())
		}
	}
}

func lineOf(text, frag string) string {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, frag) {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}
