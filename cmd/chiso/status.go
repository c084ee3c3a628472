package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"chiso/sync/config"
	"chiso/sync/status"
)

// runStatus prints the units, each connector's runs and unmapped codes.
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("status", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, w, ok := openForCommand(ctx, "status", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	if err := printStatus(ctx, w, cfg, stdout, time.Now()); err != nil {
		fmt.Fprintln(stderr, "chiso status:", err)
		return 1
	}
	return 0
}

func printStatus(ctx context.Context, w *openedWarehouse, cfg *config.Config, out io.Writer, now time.Time) error {
	st, err := collectStatus(ctx, w, cfg, now)
	if err != nil {
		return err
	}
	loc := cfg.Location
	fmt.Fprintf(out, "Warehouse: %s\n", st.Warehouse)
	for _, r := range st.Restarts {
		fmt.Fprintf(out, "Warehouse restarted at %s after: %s\n", r.At.In(loc).Format("2006-01-02 15:04:05"), r.Cause)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Units (org directory):")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CODE\tRELATION\tNAME\tPARENT")
	for _, u := range st.Units {
		parent := ""
		if u.Parent != nil {
			parent = *u.Parent
		}
		if u.MergedInto != nil {
			parent = "merged into " + *u.MergedInto
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", u.Code, u.Relation, u.Name, parent)
	}
	tw.Flush()

	fmt.Fprintln(out, "\nConnectors:")
	tw = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tSCHEDULE\tLAST RUN\tLAST SUCCESS\tNEXT RUN\tROWS\tREJECTS\tLAST ERROR")
	for _, c := range st.Connectors {
		printConnectorRow(tw, c, loc)
	}
	tw.Flush()
	if len(cfg.Jobs) == 0 {
		fmt.Fprintln(out, "  (no connectors configured)")
	}
	if len(st.UnmappedCodes) > 0 {
		fmt.Fprintln(out, "\nAgency codes not in the org directory (counted as external; add them to classify):")
		for _, u := range st.UnmappedCodes {
			fmt.Fprintf(out, "  %s\t%d documents\n", u.Code, u.Documents)
		}
	}
	if len(st.CoverageGaps) > 0 {
		fmt.Fprintf(out, "\nBaseline not covered: the reports need every day from %s; not read yet:\n", st.Baseline)
		for _, g := range st.CoverageGaps {
			fmt.Fprintln(out, coverageLine(g))
		}
	}
	printCompleteness(st.Completeness, out)
	if err := printAlerts(ctx, w, cfg, out); err != nil {
		return err
	}
	printSourceStatus(st, out)
	return nil
}

// collectStatus reads what chiso status shows (package status: the web
// page's GET /api/v1/status shows the same).
func collectStatus(ctx context.Context, w *openedWarehouse, cfg *config.Config, now time.Time) (*status.Status, error) {
	return status.Collect(ctx, status.Input{Store: w.Store, Config: cfg, Embedded: w.Embedded, Where: w.Where, Now: now})
}

// coverageGaps lists, as chiso status prints them, the spans from baseline
// to the last date a connector read that its coverage checkpoint v does not
// hold, each with the command that reads it.
func coverageGaps(name, v string, baseline, today time.Time) []string {
	var out []string
	for _, g := range status.Gaps(name, v, baseline, today) {
		out = append(out, coverageLine(g))
	}
	return out
}

func coverageLine(g status.CoverageGap) string {
	if g.Unknown != nil {
		return fmt.Sprintf("  %s\tcoverage unknown (%q); run: %s", g.Connector, *g.Unknown, g.Command)
	}
	return fmt.Sprintf("  %s\t%s not read; run: %s", g.Connector, g.Span(), g.Command)
}

// printConnectorRow prints one row of the connectors table.
func printConnectorRow(tw io.Writer, c status.Connector, loc *time.Location) {
	last, success, lastErr, next := "never", "never", "", "-"
	if c.LastRun != nil {
		last = fmt.Sprintf("%s %s", c.LastRun.StartedAt.In(loc).Format("2006-01-02 15:04"), c.LastRun.Status)
	}
	if c.LastSuccess != nil {
		success = c.LastSuccess.StartedAt.In(loc).Format("2006-01-02 15:04")
	}
	if c.NextRun != nil {
		next = c.NextRun.Format("2006-01-02 15:04:05")
	}
	if c.Stale {
		success += " STALE"
	}
	if c.LastError != nil && c.LastError.Error != nil {
		lastErr = oneLine(*c.LastError.Error, 80)
	}
	if c.LastRun != nil && c.LastRun.Status == "partial" && c.LastRun.Error != nil {
		// The last run could not read all of its source: say why.
		lastErr = "not read whole: " + oneLine(*c.LastRun.Error, 120)
	}
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", c.Name, c.Type, c.Schedule, last, success, next, c.Rows, c.Rejects, lastErr)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// printSourceStatus lists what the admin should act on in the sources:
// register names the directory cannot resolve, rows removed from exports.
func printSourceStatus(st *status.Status, out io.Writer) {
	if names := st.UnresolvedNames; len(names) > 0 {
		fmt.Fprintln(out, "\nRegister names not in the org directory (add them as names or aliases):")
		for i, n := range names {
			if i == 20 {
				fmt.Fprintf(out, "  … and %d more\n", len(names)-20)
				break
			}
			fmt.Fprintf(out, "  %s\t%s\t%q\t%d rows (e.g. %s)\n", n.Connector, n.Role, n.Name, n.Rows, n.Example)
		}
	}
	if removed := st.RemovedRegisterRows; len(removed) > 0 {
		fmt.Fprintf(out, "\nRegister rows missing from a later export (documents kept): %d\n", len(removed))
		for i, r := range removed {
			if i == 10 {
				break
			}
			fmt.Fprintf(out, "  %s\t%s row %d\t%s\n", r.Connector, r.File, r.Line, r.Code)
		}
	}
}
