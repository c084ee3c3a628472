// Package dvc is the wire format and pull client of the public-service
// portal (Cổng dịch vụ công): the dossier record that provincial one-stop
// systems push to the national portal with DongBoHoSoMC, the processing
// steps of CapNhatTienDoHoSoMC, the national envelope, and the pull API of
// dvc.md §2.1.
//
// Every value of the record is a string on the wire, but producers also send
// numbers, booleans and null: Str accepts any JSON scalar and keeps its text,
// and the mapping (mapping/dossiers) decides what the text means.
package dvc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Str is a scalar wire value kept as text: a JSON string as it is, a number
// as its literal, true/false as "true"/"false", null as "".
type Str string

// UnmarshalJSON accepts any JSON scalar; an object or an array is an error.
func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		*s = ""
		return nil
	}
	switch b[0] {
	case '"':
		if bytes.IndexByte(b, '\\') < 0 {
			*s = Str(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
	case 'n':
		*s = ""
	case '{', '[':
		return errNotScalar
	default: // number, true, false
		*s = Str(b)
	}
	return nil
}

var errNotScalar = errors.New("expected a string, a number or a boolean, got an object or an array")

// String returns the value trimmed of surrounding spaces.
func (s Str) String() string { return strings.TrimSpace(string(s)) }

// Record is one dossier as DongBoHoSoMC carries it (dvc.md §1). Fields not
// listed here are kept only in the raw bytes.
type Record struct {
	MaHoSo                      Str `json:"MaHoSo"`
	MaTTHC                      Str `json:"MaTTHC"`
	TenTTHC                     Str `json:"TenTTHC"`
	MaLinhVuc                   Str `json:"MaLinhVuc"`
	TenLinhVuc                  Str `json:"TenLinhVuc"`
	KenhThucHien                Str `json:"KenhThucHien"`
	ChuHoSo                     Str `json:"ChuHoSo"`
	SoGiayToChuHoSo             Str `json:"SoGiayToChuHoSo"`
	LoaiDoiTuong                Str `json:"LoaiDoiTuong"`
	MaDoiTuong                  Str `json:"MaDoiTuong"`
	TrichYeuHoSo                Str `json:"TrichYeuHoSo"`
	NgayNopHoSo                 Str `json:"NgayNopHoSo"`
	NgayTiepNhan                Str `json:"NgayTiepNhan"`
	NgayHenTra                  Str `json:"NgayHenTra"`
	NgayKetThucXuLy             Str `json:"NgayKetThucXuLy"`
	NgayTra                     Str `json:"NgayTra"`
	NgayTuChoi                  Str `json:"NgayTuChoi"`
	NgayCapNhat                 Str `json:"NgayCapNhat"` // last update at the source (pull API; optional in pushes)
	TrangThaiHoSo               Str `json:"TrangThaiHoSo"`
	HinhThuc                    Str `json:"HinhThuc"`
	DonViXuLy                   Str `json:"DonViXuLy"`
	HoSoCoThanhPhanSoHoa        Str `json:"HoSoCoThanhPhanSoHoa"`
	DuocThanhToanTrucTuyen      Str `json:"DuocThanhToanTrucTuyen"`
	TaiKhoanDuocXacThucVoiVNeID Str `json:"TaiKhoanDuocXacThucVoiVNeID"`

	TaiLieuNop           []SubmittedDoc    `json:"TaiLieuNop"`
	DanhSachGiayToKetQua []ResultDoc       `json:"DanhSachGiayToKetQua"`
	DanhSachHoSoBoSung   []Supplement      `json:"DanhSachHoSoBoSung"`
	DanhSachLePhi        []json.RawMessage `json:"DanhSachLePhi"`
	// QuaTrinhXuLy carries the processing steps inline when the producer
	// includes them (chiso's simulator does on TraCuuHoSo); otherwise they
	// come from LayTienDoHoSo or CapNhatTienDoHoSoMC.
	QuaTrinhXuLy []Step `json:"QuaTrinhXuLy"`
}

// SubmittedDoc is one item of TaiLieuNop.
type SubmittedDoc struct {
	TepDinhKemId      Str `json:"TepDinhKemId"`
	TenTepDinhKem     Str `json:"TenTepDinhKem"`
	IsDeleted         Str `json:"IsDeleted"`
	MaThanhPhanHoSo   Str `json:"MaThanhPhanHoSo"`
	DuongDanTaiTepTin Str `json:"DuongDanTaiTepTin"`
	DuocSoHoa         Str `json:"DuocSoHoa"`
	DuocTaiSuDung     Str `json:"DuocTaiSuDung"`
	DuocLayTuKhoDMQG  Str `json:"DuocLayTuKhoDMQG"`
	MaKetQuaThayThe   Str `json:"MaKetQuaThayThe"`
}

// ResultDoc is one item of DanhSachGiayToKetQua.
type ResultDoc struct {
	TenGiayTo            Str `json:"TenGiayTo"`
	MaThanhPhanHoSo      Str `json:"MaThanhPhanHoSo"`
	GiayToId             Str `json:"GiayToId"`
	DuongDanTepTinKetQua Str `json:"DuongDanTepTinKetQua"`
	MaGiayToKetQua       Str `json:"MaGiayToKetQua"`
}

// Supplement is one item of DanhSachHoSoBoSung (a request for more papers).
type Supplement struct {
	HoSoBoSungId       Str `json:"HoSoBoSungId"`
	NoiDungBoSung      Str `json:"NoiDungBoSung"`
	NgayBoSung         Str `json:"NgayBoSung"`
	NgayTiepNhanBoSung Str `json:"NgayTiepNhanBoSung"`
	TrangThaiBoSung    Str `json:"TrangThaiBoSung"`
	NgayHenTraTruoc    Str `json:"NgayHenTraTruoc"`
	NgayHenTraMoi      Str `json:"NgayHenTraMoi"`
}

// Step is one processing step (a CapNhatTienDoHoSoMC item).
type Step struct {
	MaHoSo                 Str `json:"MaHoSo"`
	NguoiXuLy              Str `json:"NguoiXuLy"`
	ChucDanh               Str `json:"ChucDanh"`
	ThoiDiemXuLy           Str `json:"ThoiDiemXuLy"`
	PhongBanXuLy           Str `json:"PhongBanXuLy"`
	NoiDungXuLy            Str `json:"NoiDungXuLy"`
	TrangThai              Str `json:"TrangThai"`
	NgayBatDau             Str `json:"NgayBatDau"`
	NgayKetThucTheoQuyDinh Str `json:"NgayKetThucTheoQuyDinh"`
}

// FieldError is a record that cannot be decoded: it names the dossier and
// the field.
type FieldError struct {
	MaHoSo string // "" when the record has none
	Field  string // dotted path: "TaiLieuNop[2].DuocSoHoa"
	Msg    string
}

func (e *FieldError) Error() string {
	id := e.MaHoSo
	if id == "" {
		id = "(no MaHoSo)"
	}
	if e.Field == "" {
		return fmt.Sprintf("MaHoSo %s: %s", id, e.Msg)
	}
	return fmt.Sprintf("MaHoSo %s: %s: %s", id, e.Field, e.Msg)
}

// DecodeRecord decodes one record. On failure the error is a *FieldError
// naming MaHoSo and the offending field.
func DecodeRecord(raw []byte) (Record, error) {
	var r Record
	err := json.Unmarshal(raw, &r)
	if err == nil {
		return r, nil
	}
	return Record{}, explain(raw, err)
}

// DecodeStep decodes one step item, naming the field on failure.
func DecodeStep(raw []byte) (Step, error) {
	var s Step
	if err := json.Unmarshal(raw, &s); err != nil {
		return Step{}, explainStep(raw, err)
	}
	return s, nil
}

// explain finds which field failed: the slow path, taken only for bad records.
func explain(raw []byte, cause error) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return &FieldError{Msg: "not a JSON object: " + shortErr(err)}
	}
	var id Str
	_ = json.Unmarshal(m["MaHoSo"], &id)
	fe := &FieldError{MaHoSo: id.String()}
	scalar := func(name string, v json.RawMessage) bool {
		var s Str
		if err := json.Unmarshal(v, &s); err != nil {
			fe.Field, fe.Msg = name, shortErr(err)
			return false
		}
		return true
	}
	lists := []string{"TaiLieuNop", "DanhSachGiayToKetQua", "DanhSachHoSoBoSung", "DanhSachLePhi", "QuaTrinhXuLy"}
	for _, name := range recordScalars {
		if v, ok := m[name]; ok && !scalar(name, v) {
			return fe
		}
	}
	for _, name := range lists {
		v, ok := m[name]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			if name == "DanhSachLePhi" {
				var loose []json.RawMessage
				if json.Unmarshal(v, &loose) == nil {
					continue
				}
			}
			fe.Field, fe.Msg = name, "expected an array of objects"
			return fe
		}
		for i, it := range items {
			for k, iv := range it {
				if !scalar(fmt.Sprintf("%s[%d].%s", name, i, k), iv) && name != "DanhSachLePhi" {
					return fe
				}
			}
		}
	}
	fe.Msg = shortErr(cause)
	return fe
}

