package dvcsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/vntime"
)

// Dataset is the base data the simulator serves. Records are ordered by
// their update time (Updated is non-decreasing in i), so a window by update
// time is a range of indices; a generated dataset computes each record from
// its index and holds nothing in memory.
type Dataset interface {
	Len() int
	Updated(i int) time.Time
	Received(i int) *time.Time // nil: not received
	MaHoSo(i int) string
	Index(maHoSo string) (int, bool)
	Record(i int) []byte // the record JSON (without steps)
	Steps(i int) []dvc.Step
	Procedures() []dvc.Procedure
}

// Generated is a commune's (or a province's) year of dossiers computed from
// their index: Generate(seed, unit, year, n) serves a million dossiers with
// constant memory.
type Generated struct {
	seed  uint64
	unit  string
	year  int
	n     int
	start time.Time
	span  time.Duration
}

// Generate returns n dossiers of unit whose updates spread over year. The
// mix follows a commune's year: channels (in person, online, post, a few
// missing), results returned, processed, open, waiting for papers, refused,
// withdrawn, stopped, late dossiers, supplements, digitized inputs, reused
// data, electronic results, and the tolerated edge cases of dvc.md §3
// (dd/MM/yyyy and RFC 3339 dates, mixed flag spellings, deleted items, blank
// status, placeholders, long text, 9 hiding 5). Every record is valid.
func Generate(seed int64, unit string, year, n int) *Generated {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, vntime.Location)
	return &Generated{seed: uint64(seed), unit: unit, year: year, n: n, start: start,
		span: start.AddDate(1, 0, 0).Sub(start) - time.Hour}
}

// catalogue of the generated procedures.
var catalogue = []struct {
	code, name, level string
	days, weight      int
}{
	{"1.001193", "Đăng ký khai sinh", "toan_trinh", 1, 20},
	{"1.000656", "Đăng ký khai tử", "toan_trinh", 1, 6},
	{"1.000894", "Đăng ký kết hôn", "mot_phan", 5, 6},
	{"2.000908", "Chứng thực bản sao từ bản chính", "mot_phan", 1, 25},
	{"2.000884", "Chứng thực chữ ký", "mot_phan", 1, 10},
	{"1.004227", "Đăng ký thường trú", "toan_trinh", 7, 8},
	{"1.003583", "Xác nhận tình trạng hôn nhân", "toan_trinh", 3, 10},
	{"1.001612", "Trợ cấp xã hội hằng tháng", "mot_phan", 10, 5},
	{"2.001827", "Hỗ trợ chi phí mai táng", "mot_phan", 3, 3},
	{"1.008004", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "mot_phan", 15, 4},
	{"1.005461", "Hòa giải tranh chấp đất đai", "khong", 45, 3},
}

var catalogueWeight = func() int {
	w := 0
	for _, c := range catalogue {
		w += c.weight
	}
	return w
}()

// Procedures is the LayThuTuc catalogue.
func (g *Generated) Procedures() []dvc.Procedure {
	out := make([]dvc.Procedure, len(catalogue))
	for i, c := range catalogue {
		out[i] = dvc.Procedure{MaTTHC: dvc.Str(c.code), TenTTHC: dvc.Str(c.name), MucDo: dvc.Str(c.level),
			CoKetQua: "1", SoNgay: dvc.Str(strconv.Itoa(c.days))}
	}
	return out
}

// Len is the number of dossiers.
func (g *Generated) Len() int { return g.n }

// Updated is the last update of dossier i: evenly spread over the year.
func (g *Generated) Updated(i int) time.Time {
	off := time.Duration(float64(g.span) * (float64(i) + 0.5) / float64(g.n))
	return g.start.Add(off).Truncate(time.Second)
}

// MaHoSo is <unit>-<yyMMdd of update>-<index>.
func (g *Generated) MaHoSo(i int) string {
	return fmt.Sprintf("%s-%s-%07d", g.unit, g.Updated(i).Format("060102"), i)
}

