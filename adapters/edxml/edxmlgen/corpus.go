package edxmlgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/vntime"
)

// DocType is a document type of Nghị định 30/2020 Điều 7 as written in
// edXML: Type is the number this generator emits (the decree's order,
// công văn 18), Name the TypeName, Abbr the notation abbreviation.
type DocType struct {
	ID   string // doc_type id of edxml.md §6: cong_van, bao_cao, quyet_dinh...
	Code int    // edXML DocumentType/Type
	Name string // edXML DocumentType/TypeName
	Abbr string // leading part of CodeNotation; "" for công văn
}

// Types lists the document types the generator uses.
var Types = []DocType{
	{"nghi_quyet", 1, "Nghị quyết", "NQ"},
	{"quyet_dinh", 2, "Quyết định", "QĐ"},
	{"chi_thi", 3, "Chỉ thị", "CT"},
	{"quy_che", 4, "Quy chế", "QC"},
	{"quy_dinh", 5, "Quy định", "QyĐ"},
	{"thong_bao", 7, "Thông báo", "TB"},
	{"huong_dan", 8, "Hướng dẫn", "HD"},
	{"chuong_trinh", 9, "Chương trình", "CTr"},
	{"ke_hoach", 10, "Kế hoạch", "KH"},
	{"phuong_an", 11, "Phương án", "PA"},
	{"de_an", 12, "Đề án", "ĐA"},
	{"bao_cao", 14, "Báo cáo", "BC"},
	{"bien_ban", 15, "Biên bản", "BB"},
	{"to_trinh", 16, "Tờ trình", "TTr"},
	{"hop_dong", 17, "Hợp đồng", "HĐ"},
	{"cong_van", 18, "Công văn", ""},
	{"cong_dien", 19, "Công điện", "CĐ"},
	{"giay_moi", 23, "Giấy mời", "GM"},
	{"giay_gioi_thieu", 24, "Giấy giới thiệu", "GGT"},
	{"giay_nghi_phep", 25, "Giấy nghỉ phép", "GNP"},
}

// TypeByID returns the DocType with id.
func TypeByID(id string) (DocType, bool) {
	for _, t := range Types {
		if t.ID == id {
			return t, true
		}
	}
	return DocType{}, false
}

// Signer is SignerInfo.
type Signer struct {
	Competence string // TM., KT., TL., TUQ. + title
	Position   string
	FullName   string
}

// Attachment is one file of a package; its bytes are generated on the fly
// from the owning document's DocID, so only the size is kept here.
type Attachment struct {
	ContentID   string // without "cid:"
	Name        string // AttachmentName: safe file name
	ContentType string
	Description string
	Size        int64 // bytes before base64
}

// Status codes of edxml.md §2 used by the generator.
const (
	StatusArrived   = "01"
	StatusRefused   = "02"
	StatusAccepted  = "03"
	StatusAssigned  = "04"
	StatusHandling  = "05"
	StatusCompleted = "06"
)

// StatusSpec is one status report a recipient sends about an outgoing
// document (a status package).
type StatusSpec struct {
	DocID       string // axis docId of the status package
	Reporter    Org    // the recipient reporting (From of the status package)
	Code        string // "01".."06"
	At          time.Time
	Description string // required for 02 (the reason)
	Staff       string
}

