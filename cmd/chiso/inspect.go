package main

import (
	"context"
	"fmt"
	"io"
)

// runInspect dispatches `chiso inspect edxml|dvc FILE...`.
func runInspect(_ context.Context, args []string, stdout, stderr io.Writer) int {
	// -c is accepted for symmetry with the other commands but not needed.
	for len(args) >= 2 && (args[0] == "-c" || args[0] == "--config") {
		args = args[2:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: chiso inspect edxml|dvc FILE...")
		return 2
	}
	switch args[0] {
	case "edxml":
		return inspectEdxml(args[1:], stdout, stderr)
	case "dvc":
		return inspectDvc(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "chiso inspect: unknown kind %q (want edxml or dvc)\n", args[0])
	return 2
}
