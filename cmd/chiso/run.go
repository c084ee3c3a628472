package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"chiso/mapping/orgdir"
	chisosync "chiso/sync"
	"chiso/sync/config"
	dvcconn "chiso/sync/connectors/dvc"
)

// runDaemon is `chiso run`: every connector on its schedule, HTTP on
// http.listen, reload on SIGHUP or POST /-/reload, clean stop on
// SIGTERM/SIGINT (exit 0).
func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("run", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := configPath(*c)
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return 1
	}
	w, err := openWarehouse(ctx, cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "chiso run:", err)
		return 1
	}
	defer w.Close()
	log := slog.Default()
	log.Info("warehouse ready", "where", w.Where)
	opts := chisosync.Options{
		Store:      w.Store,
		ConfigPath: path,
		Config:     cfg,
		Logger:     log,
		// A reload also refreshes the org directory and reference data.
		OnReload: func(ctx context.Context, cfg *config.Config) error { return prepareWarehouse(ctx, w.Store, cfg) },
	}
	if w.Embedded != nil && w.Embedded.Owner() {
		opts.Warehouse = w.Embedded // restarted when it dies
	}
	d, err := chisosync.NewDaemon(opts)
	if err != nil {
		fmt.Fprintln(stderr, "chiso run:", err)
		return 1
	}
	if cfg.HTTP.PushToken.IsSet() {
		// The dossier push receiver (dvc.md §2.2); its token is read at startup.
		// Each batch runs through the daemon's runner: locked, recorded in
		// sync_runs (chiso status) and counted like a scheduled sync.
		push := dvcconn.NewPushHandler(d.Runner().RunNow(w.Store), cfg.HTTP.PushToken, cfg.Org.Self, log)
		push.SetLimits(dvcconn.PushLimits{MaxBody: int64(cfg.HTTP.PushMaxBodyMB) << 20, MaxInFlight: int64(cfg.HTTP.PushMaxInFlightMB) << 20})
		if cfg.HTTP.PushByCode {
			push.RouteByCode(func() *orgdir.Directory { return d.Config().Directory })
		}
		d.Handle("/dvc/", push)
	}
	// The web page and its API at / (issue 15); /metrics, /healthz,
	// /readyz, /-/reload and /dvc/ keep their own handlers.
	page, err := newWebServer(cfg, w, cfg.HTTP.Listen, log)
	if err != nil {
		fmt.Fprintln(stderr, "chiso run:", err)
		return 1
	}
	d.Handle("/", page)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				_ = d.Reload(ctx) // the outcome is logged and in the metrics
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "chiso run:", err)
		return 1
	}
	return 0
}