func explainStep(raw []byte, cause error) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return &FieldError{Msg: "step is not a JSON object: " + shortErr(err)}
	}
	var id Str
	_ = json.Unmarshal(m["MaHoSo"], &id)
	for k, v := range m {
		var s Str
		if err := json.Unmarshal(v, &s); err != nil {
			return &FieldError{MaHoSo: id.String(), Field: k, Msg: shortErr(err)}
		}
	}
	return &FieldError{MaHoSo: id.String(), Msg: shortErr(cause)}
}

var recordScalars = []string{"MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien",
	"ChuHoSo", "SoGiayToChuHoSo", "LoaiDoiTuong", "MaDoiTuong", "TrichYeuHoSo", "NgayNopHoSo",
	"NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "NgayCapNhat",
	"TrangThaiHoSo", "HinhThuc", "DonViXuLy", "HoSoCoThanhPhanSoHoa", "DuocThanhToanTrucTuyen",
	"TaiKhoanDuocXacThucVoiVNeID"}

func shortErr(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	return s
}

// Envelope is the header of a national push payload (DongBoHoSoMC,
// CapNhatTienDoHoSoMC); its data array is streamed separately.
type Envelope struct {
	Session    string
	Token      string
	MaDonVi    string
	Service    string
	IsUpdating string
	Bare       bool // the payload was a bare array (no envelope)
	Single     bool // the payload was one record
}

