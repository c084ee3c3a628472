package vxp

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// edocResult is the small part of a getEdoc answer.
type edocResult struct {
	result
	hasData bool
}

// maxSmall bounds the JSON strings other than data that are kept.
const maxSmall = 64 << 10

// decodeEdoc reads a getEdoc answer, a JSON object, without holding it: the
// "data" string is unescaped and base64-decoded straight into w; the other
// members are kept when small (status, ErrorCode, ErrorDesc) or skipped.
func decodeEdoc(r io.Reader, w io.Writer) (edocResult, int64, error) {
	var res edocResult
	br := bufio.NewReaderSize(r, 64<<10)
	var n int64
	if err := expect(br, '{'); err != nil {
		return res, 0, err
	}
	for first := true; ; first = false {
		c, err := next(br)
		if err != nil {
			return res, n, err
		}
		if c == '}' {
			return res, n, nil
		}
		if !first {
			if c != ',' {
				return res, n, fmt.Errorf("vxp: getEdoc answer: want ',' or '}', got %q", c)
			}
			if c, err = next(br); err != nil {
				return res, n, err
			}
		}
		if c != '"' {
			return res, n, fmt.Errorf("vxp: getEdoc answer: want a member name, got %q", c)
		}
		key, err := readString(br, maxSmall)
		if err != nil {
			return res, n, err
		}
		if err := expect(br, ':'); err != nil {
			return res, n, err
		}
		c, err = next(br)
		if err != nil {
			return res, n, err
		}
		switch {
		case key == "data" && c == '"':
			m, err := io.Copy(w, base64.NewDecoder(base64.StdEncoding, &jsonString{br: br}))
			n += m
			if err != nil {
				return res, n, fmt.Errorf("vxp: getEdoc data: %w", err)
			}
			res.hasData = true
		case c == '"':
			s, err := readString(br, maxSmall)
			if err != nil {
				return res, n, err
			}
			switch key {
			case "status":
				res.Status = s
			case "ErrorCode":
				res.ErrorCode = flex(s)
			case "ErrorDesc":
				res.ErrorDesc = s
			}
		default:
			if err := br.UnreadByte(); err != nil {
				return res, n, err
			}
			lit, err := skipValue(br)
			if err != nil {
				return res, n, err
			}
			if key == "ErrorCode" && lit != "null" {
				res.ErrorCode = flex(lit)
			}
		}
	}
}

func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return ErrTruncated
	}
	return err
}

// next returns the next non-space byte.
func next(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, eof(err)
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

func expect(br *bufio.Reader, want byte) error {
	c, err := next(br)
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("vxp: getEdoc answer: want %q, got %q", want, c)
	}
	return nil
}

// readString reads the rest of a JSON string (after its opening quote).
func readString(br *bufio.Reader, limit int) (string, error) {
	var b strings.Builder
	js := &jsonString{br: br}
	buf := make([]byte, 512)
	for {
		k, err := js.Read(buf)
		if b.Len() < limit {
			b.Write(buf[:k])
		}
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// skipValue skips a number, literal, object or array and returns it when
// it is a short scalar.
func skipValue(br *bufio.Reader) (string, error) {
	c, err := next(br)
	if err != nil {
		return "", err
	}
	switch c {
	case '{', '[':
		depth := 1
		for depth > 0 {
			c, err := br.ReadByte()
			if err != nil {
				return "", eof(err)
			}
			switch c {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			case '"':
				if _, err := readString(br, 0); err != nil {
					return "", err
				}
			}
		}
		return "", nil
	}
	var b strings.Builder
	b.WriteByte(c)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return "", eof(err)
		}
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			return b.String(), br.UnreadByte()
		}
		if b.Len() < 64 {
			b.WriteByte(c)
		}
	}
}

// jsonString reads the unescaped bytes of a JSON string up to its closing
// quote, then returns io.EOF; a body that ends first is ErrTruncated.
type jsonString struct {
	br      *bufio.Reader
	done    bool
	pending []byte // unescaped bytes that did not fit in the last Read
}

func (j *jsonString) Read(p []byte) (int, error) {
	n := copy(p, j.pending)
	j.pending = j.pending[n:]
	if j.done {
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
	for n < len(p) {
		if n > 0 && j.br.Buffered() == 0 {
			return n, nil // don't block with data in hand
		}
		c, err := j.br.ReadByte()
		if err != nil {
			return n, eof(err)
		}
		switch c {
		case '"':
			j.done = true
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case '\\':
			out, err := j.escape()
			if err != nil {
				return n, err
			}
			k := copy(p[n:], out)
			n += k
			j.pending = append(j.pending, out[k:]...)
		default:
			p[n] = c
			n++
		}
	}
	return n, nil
}

func (j *jsonString) escape() ([]byte, error) {
	e, err := j.br.ReadByte()
	if err != nil {
		return nil, eof(err)
	}
	switch e {
	case 'n':
		return []byte{'\n'}, nil
	case 'r':
		return []byte{'\r'}, nil
	case 't':
		return []byte{'\t'}, nil
	case 'b':
		return []byte{'\b'}, nil
	case 'f':
		return []byte{'\f'}, nil
	case 'u':
		var hex [4]byte
		if _, err := io.ReadFull(j.br, hex[:]); err != nil {
			return nil, eof(err)
		}
		v, err := strconv.ParseUint(string(hex[:]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("vxp: bad \\u escape %q", hex)
		}
		return utf8.AppendRune(nil, rune(v)), nil
	default: // '"', '\\', '/'
		return []byte{e}, nil
	}
}
