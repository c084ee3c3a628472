package meetings

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	ical "github.com/emersion/go-ical"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// scanned is a feed after the line scan: what go-ical may decode, and what
// the scan set aside.
type scanned struct {
	// clean is the feed as go-ical decodes it: UTF-8, without the VEVENTs
	// rejected here, the lines dropped and what follows the last
	// END:VCALENDAR.
	clean []byte
	// spans are the VEVENTs directly inside a VCALENDAR that clean keeps, in
	// feed order.
	spans []span
	// bad are the VEVENTs rejected by the scan (a malformed content line,
	// text that is not UTF-8, a NUL byte).
	bad      []Problem
	warnings []string
}

// span is where a top-level VEVENT sits in the feed.
type span struct {
	line int
	raw  []byte
}

// decodeText returns the feed as UTF-8. A UTF-8 or UTF-16 byte order mark
// decides; a feed that is valid UTF-8 is used as is; a feed with bytes that
// are not UTF-8 and no UTF-8 sequence at all is an ISO-8859-1/Windows-1252
// export (Outlook, older Google exports) and is transcoded, with a warning.
// A feed that mixes UTF-8 with stray bytes is left alone: the scan rejects
// the VEVENTs holding them (mixed reports whether that is the case). enc is
// the encoding transcoded from (nil: none), so that a reject keeps the
// original bytes.
func decodeText(data []byte) (text []byte, mixed bool, warn string, enc encoding.Encoding, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		data = data[3:]
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
		if data[0] == 0xfe {
			enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
		}
		out, err := enc.NewDecoder().Bytes(data[2:])
		if err != nil {
			return nil, false, "", nil, fmt.Errorf("ical: the feed starts with a UTF-16 byte order mark but is not UTF-16: %w", err)
		}
		return out, false, "the feed is UTF-16: read as such", enc, nil
	}
	if utf8.Valid(data) {
		return data, false, "", nil, nil
	}
	line, hasUTF8 := firstInvalid(data)
	if hasUTF8 {
		return data, true, "", nil, nil
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return nil, false, "", nil, fmt.Errorf("ical: line %d: the feed is neither UTF-8 nor Windows-1252: %w", line, err)
	}
	return out, false, fmt.Sprintf("line %d: the feed is not UTF-8: read as Windows-1252 (ISO-8859-1)", line), charmap.Windows1252, nil
}

// firstInvalid returns the line of the first byte that is not UTF-8 and
// whether the feed also holds multi-byte UTF-8 sequences.
func firstInvalid(data []byte) (line int, hasUTF8 bool) {
	line = 0
	for i, no := 0, 1; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				no++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			if line == 0 {
				line = no
			}
		} else {
			hasUTF8 = true
		}
		i += n
	}
	return line, hasUTF8
}

type rawLine struct {
	no   int // 1-based
	off  int // byte offset in the feed
	end  int // offset after the line's newline
	text []byte
}

func splitLines(data []byte) []rawLine {
	var out []rawLine
	off := 0
	for no := 1; off < len(data); no++ {
		j := bytes.IndexByte(data[off:], '\n')
		var text []byte
		next := len(data)
		if j >= 0 {
			text = data[off : off+j]
			next = off + j + 1
		} else {
			text = data[off:]
		}
		text = bytes.TrimSuffix(text, []byte("\r"))
		out = append(out, rawLine{no: no, off: off, end: next, text: text})
		off = next
	}
	return out
}

// openComp is a component whose END the scan has not met yet.
type openComp struct {
	name  string
	line  int
	start int
	// for a top-level VEVENT: its UID and RECURRENCE-ID (for the reject
	// key) and the first problem found in it
	uid, rid string
	fault    *Problem
}

