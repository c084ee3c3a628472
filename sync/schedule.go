package sync

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"chiso/sync/config"
)

// offset is the stable phase of a connector with an "@every period"
// schedule, like Prometheus' scrape offsets.
//
// Invariant: 0 <= offset < period, and it depends only on (name, period).
// So every daemon, started at any time, ticks a connector at the same
// instants (Unix epoch + offset + k·period), which is what lets two daemons
// sharing a warehouse agree on "this tick" and run it once; and connectors
// with the same period are spread over the period instead of all firing
// together.
func offset(name string, period time.Duration) time.Duration {
	if period <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(period))
}

// alignedEvery is "@every period" ticking at Unix epoch + off + k·period.
type alignedEvery struct {
	period, off time.Duration
}

// Next returns the first tick strictly after t.
func (s alignedEvery) Next(t time.Time) time.Time {
	p, o := int64(s.period), int64(s.off)
	n := t.UnixNano() - o
	k := n / p
	if n%p < 0 { // floor division for instants before the epoch
		k--
	}
	return time.Unix(0, (k+1)*p+o).In(t.Location())
}

// prev returns the latest tick at or before t.
func (s alignedEvery) prev(t time.Time) time.Time {
	p, o := int64(s.period), int64(s.off)
	n := t.UnixNano() - o
	k := n / p
	if n%p < 0 {
		k--
	}
	return time.Unix(0, k*p+o).In(t.Location())
}

// NextRun is the daemon's next activation of connector name with schedule
// spec strictly after now (in now's location, which the daemon's cron
// uses): what `chiso status` shows, from the same schedule the daemon adds.
func NextRun(name, spec string, now time.Time) (time.Time, error) {
	s, err := connectorSchedule(name, spec)
	if err != nil {
		return time.Time{}, err
	}
	return s.Next(now), nil
}

// connectorSchedule returns the schedule of a connector: "@every" specs
// are aligned with offset; other specs are cron's own.
func connectorSchedule(name, spec string) (cron.Schedule, error) {
	s, _, err := config.ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return alignedEvery{period: c.Delay, off: offset(name, c.Delay)}, nil
	}
	return s, nil
}

// prevTick returns the latest activation of s at or before now (zero if
// none within about a year): what a daemon starting at now missed last.
func prevTick(s cron.Schedule, now time.Time) time.Time {
	if a, ok := s.(alignedEvery); ok {
		return a.prev(now)
	}
	// Walk back until an activation falls at or before now, then forward.
	for back := time.Minute; back <= 400*24*time.Hour; back *= 2 {
		t := s.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return time.Time{}
}

// clock is the part of robfig/cron that chiso uses. The library has seen
// no commits since 2021: keeping it behind these five methods makes it
// replaceable.
type clock interface {
	// Add calls fn(tick) at every activation of s; tick is the scheduled instant.
	Add(s cron.Schedule, fn func(tick time.Time)) cron.EntryID
	Remove(id cron.EntryID)
	Next(id cron.EntryID) time.Time
	Start()
	// Stop stops scheduling; the context is done when running jobs have returned.
	Stop() context.Context
}

type cronClock struct{ c *cron.Cron }

// newCronClock returns a cron in loc with chiso's parser. Its chain
// recovers panics and skips an activation while the previous one of the
// entry is still going (cron.New has an empty chain otherwise). chiso's
// jobs only dispatch a run and return, so the skip is a safety net; the
// runner's own no-overlap slot counts overruns per connector.
func newCronClock(loc *time.Location, log *slog.Logger) *cronClock {
	l := cronLogger{log}
	return &cronClock{c: cron.New(
		cron.WithLocation(loc),
		cron.WithParser(config.Parser),
		cron.WithLogger(l),
		cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)),
	)}
}

func (k *cronClock) Add(s cron.Schedule, fn func(time.Time)) cron.EntryID {
	var id atomic.Int64
	e := k.c.Schedule(s, cron.FuncJob(func() {
		// Entry goes through cron's run loop, which sets Prev to the
		// activation being run right after starting the job.
		tick := k.c.Entry(cron.EntryID(id.Load())).Prev
		if tick.IsZero() {
			tick = time.Now().Truncate(time.Second)
		}
		fn(tick)
	}))
	id.Store(int64(e))
	return e
}

func (k *cronClock) Remove(id cron.EntryID)         { k.c.Remove(id) }
func (k *cronClock) Next(id cron.EntryID) time.Time { return k.c.Entry(id).Next }
func (k *cronClock) Start()                         { k.c.Start() }
func (k *cronClock) Stop() context.Context          { return k.c.Stop() }

// cronLogger adapts slog to cron.Logger; cron's routine messages go to debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