// DecodePayload reads a payload that is a national envelope
// {"session","madonvi","service","isUpdating","data":[…]}, a bare array of
// items, or one item, and calls fn for each item with its raw bytes, in
// order, without holding the whole array in memory. It stops at the first
// error fn returns. A syntax error is reported with the item index.
func DecodePayload(r io.Reader, fn func(i int, raw json.RawMessage) error) (Envelope, error) {
	dec := json.NewDecoder(r)
	var env Envelope
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return env, errors.New("empty payload")
		}
		return env, fmt.Errorf("payload: %s", shortErr(err))
	}
	delim, ok := tok.(json.Delim)
	if !ok || (delim != '[' && delim != '{') {
		return env, errors.New("payload: expected a JSON object or array")
	}
	if delim == '[' {
		env.Bare = true
		if err := streamArray(dec, fn); err != nil {
			return env, err
		}
		return env, trailing(dec)
	}
	// An object: an envelope (has "data") or a single record.
	type kv struct {
		k string
		v json.RawMessage
	}
	var kept []kv
	sawData := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return env, fmt.Errorf("payload: %s", shortErr(err))
		}
		key, _ := t.(string)
		if key == "data" || key == "Data" {
			sawData = true
			t, err := dec.Token()
			if err != nil {
				return env, fmt.Errorf("payload: data: %s", shortErr(err))
			}
			if t == nil {
				continue
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return env, errors.New("payload: data: expected an array")
			}
			if err := streamArray(dec, fn); err != nil {
				return env, err
			}
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return env, fmt.Errorf("payload: %s: %s", key, shortErr(err))
		}
		switch strings.ToLower(key) {
		case "session":
			env.Session = scalarText(v)
		case "token":
			env.Token = scalarText(v)
		case "madonvi":
			env.MaDonVi = scalarText(v)
		case "service":
			env.Service = scalarText(v)
		case "isupdating":
			env.IsUpdating = scalarText(v)
		}
		if !sawData {
			kept = append(kept, kv{key, v})
		}
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return env, fmt.Errorf("payload: %s", shortErr(err))
	}
	if err := trailing(dec); err != nil {
		return env, err
	}
	if sawData {
		return env, nil
	}
	// One record: rebuild its bytes from the members read.
	env = Envelope{Single: true}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range kept {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(m.k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(m.v)
	}
	b.WriteByte('}')
	return env, fn(0, b.Bytes())
}

func streamArray(dec *json.Decoder, fn func(int, json.RawMessage) error) error {
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("payload: item %d: %s", i, shortErr(err))
		}
		if err := fn(i, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("payload: %s", shortErr(err))
	}
	return nil
}

func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("payload: unexpected data after the JSON value")
	}
	return nil
}

func scalarText(v json.RawMessage) string {
	var s Str
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s.String()
}

// code reads an error_code that may be a number or a string.
func code(v json.RawMessage) (int, bool) {
	s := scalarText(v)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