// DocSpec is one logical document of one unit in one direction: everything a
// package, an archive file or a register row needs to describe it.
type DocSpec struct {
	Direction  string // "out" | "in"
	Unit       string // our unit the document belongs to: the issuer (out) or the recipient (in)
	IssuerCode string // From/OrganId
	IssuerName string // From/OrganName
	Recipients []Org  // To, one per recipient (codes and names)

	Number   string    // CodeNumber: "125", or "05/2025" for a legal-normative document
	Notation string    // CodeNotation: "BC-UBND", "UBND-VP"
	Type     DocType   // type id, edXML Type number and TypeName
	Family   string    // "hanh_chinh" | "qppl"
	Subject  string    // trích yếu
	IssuedOn time.Time // PromulgationDate (midnight, Vietnam time)
	// IssuedAt is when the package left the issuer (the TraceHeader time).
	IssuedAt   time.Time
	ReceivedOn time.Time // incoming only: the date the clerk registered it (ngày đến); zero for out
	// ArrivedAt, when set, is the time the recipient's QLVB recorded the
	// package's arrival: WritePackage then adds a TraceHeader of Unit at
	// that time after the issuer's (most generated packages, like many
	// real ones, carry only the issuer's trace).
	ArrivedAt time.Time
	// ArrivalNumber is the số đến of an incoming document in our register (its own series per unit and year).
	ArrivalNumber int
	DueDate       time.Time // zero: none
	Priority      int       // 0 thường .. 3 hỏa tốc
	Medium        string    // "electronic" | "paper"
	Secret        bool      // văn bản mật: own number series, never electronic, never on the axis
	SecretLevel   string    // "Mật" | "Tối mật" | "" (not secret)
	Signer        Signer
	Place         string // PromulgationInfo/Place
	Pages         int

	// DocID is the axis docId (24 lowercase hex) of the package carrying the
	// document; also the archive file name.
	DocID       string
	Attachments []Attachment

	Revoked      bool      // the issuer revoked it (BussinessDocType 1)
	RevokedAt    time.Time // when the revocation package was sent
	RevokeReason string
	RevokeDocID  string // axis docId of the revocation package

	// Statuses are the recipients' reports on an outgoing electronic
	// document (01, 03..06, or 01 then 02), in time order.
	Statuses []StatusSpec
}

// DocumentID is the edXML DocumentId: `OrganId,yyyy/MM/dd,number/notation`.
func (d DocSpec) DocumentID() string {
	return d.IssuerCode + "," + d.IssuedOn.Format("2006/01/02") + "," + d.Code()
}

// Code is số và ký hiệu: "125/BC-UBND".
func (d DocSpec) Code() string { return d.Number + "/" + d.Notation }

// OnAxis reports whether the document travels on the national axis: an
// electronic, non-secret document with a counterpart outside the commune.
func (d DocSpec) OnAxis() bool {
	if d.Medium != "electronic" || d.Secret {
		return false
	}
	if d.Direction == "in" {
		return true
	}
	for _, r := range d.Recipients {
		if r.Relation != RelSelf && r.Relation != RelInternal {
			return true
		}
	}
	return false
}

// Option tunes Corpus.
type Option func(*options)

type options struct {
	scale float64
	orgs  []Org
}

// WithScale multiplies the number of documents (tests use 0.02..0.1).
func WithScale(f float64) Option { return func(o *options) { o.scale = f } }

// WithDirectory replaces the built-in Directory(unit).
func WithDirectory(orgs []Org) Option { return func(o *options) { o.orgs = orgs } }

// Base yearly volumes of the whole commune (commune + internal units).
const (
	baseOut = 1500
	baseIn  = 2800
)

// yearFactor shapes the commune's plan: 2026 issues ~18% fewer
// administrative documents than 2025 (target: at least 15% fewer) and
// receives ~6% fewer; years before 2025 issue a little more.
func yearFactor(year int) (out, in float64) {
	switch {
	case year <= 2024:
		return 1.04, 1.02
	case year == 2025:
		return 1, 1
	default:
		return 0.82, 0.94
	}
}

// eShare is the probability that a document exchanged with a counterpart of
// relation rel in year is electronic: high, not perfect, better in 2026.
func eShare(year int, rel string) float64 {
	better := 0.0
	if year >= 2026 {
		better = 0.025
	}
	switch rel {
	case RelHigher:
		return 0.955 + better
	case RelInternal, RelSelf:
		return 0.93 + better
	case RelPeer:
		return 0.92 + better
	default:
		return 0.8 + better
	}
}

type weighted struct {
	id string
	w  float64
}

var outCommuneTypes = []weighted{
	{"cong_van", 34}, {"quyet_dinh", 14}, {"bao_cao", 13}, {"ke_hoach", 8}, {"thong_bao", 8},
	{"giay_moi", 7}, {"to_trinh", 4}, {"bien_ban", 2}, {"giay_gioi_thieu", 2}, {"huong_dan", 1.5},
	{"chuong_trinh", 1.5}, {"giay_nghi_phep", 1}, {"phuong_an", 0.8}, {"hop_dong", 0.7},
	{"quy_che", 0.5}, {"chi_thi", 0.3}, {"de_an", 0.3}, {"cong_dien", 0.2}, {"quy_dinh", 0.2},
}

