package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"chiso/warehouse"
)

// runCoverage is `chiso coverage [--all] [--format table|json]` (the months
// with a gap, or every month) and `chiso coverage confirm --connector C
// --month YYYY-MM --note "…" [--by NAME]`.
func runCoverage(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// A leading -c FILE (from dispatch) may precede the subcommand.
	var pre []string
	for len(args) >= 2 && (args[0] == "-c" || args[0] == "--config") {
		pre, args = append(pre, args[0], args[1]), args[2:]
	}
	if len(args) > 0 && args[0] == "confirm" {
		return runCoverageConfirm(ctx, append(pre, args[1:]...), stdout, stderr)
	}
	fs, c := newFlags("coverage", stderr)
	all := fs.Bool("all", false, "every month of every source, not only the gaps and confirmed months")
	format := fs.String("format", "table", "output format: table, json")
	if err := fs.Parse(append(pre, args...)); err != nil {
		return 2
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "chiso coverage: unknown format %q (use table, json)\n", *format)
		return 2
	}
	cfg, w, ok := openForCommand(ctx, "coverage", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	rows, err := w.Store.Coverage(ctx, nowFunc(), *all)
	if err != nil {
		fmt.Fprintln(stderr, "chiso coverage:", err)
		return 1
	}
	if *format == "json" {
		out := rows
		if out == nil {
			out = []warehouse.CoverageMonth{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "chiso coverage:", err)
			return 1
		}
		return 0
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "No gaps: every closed month of every source is complete (chiso coverage --all lists them).")
		return 0
	}
	writeCoverageTable(stdout, rows, cfg.Location)
	return 0
}

// writeCoverageTable prints coverage rows, one a line.
func writeCoverageTable(out io.Writer, rows []warehouse.CoverageMonth, loc *time.Location) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTOR\tFACT\tUNIT\tMONTH\tSEEN\tEXPECTED\tLAST YEAR\tMEDIAN\tRUN COVERED\tSTATUS\tREASON\tCONFIRMED")
	for _, r := range rows {
		reason, confirmed := "", ""
		if r.Reason != nil {
			reason = *r.Reason
		}
		if r.ConfirmedBy != nil && r.ConfirmedAt != nil && r.Note != nil {
			confirmed = fmt.Sprintf("%s %s: %s", *r.ConfirmedBy, r.ConfirmedAt.In(loc).Format("2006-01-02"), oneLine(*r.Note, 60))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Connector, r.Fact, r.UnitCode, r.MonthText(), r.Seen,
			optFloat(r.Expected), optInt(r.LastYear), optFloat(r.Median), optBool(r.RunCovered), r.Status, reason, confirmed)
	}
	tw.Flush()
}

func optFloat(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func optInt(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func optBool(v *bool) string {
	switch {
	case v == nil:
		return "no runs"
	case *v:
		return "yes"
	default:
		return "no"
	}
}

// runCoverageConfirm records that a connector's month is complete as it is.
func runCoverageConfirm(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("coverage confirm", stderr)
	conn := fs.String("connector", "", "connector name (as in chiso coverage)")
	month := fs.String("month", "", "month, YYYY-MM")
	note := fs.String("note", "", "why the month is complete as it is (e.g. \"xã nghỉ Tết, ít văn bản\")")
	by := fs.String("by", "", "who confirms (default: the OS user)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := time.Parse("2006-01", strings.TrimSpace(*month))
	if err != nil {
		fmt.Fprintf(stderr, "chiso coverage confirm: --month %q: want YYYY-MM\n", *month)
		return 2
	}
	if strings.TrimSpace(*conn) == "" || strings.TrimSpace(*note) == "" {
		fmt.Fprintln(stderr, "chiso coverage confirm: --connector, --month and --note are required")
		return 2
	}
	who := *by
	if who == "" {
		who = osUser()
	}
	_, w, ok := openForCommand(ctx, "coverage confirm", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	if err := w.Store.ConfirmCoverage(ctx, *conn, m, *note, who); err != nil {
		fmt.Fprintln(stderr, "chiso coverage confirm:", strings.TrimPrefix(err.Error(), "warehouse: coverage confirm: "))
		return 1
	}
	fmt.Fprintf(stdout, "confirmed: %s %s by %s (%s)\n", *conn, m.Format("2006-01"), who, *note)
	return 0
}

// osUser is the name of the user running chiso.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// printCompleteness is the short section of chiso status: the months with
// a gap (rows: the gaps and confirmed months), one line per connector, kind
// of fact and unit.
func printCompleteness(rows []warehouse.CoverageMonth, out io.Writer) {
	type key struct{ conn, fact, unit string }
	var order []key
	gaps := map[key][]string{}
	confirmed := 0
	for _, r := range rows {
		if r.Status != warehouse.CoverageGapStatus {
			confirmed++
			continue
		}
		k := key{r.Connector, r.Fact, r.UnitCode}
		if _, ok := gaps[k]; !ok {
			order = append(order, k)
		}
		m := fmt.Sprintf("%s (%d", r.MonthText(), r.Seen)
		if r.Expected != nil {
			m += fmt.Sprintf("/%s", strconv.FormatFloat(*r.Expected, 'f', 0, 64))
		}
		if r.RunCovered != nil && !*r.RunCovered {
			m += ", no run"
		}
		gaps[k] = append(gaps[k], m+")")
	}
	if len(order) == 0 {
		fmt.Fprintf(out, "\nCompleteness: every closed month of every source is complete (%d confirmed; chiso coverage --all)\n", confirmed)
		return
	}
	fmt.Fprintf(out, "\nCompleteness: months with too few records (seen/expected) or no successful run; their indicators read \"Chưa đủ số liệu\" until fixed or confirmed (chiso coverage confirm):\n")
	for _, k := range order {
		ms := gaps[k]
		if len(ms) > 8 {
			ms = append(ms[:8:8], fmt.Sprintf("… %d months in all", len(gaps[k])))
		}
		fmt.Fprintf(out, "  %s\t%s\t%s\t%s\n", k.conn, k.fact, k.unit, strings.Join(ms, ", "))
	}
	if confirmed > 0 {
		fmt.Fprintf(out, "  (%d confirmed months count as complete)\n", confirmed)
	}
}
