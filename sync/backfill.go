package sync

import (
	"context"
	"fmt"
	"time"

	"chiso/sync/config"
	"chiso/sync/connector"
	"chiso/warehouse"
)

// Chunks splits the inclusive date window [from, to] into calendar months
// (the first and last chunks may be partial). Dates are midnights in the
// location of from; an empty slice means to is before from.
func Chunks(from, to time.Time) []connector.Window {
	loc := from.Location()
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc)
	var out []connector.Window
	for start := from; !start.After(to); {
		end := time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, loc).AddDate(0, 0, -1)
		if end.After(to) {
			end = to
		}
		out = append(out, connector.Window{From: start, To: end})
		start = end.AddDate(0, 0, 1)
	}
	return out
}

// BackfillStream is the sync_state stream that holds the progress of the
// backfill of [from, to]: the last day of the last chunk done.
func BackfillStream(from, to time.Time) string {
	return "backfill:" + from.Format(time.DateOnly) + ".." + to.Format(time.DateOnly)
}

// ChunkEvent reports one chunk of a backfill.
type ChunkEvent struct {
	Connector    string
	Index, Total int // 1-based
	Window       connector.Window
	Earlier      bool // done by an earlier, interrupted backfill: not run again
	Result       Result
	Err          error
}

// Backfill runs job over [from, to] one month at a time. Each chunk is a
// run with its window (recorded on the run, given to the connector by
// SetEnv), and the chunk's progress commits with the chunk's last batch,
// so a backfill that is interrupted (Ctrl-C, a failed chunk, a crash)
// resumes after the last chunk that committed. A completed backfill run
// again starts over (upserts converge). It stops at the first failed chunk.
func (r *Runner) Backfill(ctx context.Context, store *warehouse.Store, job *config.ConnectorConfig, from, to time.Time, report func(ChunkEvent)) error {
	if _, ok := job.Conn.(connector.EnvSetter); !ok {
		return fmt.Errorf("connector %s: type %s does not take a backfill window (each run reads all it can see); run chiso sync without --from/--to", job.Name, job.Type)
	}
	chunks := Chunks(from, to)
	if len(chunks) == 0 {
		return fmt.Errorf("backfill: --to %s is before --from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	stream := BackfillStream(chunks[0].From, chunks[len(chunks)-1].To)
	done, ok, err := store.Checkpoint(ctx, job.Name, stream)
	if err != nil {
		return err
	}
	last := chunks[len(chunks)-1].To.Format(time.DateOnly)
	if ok && done >= last {
		r.Logger.Info("backfill was complete; running it again", "connector", job.Name, "stream", stream)
		ok = false
	}
	for i, w := range chunks {
		ev := ChunkEvent{Connector: job.Name, Index: i + 1, Total: len(chunks), Window: w}
		end := w.To.Format(time.DateOnly)
		if ok && end <= done { // DateOnly strings compare like dates
			ev.Earlier = true
			report(ev)
			continue
		}
		w := w
		ev.Result, ev.Err = r.Run(ctx, store, job, RunOptions{Window: &w, Progress: &Checkpoint{Stream: stream, Value: end}})
		if ev.Err == nil && ev.Result.Incomplete != "" {
			ev.Err = fmt.Errorf("connector %s: window %s not read whole (%s); run the same command again to resume from it",
				job.Name, windowString(w), ev.Result.Incomplete)
		}
		report(ev)
		if ev.Err != nil {
			return ev.Err
		}
	}
	return nil
}