var outUnitTypes = []weighted{
	{"cong_van", 40}, {"bao_cao", 25}, {"ke_hoach", 10}, {"thong_bao", 10}, {"giay_moi", 8}, {"to_trinh", 7},
}

var inTypes = []weighted{
	{"cong_van", 45}, {"quyet_dinh", 12}, {"ke_hoach", 10}, {"giay_moi", 10}, {"thong_bao", 8},
	{"huong_dan", 5}, {"bao_cao", 3}, {"chuong_trinh", 2}, {"chi_thi", 1}, {"cong_dien", 0.5},
	{"to_trinh", 0.5}, {"de_an", 0.3},
}

func choose(r *rand.Rand, ws []weighted) string {
	total := 0.0
	for _, w := range ws {
		total += w.w
	}
	x := r.Float64() * total
	for _, w := range ws {
		x -= w.w
		if x < 0 {
			return w.id
		}
	}
	return ws[len(ws)-1].id
}

// Corpus returns the logical documents of one commune-year, sorted by
// direction, issue date and number: ~1500 outgoing and ~2800 incoming for
// 2025, ~18% fewer outgoing administrative documents in 2026. The same
// (seed, unit, year, options) always gives the same corpus.
func Corpus(seed int64, unit string, year int, opts ...Option) []DocSpec {
	o := options{scale: 1}
	for _, f := range opts {
		f(&o)
	}
	if o.orgs == nil {
		o.orgs = Directory(unit)
	}
	g := &gen{
		r:    rand.New(rand.NewPCG(uint64(seed), uint64(year)*2654435761+uint64(len(unit)))),
		year: year, orgs: o.orgs, days: workingDays(year),
	}
	self := pick(g.orgs, RelSelf)[0]
	internal := pick(g.orgs, RelInternal)
	fo, fi := yearFactor(year)
	nOut := int(math.Round(baseOut * fo * o.scale))
	nIn := int(math.Round(baseIn * fi * o.scale))

	var docs []DocSpec
	// Outgoing: ~73% by the commune, the rest by its internal units.
	for i := 0; i < nOut; i++ {
		issuer := self
		if len(internal) > 0 && g.r.Float64() < 0.27 {
			issuer = internal[g.r.IntN(len(internal))]
		}
		docs = append(docs, g.outgoing(issuer, self, internal))
	}
	// A few legal-normative decisions of the commune a year (not administrative).
	for i := 0; i < max(1, int(math.Round(4*o.scale))); i++ {
		d := g.outgoing(self, self, internal)
		d.Family = "qppl"
		d.Type, _ = TypeByID([]string{"quyet_dinh", "nghi_quyet"}[i%2])
		d.Subject = "Ban hành Quy định " + g.topic()
		docs = append(docs, d)
	}
	for i := 0; i < nIn; i++ {
		docs = append(docs, g.incoming(self, internal))
	}
	g.number(docs)
	g.finish(docs)
	return docs
}

type gen struct {
	r    *rand.Rand
	year int
	orgs []Org
	days []time.Time
}

// workingDays lists Monday–Friday of year outside the Tết break.
func workingDays(year int) []time.Time {
	tet := map[int][2]string{2024: {"02-08", "02-14"}, 2025: {"01-25", "02-02"}, 2026: {"02-14", "02-22"}, 2027: {"02-04", "02-10"}}
	var out []time.Time
	for d := time.Date(year, 1, 1, 0, 0, 0, 0, vntime.Location); d.Year() == year; d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		if t, ok := tet[year]; ok {
			md := d.Format("01-02")
			if md >= t[0] && md <= t[1] {
				continue
			}
		}
		if md := d.Format("01-02"); md == "01-01" || md == "04-30" || md == "05-01" || md == "09-02" {
			continue
		}
		out = append(out, d)
	}
	return out
}

func (g *gen) day() time.Time { return g.days[g.r.IntN(len(g.days))] }