// scan checks the feed's structure line by line (go-ical reports no line
// numbers, and panics on some malformed parameters). What breaks the
// structure (not iCalendar, unbalanced BEGIN/END, truncated) is an error
// naming the line. What spoils one VEVENT (a malformed content line, a NUL
// byte, text that is not UTF-8) rejects that VEVENT alone; a malformed line
// elsewhere is dropped, and what follows the last END:VCALENDAR (a proxy's
// "X-COMMENT:Cached from …") is ignored, each with a warning.
func scan(data []byte, mixed bool) (*scanned, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("ical: the feed is empty")
	}
	var (
		stack       []*openComp
		out         = &scanned{}
		drop        [][2]int // byte ranges left out of clean
		sawCalendar bool
		strayFrom   int // line of the first stray line after a VCALENDAR, 0: none
		strayN      int
		strayText   string
	)
	lines := splitLines(data)
	for k := 0; k < len(lines); k++ {
		ln := lines[k]
		text := string(ln.text)
		// Unfold continuation lines.
		for k+1 < len(lines) && len(lines[k+1].text) > 0 && (lines[k+1].text[0] == ' ' || lines[k+1].text[0] == '\t') {
			k++
			text += string(lines[k].text[1:])
		}
		whole := [2]int{ln.off, lines[k].end}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !sawCalendar {
			if !strings.EqualFold(strings.TrimSpace(text), "BEGIN:VCALENDAR") {
				return nil, fmt.Errorf("ical: line %d: not an iCalendar feed: it starts with %q, not BEGIN:VCALENDAR", ln.no, clip(text, 40))
			}
			sawCalendar = true
		}
		if len(stack) == 0 && !strings.EqualFold(strings.TrimSpace(text), "BEGIN:VCALENDAR") {
			// After an END:VCALENDAR: a proxy's comment, padding, junk.
			if strayFrom == 0 {
				strayFrom, strayText = ln.no, clip(strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", ""), "?"), 40)
			}
			strayN++
			drop = append(drop, whole)
			continue
		}
		event := topEvent(stack)
		name, value, err := checkContentLine(text)
		if err == nil {
			err = cleanText(name, text, mixed)
		}
		if err != nil {
			if event != nil {
				if event.fault == nil {
					field := fieldOf(name, text)
					event.fault = &Problem{Line: ln.no, Field: field, Msg: strings.TrimPrefix(err.Error(), field+": ")}
				}
				continue
			}
			out.warnings = append(out.warnings, fmt.Sprintf("line %d: %v: line ignored", ln.no, err))
			drop = append(drop, whole)
			continue
		}
		switch name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(value))
			if len(stack) == 0 && comp != ical.CompCalendar {
				return nil, fmt.Errorf("ical: line %d: BEGIN:%s outside a VCALENDAR", ln.no, comp)
			}
			stack = append(stack, &openComp{name: comp, line: ln.no, start: ln.off})
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(value))
			if len(stack) == 0 {
				return nil, fmt.Errorf("ical: line %d: END:%s without a matching BEGIN", ln.no, comp)
			}
			top := stack[len(stack)-1]
			if top.name != comp {
				return nil, fmt.Errorf("ical: line %d: END:%s does not close BEGIN:%s of line %d", ln.no, comp, top.name, top.line)
			}
			stack = stack[:len(stack)-1]
			if comp == ical.CompEvent && len(stack) == 1 {
				raw := data[top.start:lines[k].end]
				if top.fault != nil {
					p := *top.fault
					p.UID, p.RecurrenceID, p.Begin, p.Raw = top.uid, top.rid, top.line, raw
					out.bad = append(out.bad, p)
					drop = append(drop, [2]int{top.start, lines[k].end})
				} else {
					out.spans = append(out.spans, span{line: top.line, raw: bytes.TrimRight(raw, "\r\n")})
				}
			}
		case ical.PropUID, ical.PropRecurrenceID:
			if event != nil && len(stack) == 2 {
				if name == ical.PropUID {
					event.uid = strings.TrimSpace(value)
				} else {
					event.rid = strings.TrimSpace(value)
				}
			}
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return nil, fmt.Errorf("ical: the feed ends before END:%s (BEGIN:%s at line %d is not closed; truncated download?)", top.name, top.name, top.line)
	}
	if strayN > 0 {
		out.warnings = append(out.warnings, fmt.Sprintf("line %d: %d line(s) after END:VCALENDAR ignored (%q)", strayFrom, strayN, strayText))
	}
	out.clean = without(data, drop)
	return out, nil
}