// Index reverses MaHoSo.
func (g *Generated) Index(ma string) (int, bool) {
	j := strings.LastIndexByte(ma, '-')
	if j < 0 {
		return 0, false
	}
	i, err := strconv.Atoi(ma[j+1:])
	if err != nil || i < 0 || i >= g.n || g.MaHoSo(i) != ma {
		return 0, false
	}
	return i, true
}

// plan is what is decided about one dossier, from its own random stream.
type plan struct {
	proc                      int
	channel                   string // "1","2","3",""
	status                    string
	submitted, received, due  time.Time
	ended, returned, refused  time.Time
	hasDue, hasEnd, hasReturn bool
	late, digitized, reused   bool
	electronic, postal        bool
	supplements               int
	hide5                     bool // record says 9, steps end in 5
	dateStyle, flagStyle      int
	deletedItem, longText, ph bool
	stepTimes                 []time.Time
	stepStatus                []int
}

func (g *Generated) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed, uint64(i)*0x9E3779B97F4A7C15+1))
}

func (g *Generated) plan(i int) plan {
	r := g.rng(i)
	var p plan
	w := r.IntN(catalogueWeight)
	for j, c := range catalogue {
		if w < c.weight {
			p.proc = j
			break
		}
		w -= c.weight
	}
	switch x := r.IntN(100); {
	case x < 35:
		p.channel = "1"
	case x < 95:
		p.channel = "2"
	case x < 98:
		p.channel = "3"
	default:
		p.channel = ""
	}
	upd := g.Updated(i)
	days := catalogue[p.proc].days
	// Processing time: mostly within the legal time, 10% late.
	p.late = r.IntN(10) == 0
	work := time.Duration(float64(days)*24*float64(time.Hour)*(0.2+0.7*r.Float64())) + time.Hour
	if p.late {
		work += time.Duration(days*24+24+r.IntN(72)) * time.Hour
	}
	p.supplements = 0
	if x := r.IntN(100); x < 8 {
		p.supplements = 1
	} else if x < 10 {
		p.supplements = 2 + r.IntN(2)
	}
	p.digitized = r.IntN(100) < 80
	p.reused = r.IntN(100) < 30
	p.electronic = p.channel == "2" && r.IntN(100) < 90 || p.channel != "2" && r.IntN(100) < 40
	p.postal = p.channel == "3" || r.IntN(100) < 3
	p.dateStyle = r.IntN(100)
	p.flagStyle = r.IntN(4)
	p.deletedItem = r.IntN(100) < 5
	p.longText = r.IntN(200) == 0
	p.ph = r.IntN(200) == 0
	p.hasDue = r.IntN(100) >= 5

	x := r.IntN(1000)
	switch {
	case x < 700:
		p.status = "10"
	case x < 770:
		p.status = "9"
	case x < 780:
		p.status, p.hide5 = "9", true
	case x < 830:
		p.status = "4"
	case x < 870:
		p.status = "5"
	case x < 890:
		p.status = "7"
	case x < 910:
		p.status = "3"
	case x < 930:
		p.status = "1"
	case x < 940:
		p.status = "8"
	case x < 945:
		p.status = "0"
	case x < 950:
		p.status = ""
	default:
		p.status = "10"
	}
	// Times, backwards from the update.
	p.returned = upd
	p.ended = upd.Add(-time.Duration(1+r.IntN(240)) * time.Minute)
	p.received = p.ended.Add(-work)
	p.submitted = p.received.Add(-time.Duration(r.IntN(180)) * time.Minute)
	p.due = time.Date(p.received.Year(), p.received.Month(), p.received.Day(), 17, 0, 0, 0, vntime.Location).AddDate(0, 0, days+days*2/5)
	switch p.status {
	case "10":
		p.hasEnd, p.hasReturn = true, true
	case "9", "8", "0", "":
		p.hasEnd = !p.hide5
	case "7":
		p.hasEnd = r.IntN(2) == 0
	case "3":
		p.refused = upd
		p.received = time.Time{}
	case "1":
		p.received = time.Time{}
	}
	// Steps.
	if !p.received.IsZero() {
		p.stepTimes = append(p.stepTimes, p.received)
		p.stepStatus = append(p.stepStatus, 2)
		mid := p.received.Add(p.ended.Sub(p.received) / 3)
		p.stepTimes = append(p.stepTimes, mid)
		p.stepStatus = append(p.stepStatus, 4)
		final := map[string]int{"10": 9, "9": 9, "8": 8, "7": 7, "5": 5, "4": 4, "0": 9, "": 9}[p.status]
		if p.hide5 {
			final = 5
		}
		if final != 4 {
			p.stepTimes = append(p.stepTimes, p.ended)
			p.stepStatus = append(p.stepStatus, final)
		}
		if p.status == "10" {
			p.stepTimes = append(p.stepTimes, p.returned)
			p.stepStatus = append(p.stepStatus, 10)
		}
	}
	return p
}