// nextWorkday returns the working day n working days after d (n >= 0).
func (g *gen) nextWorkday(d time.Time, n int) time.Time {
	i := sort.Search(len(g.days), func(i int) bool { return !g.days[i].Before(d) })
	i += n
	if i >= len(g.days) {
		// Past the year's end: keep the calendar going with weekdays.
		x := d.AddDate(0, 0, n)
		for x.Weekday() == time.Saturday || x.Weekday() == time.Sunday {
			x = x.AddDate(0, 0, 1)
		}
		return x
	}
	return g.days[i]
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (g *gen) clock(d time.Time) time.Time {
	// Office hours 7:30–17:00.
	m := 450 + g.r.IntN(570)
	return d.Add(time.Duration(m)*time.Minute + time.Duration(g.r.IntN(60))*time.Second)
}

var topics = []string{
	"cải cách hành chính", "chuyển đổi số", "phòng, chống thiên tai và tìm kiếm cứu nạn",
	"xây dựng nông thôn mới", "quản lý đất đai", "an toàn vệ sinh thực phẩm", "phòng cháy, chữa cháy",
	"thu ngân sách nhà nước", "giải ngân vốn đầu tư công", "cấp giấy chứng nhận quyền sử dụng đất",
	"tuyển chọn và gọi công dân nhập ngũ", "chi trả chế độ bảo trợ xã hội", "phổ biến, giáo dục pháp luật",
	"tiếp công dân, giải quyết khiếu nại, tố cáo", "bảo vệ môi trường", "phòng, chống dịch bệnh gia súc",
	"xây dựng Đề án 06", "thực hiện dịch vụ công trực tuyến", "quản lý trật tự xây dựng",
	"sắp xếp đơn vị hành chính", "công tác thi đua, khen thưởng", "bảo hiểm y tế học sinh",
	"phòng, chống ma túy", "trồng cây xanh", "tổ chức Tết Nguyên đán", "kiểm tra, rà soát văn bản",
	"phát triển kinh tế hợp tác", "số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
}

func (g *gen) topic() string { return topics[g.r.IntN(len(topics))] }

func (g *gen) subject(t DocType, d time.Time) string {
	tp := g.topic()
	q := (int(d.Month())-1)/3 + 1
	switch t.ID {
	case "cong_van":
		return "V/v " + tp
	case "bao_cao":
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("Kết quả thực hiện công tác %s quý %d năm %d", tp, q, d.Year())
		case 1:
			return fmt.Sprintf("Tình hình %s tháng %d năm %d", tp, int(d.Month()), d.Year())
		default:
			return fmt.Sprintf("Kết quả %s 6 tháng đầu năm %d", tp, d.Year())
		}
	case "ke_hoach":
		return fmt.Sprintf("Thực hiện %s năm %d", tp, d.Year())
	case "quyet_dinh":
		return "Về việc " + []string{"thành lập Tổ công tác ", "phê duyệt kế hoạch ", "kiện toàn Ban chỉ đạo ", "giao nhiệm vụ "}[g.r.IntN(4)] + tp
	case "giay_moi":
		return "Dự họp triển khai " + tp
	case "thong_bao":
		return "Kết luận của Chủ tịch UBND xã tại cuộc họp về " + tp
	case "to_trinh":
		return "Đề nghị phê duyệt kinh phí " + tp
	case "bien_ban":
		return "Kiểm tra " + tp
	case "giay_gioi_thieu", "giay_nghi_phep":
		return "Giới thiệu cán bộ liên hệ công tác " + tp
	default:
		return strings.ToUpper(tp[:1]) + tp[1:]
	}
}

var communeSigners = []Signer{
	{"TM. ỦY BAN NHÂN DÂN", "Chủ tịch", "Nguyễn Văn Minh"},
	{"KT. CHỦ TỊCH", "Phó Chủ tịch", "Lê Thị Hoa"},
	{"KT. CHỦ TỊCH", "Phó Chủ tịch", "Phạm Quốc Hùng"},
	{"TL. CHỦ TỊCH", "Chánh Văn phòng", "Đỗ Thị Thu"},
}

