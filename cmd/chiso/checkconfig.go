package main

import (
	"context"
	"fmt"
	"io"
)

// runCheckConfig validates exactly as startup does, without network.
func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("check-config", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := configPath(*c)
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK (%d units, %d connectors", path, len(cfg.Directory.Units), len(cfg.Jobs))
	if cfg.TargetSet != nil {
		fmt.Fprintf(stdout, ", %d targets for %d", len(cfg.TargetSet.Targets), cfg.TargetSet.Year)
	}
	fmt.Fprintln(stdout, ")")
	return 0
}
