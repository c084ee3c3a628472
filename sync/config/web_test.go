package config_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"chiso/sync/config"
)

// TestWebConfig: web.users and where the page may be served, each
// problem named FILE:LINE: key.
func TestWebConfig(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("mat-khau-1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	dir := t.TempDir()
	write(t, dir, "org.yaml", directory)
	write(t, dir, "cert.pem", "x")
	write(t, dir, "key.pem", "x")
	for _, c := range []struct {
		name, body string
		err        string // "" valid
		warn       string
		open       bool
	}{
		{name: "no web block: open on loopback", body: ``, open: true},
		{name: "users on loopback", body: "web:\n  users:\n    - {name: chutich, password_hash: \"" + hash + "\", units: [\"000.25.31.H99\"]}\n"},
		{name: "bad hash", body: "web:\n  users:\n    - {name: a, password_hash: \"plain\", units: [\"000.25.31.H99\"]}\n",
			err: `chiso.yaml:4: web.users[a].password_hash: not a bcrypt hash`},
		{name: "no units", body: "web:\n  users:\n    - {name: a, password_hash: \"" + hash + "\"}\n",
			err: `chiso.yaml:4: web.users[a].units: required`},
		{name: "unknown unit", body: "web:\n  users:\n    - {name: a, password_hash: \"" + hash + "\", units: [\"999.99.99.H99\"]}\n",
			err: `chiso.yaml:4: web.users[a].units: 999.99.99.H99 is not in the org directory`},
		{name: "duplicate", body: "web:\n  users:\n    - {name: a, password_hash: \"" + hash + "\", units: [\"000.25.31.H99\"]}\n    - {name: a, password_hash: \"" + hash + "\", units: [\"000.25.31.H99\"]}\n",
			err: `chiso.yaml:5: web.users[a].name: duplicate user (first on line 4)`},
		{name: "no name", body: "web:\n  users:\n    - {password_hash: \"" + hash + "\", units: [\"000.25.31.H99\"]}\n",
			err: `chiso.yaml:4: web.users[0].name: required`},
		{name: "unknown key", body: "web:\n  users: []\n  tls_cert: x\n", err: `web.tls_cert`},
		{name: "off loopback without TLS", body: "http: {listen: \"0.0.0.0:9464\", admin_token: \"${CHISO_TEST_ADMIN}\"}\nweb:\n  users:\n    - {name: a, password_hash: \"" + hash + "\", units: [\"000.25.31.H99\"]}\n",
			err: `chiso.yaml:3: http.tls: listen (0.0.0.0:9464) is not loopback and web.users are set`},
		{name: "off loopback with TLS", body: "http: {listen: \"0.0.0.0:9464\", admin_token: \"${CHISO_TEST_ADMIN}\", tls: {cert_file: cert.pem, key_file: key.pem}}\nweb:\n  users:\n    - {name: a, password_hash: \"" + hash + "\", units: [\"000.25.31.H99\"]}\n"},
		{name: "off loopback, no users", body: "http: {listen: \"0.0.0.0:9464\", admin_token: \"${CHISO_TEST_ADMIN}\", tls: {cert_file: cert.pem, key_file: key.pem}}\n",
			warn: "web.users: listen (0.0.0.0:9464) is not loopback and no web.users are set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CHISO_TEST_ADMIN", "admin-token")
			p := write(t, dir, "chiso.yaml", "org: {self: \"000.25.31.H99\", directory: org.yaml}\n"+c.body)
			cfg, err := config.Load(p)
			if c.err == "" {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
			} else {
				var probs config.Problems
				if !errors.As(err, &probs) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want %q", err, c.err)
				}
				return
			}
			var warns []string
			for _, w := range cfg.Warnings {
				warns = append(warns, w.String())
			}
			if c.warn != "" && !strings.Contains(strings.Join(warns, "\n"), c.warn) {
				t.Errorf("warnings %v, want %q", warns, c.warn)
			}
			if got := config.WebOpen(cfg.HTTP.Listen, len(cfg.Web.Users)); got != c.open {
				t.Errorf("open %v, want %v", got, c.open)
			}
		})
	}
}
