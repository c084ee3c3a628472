package main

import (
	"context"
	"fmt"
	"io"
)

// runMigrate applies migrations and loads the org directory and targets.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("migrate", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	_, w, ok := openForCommand(ctx, "migrate", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	fmt.Fprintf(stdout, "warehouse migrated: %s\n", w.Where)
	return 0
}
