package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/register/registergen"
	"chiso/report"
	"chiso/sync"
	"chiso/sync/config"
)

// runDemo is the main job on the embedded warehouse: generated data for the
// demo commune (an archive, registers), the simulators (axis, portal,
// calendar), one sync of every connector, then the 2026 report.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("demo", stderr)
	data := fs.String("data", "", "where the generated files go (default ../var/demo next to the config)")
	seed := fs.Int64("seed", 1, "seed of the generated data")
	listen := fs.String("listen", "127.0.0.1:9480", "simulators' address (the example config's endpoints)")
	period := fs.String("period", "bcnam-2026", "report period (the annual report: 1 Jan – 30 Nov 2026)")
	format := fs.String("format", "table", "report format")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := loadConfig(configPath(*c), stderr)
	if !ok {
		return 1
	}
	if *data == "" {
		*data = cfg.Path("../var/demo")
	}
	now := nowFunc()
	start := time.Now()
	fmt.Fprintf(stdout, "== chiso demo: %s (%s)\n", cfg.Directory.Units[0].Name, cfg.Org.Self)
	if err := generateDemoData(*data, *seed, now, stdout); err != nil {
		fmt.Fprintln(stderr, "chiso demo:", err)
		return 1
	}
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	addr, err := startSim(simCtx, *listen, simOptions{Seed: *seed, Until: now}, slog.Default())
	if err != nil {
		fmt.Fprintln(stderr, "chiso demo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "simulators on http://%s (axis /vxp, portal /dvc, calendar /ical)\n", addr)

	w, err := openWarehouse(ctx, cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "chiso demo:", err)
		return 1
	}
	defer w.Close()
	fmt.Fprintf(stdout, "warehouse: %s\n\n", w.Where)

	failed := syncAll(ctx, w, cfg, stdout)
	fmt.Fprintln(stdout)
	opts := report.Options{Period: *period, Unit: cfg.Org.Self, Format: *format}
	if err := report.Run(ctx, w.Store, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "chiso demo: report:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\ndemo finished in %s; data in %s; try: bin/chiso -c %s status\n", time.Since(start).Round(time.Second), *data, cfg.File)
	fmt.Fprintf(stdout, "web page: %s (serve it with: bin/chiso serve --config %s)\n", pageURL(cfg.HTTP.Listen), cfg.File)
	if failed > 0 {
		return 1
	}
	return 0
}

// syncAll runs every connector once, in config order, and prints a line each.
func syncAll(ctx context.Context, w *openedWarehouse, cfg *config.Config, out io.Writer) (failed int) {
	runner := sync.NewRunner(sync.NewMetrics(), slog.Default())
	for _, job := range cfg.Jobs {
		t0 := time.Now()
		res, err := runner.Run(ctx, w.Store, job, sync.RunOptions{})
		status := "ok"
		if err != nil {
			status = "FAILED: " + err.Error()
			failed++
		}
		fmt.Fprintf(out, "sync %-20s %-14s fetched %6d  upserted %6d  rejected %4d  %6s  %s\n",
			job.Name, job.Type, res.Fetched, res.Upserted, res.Rejects, time.Since(t0).Round(10*time.Millisecond), status)
	}
	return failed
}

// generateDemoData writes the QLVB archive and the registers of 2025 and
// 2026 (only what has happened by now), once.
func generateDemoData(dir string, seed int64, now time.Time, out io.Writer) error {
	marker := filepath.Join(dir, ".generated")
	if b, err := os.ReadFile(marker); err == nil {
		fmt.Fprintf(out, "demo data: %s (generated %s)\n", dir, string(b))
		return nil
	}
	t0 := time.Now()
	archive := filepath.Join(dir, "qlvb")
	total := 0
	for _, year := range []int{2025, 2026} {
		var corpus []edxmlgen.DocSpec
		for _, d := range edxmlgen.Corpus(seed, demoUnit, year) {
			if !d.IssuedOn.After(now) {
				corpus = append(corpus, d)
			}
		}
		n, err := edxmlgen.WriteArchive(archive, corpus, edxmlgen.WriteOptions{MaxAttachment: 8 << 10})
		if err != nil {
			return fmt.Errorf("demo archive: %w", err)
		}
		total += n
	}
	_, files, err := registergen.WriteDemo(filepath.Join(dir, "registers"), seed, demoUnit, registergen.Options{Quirks: true})
	if err != nil {
		return fmt.Errorf("demo registers: %w", err)
	}
	if err := os.WriteFile(marker, []byte(now.Format(time.RFC3339)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo data: %d archive packages and %d register files in %s (%s)\n", total, len(files), dir, time.Since(t0).Round(100*time.Millisecond))
	return nil
}

// pageURL is the address a browser on this machine opens for the web page
// served on listen.
func pageURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
