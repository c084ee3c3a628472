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

// Record is one dossier as DongBoHoSoMC carries it (dvc.md §1), without
// the applicant: ChuHoSo, SoGiayToChuHoSo, LoaiDoiTuong, MaDoiTuong, the
// contact members and the summary TrichYeuHoSo are not even decoded (a
// malformed one is not chiso's concern, and nothing of them is stored:
// see mapping/dossiers.KeepRecord).
type Record struct {
	MaHoSo                      Str `json:"MaHoSo"`
	MaTTHC                      Str `json:"MaTTHC"`
	TenTTHC                     Str `json:"TenTTHC"`
	MaLinhVuc                   Str `json:"MaLinhVuc"`
	TenLinhVuc                  Str `json:"TenLinhVuc"`
	KenhThucHien                Str `json:"KenhThucHien"`
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
	MaHoSo Str `json:"MaHoSo"`
	// NguoiXuLy is the officer's name and NoiDungXuLy what the officer
	// wrote of the step (free text, often naming the applicant): served
	// by the simulator, never read by the mapping nor stored.
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

var recordScalars = []string{"MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien", "NgayNopHoSo",
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

// Item is one item of a payload: its number, where it starts (a byte
// offset in the payload) and its original bytes, exactly as sent.
type Item struct {
	Index  int
	Offset int64
	Raw    json.RawMessage
}

// PayloadError is a payload that cannot be read past some point: Offset is
// the byte where reading stopped (the start of the item that failed, when
// Item >= 0). It never quotes the payload.
type PayloadError struct {
	Item   int // -1: outside any item
	Offset int64
	Msg    string
}

func (e *PayloadError) Error() string {
	if e.Item >= 0 {
		return fmt.Sprintf("payload: item %d at byte %d: %s", e.Item, e.Offset, e.Msg)
	}
	return fmt.Sprintf("payload at byte %d: %s", e.Offset, e.Msg)
}

// DecodePayload is DecodeItems for callers that need only the index and
// the bytes of each item.
func DecodePayload(r io.Reader, fn func(i int, raw json.RawMessage) error) (Envelope, error) {
	return DecodeItems(r, func(it Item) error { return fn(it.Index, it.Raw) })
}

// DecodeItems reads a payload that is a national envelope
// {"session","madonvi","service","isUpdating","data":[…]}, a bare array of
// items, or one item, and calls fn for each item, in order, without holding
// the whole array in memory. It stops at the first error fn returns. A
// payload that cannot be read is a *PayloadError with the byte offset.
func DecodeItems(r io.Reader, fn func(Item) error) (Envelope, error) {
	// Until the data array starts, the bytes read are kept: a payload that
	// turns out to be one record is then passed on as it was sent.
	rec := &recorder{r: r, on: true}
	dec := json.NewDecoder(rec)
	var env Envelope
	fail := func(item int, msg string) error {
		return &PayloadError{Item: item, Offset: dec.InputOffset(), Msg: msg}
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return env, fail(-1, "empty payload")
		}
		return env, fail(-1, shortErr(err))
	}
	delim, ok := tok.(json.Delim)
	if !ok || (delim != '[' && delim != '{') {
		return env, fail(-1, "expected a JSON object or array")
	}
	if delim == '[' {
		rec.stop()
		env.Bare = true
		if err := streamArray(dec, fn); err != nil {
			return env, err
		}
		return env, trailing(dec)
	}
	start := dec.InputOffset() - 1
	// An object: an envelope (has "data") or a single record.
	sawData := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return env, fail(-1, shortErr(err))
		}
		key, _ := t.(string)
		if key == "data" || key == "Data" {
			sawData = true
			rec.stop()
			t, err := dec.Token()
			if err != nil {
				return env, fail(-1, "data: "+shortErr(err))
			}
			if t == nil {
				continue
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return env, fail(-1, "data: expected an array")
			}
			if err := streamArray(dec, fn); err != nil {
				return env, err
			}
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return env, fail(-1, key+": "+shortErr(err))
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
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return env, fail(-1, shortErr(err))
	}
	end := dec.InputOffset()
	if err := trailing(dec); err != nil {
		return env, err
	}
	if sawData {
		return env, nil
	}
	// One record: its bytes as sent.
	env = Envelope{Single: true}
	raw := rec.buf[start-rec.base : end-rec.base]
	return env, fn(Item{Index: 0, Offset: start, Raw: raw})
}

// recorder keeps the bytes read through it while on.
type recorder struct {
	r    io.Reader
	on   bool
	buf  []byte
	base int64 // offset of buf[0]
}

func (x *recorder) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if x.on {
		x.buf = append(x.buf, p[:n]...)
	}
	return n, err
}

func (x *recorder) stop() { x.on, x.buf = false, nil }

func streamArray(dec *json.Decoder, fn func(Item) error) error {
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &PayloadError{Item: i, Offset: itemStart(dec), Msg: shortErr(err)}
		}
		end := dec.InputOffset()
		if err := fn(Item{Index: i, Offset: end - int64(len(raw)), Raw: raw}); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return &PayloadError{Item: -1, Offset: dec.InputOffset(), Msg: shortErr(err)}
	}
	return nil
}

// itemStart is the offset where an item that failed to decode starts: the
// decoder stays past the comma before it; spaces it has buffered are skipped.
func itemStart(dec *json.Decoder) int64 {
	at := dec.InputOffset()
	b, _ := io.ReadAll(io.LimitReader(dec.Buffered(), 64))
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			at++
		default:
			return at
		}
	}
	return at
}

func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return &PayloadError{Item: -1, Offset: dec.InputOffset(), Msg: "unexpected data after the JSON value"}
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
