package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	chisosync "chiso/sync"
	"chiso/sync/config"
)

// names is a repeatable string flag.
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

// runSync is `chiso sync`: one pass of the named (default: all) connectors
// now; --from/--to backfill a window month by month, resuming an
// interrupted backfill; --test checks each connector's upstream and writes
// nothing. Exit 0 when every connector succeeded, 1 when any failed (the
// others still commit).
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("sync", stderr)
	var only names
	fs.Var(&only, "connector", "run only this connector (repeatable)")
	fromFlag := fs.String("from", "", "backfill from this date (YYYY-MM-DD, Vietnam time)")
	toFlag := fs.String("to", "", "backfill up to this date, inclusive (default: today)")
	test := fs.Bool("test", false, "check each connector's upstream (connection, credentials) and write nothing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chiso sync: unexpected argument %q (use --connector NAME)\n", fs.Arg(0))
		return 2
	}
	cfg, ok := loadConfig(configPath(*c), stderr)
	if !ok {
		return 1
	}
	jobs, err := selectJobs(cfg, only)
	if err != nil {
		fmt.Fprintln(stderr, "chiso sync:", err)
		return 2
	}
	if *test {
		return checkConnectors(ctx, jobs, stdout)
	}
	var from, to time.Time
	backfill := *fromFlag != "" || *toFlag != ""
	if backfill {
		if from, to, err = backfillWindow(*fromFlag, *toFlag, cfg.Location, nowFunc()); err != nil {
			fmt.Fprintln(stderr, "chiso sync:", err)
			return 2
		}
	}

	w, err := openWarehouse(ctx, cfg, false)
	if err != nil {
		fmt.Fprintln(stderr, "chiso sync:", err)
		return 1
	}
	defer w.Close()
	// The per-run log lines would repeat what is printed below: only
	// warnings and errors unless CHISO_LOG_LEVEL asks for more.
	level := slog.LevelWarn
	if os.Getenv("CHISO_LOG_LEVEL") != "" {
		level = logLevel()
	}
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(quiet) // connectors log through the default logger
	runner := chisosync.NewRunner(nil, quiet)

	failed := 0
	if backfill {
		p := newChunkPrinter(stdout, stderr, jobs, from, to)
		for _, job := range jobs {
			if err := runner.Backfill(ctx, w.Store, job, from, to, p.chunk); err != nil {
				failed++
				p.failed(job.Name, err)
			}
		}
		p.finish()
	} else {
		for _, job := range jobs {
			res, err := runner.Run(ctx, w.Store, job, chisosync.RunOptions{})
			if err != nil {
				failed++
				fmt.Fprintf(stdout, "%s: %s\n", job.Name, describeFailure(err))
				continue
			}
			fmt.Fprintf(stdout, "%s: %s\n", job.Name, describeResult(res))
		}
	}
	fmt.Fprintf(stdout, "%d connector(s): %d succeeded, %d failed\n", len(jobs), len(jobs)-failed, failed)
	return boolExit(failed == 0)
}

// selectJobs returns the named connectors in config order (all if none).
func selectJobs(cfg *config.Config, only []string) ([]*config.ConnectorConfig, error) {
	if len(only) == 0 {
		if len(cfg.Jobs) == 0 {
			return nil, fmt.Errorf("%s has no connectors", cfg.File)
		}
		return cfg.Jobs, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []*config.ConnectorConfig
	var known []string
	for _, j := range cfg.Jobs {
		known = append(known, j.Name)
		if want[j.Name] {
			out = append(out, j)
			delete(want, j.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("no connector named %q in %s (known: %s)", n, cfg.File, strings.Join(known, ", "))
	}
	return out, nil
}

// backfillWindow parses --from/--to as Vietnam dates; --to defaults to today.
func backfillWindow(fromS, toS string, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	if fromS == "" {
		return time.Time{}, time.Time{}, errors.New("--to needs --from (YYYY-MM-DD)")
	}
	from, err := time.ParseInLocation(time.DateOnly, fromS, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--from %q: want a date like 2025-01-01", fromS)
	}
	to := now.In(loc)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc)
	if toS != "" {
		if to, err = time.ParseInLocation(time.DateOnly, toS, loc); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--to %q: want a date like 2025-12-31", toS)
		}
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %s is before --from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return from, to, nil
}

// checkConnectors runs each connector's Check: the "test connection".
func checkConnectors(ctx context.Context, jobs []*config.ConnectorConfig, stdout io.Writer) int {
	failed := 0
	for _, job := range jobs {
		cctx, cancel := context.WithTimeout(ctx, job.Timeout)
		err := job.Conn.Check(cctx)
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s (%s): FAILED: %v\n", job.Name, job.Type, err)
			continue
		}
		fmt.Fprintf(stdout, "%s (%s): ok\n", job.Name, job.Type)
	}
	fmt.Fprintf(stdout, "%d connector(s) checked: %d ok, %d failed; nothing was written\n", len(jobs), len(jobs)-failed, failed)
	return boolExit(failed == 0)
}

func describeResult(r chisosync.Result) string {
	s := fmt.Sprintf("%s (run %d: fetched %d, upserted %d, rejected %d, %s)", r.Status, r.RunID, r.Fetched, r.Upserted, r.Rejects, r.Duration.Round(time.Millisecond))
	if r.Incomplete != "" {
		s += "\n  not read whole: " + r.Incomplete
	}
	return s
}

func describeFailure(err error) string {
	if errors.Is(err, chisosync.ErrLocked) {
		return "FAILED: not run: another chiso process (the daemon?) is running this connector now; try again when it has finished"
	}
	return "FAILED: " + err.Error()
}

// chunkPrinter reports backfill chunks: a progress bar on a terminal,
// one line per chunk otherwise.
type chunkPrinter struct {
	out io.Writer
	bar *progressbar.ProgressBar
}

func newChunkPrinter(stdout, stderr io.Writer, jobs []*config.ConnectorConfig, from, to time.Time) *chunkPrinter {
	p := &chunkPrinter{out: stdout}
	f, ok := stderr.(*os.File)
	if ok && term.IsTerminal(int(f.Fd())) {
		total := len(jobs) * len(chisosync.Chunks(from, to))
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("backfill "+from.Format(time.DateOnly)+".."+to.Format(time.DateOnly)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *chunkPrinter) chunk(ev chisosync.ChunkEvent) {
	window := ev.Window.From.Format(time.DateOnly) + ".." + ev.Window.To.Format(time.DateOnly)
	var line string
	switch {
	case ev.Earlier:
		line = fmt.Sprintf("%s %s [%d/%d]: done by an earlier backfill, skipped", ev.Connector, window, ev.Index, ev.Total)
	case ev.Err != nil:
		line = fmt.Sprintf("%s %s [%d/%d]: %s", ev.Connector, window, ev.Index, ev.Total, describeFailure(ev.Err))
	default:
		line = fmt.Sprintf("%s %s [%d/%d]: %s", ev.Connector, window, ev.Index, ev.Total, describeResult(ev.Result))
	}
	if p.bar != nil {
		_ = p.bar.Clear()
		fmt.Fprintln(p.out, line)
		_ = p.bar.Add(1)
		return
	}
	fmt.Fprintln(p.out, line)
}

func (p *chunkPrinter) failed(name string, err error) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.out, "%s: backfill stopped: %s\n  run the same command again to resume after the last chunk done\n", name, describeFailure(err))
}

func (p *chunkPrinter) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
