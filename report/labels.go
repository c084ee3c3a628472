package report

// DocType is a document type of Nghị định 30/2020 Điều 7 with its label.
// (mapping/documents holds the same list for classification; report keeps
// its own copy because it reads the warehouse only.)
type DocType struct{ ID, Label string }

// DocTypes are the 29 administrative document types and "khác", in the
// order of Nghị định 30/2020.
var DocTypes = []DocType{
	{"nghi_quyet", "Nghị quyết (cá biệt)"}, {"quyet_dinh", "Quyết định (cá biệt)"}, {"chi_thi", "Chỉ thị"},
	{"quy_che", "Quy chế"}, {"quy_dinh", "Quy định"}, {"thong_cao", "Thông cáo"}, {"thong_bao", "Thông báo"},
	{"huong_dan", "Hướng dẫn"}, {"chuong_trinh", "Chương trình"}, {"ke_hoach", "Kế hoạch"}, {"phuong_an", "Phương án"},
	{"de_an", "Đề án"}, {"du_an", "Dự án"}, {"bao_cao", "Báo cáo"}, {"bien_ban", "Biên bản"}, {"to_trinh", "Tờ trình"},
	{"hop_dong", "Hợp đồng"}, {"cong_van", "Công văn"}, {"cong_dien", "Công điện"}, {"ban_ghi_nho", "Bản ghi nhớ"},
	{"ban_thoa_thuan", "Bản thỏa thuận"}, {"giay_uy_quyen", "Giấy ủy quyền"}, {"giay_moi", "Giấy mời"},
	{"giay_gioi_thieu", "Giấy giới thiệu"}, {"giay_nghi_phep", "Giấy nghỉ phép"}, {"phieu_gui", "Phiếu gửi"},
	{"phieu_chuyen", "Phiếu chuyển"}, {"phieu_bao", "Phiếu báo"}, {"thu_cong", "Thư công"}, {"khac", "Khác (chưa xác định loại)"},
}

// sourceLabels name the data source of an indicator (Ghi chú column).
var sourceLabels = map[string]string{
	"documents": "văn bản đi/đến (QLVB, trục liên thông, sổ đăng ký)",
	"meetings":  "lịch họp",
	"dossiers":  "hồ sơ TTHC (Cổng dịch vụ công)",
}

// countUnits are the Vietnamese units of count indicators.
var countUnits = map[string]string{
	"documents_issued":         "văn bản",
	"meetings_held":            "cuộc họp",
	"commune_wide_conferences": "hội nghị",
}
