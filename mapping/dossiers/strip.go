package dossiers

import (
	"bytes"
	"errors"
	"strings"
)

// personalKeys are the record members that hold personal data: they never
// reach the warehouse, not even in a sighting's raw record (compared
// lower-cased, at any depth). Officers' job titles and departments
// (ChucDanh, PhongBanXuLy) stay; their names (NguoiXuLy) go.
var personalKeys = map[string]bool{
	"chuhoso": true, "tenchuhoso": true, "sogiaytochuhoso": true, "madoituong": true,
	"dinhdanhchs": true, "sodinhdanh": true, "socmnd": true, "socccd": true, "cmnd": true, "cccd": true,
	"sodienthoai": true, "dienthoai": true, "sodienthoaichuhoso": true, "email": true, "emailchuhoso": true,
	"diachi": true, "diachichuhoso": true, "diachithuongtru": true, "diachinhanketqua": true,
	"ngaysinh": true, "gioitinh": true, "hoten": true,
	"nguoixuly": true, "nguoiyeucaubosung": true, "nguoinop": true, "tennguoinop": true,
	"nguoinhanketqua": true, "nguoiky": true,
}

// IsPersonal reports whether a record member holds personal data.
func IsPersonal(key string) bool { return personalKeys[strings.ToLower(key)] }

// isPersonalKey is IsPersonal for a key of the bytes being scanned, without
// allocating: ASCII keys are lower-cased in a small buffer.
func isPersonalKey(key []byte) bool {
	var buf [32]byte
	if len(key) > len(buf) {
		return IsPersonal(string(key)) // longer than every personal key
	}
	for i, c := range key {
		switch {
		case c >= 0x80 || c == '\\':
			return IsPersonal(string(key)) // non-ASCII or escaped: the general path
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return personalKeys[string(buf[:len(key)])]
}

// StripPersonal returns the JSON value raw without the members that hold
// personal data, at any depth. It scans the bytes once and keeps everything
// else as it was; raw must be valid JSON.
func StripPersonal(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(raw))
	s := scanner{b: raw}
	s.ws()
	if err := s.value(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type scanner struct {
	b    []byte
	i    int
	skip bytes.Buffer // where stripped values are scanned to
}

var errSyntax = errors.New("invalid JSON")

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value copies one value to out, stripping personal members of objects.
func (s *scanner) value(out *bytes.Buffer) error {
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch s.b[s.i] {
	case '{':
		return s.object(out)
	case '[':
		s.i++
		out.WriteByte('[')
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			out.WriteByte(']')
			return nil
		}
		for {
			s.ws()
			if err := s.value(out); err != nil {
				return err
			}
			s.ws()
			if s.i >= len(s.b) {
				return errSyntax
			}
			c := s.b[s.i]
			s.i++
			if c == ']' {
				out.WriteByte(']')
				return nil
			}
			if c != ',' {
				return errSyntax
			}
			out.WriteByte(',')
		}
	case '"':
		start := s.i
		if err := s.str(); err != nil {
			return err
		}
		out.Write(s.b[start:s.i])
		return nil
	default:
		start := s.i
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r' {
				break
			}
			s.i++
		}
		if s.i == start {
			return errSyntax
		}
		out.Write(s.b[start:s.i])
		return nil
	}
}

func (s *scanner) object(out *bytes.Buffer) error {
	s.i++ // {
	out.WriteByte('{')
	first := true
	for {
		s.ws()
		if s.i >= len(s.b) {
			return errSyntax
		}
		if s.b[s.i] == '}' {
			s.i++
			out.WriteByte('}')
			return nil
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		ks := s.i
		if err := s.str(); err != nil {
			return err
		}
		key := s.b[ks+1 : s.i-1]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.ws()
		if isPersonalKey(key) {
			if err := s.value(&s.skip); err != nil {
				return err
			}
			s.skip.Reset()
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		out.Write(s.b[ks : ks+len(key)+2])
		out.WriteByte(':')
		if err := s.value(out); err != nil {
			return err
		}
	}
}

func (s *scanner) str() error {
	if s.b[s.i] != '"' {
		return errSyntax
	}
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return nil
		default:
			s.i++
		}
	}
	return errSyntax
}
