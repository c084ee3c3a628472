package edxml

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/vntime"
)

// dateLayouts are the accepted date forms: yyyy/MM/dd (emitted), yyyy-MM-dd
// and dd/MM/yyyy. Single-digit day and month are accepted too.
var dateLayouts = []string{"2006/1/2", "2006-1-2", "2/1/2006"}

// timestampLayouts are the accepted timestamp forms (no zone: Vietnam time),
// plus RFC 3339 which carries its own zone.
var timestampLayouts = []string{
	"2006/1/2 15:04:05", "2006-1-2 15:04:05", "2/1/2006 15:04:05",
	"2006-01-02T15:04:05", "2006/1/2 15:04", "2006-1-2 15:04",
}

// ParseDate parses a wire date (yyyy/MM/dd, yyyy-MM-dd or dd/MM/yyyy) as
// midnight Vietnam time. Impossible dates (2025/02/30) and trailing text are
// errors.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, vntime.Location); err == nil {
			return t, nil
		}
	}
	if looksLikeDate(s) {
		return time.Time{}, fmt.Errorf("impossible date %q", s)
	}
	return time.Time{}, fmt.Errorf("unparsable date %q (expected yyyy/MM/dd)", s)
}

// ParseTimestamp parses a wire timestamp (yyyy/MM/dd HH:mm:ss and the
// tolerated variants; RFC 3339). Times without a zone are Vietnam time.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// RFC 3339 has a 'T' (checked first: a failed parse allocates an error).
	if strings.ContainsAny(s, "Tt") {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.In(vntime.Location), nil
		}
	}
	for _, l := range timestampLayouts {
		if t, err := time.ParseInLocation(l, s, vntime.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unparsable timestamp %q (expected yyyy/MM/dd HH:mm:ss)", s)
}

// looksLikeDate reports whether s has the shape of a date (digits and
// separators only), so that the error can say "impossible" not "unparsable".
func looksLikeDate(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' })
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 4 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// isStandardDate reports whether s is exactly yyyy/MM/dd.
func isStandardDate(s string) bool {
	if len(s) != 10 || s[4] != '/' || s[7] != '/' {
		return false
	}
	_, err := time.ParseInLocation("2006/01/02", s, vntime.Location)
	return err == nil
}

// SplitDocumentID splits a DocumentId "OrganId,yyyy/MM/dd,number/notation"
// on its first two commas only (a notation may hold commas). ok is false when
// there are fewer than three parts.
func SplitDocumentID(s string) (issuer, date, code string, ok bool) {
	issuer, rest, ok1 := strings.Cut(strings.TrimSpace(s), ",")
	date, code, ok2 := strings.Cut(rest, ",")
	if !ok1 || !ok2 {
		return "", "", "", false
	}
	return strings.TrimSpace(issuer), strings.TrimSpace(date), strings.TrimSpace(code), true
}

// CheckOrganID validates an OrganId as From/To need it: present, not "null",
// at most 35 characters of letters, digits, '.', '-' and '_'. It returns the
// code upper-cased, and whether it has the standard four-group form.
func CheckOrganID(s string) (code string, standard bool, err error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", false, fmt.Errorf("empty OrganId")
	case strings.EqualFold(s, "null"):
		return "", false, fmt.Errorf("OrganId is \"null\"")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '-' || r == '_') {
			return "", false, fmt.Errorf("OrganId %q has an invalid character %q (letters, digits, '.', '-', '_' only)", s, r)
		}
	}
	if len(s) > 35 {
		return "", false, fmt.Errorf("OrganId %q is longer than 35 characters", s)
	}
	code = strings.ToUpper(s)
	return code, IsStandardOrganID(code), nil
}

// IsStandardOrganID reports whether code has the QĐ 20/2020 form
// [0-9A-Z]{3}.[0-9A-Z]{2}.[0-9A-Z]{2}.[A-Z][0-9A-Z]{2}.
func IsStandardOrganID(code string) bool {
	if len(code) != 13 || code[3] != '.' || code[6] != '.' || code[9] != '.' {
		return false
	}
	for i := 0; i < len(code); i++ {
		if i == 3 || i == 6 || i == 9 {
			continue
		}
		c := code[i]
		digit := c >= '0' && c <= '9'
		upper := c >= 'A' && c <= 'Z'
		if i == 10 {
			if !upper {
				return false
			}
		} else if !digit && !upper {
			return false
		}
	}
	return true
}

// parseInt parses an integer field (surrounding spaces allowed).
func parseInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("not an integer: %q", s)
	}
	return n, nil
}
