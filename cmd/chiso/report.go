package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"chiso/report"
)

// runReportCmd is `chiso report --period P [--unit CODE] [--format F] [-o FILE]
// [--freeze --note TEXT [--by NAME]]`, or `chiso report --snapshot ID
// [--format F|edxml] [-o FILE] [--so N --ky-hieu K]`, or with --by-unit
// [--sort COLUMN] the league table of the communes under the unit (a
// province or district).
func runReportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("report", stderr)
	period := fs.String("period", "", "period: 2026, 2026-H1, 2026-Q2, 2026-05, 2026-01-01..2026-05-31, bc6t-2026, bcnam-2026, nd09-6t-2026, nd09-nam-2026")
	unit := fs.String("unit", "", "unit code (default org.self)")
	format := fs.String("format", "table", "output format: "+strings.Join(report.Formats, ", ")+"; edxml (the report package of a snapshot)")
	out := fs.String("o", "", "write to FILE instead of standard output")
	freeze := fs.Bool("freeze", false, "store the report as a snapshot (chốt số liệu); its id is printed on the last line")
	note := fs.String("note", "", "--freeze: a note kept with the snapshot")
	by := fs.String("by", "", "--freeze: who freezes it (default the OS user)")
	snapshot := fs.String("snapshot", "", "render snapshot ID (from the snapshot alone, not the live warehouse)")
	so := fs.String("so", "", "edxml: the document's number (số); default empty, for the QLVB to fill")
	kyHieu := fs.String("ky-hieu", "", "edxml: the document's notation (ký hiệu), e.g. BC-UBND; default empty, for the QLVB to fill")
	byUnit := fs.Bool("by-unit", false, "league table: the communes under --unit (a province or district) side by side, its own totals on top")
	sortBy := fs.String("sort", "", "with --by-unit: order the communes by code (default), name or an indicator id; a leading - sorts descending")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *snapshot != "" && (*freeze || *period != ""):
		fmt.Fprintln(stderr, "chiso report: --snapshot renders a stored snapshot: it takes no --period or --freeze")
		return 1
	case *snapshot == "" && *period == "":
		fmt.Fprintln(stderr, "chiso report: --period is required (e.g. --period 2026-H1), or --snapshot ID")
		return 1
	case (*format == "xlsx" || *format == "edxml") && *out == "":
		fmt.Fprintf(stderr, "chiso report: --format %s needs -o FILE\n", *format)
		return 1
	case *sortBy != "" && !*byUnit:
		fmt.Fprintln(stderr, "chiso report: --sort needs --by-unit")
		return 1
	case *byUnit && (*snapshot != "" || *freeze || *format == "edxml"):
		fmt.Fprintln(stderr, "chiso report: --by-unit prints the live league table: it takes no --snapshot, --freeze or edxml")
		return 1
	case *format == "edxml" && *snapshot == "" && !*freeze:
		fmt.Fprintln(stderr, "chiso report: --format edxml writes the package of a snapshot: use --snapshot ID (or --freeze)")
		return 1
	}
	cfg, w, ok := openForCommand(ctx, "report", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	fail := func(err error) int {
		fmt.Fprintln(stderr, "chiso report:", strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": "))
		return 1
	}
	opts := report.Options{Period: *period, Unit: *unit, Format: *format}
	if opts.Unit == "" {
		opts.Unit = cfg.Org.Self
	}
	id := *snapshot
	if *freeze {
		sum, err := configHash(cfg)
		if err != nil {
			return fail(err)
		}
		snap, err := report.Freeze(ctx, w.Store, report.FreezeOptions{Options: opts, Note: *note, By: whoFreezes(*by), ConfigSHA256: sum})
		if err != nil {
			return fail(err)
		}
		id = snap.ID
	}
	var err error
	render := func(f io.Writer) error { return report.Run(ctx, w.Store, opts, f) }
	if *byUnit {
		lo := report.LeagueOptions{Period: opts.Period, Unit: opts.Unit, Format: opts.Format, Sort: *sortBy}
		render = func(f io.Writer) error { return report.RunLeague(ctx, w.Store, lo, f) }
	}
	if id != "" {
		render = func(f io.Writer) error {
			if *format != "edxml" {
				return report.RunSnapshot(ctx, w.Store, id, *format, f)
			}
			unitCode := opts.Unit
			if s, err := w.Store.SnapshotByID(ctx, strings.ToLower(id)); err == nil {
				unitCode = s.UnitCode
			}
			eo, err := edxmlOptions(cfg, unitCode, *so, *kyHieu)
			if err != nil {
				return err
			}
			return report.RunSnapshotEDXML(ctx, w.Store, id, eo, f)
		}
	}
	if *out != "" {
		err = report.WriteFile(*out, render)
	} else {
		err = render(stdout)
	}
	if err != nil {
		return fail(err)
	}
	if *freeze {
		fmt.Fprintln(stdout, id)
	}
	return 0
}
