package main

import (
	"context"
	"fmt"
	"io"

	"chiso/sync/config"
	"chiso/warehouse"
)

// Placeholders until the connectors, reports and daemon land.

func notYet(name string) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(_ context.Context, _ []string, _, stderr io.Writer) int {
		fmt.Fprintf(stderr, "chiso %s: not available in this build yet\n", name)
		return 1
	}
}

var (
	runReport  = notYet("report")
	runExplain = notYet("explain")
	runInspect = notYet("inspect")
	runSim     = notYet("sim")
)

func loadReferenceData(ctx context.Context, st *warehouse.Store, cfg *config.Config) error { return nil }

func printSourceStatus(ctx context.Context, w *openedWarehouse, out io.Writer) error { return nil }
