package connector

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"chiso/adapters/vntime"
)

// CoverageStream is the checkpoint stream where a connector with a time
// window (vxp lookback, dvc windows, ical window) records the Vietnam dates
// its successful runs have read, so that `chiso status` can say when the
// baseline is not covered. Its value is a Coverage.
const CoverageStream = "coverage"

// DateSpan is an inclusive span of Vietnam calendar dates (00:00 in
// vntime.Location at both ends).
type DateSpan struct{ From, To time.Time }

func (s DateSpan) String() string {
	return s.From.Format(time.DateOnly) + ".." + s.To.Format(time.DateOnly)
}

// Coverage is the set of dates read, as sorted, disjoint, non-adjacent spans.
type Coverage []DateSpan

// VietnamDate is the Vietnam calendar date of t, at 00:00 Vietnam time.
func VietnamDate(t time.Time) time.Time {
	y, m, d := t.In(vntime.Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, vntime.Location)
}

// ParseCoverage reads a CoverageStream checkpoint:
// "2025-01-01..2025-06-30,2026-10-27..2026-12-01".
func ParseCoverage(v string) (Coverage, error) {
	var c Coverage
	for _, part := range strings.Split(strings.TrimSpace(v), ",") {
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "..")
		from, err1 := time.ParseInLocation(time.DateOnly, a, vntime.Location)
		to, err2 := time.ParseInLocation(time.DateOnly, b, vntime.Location)
		if !ok || err1 != nil || err2 != nil || to.Before(from) {
			return nil, fmt.Errorf("coverage %q: %q is not a span YYYY-MM-DD..YYYY-MM-DD", v, part)
		}
		c = c.Add(from, to)
	}
	return c, nil
}

// String is the checkpoint value of c.
func (c Coverage) String() string {
	parts := make([]string, len(c))
	for i, s := range c {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// Add returns c with the dates of [from, to] (instants, read as their
// Vietnam dates) added; adjacent and overlapping spans merge.
func (c Coverage) Add(from, to time.Time) Coverage {
	from, to = VietnamDate(from), VietnamDate(to)
	if to.Before(from) {
		return c
	}
	all := append(append(Coverage(nil), c...), DateSpan{from, to})
	sort.Slice(all, func(i, j int) bool { return all[i].From.Before(all[j].From) })
	out := all[:1]
	for _, s := range all[1:] {
		last := &out[len(out)-1]
		if !s.From.After(last.To.AddDate(0, 0, 1)) {
			if s.To.After(last.To) {
				last.To = s.To
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// Missing returns the spans of [from, to] (Vietnam dates) that c does not hold.
func (c Coverage) Missing(from, to time.Time) []DateSpan {
	from, to = VietnamDate(from), VietnamDate(to)
	var out []DateSpan
	next := from
	for _, s := range c {
		if s.To.Before(next) {
			continue
		}
		if s.From.After(to) {
			break
		}
		if s.From.After(next) {
			out = append(out, DateSpan{next, s.From.AddDate(0, 0, -1)})
		}
		next = s.To.AddDate(0, 0, 1)
	}
	if !next.After(to) {
		out = append(out, DateSpan{next, to})
	}
	return out
}

// checkpoints is the part of Sink that coverage needs.
type checkpoints interface {
	SetCheckpoint(ctx context.Context, stream, value string) error
	Checkpoint(ctx context.Context, stream string) (string, bool, error)
}

// ReadCoverage returns the committed coverage of the running connector;
// ok is false before its first successful run that recorded one (an
// unreadable value counts as none: the next RecordCoverage replaces it).
func ReadCoverage(ctx context.Context, sink checkpoints) (c Coverage, ok bool, err error) {
	v, ok, err := sink.Checkpoint(ctx, CoverageStream)
	if err != nil || !ok {
		return nil, false, err
	}
	if c, err = ParseCoverage(v); err != nil {
		return nil, false, nil
	}
	return c, true, nil
}

// RecordCoverage adds [from, to] to the connector's coverage; it commits
// with the current batch, so call it when everything in the span was read,
// before the last Flush.
func RecordCoverage(ctx context.Context, sink checkpoints, from, to time.Time) error {
	c, _, err := ReadCoverage(ctx, sink)
	if err != nil {
		return err
	}
	return sink.SetCheckpoint(ctx, CoverageStream, c.Add(from, to).String())
}

// WindowStart is where a run of a connector with a lookback starts reading:
// now − lookback, or the baseline on a first sync (no coverage recorded
// yet), whatever today is. Later runs keep to the lookback; a gap they
// leave is shown by `chiso status` with the backfill command that fills it.
func WindowStart(env Env, cov Coverage, now time.Time, lookback time.Duration) time.Time {
	from := now.Add(-lookback)
	if len(cov) == 0 && !env.Baseline.IsZero() && env.Baseline.Before(from) {
		return env.Baseline
	}
	return from
}

// BackfillCommand is the command that reads span for a connector.
func BackfillCommand(name string, span DateSpan) string {
	return fmt.Sprintf("chiso sync --connector %s --from %s --to %s", name, span.From.Format(time.DateOnly), span.To.Format(time.DateOnly))
}