// Received is the reception time of dossier i (nil when not received).
func (g *Generated) Received(i int) *time.Time {
	p := g.plan(i)
	if p.received.IsZero() {
		return nil
	}
	return &p.received
}

func (p *plan) date(t time.Time) string {
	switch {
	case p.dateStyle < 94:
		return t.Format(dvc.TimeLayout)
	case p.dateStyle < 97:
		return t.Format("02/01/2006 15:04:05")
	default:
		return t.Format(time.RFC3339)
	}
}

func (p *plan) flag(b bool) any {
	switch p.flagStyle {
	case 0:
		if b {
			return "1"
		}
		return "0"
	case 1:
		if b {
			return "True"
		}
		return "False"
	case 2:
		return b
	default:
		if b {
			return 1
		}
		return 0
	}
}

var officers = []struct{ name, title, dept string }{
	{"Nguyễn Thị Hoa", "Công chức", "Bộ phận một cửa"},
	{"Trần Văn Nam", "Công chức Tư pháp - Hộ tịch", "Tư pháp - Hộ tịch"},
	{"Lê Thị Mai", "Công chức Văn hóa - Xã hội", "Văn hóa - Xã hội"},
	{"Phạm Văn Hùng", "Phó Chủ tịch UBND xã", "Lãnh đạo UBND xã"},
}

var applicants = []string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"}

