package main

import (
	"context"
	"fmt"
	"io"

	"chiso/sync/config"
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
)

func printReport(ctx context.Context, w *openedWarehouse, cfg *config.Config, period, format string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "(report not available in this build yet)")
	return 0
}
