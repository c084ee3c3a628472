package report

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
