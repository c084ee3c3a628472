package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"chiso/report"
)

// runReportCmd is `chiso report --period P [--unit CODE] [--format F] [-o FILE]`.
func runReportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("report", stderr)
	period := fs.String("period", "", "period: 2026, 2026-H1, 2026-Q2, 2026-05, 2026-01-01..2026-05-31, bc6t-2026, bcnam-2026, nd09-6t-2026, nd09-nam-2026")
	unit := fs.String("unit", "", "unit code (default org.self)")
	format := fs.String("format", "table", "output format: "+strings.Join(report.Formats, ", "))
	out := fs.String("o", "", "write to FILE instead of standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *period == "" {
		fmt.Fprintln(stderr, "chiso report: --period is required (e.g. --period 2026-H1)")
		return 1
	}
	if *format == "xlsx" && *out == "" {
		fmt.Fprintln(stderr, "chiso report: --format xlsx needs -o FILE.xlsx")
		return 1
	}
	cfg, w, ok := openForCommand(ctx, "report", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	opts := report.Options{Period: *period, Unit: *unit, Format: *format}
	if opts.Unit == "" {
		opts.Unit = cfg.Org.Self
	}
	var err error
	if *out != "" {
		err = report.WriteFile(*out, func(f io.Writer) error { return report.Run(ctx, w.Store, opts, f) })
	} else {
		err = report.Run(ctx, w.Store, opts, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "chiso report:", strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": "))
		return 1
	}
	return 0
}