func (g *gen) signer(o Org, t DocType) Signer {
	switch o.Relation {
	case RelSelf:
		if t.ID == "cong_van" || t.ID == "giay_moi" || t.ID == "giay_gioi_thieu" {
			return communeSigners[1+g.r.IntN(3)]
		}
		return communeSigners[g.r.IntN(2)]
	case RelInternal:
		return Signer{"", "Trưởng phòng", []string{"Vũ Thị Mai", "Hoàng Văn Nam", "Trịnh Thị Hằng", "Bùi Đức Long"}[g.r.IntN(4)]}
	default:
		return Signer{"KT. GIÁM ĐỐC", "Phó Giám đốc", []string{"Ngô Văn Thành", "Đặng Thị Lý", "Phan Minh Tuấn"}[g.r.IntN(3)]}
	}
}

func (g *gen) outgoing(issuer, self Org, internal []Org) DocSpec {
	ws := outCommuneTypes
	if issuer.Relation == RelInternal {
		ws = outUnitTypes
	}
	t, _ := TypeByID(choose(g.r, ws))
	day := g.day()
	d := DocSpec{
		Direction: "out", Unit: issuer.Code, IssuerCode: issuer.Code, IssuerName: issuer.Name,
		Type: t, Family: "hanh_chinh", IssuedOn: day, IssuedAt: g.clock(day),
		Signer: g.signer(issuer, t), Place: "Yên Định", Pages: 1 + g.r.IntN(6),
	}
	// Recipients by the counterpart they mostly go to.
	higher, peers, ext := pick(g.orgs, RelHigher), pick(g.orgs, RelPeer), pick(g.orgs, RelExternal)
	x := g.r.Float64()
	var rel string
	switch {
	case x < 0.36 && len(higher) > 0:
		rel = RelHigher
		n := 1 + g.r.IntN(2)
		perm := g.r.Perm(len(higher))
		for _, i := range perm[:min(n, len(higher))] {
			d.Recipients = append(d.Recipients, higher[i])
		}
	case x < 0.46 && len(peers) > 0:
		rel = RelPeer
		d.Recipients = append(d.Recipients, peers[g.r.IntN(len(peers))])
	case x < 0.56 && len(ext) > 0:
		rel = RelExternal
		d.Recipients = append(d.Recipients, ext[g.r.IntN(len(ext))])
	default:
		rel = RelInternal
		if issuer.Relation == RelInternal {
			d.Recipients = append(d.Recipients, self)
		} else {
			perm := g.r.Perm(len(internal))
			for _, i := range perm[:1+g.r.IntN(len(internal))] {
				d.Recipients = append(d.Recipients, internal[i])
			}
		}
	}
	d.Subject = g.subject(t, day)
	d.Medium = "electronic"
	if g.r.Float64() >= eShare(g.year, rel) {
		d.Medium = "paper"
	}
	if issuer.Relation == RelSelf && g.r.Float64() < 0.012 {
		g.makeSecret(&d)
	}
	if t.ID == "giay_moi" || g.r.Float64() < 0.15 {
		d.DueDate = g.nextWorkday(day, 2+g.r.IntN(10))
	}
	if g.r.Float64() < 0.05 {
		d.Priority = 1 + g.r.IntN(2)
	}
	return d
}

func (g *gen) makeSecret(d *DocSpec) {
	d.Secret = true
	d.SecretLevel = "Mật"
	if g.r.Float64() < 0.2 {
		d.SecretLevel = "Tối mật"
	}
	d.Medium = "paper"
	d.Subject = "Văn bản mật"
}

