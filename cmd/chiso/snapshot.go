package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"chiso/report"
	"chiso/sync/config"
)

// runSnapshotCmd is `chiso snapshot list|diff|verify|export`.
func runSnapshotCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// A leading -c FILE may come before the action.
	var pre []string
	for len(args) >= 2 && (args[0] == "-c" || args[0] == "--config") {
		pre, args = append(pre, args[0], args[1]), args[2:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: chiso snapshot list [--unit U] [--period P] | diff ID [--against live|ID2] [--format table|json] | verify ID | export ID")
		return 2
	}
	action, args := args[0], append(pre, args[1:]...)
	fs, c := newFlags("snapshot "+action, stderr)
	unit := fs.String("unit", "", "list: only this unit's snapshots")
	period := fs.String("period", "", "list: only this period id's snapshots")
	against := fs.String("against", "live", "diff: live (the warehouse now) or a later snapshot's id")
	format := fs.String("format", "table", "diff: table or json")
	id, rest := splitID(args)
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if action != "list" && id == "" {
		fmt.Fprintf(stderr, "chiso snapshot %s: the snapshot id is required (chiso snapshot list shows them)\n", action)
		return 1
	}
	_, w, ok := openForCommand(ctx, "snapshot", *c, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	var err error
	switch action {
	case "list":
		err = report.ListSnapshots(ctx, w.Store, *unit, *period, stdout)
	case "diff":
		err = report.RunDiff(ctx, w.Store, report.DiffOptions{ID: id, Against: *against, Format: *format}, stdout)
	case "export":
		err = report.ExportSnapshot(ctx, w.Store, id, stdout)
	case "verify":
		res, good, verr := report.Verify(ctx, w.Store, id)
		if verr != nil {
			err = verr
			break
		}
		for _, r := range res {
			if len(r.Problems) == 0 {
				fmt.Fprintf(stdout, "%d\t%s\tđúng\n", r.Seq, r.ID)
				continue
			}
			fmt.Fprintf(stdout, "%d\t%s\tSAI: %s\n", r.Seq, r.ID, strings.Join(r.Problems, "; "))
		}
		if !good {
			fmt.Fprintln(stdout, "Chuỗi bản chốt KHÔNG toàn vẹn.")
			return 1
		}
		fmt.Fprintf(stdout, "Chuỗi %d bản chốt toàn vẹn.\n", len(res))
	default:
		fmt.Fprintf(stderr, "chiso snapshot: unknown action %q (list, diff, verify, export)\n", action)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "chiso snapshot "+action+":", strings.TrimPrefix(err.Error(), report.ErrUsage.Error()+": "))
		return 1
	}
	return 0
}

// splitID takes the first argument that is not a flag (or a flag's value)
// as the snapshot id, so that it may come before or after the flags.
func splitID(args []string) (string, []string) {
	withValue := map[string]bool{"-c": true, "--config": true, "-unit": true, "--unit": true, "-period": true, "--period": true,
		"-against": true, "--against": true, "-format": true, "--format": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if withValue[a] {
				i++
			}
			continue
		}
		return a, append(append([]string{}, args[:i]...), args[i+1:]...)
	}
	return "", args
}

// configHash is the SHA-256 of the config file in force.
func configHash(cfg *config.Config) (string, error) {
	b, err := os.ReadFile(cfg.File)
	if err != nil {
		return "", fmt.Errorf("config hash: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// whoFreezes is --by, else the OS user.
func whoFreezes(by string) string {
	if s := strings.TrimSpace(by); s != "" {
		return s
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// edxmlOptions addresses the report package from the config.
func edxmlOptions(cfg *config.Config, unit, so, kyHieu string) (report.EDXMLOptions, error) {
	o := report.EDXMLOptions{CodeNumber: strings.TrimSpace(so), CodeNotation: strings.TrimSpace(kyHieu), Place: cfg.Report.Place, Now: time.Now()}
	for _, code := range cfg.Report.Recipients {
		u, ok := cfg.Directory.Unit(code)
		if !ok {
			return o, fmt.Errorf("report.recipients: %s is not in the org directory", code)
		}
		o.To = append(o.To, report.Recipient{Code: u.Code, Name: u.Name})
	}
	if u, ok := cfg.Directory.Unit(unit); ok && u.Parent != "" {
		if p, ok := cfg.Directory.Unit(u.Parent); ok {
			o.InCharge = p.Name
		}
	}
	return o, nil
}
