package web

// formulas say in words how each indicator is computed: the "Tử số / mẫu
// số" and "Công thức" columns of docs/chi-tieu.md, where they are defined
// (TestFormulasAreTheDocs keeps the two the same).
var formulas = map[string]string{
	"doc_reduction":                 "(D(B) − D(P)) / D(B); D = văn bản đi, nhóm hành chính, của U, ngày ban hành trong kỳ (kể cả văn bản mật, văn bản đã thu hồi). Thiếu số liệu: văn bản đi chưa xác định nhóm",
	"meeting_reduction":             "(M(B) − M(P)) / M(B); M = cuộc họp do U chủ trì, không bị hủy, bắt đầu trong kỳ",
	"meeting_online_share":          "cuộc họp trực tuyến hoặc không giấy / M(P)",
	"dossier_full_online_share":     "hồ sơ tiếp nhận trong kỳ, nộp trực tuyến, thủ tục toàn trình, chưa kết thúc hoặc trả kết quả điện tử/bưu chính / hồ sơ tiếp nhận trong kỳ. Thủ tục chưa rõ mức độ: chỉ tính ở mẫu số, ghi thiếu số liệu",
	"result_digitized_share":        "hồ sơ kết thúc trong kỳ (trạng thái 9, 10) có kết quả điện tử / các hồ sơ đó (trừ thủ tục không có kết quả giấy tờ)",
	"electronic_exchange_share":     "văn bản đi và đến của U trong kỳ, cơ quan gửi/nhận cao nhất là cấp trên, không mật, bản điện tử / cùng nhóm đó. Chưa xác định cơ quan gửi/nhận: thiếu số liệu",
	"meeting_materials_ahead_share": "cuộc họp gửi tài liệu trước giờ họp ≥ 24 giờ / cuộc họp có thời điểm gửi tài liệu",
	"meeting_discussion_share":      "cuộc họp có thời gian thảo luận ≥ 70% tổng thời lượng / cuộc họp có đủ hai số liệu",
	"meeting_duration_share":        "cuộc họp có số buổi ≤ mức tối đa theo loại / M(P). Mức tối đa (buổi): quán triệt 1, chuyên môn 2, quan trọng 3, giao ban 1, giải quyết công việc 1, tham mưu tư vấn 1, điều phối 1, sơ kết tổng kết 2, chuyên đề 2, tập huấn 4, khác 2. Chưa rõ loại: chỉ tính ở mẫu số, thiếu số liệu",
	"commune_wide_conferences":      "số cuộc họp toàn xã trong M(P)",
	"documents_issued":              "D(P)",
	"meetings_held":                 "M(P)",
	"dossier_online_share":          "hồ sơ nộp trực tuyến / hồ sơ tiếp nhận; thiếu kênh nộp: tính như trực tiếp, ghi thiếu số liệu",
	"dossier_on_time_share":         "hồ sơ tiếp nhận trong kỳ (trừ từ chối, rút): đúng hạn khi kết thúc ≤ hạn trả; chưa kết thúc thì xét tại cuối kỳ (hoặc hôm nay nếu kỳ chưa hết); không có hạn trả thì hạn = ngày tiếp nhận + số ngày làm việc của thủ tục + thời gian chờ bổ sung; bổ sung từ 2 lần trở lên: trễ hạn; không xác định được hạn: thiếu số liệu",
	"dossier_input_digitized_share": "hồ sơ có thành phần số hóa / hồ sơ tiếp nhận",
	"dossier_reused_data_share":     "hồ sơ tái sử dụng dữ liệu / hồ sơ tiếp nhận",
	"electronic_exchange_out_share": "như chỉ tiêu 6, tách theo chiều đi, đến",
	"electronic_exchange_in_share":  "như chỉ tiêu 6, tách theo chiều đi, đến",
}

// Formula is the formula of indicator id in words ("" when unknown).
func Formula(id string) string { return formulas[id] }