func (g *gen) incoming(self Org, internal []Org) DocSpec {
	higher, peers, ext := pick(g.orgs, RelHigher), pick(g.orgs, RelPeer), pick(g.orgs, RelExternal)
	var from Org
	x := g.r.Float64()
	switch {
	case x < 0.68 && len(higher) > 0:
		// UBND tỉnh writes most.
		if g.r.Float64() < 0.4 {
			from = higher[0]
		} else {
			from = higher[g.r.IntN(len(higher))]
		}
	case x < 0.85 && len(peers) > 0:
		from = peers[g.r.IntN(len(peers))]
	case len(ext) > 0:
		from = ext[g.r.IntN(len(ext))]
	default:
		from = higher[0]
	}
	t, _ := TypeByID(choose(g.r, inTypes))
	day := g.day()
	to := self
	if len(internal) > 0 && g.r.Float64() < 0.15 {
		to = internal[g.r.IntN(len(internal))]
	}
	d := DocSpec{
		Direction: "in", Unit: to.Code, IssuerCode: from.Code, IssuerName: from.Name,
		Recipients: []Org{to}, Type: t, Family: "hanh_chinh", IssuedOn: day, IssuedAt: g.clock(day),
		Signer: g.signer(from, t), Place: "Bắc Ninh", Pages: 1 + g.r.IntN(8),
	}
	if from.Relation == RelHigher && g.r.Float64() < 0.35 {
		// Province-wide documents go to several communes at once.
		for _, p := range peers {
			d.Recipients = append(d.Recipients, p)
		}
	}
	if from.Relation == RelHigher && (t.ID == "quyet_dinh" || t.ID == "chi_thi") && g.r.Float64() < 0.12 {
		d.Family = "qppl"
	}
	d.Subject = g.subject(t, day)
	if t.ID == "thong_bao" {
		d.Subject = "Kết luận của lãnh đạo về " + g.topic()
	}
	d.Medium = "electronic"
	if g.r.Float64() >= eShare(g.year, from.Relation) {
		d.Medium = "paper"
	}
	if from.Relation == RelHigher && g.r.Float64() < 0.015 {
		g.makeSecret(&d)
	}
	// Registered the same day or up to three working days later.
	lag := 0
	if d.Medium == "paper" {
		lag = 1 + g.r.IntN(3)
	} else if g.r.Float64() < 0.3 {
		lag = 1
	}
	d.ReceivedOn = g.nextWorkday(day, lag)
	if t.ID == "giay_moi" || g.r.Float64() < 0.2 {
		d.DueDate = g.nextWorkday(day, 3+g.r.IntN(12))
	}
	if g.r.Float64() < 0.06 {
		d.Priority = 1 + g.r.IntN(3)
	}
	return d
}

// number gives every document its number and notation: outgoing numbers
// run from 1 per issuer, type series and year in issue order (secret
// documents and legal-normative ones in their own series); incoming ones
// follow the issuer's yearly rate. Incoming arrival numbers (số đến) run per
// receiving unit in arrival order.
func (g *gen) number(docs []DocSpec) {
	sort.SliceStable(docs, func(i, j int) bool {
		if docs[i].Direction != docs[j].Direction {
			return docs[i].Direction > docs[j].Direction // out first
		}
		return docs[i].IssuedAt.Before(docs[j].IssuedAt)
	})
	orgs := map[string]Org{}
	for _, o := range g.orgs {
		orgs[o.Code] = o
	}
	next := map[string]int{}
	last := map[string]int{}
	for i := range docs {
		d := &docs[i]
		o := orgs[d.IssuerCode]
		series := d.IssuerCode + "|" + d.Type.ID
		switch {
		case d.Secret:
			series += "|secret"
		case d.Family == "qppl":
			series = d.IssuerCode + "|qppl"
		}
		d.Notation = notation(o, d.Type, g.dept(o))
		if d.Direction == "out" {
			next[series]++
			n := next[series]
			d.Number = strconv.Itoa(n)
			if d.Family == "qppl" {
				d.Number = fmt.Sprintf("%02d/%d", n, g.year)
			}
			continue
		}
		rate := o.Rate
		if rate == 0 {
			rate = 1000
		}
		if d.Type.ID != "cong_van" {
			rate /= 6
		}
		if d.Secret {
			rate = 40
		}
		n := int(float64(d.IssuedOn.YearDay())/366*float64(rate)) + 1 + g.r.IntN(4)
		if n <= last[series] {
			n = last[series] + 1 + g.r.IntN(3)
		}
		last[series] = n
		d.Number = strconv.Itoa(n)
		if d.Family == "qppl" {
			d.Number = fmt.Sprintf("%02d/%d", n%60+1, g.year)
		}
	}
	// Arrival numbers in arrival order per receiving unit.
	idx := make([]int, 0, len(docs))
	for i := range docs {
		if docs[i].Direction == "in" {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return docs[idx[a]].ReceivedOn.Before(docs[idx[b]].ReceivedOn)
	})
	arr := map[string]int{}
	for _, i := range idx {
		k := docs[i].Unit
		if docs[i].Secret {
			k += "|secret"
		}
		arr[k]++
		docs[i].ArrivalNumber = arr[k]
	}
}

