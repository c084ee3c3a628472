package connector

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Span is a config length written in days or weeks as well as Go units:
// "35d", "1w", "1d12h", "36h", "90m". Connectors use it for lookbacks,
// overlaps and windows, where days are the natural unit.
type Span time.Duration

// Duration returns the span as a time.Duration.
func (s Span) Duration() time.Duration { return time.Duration(s) }

// ParseSpan reads "35d", "1w", "1d12h" or any time.ParseDuration value;
// negative lengths are errors.
func ParseSpan(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	bad := fmt.Errorf("%q is not a length like 35d, 1w or 36h", v)
	var total time.Duration
	rest := v
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		if i := strings.Index(rest, u.suffix); i > 0 {
			n, err := strconv.Atoi(rest[:i])
			if err != nil || n < 0 {
				return 0, bad
			}
			total += time.Duration(n) * u.unit
			rest = rest[i+1:]
		}
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return 0, bad
		}
		total += d
	}
	if v == "" {
		return 0, bad
	}
	return total, nil
}

// UnmarshalYAML reads a Span; a bad value is a *yaml.TypeError so that the
// config loader goes on and reports every problem of the file.
func (s *Span) UnmarshalYAML(n *yaml.Node) error {
	d, err := ParseSpan(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*s = Span(d)
	return nil
}

// MarshalYAML writes the span as a Go duration.
func (s Span) MarshalYAML() (any, error) { return time.Duration(s).String(), nil }
