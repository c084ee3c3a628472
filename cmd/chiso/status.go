package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	chisosync "chiso/sync"
	"chiso/sync/config"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/warehouse"
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
	fmt.Fprintf(out, "Warehouse: %s\n", w.Where)
	if w.Embedded != nil {
		restarts, err := w.Embedded.Restarts(5)
		if err != nil {
			return err
		}
		for _, r := range restarts {
			fmt.Fprintf(out, "Warehouse restarted at %s after: %s\n", r.At.In(cfg.Location).Format("2006-01-02 15:04:05"), r.Cause)
		}
	}
	fmt.Fprintln(out)
	units, err := w.Store.OrgUnits(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Units (org directory):")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CODE\tRELATION\tNAME\tPARENT")
	for _, u := range units {
		parent := ""
		if u.ParentCode != nil {
			parent = *u.ParentCode
		}
		if u.MergedInto != nil {
			parent = "merged into " + *u.MergedInto
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", u.Code, u.Relation, u.Name, parent)
	}
	tw.Flush()

	sums, err := w.Store.Summaries(ctx)
	if err != nil {
		return err
	}
	byName := map[string]warehouse.ConnectorSummary{}
	for _, s := range sums {
		byName[s.Connector] = s
	}
	fmt.Fprintln(out, "\nConnectors:")
	tw = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tSCHEDULE\tLAST RUN\tLAST SUCCESS\tNEXT RUN\tROWS\tREJECTS\tLAST ERROR")
	for _, j := range cfg.Jobs {
		next := "-"
		if t, err := chisosync.NextRun(j.Name, j.Schedule, now.In(cfg.Location)); err == nil {
			next = t.Format("2006-01-02 15:04:05")
		}
		printConnectorRow(tw, j.Name, j.Type, j.Schedule, next, j.Period, byName[j.Name], cfg.Location, now)
	}
	// The dossier push receiver runs on request: each batch is a run.
	if s, ok := byName[dvcconn.PushConnector]; ok || cfg.HTTP.PushToken.IsSet() {
		printConnectorRow(tw, dvcconn.PushConnector, "push", "on request", "-", 0, s, cfg.Location, now)
	}
	tw.Flush()
	if len(cfg.Jobs) == 0 {
		fmt.Fprintln(out, "  (no connectors configured)")
	}
	unmapped, err := w.Store.UnmappedCodes(ctx, 20)
	if err != nil {
		return err
	}
	if len(unmapped) > 0 {
		fmt.Fprintln(out, "\nAgency codes not in the org directory (counted as external; add them to classify):")
		for _, u := range unmapped {
			fmt.Fprintf(out, "  %s\t%d documents\n", u.Code, u.Documents)
		}
	}
	if err := printCoverage(ctx, w, cfg, out, now); err != nil {
		return err
	}
	return printSourceStatus(ctx, w, out)
}

// printCoverage says plainly which connectors with a time window have not
// read the whole baseline (issue 12), and the backfill command for each gap.
func printCoverage(ctx context.Context, w *openedWarehouse, cfg *config.Config, out io.Writer, now time.Time) error {
	baseline := cfg.Baseline()
	var lines []string
	for _, j := range cfg.Jobs {
		v, ok, err := w.Store.Checkpoint(ctx, j.Name, connector.CoverageStream)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		lines = append(lines, coverageGaps(j.Name, v, baseline, now.In(cfg.Location))...)
	}
	if len(lines) > 0 {
		fmt.Fprintf(out, "\nBaseline not covered: the reports need every day from %s; not read yet:\n", baseline.Format(time.DateOnly))
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}
	return nil
}

// coverageGaps lists the spans from baseline to the last date a
// connector read that its coverage checkpoint v does not hold, each with
// the command that reads it (all of baseline..today when v is unreadable).
func coverageGaps(name, v string, baseline, today time.Time) []string {
	cov, err := connector.ParseCoverage(v)
	if err != nil || len(cov) == 0 {
		all := connector.DateSpan{From: baseline, To: connector.VietnamDate(today)}
		return []string{fmt.Sprintf("  %s\tcoverage unknown (%q); run: %s", name, v, connector.BackfillCommand(name, all))}
	}
	var out []string
	for _, gap := range cov.Missing(baseline, cov[len(cov)-1].To) {
		out = append(out, fmt.Sprintf("  %s\t%s not read; run: %s", name, gap, connector.BackfillCommand(name, gap)))
	}
	return out
}

// printConnectorRow prints one row of the connectors table; period 0: no
// schedule (never stale).
func printConnectorRow(tw io.Writer, name, typ, schedule, next string, period time.Duration, s warehouse.ConnectorSummary, loc *time.Location, now time.Time) {
	last, success, lastErr, rows := "never", "never", "", int64(0)
	if s.Last != nil {
		last = fmt.Sprintf("%s %s", s.Last.StartedAt.In(loc).Format("2006-01-02 15:04"), s.Last.Status)
		rows = s.Last.Upserted
	}
	stale := false
	if s.LastSuccess != nil {
		success = s.LastSuccess.StartedAt.In(loc).Format("2006-01-02 15:04")
		stale = period > 0 && now.Sub(s.LastSuccess.StartedAt) > 3*period
	} else {
		stale = s.Last != nil
	}
	if stale {
		success += " STALE"
	}
	if s.LastError != nil && s.LastError.Error != nil {
		lastErr = oneLine(*s.LastError.Error, 80)
	}
	if s.Last != nil && s.Last.Status == "partial" && s.Last.Error != nil {
		// The last run could not read all of its source: say why.
		lastErr = "not read whole: " + oneLine(*s.Last.Error, 120)
	}
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", name, typ, schedule, last, success, next, rows, s.Rejects, lastErr)
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
func printSourceStatus(ctx context.Context, w *openedWarehouse, out io.Writer) error {
	names, err := w.Store.UnresolvedNames(ctx)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		fmt.Fprintln(out, "\nRegister names not in the org directory (add them as names or aliases):")
		for i, n := range names {
			if i == 20 {
				fmt.Fprintf(out, "  … and %d more\n", len(names)-20)
				break
			}
			fmt.Fprintf(out, "  %s\t%s\t%q\t%d rows (e.g. %s)\n", n.Connector, n.Role, n.Name, n.Rows, n.Example)
		}
	}
	removed, err := w.Store.RemovedRegisterRows(ctx)
	if err != nil {
		return err
	}
	if len(removed) > 0 {
		fmt.Fprintf(out, "\nRegister rows missing from a later export (documents kept): %d\n", len(removed))
		for i, r := range removed {
			if i == 10 {
				break
			}
			fmt.Fprintf(out, "  %s\t%s row %d\t%s\n", r.Connector, r.File, r.Line, r.Code)
		}
	}
	return nil
}