func (g *gen) dept(o Org) string {
	if len(o.Depts) == 0 {
		return ""
	}
	return o.Depts[g.r.IntN(len(o.Depts))]
}

// notation builds CodeNotation: "BC-UBND" for a typed document, "UBND-VP"
// for a công văn of an agency, "PKT" for a công văn of an internal unit.
func notation(o Org, t DocType, dept string) string {
	if t.Abbr == "" {
		if dept == "" {
			return o.Abbr
		}
		return o.Abbr + "-" + dept
	}
	return t.Abbr + "-" + o.Abbr
}

// finish sets ids, attachments, revocations and statuses.
func (g *gen) finish(docs []DocSpec) {
	for i := range docs {
		d := &docs[i]
		d.DocID = g.hex(24)
		if d.Medium == "electronic" {
			d.Attachments = append(d.Attachments, Attachment{
				ContentID: g.uuid(), Name: safeName(d.Number + "-" + d.Notation + ".pdf"),
				ContentType: "application/pdf", Description: d.Type.Name + " (bản ký số)", Size: g.pdfSize(),
			})
			if g.r.Float64() < 0.3 {
				d.Attachments = append(d.Attachments, Attachment{
					ContentID: g.uuid(), Name: safeName(d.Number + "-" + d.Notation + "-phu-luc.pdf"),
					ContentType: "application/pdf", Description: "Phụ lục kèm theo", Size: g.pdfSize() / 2,
				})
			}
		}
		if d.OnAxis() && d.Family == "hanh_chinh" && g.r.Float64() < 0.005 {
			d.Revoked = true
			d.RevokedAt = g.clock(g.nextWorkday(d.IssuedOn, 1+g.r.IntN(2)))
			d.RevokeReason = "Thu hồi văn bản do sai sót về " + []string{"nơi nhận", "thể thức", "nội dung trích yếu"}[g.r.IntN(3)]
			d.RevokeDocID = g.hex(24)
		}
		if d.Direction == "out" && d.OnAxis() {
			for _, r := range d.Recipients {
				if r.Relation == RelInternal || r.Relation == RelSelf {
					continue
				}
				d.Statuses = g.statuses(d, r)
			}
		}
	}
}

// Statuses of one recipient for d; appended to what earlier recipients reported.
func (g *gen) statuses(d *DocSpec, r Org) []StatusSpec {
	out := d.Statuses
	at := d.IssuedAt.Add(time.Duration(20+g.r.IntN(300)) * time.Second)
	add := func(code, desc string) {
		out = append(out, StatusSpec{DocID: g.hex(24), Reporter: r, Code: code, At: at, Description: desc, Staff: "Hệ thống QLVB"})
	}
	add(StatusArrived, "Đã đến")
	if g.r.Float64() < 0.02 {
		at = at.Add(time.Duration(30+g.r.IntN(600)) * time.Minute)
		add(StatusRefused, "Từ chối tiếp nhận: "+[]string{"văn bản gửi nhầm đơn vị", "thiếu chữ ký số", "tệp đính kèm không mở được"}[g.r.IntN(3)])
		return out
	}
	steps := []struct{ code, desc string }{
		{StatusAccepted, "Đã tiếp nhận"}, {StatusAssigned, "Phân công xử lý"},
		{StatusHandling, "Đang xử lý"}, {StatusCompleted, "Hoàn thành"},
	}
	keep := []float64{0.96, 0.75, 0.7, 0.85}
	for i, s := range steps {
		if g.r.Float64() >= keep[i] {
			break
		}
		at = at.Add(time.Duration(10+g.r.IntN(60*24*2)) * time.Minute)
		add(s.code, s.desc)
	}
	return out
}

// pdfSize draws a signed-PDF size: median ~180 KB, from 30 KB to ~6 MB.
func (g *gen) pdfSize() int64 {
	s := math.Exp(12.1 + 0.9*g.r.NormFloat64())
	return int64(min(max(s, 30_000), 6_000_000))
}

func safeName(s string) string {
	return strings.NewReplacer("/", "-", "\\", "-", " ", "_").Replace(s)
}
