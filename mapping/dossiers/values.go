package dossiers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"chiso/adapters/vntime"
)

// dateKind tells how much of a timestamp the wire value gave.
type dateKind int

const (
	dateNone     dateKind = iota // empty, null or a placeholder
	dateFull                     // date and time
	dateDateOnly                 // a calendar date without a time
)

// parseWireTime reads one wire date. The canonical form is yyyyMMddHHmmss in
// Vietnam time. Tolerated because producers send them and they are
// unambiguous: yyyyMMddHHmm, yyyyMMdd, dd/MM/yyyy[ HH:mm[:ss]] (Vietnamese
// day-first order, 4-digit year), yyyy-MM-dd[ HH:mm:ss] and RFC 3339 with or
// without a zone (no zone = Vietnam time). Empty, null and placeholders
// (all zeros, years before 1990 or from 2100 on) give dateNone; placeholder
// is then true so the caller can warn. Anything else is an error.
func parseWireTime(v string) (t time.Time, kind dateKind, placeholder bool, err error) {
	s := strings.TrimSpace(v)
	switch strings.ToLower(s) {
	case "", "null", "nil", "none", "-", "--", "n/a", "na":
		return time.Time{}, dateNone, s != "", nil
	}
	if strings.Trim(s, "0") == "" {
		return time.Time{}, dateNone, true, nil
	}
	if len(s) == 14 && isDigits(s) {
		// The canonical form (most values): RFC 3339 cannot match it.
		if t, e := time.ParseInLocation("20060102150405", s, vntime.Location); e == nil {
			return checkYear(t, dateFull)
		}
	} else if t, e := time.Parse(time.RFC3339Nano, s); e == nil {
		return checkYear(t.In(vntime.Location), dateFull)
	}
	for _, l := range wireLayouts {
		if l.ok != nil && !l.ok(s) {
			continue
		}
		if t, e := time.ParseInLocation(l.layout, s, vntime.Location); e == nil {
			return checkYear(t, l.kind)
		}
	}
	return time.Time{}, dateNone, false, fmt.Errorf("cannot read %q as a date (expected yyyyMMddHHmmss)", clip(s, 60))
}

// wireLayouts are the tolerated forms, tried in order after RFC 3339.
var wireLayouts = []struct {
	layout string
	kind   dateKind
	ok     func(string) bool
}{
	{"20060102150405", dateFull, digits(14)},
	{"200601021504", dateFull, digits(12)},
	{"20060102", dateDateOnly, digits(8)},
	{"2/1/2006 15:04:05", dateFull, slashed},
	{"2/1/2006 15:04", dateFull, slashed},
	{"2/1/2006", dateDateOnly, slashed},
	{"2006-01-02 15:04:05", dateFull, nil},
	{"2006-01-02T15:04:05", dateFull, nil},
	{"2006-01-02T15:04:05.999999999", dateFull, nil},
	{"2006-01-02", dateDateOnly, nil},
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
func checkYear(t time.Time, k dateKind) (time.Time, dateKind, bool, error) {
	if t.Year() < 1990 || t.Year() >= 2100 {
		return time.Time{}, dateNone, true, nil
	}
	return t, k, false, nil
}

func digits(n int) func(string) bool {
	return func(s string) bool {
		if len(s) != n {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
}

// slashed accepts d/M/yyyy forms only with a 4-digit year: 04/03/25 is
// ambiguous and rejected.
func slashed(s string) bool {
	date, _, _ := strings.Cut(s, " ")
	parts := strings.Split(date, "/")
	return len(parts) == 3 && len(parts[2]) == 4
}

// parseFlag reads a 0/1 flag in any of the spellings producers use: "0"/"1",
// true/false, "True"/"False", numbers (non-zero = set), yes/no, có/không.
// ok is false for a value that is none of these (read as not set).
func parseFlag(v string) (set bool, ok bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case "", "0", "false", "f", "no", "n", "không", "khong", "null":
		return false, true
	case "1", "true", "t", "yes", "y", "có", "co", "x":
		return true, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f != 0, true
	}
	return false, false
}

// parseStatus reads TrangThaiHoSo or a step's TrangThai: 1..10, else nil.
func parseStatus(v string) (*int, bool) {
	s := strings.TrimSpace(v)
	if s == "" {
		return nil, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int(f)) {
			return nil, false
		}
		n = int(f)
	}
	if n < 1 || n > 10 {
		return nil, false
	}
	return &n, true
}

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
