package facts

// DocType is one document type: a value of the documents.doc_type column.
type DocType struct {
	ID     string // doc_type id, e.g. "quyet_dinh"
	Abbrev string // abbreviation in ký hiệu (Phụ lục III), "" when none
	Label  string // Vietnamese name, as officers read it and type names are matched
	QPPL   bool   // legal-normative only (never an administrative document)
	Report string // the row's label in the official report table, "" when Label
}

// DocTypes lists the document types: the 29 administrative types of Nghị
// định 30/2020 Điều 7 in their legal order, the legal-normative types that
// appear in exchanged documents, and khac. mapping/documents classifies by
// it; report breaks documents down by its administrative (non-QPPL) types,
// in this order.
var DocTypes = []DocType{
	{"nghi_quyet", "NQ", "Nghị quyết", false, "Nghị quyết (cá biệt)"},
	{"quyet_dinh", "QĐ", "Quyết định", false, "Quyết định (cá biệt)"},
	{"chi_thi", "CT", "Chỉ thị", false, ""},
	{"quy_che", "QC", "Quy chế", false, ""},
	{"quy_dinh", "QyĐ", "Quy định", false, ""},
	{"thong_cao", "TC", "Thông cáo", false, ""},
	{"thong_bao", "TB", "Thông báo", false, ""},
	{"huong_dan", "HD", "Hướng dẫn", false, ""},
	{"chuong_trinh", "CTr", "Chương trình", false, ""},
	{"ke_hoach", "KH", "Kế hoạch", false, ""},
	{"phuong_an", "PA", "Phương án", false, ""},
	{"de_an", "ĐA", "Đề án", false, ""},
	{"du_an", "DA", "Dự án", false, ""},
	{"bao_cao", "BC", "Báo cáo", false, ""},
	{"bien_ban", "BB", "Biên bản", false, ""},
	{"to_trinh", "TTr", "Tờ trình", false, ""},
	{"hop_dong", "HĐ", "Hợp đồng", false, ""},
	{"cong_van", "", "Công văn", false, ""},
	{"cong_dien", "CĐ", "Công điện", false, ""},
	{"ban_ghi_nho", "BGN", "Bản ghi nhớ", false, ""},
	{"ban_thoa_thuan", "BTT", "Bản thỏa thuận", false, ""},
	{"giay_uy_quyen", "GUQ", "Giấy ủy quyền", false, ""},
	{"giay_moi", "GM", "Giấy mời", false, ""},
	{"giay_gioi_thieu", "GGT", "Giấy giới thiệu", false, ""},
	{"giay_nghi_phep", "GNP", "Giấy nghỉ phép", false, ""},
	{"phieu_gui", "PG", "Phiếu gửi", false, ""},
	{"phieu_chuyen", "PC", "Phiếu chuyển", false, ""},
	{"phieu_bao", "PB", "Phiếu báo", false, ""},
	{"thu_cong", "", "Thư công", false, ""},
	{"hien_phap", "", "Hiến pháp", true, ""},
	{"bo_luat", "", "Bộ luật", true, ""},
	{"luat", "", "Luật", true, ""},
	{"phap_lenh", "PL", "Pháp lệnh", true, ""},
	{"lenh", "", "Lệnh", true, ""},
	{"nghi_dinh", "NĐ", "Nghị định", true, ""},
	{"thong_tu", "TT", "Thông tư", true, ""},
	{"thong_tu_lien_tich", "TTLT", "Thông tư liên tịch", true, ""},
	{"nghi_quyet_lien_tich", "NQLT", "Nghị quyết liên tịch", true, ""},
	{"khac", "", "Khác", false, "Khác (chưa xác định loại)"},
}

// DocTypeByID returns the document type with id.
func DocTypeByID(id string) (DocType, bool) {
	for _, t := range DocTypes {
		if t.ID == id {
			return t, true
		}
	}
	return DocType{}, false
}

// ReportLabel is the type's label in the official report table.
func (t DocType) ReportLabel() string {
	if t.Report != "" {
		return t.Report
	}
	return t.Label
}
