package sync

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/sync/config"
)

// NextRun (what chiso status shows) is the activation the daemon's own
// cron clock schedules for the connector: aligned "@every" ticks, cron
// specs in Vietnam time.
func TestNextRunIsTheDaemonsTick(t *testing.T) {
	cases := []struct{ name, spec string }{
		{"qlvb-archive", "@every 15m"},
		{"truc-lien-thong", "@every 5m"},
		{"dvc", "@every 1h"},
		{"lich-hop", "@every 30m"},
		{"so-den", "0 7 * * 1-5"},
		{"nightly", "@daily"},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := connectorSchedule(tc.name, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			clock := newCronClock(vntime.Location, log)
			id := clock.Add(s, func(time.Time) {})
			before := time.Now().In(vntime.Location)
			clock.Start()
			defer clock.Stop()
			var daemon time.Time
			for daemon.IsZero() { // cron sets Next in its run loop, just after Start
				daemon = clock.Next(id)
				time.Sleep(time.Millisecond)
			}
			after := time.Now().In(vntime.Location)
			a, err := NextRun(tc.name, tc.spec, before)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := NextRun(tc.name, tc.spec, after)
			if !daemon.Equal(a) && !daemon.Equal(b) {
				t.Errorf("daemon ticks at %s, NextRun says %s", daemon, a)
			}
		})
	}
	// Before the fix, status used the plain "@every" schedule (now + period),
	// which the daemon never ticks on for a connector with a non-zero offset.
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, vntime.Location)
	got, _ := NextRun("qlvb-archive", "@every 15m", now)
	plain, _, _ := config.ParseSchedule("@every 15m")
	if naive := plain.Next(now); got.Equal(naive) {
		t.Errorf("NextRun = %s is the unaligned now+period", got)
	}
	if off := offset("qlvb-archive", 15*time.Minute); got.UnixNano()%int64(15*time.Minute) != int64(off) {
		t.Errorf("NextRun %s is not on the grid epoch + %s + k·15m", got, off)
	}
}
