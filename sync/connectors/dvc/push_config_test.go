package dvc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/sync/config"
	"chiso/sync/connector"
)

// The push receiver is the registered type dvc-push: its sample (the http:
// keys that turn it on) loads through the real config loader, and listing
// it under connectors: is a config error naming the line, since it is sent
// its data rather than scheduled.
func TestPushReceiverConfig(t *testing.T) {
	typ, ok := connector.Lookup(PushConnector)
	if !ok || !typ.Receiver || typ.Sample != PushSampleConfig {
		t.Fatalf("registry entry of %s: %+v", PushConnector, typ)
	}
	if err := typ.New().Validate(connector.Env{}); err == nil || !strings.Contains(err.Error(), "push_token") {
		t.Errorf("a receiver without a token validates: %v", err)
	}
	t.Setenv("CHISO_PUSH_TOKEN", "s3cret")
	const org = "org: {self: \"" + unit + "\", directory: org.yaml}\n"
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"sample", org + PushSampleConfig, ""},
		{"listed under connectors", org + "connectors:\n  - name: day\n    type: dvc-push\n",
			`chiso.yaml:3: connectors[day].type: dvc-push is not listed under connectors`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte("units:\n  - {code: \""+unit+"\", name: \"UBND xã\", relation: self}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "chiso.yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.HTTP.PushToken.Reveal() != "s3cret" || cfg.HTTP.PushMaxBodyMB != 64 || len(cfg.Jobs) != 0 {
				t.Errorf("sample decoded to token set %v, body %d MiB, %d jobs", cfg.HTTP.PushToken.IsSet(), cfg.HTTP.PushMaxBodyMB, len(cfg.Jobs))
			}
		})
	}
}
