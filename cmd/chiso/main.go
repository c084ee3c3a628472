// Command chiso measures a commune's progress on the 2026 working-style and
// digital-administration targets: connectors pull facts into a PostgreSQL
// warehouse, and reports compute the indicators from it.
//
// Each subcommand lives in its own file; this file only dispatches.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"run":           {"the daemon: every connector on its schedule", runDaemon},
		"sync":          {"one pass of the connectors now (--connector, --from/--to)", runSync},
		"check-config":  {"validate the config, org directory and targets", runCheckConfig},
		"migrate":       {"apply warehouse migrations and load the org directory", runMigrate},
		"report":        {"indicators of a unit for a period", runReportCmd},
		"explain":       {"the records behind an indicator", runExplainCmd},
		"inspect":       {"parse edXML or dossier files and print JSON (inspect edxml|dvc FILE...)", runInspect},
		"status":        {"connector runs, units and unmapped codes", runStatus},
		"coverage":      {"months with too few facts or no run (coverage confirm: mark one complete)", runCoverage},
		"sim":           {"serve the axis, portal and calendar simulators", runSim},
		"demo":          {"embedded warehouse + simulators + one sync + the 2026 report", runDemo},
		"reader":        {"reader password: the password of the read-only role chiso_reader; reader grant --unit CODE: a reader of one commune's tree", runReader},
		"serve":         {"the web page alone, read-only, over an existing warehouse", runServe},
		"hash-password": {"read a password on stdin, print its bcrypt hash (web.users)", runHashPassword},
		"snapshot":      {"frozen reports: snapshot list | diff ID [--against live|ID2] | verify ID | export ID", runSnapshotCmd},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// A leading -c FILE applies to the subcommand that follows.
	var pre []string
	for len(args) >= 2 && (args[0] == "-c" || args[0] == "--config") {
		pre = append(pre, args[0], args[1])
		args = args[2:]
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "chiso: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()})))
	return cmd.run(ctx, append(pre, args[1:]...), stdout, stderr)
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("CHISO_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: chiso [-c FILE] COMMAND [flags]")
	fmt.Fprintln(w, "config: -c FILE, else $CHISO_CONFIG, else ./chiso.yaml")
	fmt.Fprintln(w, "commands:")
	for _, name := range []string{"run", "sync", "check-config", "migrate", "report", "explain", "inspect", "status", "coverage", "snapshot", "serve", "hash-password", "reader", "sim", "demo"} {
		fmt.Fprintf(w, "  %-13s %s\n", name, commands()[name].summary)
	}
}
