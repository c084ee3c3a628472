package main

import (
	"context"
	"fmt"
	"io"
)

// runDemo runs the main job on the embedded warehouse: today it starts the
// warehouse, migrates, loads the org directory and prints where data lives.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("demo", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := loadConfig(configPath(*c), stderr)
	if !ok {
		return 1
	}
	w, err := openWarehouse(ctx, cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "chiso demo:", err)
		return 1
	}
	defer w.Close()
	return boolExit(printStatus(ctx, w, cfg, stdout, nowFunc()) == nil)
}
