package warehouse

import (
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
