package config

import (
	"fmt"
	"net"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"chiso/warehouse"
)

// Web are the web: keys: who may log in to the web page (issue 15). The
// page is served on http.listen by chiso run and chiso serve, over
// http.tls when it is set.
type Web struct {
	Users []WebUser `yaml:"users"`
}

// WebUser is one entry of web.users.
type WebUser struct {
	Name string `yaml:"name"`
	// PasswordHash is a bcrypt hash (chiso hash-password prints one).
	PasswordHash string `yaml:"password_hash"`
	// Units are the codes of the units the user may see, each with the
	// units under it.
	Units []string `yaml:"units"`
}

// WebOpen reports whether the web page on listen is open to everyone
// without a login: a loopback listen with no web.users (the demo).
func WebOpen(listen string, users int) bool {
	host, _, err := net.SplitHostPort(listen)
	return err == nil && warehouse.IsLoopbackHost(host) && users == 0
}

// CheckWebListen is the rule on where the page may be served: off
// loopback, logins (web.users) travel only over TLS. chiso serve applies
// it to its --listen too.
func CheckWebListen(listen string, tlsOn bool, users int) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return err
	}
	if !warehouse.IsLoopbackHost(host) && users > 0 && !tlsOn {
		return fmt.Errorf("listen (%s) is not loopback and web.users are set: the web page's passwords and sessions need TLS (http.tls.cert_file and key_file)", listen)
	}
	return nil
}

// checkWeb validates web: (after the org directory is loaded).
func (l *loader) checkWeb(cfg *Config, top *yaml.Node) {
	webNode := valueOfKey(top, "web")
	line := lineOfKey(top, "web")
	var items []*yaml.Node
	if u := valueOfKey(webNode, "users"); u != nil && u.Kind == yaml.SequenceNode {
		items = u.Content
	}
	itemLine := func(i int) int {
		if i < len(items) {
			return items[i].Line
		}
		return line
	}
	seen := map[string]int{}
	for i, u := range cfg.Web.Users {
		ln := itemLine(i)
		key := fmt.Sprintf("web.users[%d]", i)
		if u.Name != "" {
			key = fmt.Sprintf("web.users[%s]", u.Name)
		}
		switch {
		case strings.TrimSpace(u.Name) == "":
			l.errf(ln, key+".name", "required: the login name")
		case strings.ContainsAny(u.Name, ":\x00") || strings.TrimSpace(u.Name) != u.Name:
			l.errf(ln, key+".name", "%q: no colon, no leading or trailing space", u.Name)
		default:
			if first, dup := seen[u.Name]; dup {
				l.errf(ln, key+".name", "duplicate user (first on line %d)", first)
			}
			seen[u.Name] = ln
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			l.errf(ln, key+".password_hash", "not a bcrypt hash (make one with: chiso hash-password < password-file)")
		}
		if len(u.Units) == 0 {
			l.errf(ln, key+".units", "required: the codes of the units the user may see (e.g. [%s] for the whole tree)", cfg.Org.Self)
		}
		for _, code := range u.Units {
			if cfg.Directory == nil {
				break
			}
			if _, ok := cfg.Directory.Unit(code); !ok {
				l.errf(ln, key+".units", "%s is not in the org directory", code)
			}
		}
	}
	tlsOn := cfg.HTTP.TLS.CertFile != "" && cfg.HTTP.TLS.KeyFile != ""
	if err := CheckWebListen(cfg.HTTP.Listen, tlsOn, len(cfg.Web.Users)); err != nil {
		l.errf(line, "http.tls", "%v", err)
	}
	host, _, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err == nil && !warehouse.IsLoopbackHost(host) && len(cfg.Web.Users) == 0 {
		l.warnf(lineOfKey(top, "http"), "web.users", "listen (%s) is not loopback and no web.users are set: the web page answers everyone with 401 (add users, or listen on 127.0.0.1 for an open page)", cfg.HTTP.Listen)
	}
}
