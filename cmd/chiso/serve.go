package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"chiso/report/web"
	chisosync "chiso/sync"
	"chiso/sync/config"
	"chiso/sync/status"
	"chiso/warehouse"
)

// newWebServer is the web page of cfg over w: chiso run mounts it at / on
// http.listen, chiso serve serves it alone.
func newWebServer(cfg *config.Config, w *openedWarehouse, listen string, log *slog.Logger) (*web.Server, error) {
	users := make([]web.User, 0, len(cfg.Web.Users))
	for _, u := range cfg.Web.Users {
		users = append(users, web.User{Name: u.Name, PasswordHash: u.PasswordHash, Units: u.Units})
	}
	return web.New(web.Options{
		Store: w.Store,
		Self:  cfg.Org.Self,
		Users: users,
		Open:  config.WebOpen(listen, len(users)),
		Status: func(ctx context.Context) (*status.Status, error) {
			return collectStatus(ctx, w, cfg, time.Now())
		},
		Logger: log,
	})
}

// runServe is `chiso serve [--listen ADDR]`: the web page alone, read-only,
// over an existing warehouse (e.g. at the province, reading a copy): no
// connector runs, no migration, nothing written.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("serve", stderr)
	listen := fs.String("listen", "", "address of the page (default http.listen)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := loadConfig(configPath(*c), stderr)
	if !ok {
		return 1
	}
	addr := cfg.HTTP.Listen
	if *listen != "" {
		addr = *listen
	}
	tlsOn := cfg.HTTP.TLS.CertFile != "" && cfg.HTTP.TLS.KeyFile != ""
	if err := config.CheckWebListen(addr, tlsOn, len(cfg.Web.Users)); err != nil {
		fmt.Fprintln(stderr, "chiso serve:", err)
		return 1
	}
	w, err := openReadOnly(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "chiso serve:", err)
		return 1
	}
	defer w.Close()
	log := slog.Default()
	srv, err := newWebServer(cfg, w, addr, log)
	if err != nil {
		fmt.Fprintln(stderr, "chiso serve:", err)
		return 1
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "chiso serve: listen %s: %v\n", addr, err)
		return 1
	}
	to := chisosync.DefaultHTTPTimeouts
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: to.ReadHeader, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: to.Idle,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(cfg.Path(cfg.HTTP.TLS.CertFile), cfg.Path(cfg.HTTP.TLS.KeyFile))
		if err != nil {
			ln.Close()
			fmt.Fprintln(stderr, "chiso serve: http.tls:", err)
			return 1
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	fmt.Fprintf(stdout, "chiso serve: the web page on %s://%s/ (warehouse: %s)\n", scheme, ln.Addr(), w.Where)
	errc := make(chan error, 1)
	go func() {
		if tlsOn {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "chiso serve:", err)
			return 1
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "chiso serve:", err)
		return 1
	}
	return 0
}

// openReadOnly connects to the warehouse of cfg (attaching to, or starting,
// the embedded cluster) without migrating it or loading anything into it;
// a warehouse that was never migrated is an error.
func openReadOnly(ctx context.Context, cfg *config.Config) (*openedWarehouse, error) {
	w := &openedWarehouse{}
	dsn := cfg.Warehouse.DSN.Reveal()
	if dsn == "" {
		e, err := warehouse.StartEmbedded(ctx, cfg.Warehouse.DataDir, warehouse.EmbeddedOptions{ListenTCP: cfg.Warehouse.ListenTCP})
		if err != nil {
			return nil, err
		}
		w.Embedded = e
		dsn = e.DSN("chiso")
		w.Where = fmt.Sprintf("embedded PostgreSQL in %s (socket %s, database chiso)", e.PGData, e.SockDir)
	} else {
		w.Where = "PostgreSQL at warehouse.dsn"
	}
	st, err := warehouse.Open(ctx, dsn)
	if err != nil {
		if w.Embedded != nil {
			w.Embedded.Stop()
		}
		return nil, err
	}
	w.Store = st
	st.SetCommune(communeScope(cfg))
	if inds, err := st.Indicators(ctx); err != nil || len(inds) == 0 {
		w.Close()
		return nil, fmt.Errorf("the warehouse has no indicators (never migrated?): run chiso migrate or chiso run on it first (%v)", err)
	}
	return w, nil
}
