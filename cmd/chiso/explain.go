package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"chiso/report"
)

// runExplainCmd is `chiso explain --indicator ID --period P [--unit CODE]
// [--format table|csv|json] [--page N] [--page-size N]`.
func runExplainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("explain", stderr)
	ind := fs.String("indicator", "", "indicator id (e.g. electronic_exchange_share)")
	period := fs.String("period", "", "period, as for chiso report")
	unit := fs.String("unit", "", "unit code (default org.self)")
	format := fs.String("format", "table", "output format: table, csv, json")
	page := fs.Int("page", 1, "page number")
	size := fs.Int("page-size", 50, "records per page")
	snapshot := fs.String("snapshot", "", "list the records snapshot ID froze (every indicator, or --indicator's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *snapshot != "" {
		return explainSnapshot(ctx, *c, report.SnapshotExplainOptions{ID: *snapshot, Indicator: *ind, Format: *format}, stdout, stderr)
	}
	if *ind == "" || *period == "" {
		fmt.Fprintln(stderr, "chiso explain: --indicator and --period are required")
		return 1
	}
	cfg, w, ok := openForCommand(ctx, "explain", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	opts := report.ExplainOptions{Indicator: *ind, Period: *period, Unit: *unit, Format: *format, Page: *page, PageSize: *size}
	if opts.Unit == "" {
		opts.Unit = cfg.Org.Self
	}
	if err := report.Explain(ctx, w.Store, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "chiso explain:", strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": "))
		return 1
	}
	return 0
}

// explainSnapshot is `chiso explain --snapshot ID [--indicator ID]`.
func explainSnapshot(ctx context.Context, cfgFlag string, opts report.SnapshotExplainOptions, stdout, stderr io.Writer) int {
	_, w, ok := openForCommand(ctx, "explain", cfgFlag, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	if err := report.ExplainSnapshot(ctx, w.Store, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "chiso explain:", strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": "))
		return 1
	}
	return 0
}
