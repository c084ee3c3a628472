package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"chiso/adapters/vntime"
)

// Parser accepts 5-field specs, 6-field specs with seconds, and
// descriptors (@every 15m, @hourly, @daily…).
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses spec and returns its schedule and period: the
// shortest gap between two activations over the next year's first 500
// runs (for @every, the interval).
func ParseSchedule(spec string) (cron.Schedule, time.Duration, error) {
	spec = strings.TrimSpace(spec)
	s, err := Parser.Parse(spec)
	if err != nil {
		return nil, 0, fmt.Errorf("%q: %v", spec, err)
	}
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		if c.Delay < time.Second {
			return nil, 0, fmt.Errorf("%q: interval below one second", spec)
		}
		return s, c.Delay, nil
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, vntime.Location)
	prev := s.Next(t)
	if prev.IsZero() {
		return nil, 0, fmt.Errorf("%q: never runs", spec)
	}
	period := time.Duration(1<<63 - 1)
	for i := 0; i < 500; i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); d < period {
			period = d
		}
		prev = next
	}
	if period == time.Duration(1<<63-1) {
		period = 365 * 24 * time.Hour
	}
	return s, period, nil
}