// topEvent is the top-level VEVENT being read, if any.
func topEvent(stack []*openComp) *openComp {
	if len(stack) >= 2 && stack[1].name == ical.CompEvent {
		return stack[1]
	}
	return nil
}

// cleanText refuses a content line that cannot be stored as text: a NUL
// byte, or bytes that are not UTF-8 in a feed that is otherwise UTF-8.
func cleanText(name, text string, mixed bool) error {
	if strings.IndexByte(text, 0) >= 0 {
		return fmt.Errorf("%s: holds a NUL byte", name)
	}
	if mixed && !utf8.ValidString(text) {
		return fmt.Errorf("%s: not UTF-8 text (the rest of the feed is UTF-8)", name)
	}
	return nil
}

// fieldOf names the property of a faulty content line: its name when it
// looks like one, else "content line" (e.g. a folded line that lost its
// leading space).
func fieldOf(name, text string) string {
	if name == "" {
		if i := strings.IndexAny(text, ";:"); i > 0 {
			name = strings.ToUpper(text[:i])
		}
	}
	if name == "" || strings.IndexFunc(name, func(r rune) bool {
		return !(r == '-' || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) >= 0 {
		return "content line"
	}
	return name
}

// without returns data minus the byte ranges in drop (in order, not
// overlapping except for nesting, which the scan never produces).
func without(data []byte, drop [][2]int) []byte {
	if len(drop) == 0 {
		return data
	}
	out := make([]byte, 0, len(data))
	at := 0
	for _, d := range drop {
		if d[0] < at {
			continue
		}
		out = append(out, data[at:d[0]]...)
		at = d[1]
	}
	return append(out, data[at:]...)
}

// checkContentLine validates "NAME *(;PARAM=VALUE*(,VALUE)) : VALUE" the way
// go-ical reads it, so that what go-ical would choke (or panic) on is an
// error with a line number here.
func checkContentLine(s string) (name, value string, err error) {
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return "", "", fmt.Errorf("malformed line %q: no colon between name and value", clip(s, 60))
	}
	if i == 0 {
		return "", "", fmt.Errorf("malformed line %q: empty property name", clip(s, 60))
	}
	name = strings.ToUpper(s[:i])
	rest := s[i:]
	for strings.HasPrefix(rest, ";") {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", "", fmt.Errorf("%s: malformed parameter %q", name, clip(rest, 40))
		}
		rest = rest[eq+1:]
		for {
			if strings.HasPrefix(rest, `"`) {
				q := strings.IndexByte(rest[1:], '"')
				if q < 0 {
					return "", "", fmt.Errorf("%s: unterminated quoted parameter value", name)
				}
				rest = rest[q+2:]
			} else {
				j := strings.IndexAny(rest, `;,:"`)
				if j < 0 {
					return "", "", fmt.Errorf("%s: no colon before the value", name)
				}
				if rest[j] == '"' {
					return "", "", fmt.Errorf("%s: stray double quote in a parameter value", name)
				}
				rest = rest[j:]
			}
			if rest == "" {
				return "", "", fmt.Errorf("%s: no colon before the value (a quoted parameter swallowed it: %q)", name, clip(s, 60))
			}
			if rest[0] == ',' {
				rest = rest[1:]
				continue
			}
			if rest[0] != ';' && rest[0] != ':' {
				return "", "", fmt.Errorf("%s: unexpected %q after a parameter value", name, rest[0])
			}
			break
		}
	}
	if !strings.HasPrefix(rest, ":") {
		return "", "", fmt.Errorf("%s: no colon before the value", name)
	}
	return name, rest[1:], nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// originalBytes re-encodes a transcoded VEVENT to the feed's own bytes (a
// reject keeps and hashes what the feed holds); unchanged when the feed was
// UTF-8 or the round trip fails.
func originalBytes(raw []byte, enc encoding.Encoding) []byte {
	if enc == nil || raw == nil {
		return raw
	}
	if out, err := enc.NewEncoder().Bytes(raw); err == nil {
		return out
	}
	return raw
}
