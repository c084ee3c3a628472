package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"chiso/sync/config"
	"chiso/warehouse"
)

// configPath resolves -c, $CHISO_CONFIG, ./chiso.yaml in that order.
func configPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("CHISO_CONFIG"); env != "" {
		return env
	}
	return "chiso.yaml"
}

// newFlags returns a flag set with the -c/--config flag every command has.
func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("chiso "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := fs.String("c", "", "config file (default $CHISO_CONFIG or ./chiso.yaml)")
	fs.StringVar(c, "config", "", "config file")
	return fs, c
}

// loadConfig loads and validates the config, printing every problem.
func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		var probs config.Problems
		if errors.As(err, &probs) {
			for _, p := range probs {
				fmt.Fprintln(stderr, p.String())
			}
		} else {
			fmt.Fprintln(stderr, "chiso:", err)
		}
		return nil, false
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w.String())
	}
	return cfg, true
}

// openedWarehouse is a migrated warehouse with the org directory loaded.
type openedWarehouse struct {
	Store    *warehouse.Store
	Embedded *warehouse.Embedded // nil with an external DSN
	Where    string              // human description of where the data lives
}

// Close closes the store and stops the embedded server if we own it.
func (w *openedWarehouse) Close() {
	w.Store.Close()
	if w.Embedded != nil {
		if err := w.Embedded.Stop(); err != nil {
			slog.Error("stopping embedded PostgreSQL", "err", err)
		}
	}
}

// openForCommand loads the config and opens the warehouse for command
// name, printing any problem as "chiso NAME: …"; ok is false on failure.
// The caller closes w.
func openForCommand(ctx context.Context, name, cfgFlag string, stderr io.Writer) (cfg *config.Config, w *openedWarehouse, ok bool) {
	cfg, ok = loadConfig(configPath(cfgFlag), stderr)
	if !ok {
		return nil, nil, false
	}
	w, err := openWarehouse(ctx, cfg, false)
	if err != nil {
		fmt.Fprintf(stderr, "chiso %s: %v\n", name, err)
		return nil, nil, false
	}
	return cfg, w, true
}

// openWarehouse connects (starting the embedded cluster when warehouse.dsn
// is empty), migrates, and loads the org directory and targets.
func openWarehouse(ctx context.Context, cfg *config.Config, exclusive bool) (*openedWarehouse, error) {
	w := &openedWarehouse{}
	dsn := cfg.Warehouse.DSN.Reveal()
	if dsn == "" {
		e, err := warehouse.StartEmbedded(ctx, cfg.Warehouse.DataDir, warehouse.EmbeddedOptions{Exclusive: exclusive, ListenTCP: cfg.Warehouse.ListenTCP})
		if err != nil {
			return nil, err
		}
		if err := e.EnsureDatabase(ctx, "chiso"); err != nil {
			e.Stop()
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
	if err := prepareWarehouse(ctx, st, cfg); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// prepareWarehouse migrates and loads the config's reference data.
func prepareWarehouse(ctx context.Context, st *warehouse.Store, cfg *config.Config) error {
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := st.SyncOrgUnits(ctx, config.OrgUnits(cfg.Directory)); err != nil {
		return err
	}
	if dropped, err := st.NarrowTree(ctx); err != nil {
		return err
	} else if len(dropped) > 0 {
		slog.Warn("org directory: units the directory puts under org.self belong to another commune's tree in this shared warehouse; their facts are rejected",
			"commune", st.Commune(), "units", dropped)
	}
	return loadReferenceData(ctx, st, cfg)
}
