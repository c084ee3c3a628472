package sync

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func (d *Daemon) routes() {
	d.mux.Handle("GET /metrics", d.adminOnly(d.metrics.Handler()))
	d.mux.HandleFunc("GET /healthz", d.healthz)
	d.mux.HandleFunc("GET /readyz", d.readyz)
	d.mux.Handle("POST /-/reload", d.adminOnly(http.HandlerFunc(d.reloadHandler)))
}

// adminOnly guards h with http.admin_token (Authorization: Bearer TOKEN)
// when one is configured; the config loader requires one whenever listen
// is not loopback. The token is read from the running config, so a reload
// that changes it applies at once.
func (d *Daemon) adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := d.Config().HTTP.AdminToken
		if want.IsSet() {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want.Reveal())) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="chiso"`)
				http.Error(w, "unauthorized: send Authorization: Bearer <http.admin_token>", http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// healthz: the process is up; while the embedded warehouse is down and
// being restarted it answers 503 with the cause, so that a dead database
// is not taken for a healthy daemon.
func (d *Daemon) healthz(w http.ResponseWriter, r *http.Request) {
	if down := d.warehouseDown(); down != "" {
		http.Error(w, "unhealthy: "+down, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// readyz: the warehouse answers and a config is loaded.
func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if d.Config() == nil {
		http.Error(w, "not ready: no config loaded", http.StatusServiceUnavailable)
		return
	}
	if down := d.warehouseDown(); down != "" {
		http.Error(w, "not ready: "+down, http.StatusServiceUnavailable)
		return
	}
	if err := d.store.DB.PingContext(ctx); err != nil {
		http.Error(w, "not ready: warehouse unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// reloadHandler reloads the config; a failed reload answers 400 with
// every problem, one per line.
func (d *Daemon) reloadHandler(w http.ResponseWriter, r *http.Request) {
	if err := d.Reload(r.Context()); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, "config reloaded")
}
