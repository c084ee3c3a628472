package warehouse

import (
	"strconv"
	"time"

	"chiso/warehouse/facts"
)

// The one encoder of PostgreSQL array parameters: batches send each column
// as one text literal of a one-dimensional array ({"a",NULL,"b"}) for a
// parameter such as $1::text[], zipped by unnest. One rule for text: an
// element is stored as facts.StorableText stores it (invalid UTF-8 becomes
// U+FFFD, NUL bytes are dropped), with '"' and '\' escaped; NULL is
// written only when asked for (null, textPtr(nil), textOrNull("")).

// pgArray builds the text form of a one-dimensional PostgreSQL array
// ({"a",NULL,"b"}) for a parameter such as $1::text[].
type pgArray struct {
	buf []byte
	n   int
}

func (a *pgArray) start() { a.buf, a.n = append(a.buf[:0], '{'), 0 }

func (a *pgArray) sep() {
	if a.n > 0 {
		a.buf = append(a.buf, ',')
	}
	a.n++
}

// end returns the literal, which stays valid until the next start (the
// driver sends a []byte parameter as it is, without a copy).
func (a *pgArray) end() []byte {
	a.buf = append(a.buf, '}')
	return a.buf
}

func (a *pgArray) null() { a.sep(); a.buf = append(a.buf, "NULL"...) }

func (a *pgArray) text(s string) {
	a.sep()
	a.buf = appendQuoted(a.buf, s)
}

// textOrNull writes NULL for "", else s as text.
func (a *pgArray) textOrNull(s string) {
	if s == "" {
		a.null()
		return
	}
	a.text(s)
}

func (a *pgArray) textPtr(s *string) {
	if s == nil {
		a.null()
		return
	}
	a.text(*s)
}

func (a *pgArray) int(v int) { a.sep(); a.buf = strconv.AppendInt(a.buf, int64(v), 10) }

func (a *pgArray) intPtr(v *int) {
	if v == nil {
		a.null()
		return
	}
	a.int(*v)
}

func (a *pgArray) bool(v bool) {
	a.sep()
	if v {
		a.buf = append(a.buf, 't')
	} else {
		a.buf = append(a.buf, 'f')
	}
}

func (a *pgArray) time(t *time.Time) {
	if t == nil {
		a.null()
		return
	}
	a.sep()
	a.buf = append(a.buf, '"')
	a.buf = t.AppendFormat(a.buf, "2006-01-02 15:04:05.999999999Z07:00")
	a.buf = append(a.buf, '"')
}

// appendQuoted appends s as a quoted array element with the text rule of
// facts.StorableText (invalid UTF-8 replaced, NUL dropped) and backslash
// and double quote escaped.
func appendQuoted(buf []byte, s string) []byte {
	s = facts.StorableText(s)
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}

// textColumns are the columns of a batch of rows whose values are all text
// ("" is NULL), each one pgArray built as rows are added: no reflection and
// no per-element values for the driver to walk.
type textColumns struct{ cols []pgArray }

func newTextColumns(n, rows int) *textColumns {
	c := &textColumns{cols: make([]pgArray, n)}
	for i := range c.cols {
		c.cols[i].buf = make([]byte, 0, 2+rows*16)
		c.cols[i].start()
	}
	return c
}

// add appends one row: vals[i] to column i, "" as NULL.
func (c *textColumns) add(vals ...string) {
	for i, v := range vals {
		c.cols[i].textOrNull(v)
	}
}

// args are the columns' literals, as statement parameters.
func (c *textColumns) args() []any {
	out := make([]any, len(c.cols))
	for i := range c.cols {
		out[i] = string(c.cols[i].end())
	}
	return out
}
