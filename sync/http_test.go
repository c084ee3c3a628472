package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/sync/config"
	"chiso/warehouse/warehousetest"
)

// The admin endpoints over real HTTP: with http.admin_token set (required
// off loopback) /metrics and POST /-/reload answer 401 without the token or
// with a wrong one, 200 with it; /healthz and /readyz stay open.
func TestAdminEndpointsNeedToken(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(orgDirectory), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHISO_TEST_ADMIN_TOKEN", "s3cret-admin-token")
	cfgPath := filepath.Join(dir, "chiso.yaml")
	body := `warehouse: {dsn: "postgres://unused"}
http: {listen: "0.0.0.0:0", admin_token: "${CHISO_TEST_ADMIN_TOKEN}"}
org: {self: "000.25.31.H99", directory: org.yaml}
connectors: []
`
	if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, st, cfgPath, &logBuffer{})
	defer d.Stop()
	port := d.Addr().(*net.TCPAddr).Port
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	cases := []struct {
		method, path, auth string
		want               int
	}{
		{"GET", "/metrics", "", http.StatusUnauthorized},
		{"GET", "/metrics", "Bearer wrong", http.StatusUnauthorized},
		{"GET", "/metrics", "s3cret-admin-token", http.StatusUnauthorized}, // no scheme
		{"GET", "/metrics", "Bearer s3cret-admin-token", http.StatusOK},
		{"POST", "/-/reload", "", http.StatusUnauthorized},
		{"POST", "/-/reload", "Bearer s3cret-admin-tokenX", http.StatusUnauthorized},
		{"POST", "/-/reload", "Bearer s3cret-admin-token", http.StatusOK},
		{"GET", "/healthz", "", http.StatusOK},
		{"GET", "/readyz", "", http.StatusOK},
	}
	for _, c := range cases {
		req, err := http.NewRequestWithContext(context.Background(), c.method, base+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s (auth %q): %d, want %d: %s", c.method, c.path, c.auth, resp.StatusCode, c.want, b)
		}
		if resp.StatusCode == http.StatusOK && c.path == "/metrics" && !strings.Contains(string(b), "chiso_config_last_reload_successful") {
			t.Errorf("metrics body lacks chiso metrics")
		}
	}
}

// Off loopback without http.admin_token is a config error naming the key
// and line; on loopback the endpoints may stay open.
func TestAdminTokenRequiredOffLoopback(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(orgDirectory), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		listen  string
		wantErr bool
	}{
		{"0.0.0.0:9464", true},
		{"10.1.2.3:9464", true},
		{":9464", true},
		{"127.0.0.1:9464", false},
		{"localhost:9464", false},
		{"[::1]:9464", false},
	}
	for _, c := range cases {
		p := filepath.Join(dir, "chiso.yaml")
		body := fmt.Sprintf("org: {self: \"000.25.31.H99\", directory: org.yaml}\nhttp:\n  listen: %q\nconnectors: []\n", c.listen)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(p)
		var probs config.Problems
		found := errors.As(err, &probs) && strings.Contains(err.Error(), p+":2: http.admin_token: required when listen")
		if found != c.wantErr {
			t.Errorf("listen %s: err = %v", c.listen, err)
		}
	}
}
