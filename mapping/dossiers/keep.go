package dossiers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"chiso/adapters/dvc"
	"chiso/warehouse/facts"
)

// The allow-list: the only members of a dossier record that the warehouse
// may hold, in a sighting's raw record and in a reject's raw record alike.
// They are exactly what the mapping reads (so that a stored record maps to
// the same dossier again, as the push receiver does when steps arrive
// later) and what the indicators and `explain` need. Everything else stays
// at the source: the applicant (ChuHoSo, SoGiayToChuHoSo, DinhDanhCHS,
// MaDoiTuong, LoaiDoiTuong, phone, e-mail, address), the summary
// TrichYeuHoSo (free text naming people), the officers' names
// (NguoiXuLy), what the officers wrote of a step (NoiDungXuLy: free text
// that often names the applicant or the matter), file names and links of
// the submitted papers, the text of supplement requests, fees, and any
// member a producer adds.
//
// A member is kept as its value (a scalar; an object or an array in its
// place is dropped), as a presence marker (the result's URL: only whether
// there is one counts), or as a list of objects whose items keep their own
// allow-list (an item that is not an object becomes null, so that item
// numbers stay those of the source).
var keptRecord = members{
	"MaHoSo": value, "MaTTHC": value, "TenTTHC": value, "KenhThucHien": value, "TrangThaiHoSo": value,
	"HinhThuc": value, "NgayNopHoSo": value, "NgayTiepNhan": value, "NgayHenTra": value,
	"NgayKetThucXuLy": value, "NgayTra": value, "NgayTuChoi": value, "NgayCapNhat": value,
	"HoSoCoThanhPhanSoHoa": value,
	"TaiLieuNop":           list(members{"IsDeleted": value, "DuocSoHoa": value, "DuocTaiSuDung": value, "DuocLayTuKhoDMQG": value}),
	"DanhSachGiayToKetQua": list(members{"DuongDanTepTinKetQua": presence}),
	"DanhSachHoSoBoSung": list(members{"NgayBoSung": value, "NgayTiepNhanBoSung": value, "TrangThaiBoSung": value,
		"NgayHenTraTruoc": value, "NgayHenTraMoi": value}),
	"QuaTrinhXuLy": list(keptStepMembers),
}

// keptStepMembers are the members kept of a processing step: when, the
// status reached, the officer's job title and department (a role, not the
// name). Not the step's text (NoiDungXuLy): officers write there what was
// done, often with the applicant's name, ID number or phone.
var keptStepMembers = members{"ThoiDiemXuLy": value, "NgayBatDau": value, "TrangThai": value,
	"ChucDanh": value, "PhongBanXuLy": value}

// keptStep is the allow-list of a CapNhatTienDoHoSoMC item: a step and the
// dossier it belongs to.
var keptStep = func() members {
	m := members{"MaHoSo": value}
	for k, v := range keptStepMembers {
		m[k] = v
	}
	return m
}()

// PresenceMarker replaces the value of a presence member (the result URL)
// that is set.
const PresenceMarker = "[url]"

// KeptFields lists the allow-listed members of a record, dotted for list
// items ("TaiLieuNop[].DuocSoHoa"), for documentation and tests.
func KeptFields() []string { return keptRecord.paths("") }

// KeepRecord returns what the warehouse may hold of a dossier record: the
// JSON object with only its allow-listed members, bytes otherwise as sent.
// kept is nil when raw is not a JSON object (nothing of it may be kept).
// bad is the first kept string that cannot be stored as text (NUL, a lone
// UTF-16 surrogate, bad UTF-8), naming the field; kept still holds the
// record then (a reject keeps it as bytes).
func KeepRecord(raw []byte) (kept []byte, bad *dvc.FieldError) {
	return keep(raw, keptRecord)
}

// KeepStep is KeepRecord for a processing step (a CapNhatTienDoHoSoMC item).
func KeepStep(raw []byte) (kept []byte, bad *dvc.FieldError) {
	return keep(raw, keptStep)
}

func keep(raw []byte, allow members) ([]byte, *dvc.FieldError) {
	s := keeper{b: raw}
	var out bytes.Buffer
	out.Grow(len(raw))
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, nil
	}
	if err := s.object(&out, allow, ""); err != nil {
		return nil, nil
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, nil
	}
	return out.Bytes(), s.bad
}

// rule says how a member is kept.
type rule struct {
	kind  int // value, presence or listOf
	items members
}

const (
	kindValue = iota + 1
	kindPresence
	kindList
)

type members map[string]rule

var (
	value    = rule{kind: kindValue}
	presence = rule{kind: kindPresence}
)

func list(items members) rule { return rule{kind: kindList, items: items} }

