package dvc

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chiso/sync/connector"
	"chiso/warehouse/warehousetest"
)

// Credentials in the portal endpoint (user:password@, a token parameter)
// never reach sync_runs.error (what chiso status prints), Check's error or
// the logs, whatever fails: a refused connection or an HTTP error.
func TestEndpointCredentialsRedacted(t *testing.T) {
	const password, token = "Pa55w0rd-dvc", "T0ken-dvc-123"
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
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := warehousetest.New(t)
			c := newConn(t, "http://chiso:"+password+"@"+tc.host+"/api/dvc?token="+token, now)
			var logs bytes.Buffer
			c.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			if err := c.Validate(connector.Env{Name: "dvc-tinh", Self: unit}); err != nil { // the client takes the logger
				t.Fatal(err)
			}
			if err := syncOnce(t, st, c); err == nil {
				t.Fatal("sync against a failing portal succeeded")
			}
			var stored string
			if err := st.DB.Get(&stored, `SELECT error FROM sync_runs WHERE connector = 'dvc-tinh' ORDER BY id DESC LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			checkErr := c.Check(ctx)
			if checkErr == nil {
				t.Fatal("check against a failing portal succeeded")
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
	c := New()
	c.Endpoint = "ftp://chiso:" + password + "@motcua.example/api/dvc"
	err := c.Validate(connector.Env{Name: "dvc-tinh", Self: unit})
	if err == nil || strings.Contains(err.Error(), password) || !strings.Contains(err.Error(), "endpoint") {
		t.Errorf("Validate: %v", err)
	}
}
