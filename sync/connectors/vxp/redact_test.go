package vxp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"chiso/sync/connector"
	"chiso/sync/connectors/vxp"
	"chiso/warehouse/warehousetest"
)

// Credentials in the endpoint (user:password@, a token parameter) never
// reach sync_runs.error (what chiso status prints), Check's error or the
// logs, whatever fails: a refused connection or an HTTP error.
func TestEndpointCredentialsRedacted(t *testing.T) {
	const password, token = "Pa55w0rd-vxp", "T0ken-vxp-123"
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedHost := refused.Listener.Addr().String()
	refused.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	cases := []struct {
		name, host string
		namesURL   bool // the error names the endpoint (redacted)
	}{
		{"connection refused", refusedHost, true},
		{"HTTP 503", failing.Listener.Addr().String(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := warehousetest.New(t)
			endpoint := "http://axis:" + password + "@" + tc.host + "/vxp?access_token=" + token
			c := newConn(t, endpoint, vxp.ModeObserver, "s3cr3t")
			var logs bytes.Buffer
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			if err := syncOnce(ctx, st, c); err == nil {
				t.Fatal("sync against a failing axis succeeded")
			}
			var stored string
			if err := st.DB.Get(&stored, `SELECT error FROM sync_runs WHERE connector = 'axis' ORDER BY id DESC LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			checkErr := c.Check(ctx)
			if checkErr == nil {
				t.Fatal("check against a failing axis succeeded")
			}
			for what, text := range map[string]string{"sync_runs.error": stored, "check error": checkErr.Error(), "logs": logs.String()} {
				if strings.Contains(text, password) || strings.Contains(text, token) {
					t.Errorf("%s holds a credential: %s", what, text)
				}
			}
			if tc.namesURL && (!strings.Contains(stored, "[redacted]") || !strings.Contains(stored, tc.host)) {
				t.Errorf("sync_runs.error should name the redacted endpoint: %s", stored)
			}
		})
	}
	// A malformed endpoint is printed redacted by check-config too.
	c := vxp.New()
	c.Endpoint = "ftp://axis:" + password + "@lgsp.example/vxp"
	err := c.Validate(connector.Env{Name: "axis", Self: unit, Org: directory()})
	if err == nil || strings.Contains(err.Error(), password) || !strings.Contains(err.Error(), "endpoint") {
		t.Errorf("Validate: %v", err)
	}
}
