package connector

import (
	"testing"
	"time"
)

func TestParseSpan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"35d", 35 * 24 * time.Hour, false},
		{"1w", 7 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"0d", 0, false},
		{"", 0, true},
		{"-2d", 0, true},
		{"two days", 0, true},
		{"d", 0, true},
	} {
		got, err := ParseSpan(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseSpan(%q) = %v, %v", tc.in, got, err)
		}
	}
}