// lookup finds a member the way encoding/json matches struct fields
// (case-insensitively), so that what is kept is what the mapping read.
func (m members) lookup(key string) (string, rule, bool) {
	if r, ok := m[key]; ok {
		return key, r, true
	}
	for k, r := range m {
		if strings.EqualFold(k, key) {
			return k, r, true
		}
	}
	return "", rule{}, false
}

func (m members) paths(prefix string) []string {
	var out []string
	for k, r := range m {
		if r.kind == kindList {
			out = append(out, r.items.paths(prefix+k+"[].")...)
		} else {
			out = append(out, prefix+k)
		}
	}
	slices.Sort(out)
	return out
}

// keeper copies allow-listed members of a JSON object in one pass.
type keeper struct {
	b   []byte
	i   int
	bad *dvc.FieldError
}

var errSyntax = errors.New("invalid JSON")

func (s *keeper) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object copies the allowed members of the object at s.i to out; a
// member's name is written as the allow-list spells it.
func (s *keeper) object(out *bytes.Buffer, allow members, path string) error {
	s.i++ // {
	out.WriteByte('{')
	first := true
	for {
		s.ws()
		if s.i >= len(s.b) {
			return errSyntax
		}
		switch s.b[s.i] {
		case '}':
			s.i++
			out.WriteByte('}')
			return nil
		case ',':
			s.i++
			continue
		}
		ks := s.i
		if err := s.str(); err != nil {
			return err
		}
		key := string(s.b[ks+1 : s.i-1])
		if strings.IndexByte(key, '\\') >= 0 {
			if json.Unmarshal(s.b[ks:s.i], &key) != nil {
				return errSyntax
			}
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.ws()
		vs := s.i
		if err := s.skip(); err != nil {
			return err
		}
		name, r, ok := allow.lookup(key)
		if !ok {
			continue
		}
		var member bytes.Buffer
		kept, err := s.member(&member, s.b[vs:s.i], r, path+name)
		if err != nil {
			return err
		}
		if !kept {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		q, _ := json.Marshal(name)
		out.Write(q)
		out.WriteByte(':')
		out.Write(member.Bytes())
	}
}

// member writes the kept form of value v; false: nothing is kept.
func (s *keeper) member(out *bytes.Buffer, v []byte, r rule, path string) (bool, error) {
	switch r.kind {
	case kindValue:
		switch v[0] {
		case '{', '[':
			return false, nil
		case '"':
			s.checkText(v, path)
		}
		out.Write(v)
		return true, nil
	case kindPresence:
		switch v[0] {
		case '{', '[':
			return false, nil
		case 'n':
			out.WriteString("null")
		case '"':
			var u string
			if json.Unmarshal(v, &u) != nil {
				return false, errSyntax
			}
			if u = strings.TrimSpace(u); u == "" || strings.EqualFold(u, "null") {
				out.WriteString(`""`)
			} else {
				out.WriteString(`"` + PresenceMarker + `"`)
			}
		default: // a number or a boolean: the mapping reads it as set
			out.WriteString(`"` + PresenceMarker + `"`)
		}
		return true, nil
	case kindList:
		switch v[0] {
		case 'n':
			out.WriteString("null")
			return true, nil
		case '[':
		default:
			return false, nil
		}
		sub := keeper{b: v, i: 1, bad: s.bad}
		out.WriteByte('[')
		for n := 0; ; n++ {
			sub.ws()
			if sub.i >= len(sub.b) {
				return false, errSyntax
			}
			if sub.b[sub.i] == ']' {
				break
			}
			if n > 0 {
				if sub.b[sub.i] != ',' {
					return false, errSyntax
				}
				sub.i++
				sub.ws()
				out.WriteByte(',')
			}
			if sub.i < len(sub.b) && sub.b[sub.i] == '{' {
				if err := sub.object(out, r.items, fmt.Sprintf("%s[%d].", path, n)); err != nil {
					return false, err
				}
			} else {
				out.WriteString("null")
				if err := sub.skip(); err != nil {
					return false, err
				}
			}
		}
		out.WriteByte(']')
		s.bad = sub.bad
		return true, nil
	}
	return false, nil
}

// checkText records the first kept string literal that cannot be stored.
func (s *keeper) checkText(lit []byte, path string) {
	if s.bad != nil {
		return
	}
	if why := facts.JSONStringProblem(lit); why != "" {
		s.bad = &dvc.FieldError{Field: strings.TrimSuffix(path, "."), Msg: why}
	}
}

// skip moves past one value, checking its syntax only as far as needed to
// find its end (the record was already decoded by encoding/json).
func (s *keeper) skip() error {
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch c := s.b[s.i]; c {
	case '"':
		return s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errSyntax
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
		return nil
	}
}

func (s *keeper) str() error {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
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
