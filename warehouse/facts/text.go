package facts

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// StorableText returns s as PostgreSQL can store it in a text column:
// invalid UTF-8 sequences become U+FFFD and NUL bytes are dropped. It is the
// last line of defence; connectors reject a record whose field is not clean
// text and name the field, so stored facts never carry the replacement.
func StorableText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// JSONStringProblem says why a JSON string literal (quotes included) cannot
// be stored as jsonb or text: "" when it can. PostgreSQL refuses the escape
// \u0000 (NUL), a lone UTF-16 surrogate escape (\ud800 without its pair)
// and bytes that are not UTF-8; encoding/json lets all three through.
func JSONStringProblem(lit []byte) string {
	if !utf8.Valid(lit) {
		return "is not valid UTF-8"
	}
	for i := 0; i+5 < len(lit); i++ {
		if lit[i] != '\\' {
			continue
		}
		i++
		if lit[i] != 'u' {
			continue
		}
		r, ok := hex4(lit[i+1:])
		if !ok {
			continue
		}
		switch {
		case r == 0:
			return `holds the escape \u0000 (NUL), which cannot be stored as text`
		case r >= 0xD800 && r < 0xDC00:
			if i+10 < len(lit) && lit[i+5] == '\\' && lit[i+6] == 'u' {
				if lo, ok := hex4(lit[i+7:]); ok && lo >= 0xDC00 && lo < 0xE000 {
					i += 10
					continue
				}
			}
			return fmt.Sprintf(`holds a lone UTF-16 surrogate (\u%04x), which is not text`, r)
		case r >= 0xDC00 && r < 0xE000:
			return fmt.Sprintf(`holds a lone UTF-16 surrogate (\u%04x), which is not text`, r)
		}
		i += 4
	}
	return ""
}

// JSONTextProblem is JSONStringProblem for every string of a JSON value.
func JSONTextProblem(raw []byte) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(raw) && raw[j] != '"' {
			if raw[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(raw) {
			return "unterminated string"
		}
		if why := JSONStringProblem(raw[i : j+1]); why != "" {
			return why
		}
		i = j
	}
	return ""
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