// Record renders dossier i.
func (g *Generated) Record(i int) []byte {
	p := g.plan(i)
	c := catalogue[p.proc]
	ma := g.MaHoSo(i)
	code := c.code
	if i%7 == 3 {
		code += ".000.00.00.H99"
	}
	rec := map[string]any{
		"MaHoSo": ma, "MaTTHC": code, "TenTTHC": c.name, "MaLinhVuc": "LV", "TenLinhVuc": "Lĩnh vực",
		"ChuHoSo": applicants[i%len(applicants)], "SoGiayToChuHoSo": fmt.Sprintf("0270%08d", i%100000000),
		"SoDienThoai": fmt.Sprintf("09%08d", i%100000000), "LoaiDoiTuong": "1",
		"TrichYeuHoSo": c.name, "NgayNopHoSo": p.date(p.submitted), "NgayTiepNhan": "", "NgayHenTra": "",
		"NgayKetThucXuLy": "", "NgayTra": "", "NgayCapNhat": g.Updated(i).Format(dvc.TimeLayout),
		"TrangThaiHoSo": p.status, "HinhThuc": "0", "DonViXuLy": "UBND xã",
		"HoSoCoThanhPhanSoHoa": p.flag(p.digitized && i%2 == 0), "DuocThanhToanTrucTuyen": "0",
		"TaiKhoanDuocXacThucVoiVNeID": p.flag(p.channel == "2"),
	}
	if p.channel != "" {
		rec["KenhThucHien"] = p.channel
	}
	if p.postal {
		rec["HinhThuc"] = "1"
	}
	if !p.received.IsZero() {
		rec["NgayTiepNhan"] = p.date(p.received)
		if p.hasDue {
			rec["NgayHenTra"] = p.date(p.due)
		} else if p.ph {
			rec["NgayHenTra"] = "00000000000000"
		}
	}
	if p.hasEnd {
		rec["NgayKetThucXuLy"] = p.date(p.ended)
	}
	if p.hasReturn {
		rec["NgayTra"] = p.date(p.returned)
	}
	if !p.refused.IsZero() {
		rec["NgayTuChoi"] = p.date(p.refused)
	}
	docs := []map[string]any{{
		"TepDinhKemId": "1", "TenTepDinhKem": "To khai.pdf", "IsDeleted": p.flag(false),
		"DuongDanTaiTepTin": "https://dvc.example/f/" + strconv.Itoa(i) + "-1.pdf",
		"DuocSoHoa":         p.flag(p.digitized && i%2 == 1), "DuocTaiSuDung": p.flag(p.reused), "DuocLayTuKhoDMQG": p.flag(false),
	}}
	if p.deletedItem {
		docs = append(docs, map[string]any{"TepDinhKemId": "2", "TenTepDinhKem": "Nhầm.pdf", "IsDeleted": p.flag(true),
			"DuocSoHoa": p.flag(true), "DuocTaiSuDung": p.flag(true), "DuocLayTuKhoDMQG": p.flag(true)})
	}
	rec["TaiLieuNop"] = docs
	results := []map[string]any{}
	if p.hasEnd && p.status != "7" && p.status != "8" {
		url := ""
		if p.electronic {
			url = "https://dvc.example/kq/" + strconv.Itoa(i) + ".pdf"
		}
		results = append(results, map[string]any{"TenGiayTo": "Kết quả", "GiayToId": strconv.Itoa(i), "DuongDanTepTinKetQua": url, "MaGiayToKetQua": "KQ." + c.code})
	}
	rec["DanhSachGiayToKetQua"] = results
	sup := []map[string]any{}
	for k := 0; k < p.supplements && !p.received.IsZero(); k++ {
		at := p.received.Add(time.Duration(k+1) * 3 * time.Hour)
		sup = append(sup, map[string]any{"HoSoBoSungId": k + 1, "NguoiYeuCauBoSung": officers[1].name, "NoiDungBoSung": "Bổ sung giấy tờ",
			"NgayBoSung": p.date(at), "NgayTiepNhanBoSung": p.date(at.Add(2 * time.Hour)), "TrangThaiBoSung": true})
	}
	rec["DanhSachHoSoBoSung"] = sup
	rec["DanhSachLePhi"] = []any{}
	if p.longText {
		rec["TrichYeuHoSo"] = strings.Repeat(c.name+" — ", 400)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err)
	}
	return b
}

// Steps renders the processing steps of dossier i.
func (g *Generated) Steps(i int) []dvc.Step {
	p := g.plan(i)
	ma := dvc.Str(g.MaHoSo(i))
	out := make([]dvc.Step, len(p.stepTimes))
	actions := map[int]string{2: "Tiếp nhận hồ sơ", 4: "Thụ lý, thẩm định", 5: "Yêu cầu bổ sung giấy tờ", 7: "Công dân rút hồ sơ",
		8: "Dừng xử lý", 9: "Phê duyệt, hoàn thành xử lý", 10: "Trả kết quả"}
	for k, t := range p.stepTimes {
		o := officers[(k+i)%len(officers)]
		out[k] = dvc.Step{MaHoSo: ma, NguoiXuLy: dvc.Str(o.name), ChucDanh: dvc.Str(o.title), PhongBanXuLy: dvc.Str(o.dept),
			ThoiDiemXuLy: dvc.Str(t.Format(dvc.TimeLayout)), NoiDungXuLy: dvc.Str(actions[p.stepStatus[k]]),
			TrangThai: dvc.Str(strconv.Itoa(p.stepStatus[k]))}
	}
	return out
}
