package sync

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

func (d *Daemon) routes() {
	d.mux.Handle("GET /metrics", d.metrics.Handler())
	d.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	d.mux.HandleFunc("GET /readyz", d.readyz)
	d.mux.HandleFunc("POST /-/reload", d.reloadHandler)
}

// readyz: the warehouse answers and a config is loaded.
func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if d.Config() == nil {
		http.Error(w, "not ready: no config loaded", http.StatusServiceUnavailable)
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
