package report

import (
	"fmt"
	"strconv"
	"strings"

	"chiso/adapters/vntime"
	"chiso/warehouse"
)

// Headers are the columns of the indicator table (indicators.md).
var Headers = []string{"STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao", "Cùng kỳ", "Thực hiện kỳ báo cáo",
	"Ước thực hiện đến hết kỳ", "Tăng/giảm so cùng kỳ", "Tử số / Mẫu số", "Đánh giá", "Đủ số liệu", "Ghi chú", "Cảnh báo sớm (dự báo cả năm)"}

// num formats a number with 2 decimals (none for whole counts) using sep
// as the decimal separator.
func num(v float64, count bool, sep string) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if count && v == float64(int64(v)) {
		s = strconv.FormatInt(int64(v), 10)
	}
	return strings.Replace(s, ".", sep, 1)
}

func valueText(v *float64, unit, sep string) string {
	if v == nil {
		return "—"
	}
	if unit == "%" {
		return num(*v, false, sep) + "%"
	}
	return num(*v, true, sep)
}

func unitText(r Row) string {
	if r.Unit == "%" {
		return "%"
	}
	if u, ok := countUnits[r.Indicator]; ok {
		return u
	}
	return "số lượng"
}

func targetText(r warehouse.KPIRow, sep string) string {
	if r.Target == nil || r.Op == nil {
		return ""
	}
	op := map[string]string{">=": "≥ ", "<=": "≤ ", "=": ""}[*r.Op]
	t := num(*r.Target, true, sep)
	if r.Unit == "%" {
		t += "%"
	}
	return op + t
}

func ratioText(r Row) string {
	switch {
	case r.Denominator == nil:
		return strconv.FormatInt(r.Numerator, 10)
	case r.Cur != nil && r.Base != nil:
		return fmt.Sprintf("(%d − %d) / %d", *r.Base, *r.Cur, *r.Base)
	default:
		return fmt.Sprintf("%d / %d", r.Numerator, *r.Denominator)
	}
}

// Assessment is Đạt / Chưa đạt / Chưa đủ số liệu ("" without a target).
func Assessment(r warehouse.KPIRow) string {
	switch {
	case r.Target == nil:
		return ""
	case r.Met == nil:
		return "Chưa đủ số liệu"
	case *r.Met:
		return "Đạt"
	default:
		return "Chưa đạt"
	}
}

func diffText(r Row, sep string) string {
	if !r.HasBase || r.Value == nil || r.Baseline.Value == nil {
		return ""
	}
	d := *r.Value - *r.Baseline.Value
	s := num(d, r.Unit == "count", sep)
	if d > 0 {
		s = "+" + s
	}
	if r.Unit == "%" {
		s += " điểm %"
	}
	return s
}

func noteText(r Row) string {
	var parts []string
	if r.Value == nil {
		if r.Cur != nil {
			parts = append(parts, "không đủ số liệu cùng kỳ")
		} else {
			parts = append(parts, "chưa có số liệu trong kỳ")
		}
	}
	if r.Cur != nil && r.Base != nil {
		parts = append(parts, fmt.Sprintf("kỳ báo cáo %d, cùng kỳ %d", *r.Cur, *r.Base))
	}
	if r.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d bản ghi thiếu số liệu (chiso explain)", r.Missing))
	}
	parts = append(parts, gapNotes(r)...)
	if s, ok := sourceLabels[r.Source]; ok {
		parts = append(parts, "nguồn: "+s)
	}
	return strings.Join(parts, "; ")
}

// Cells are the 13 cells of one indicator row, numbers with sep.
func (r Row) Cells(stt int, sep string) []string {
	base := ""
	if r.HasBase {
		base = valueText(r.Baseline.Value, r.Unit, sep)
	}
	est := ""
	if r.Estimate != nil {
		est = valueText(r.Estimate, r.Unit, sep)
	}
	return []string{strconv.Itoa(stt), r.Label, unitText(r), targetText(r.KPIRow, sep), base,
		valueText(r.Value, r.Unit, sep), est, diffText(r, sep), ratioText(r), Assessment(r.KPIRow), completeText(r), noteText(r),
		outlookText(r.Status, r.Projection, r.ProjectionLinear, r.Needed, r.Unit, sep)}
}

// TitleLines are the title block: unit, period and cut-off, generated at,
// data sources with their last successful sync, and what the estimate is.
func (r *Report) TitleLines() []string {
	l := []string{
		"PHỤ LỤC SỐ LIỆU CHỈ TIÊU CẢI CÁCH LỀ LỐI LÀM VIỆC VÀ CHUYỂN ĐỔI SỐ",
		"Đơn vị: " + r.Unit.Name + " (" + r.Unit.Code + ")",
		fmt.Sprintf("Kỳ báo cáo: %s (%s), từ ngày %s đến ngày %s; số liệu chốt đến hết ngày %s",
			r.Period.Label, r.Period.ID, r.Period.From.Format("02/01/2006"), r.Period.To.Format("02/01/2006"), r.Period.To.Format("02/01/2006")),
		fmt.Sprintf("Cùng kỳ: từ ngày %s đến ngày %s", r.BaseFrom.Format("02/01/2006"), r.BaseTo.Format("02/01/2006")),
		"Thời điểm lập: " + r.GeneratedAt.Format("15:04 02/01/2006"),
	}
	if r.Frozen != nil {
		l = append(l, fmt.Sprintf("Số liệu chốt ngày %s, mã %s", r.Frozen.At.Format("02/01/2006"), r.Frozen.ID))
	}
	if r.EstimateTo != nil {
		s := fmt.Sprintf("Ước thực hiện đến ngày %s: số liệu %d/%d ngày, ước theo diễn biến cùng kỳ năm trước (tử số, mẫu số nhân với tỷ lệ cả kỳ / phần đã qua của năm trước)",
			r.EstimateTo.Format("02/01/2006"), r.Elapsed, r.FullDays)
		if r.EstimateLinear {
			s += "; số nào năm trước không có số liệu thì ước tuyến tính theo số ngày"
		}
		l = append(l, s)
	}
	if r.OutlookYear != 0 {
		l = append(l, fmt.Sprintf("Cảnh báo sớm năm %d: số liệu từ 01/01/%d đến hết ngày %s, dự báo đến 31/12/%d theo diễn biến năm %d",
			r.OutlookYear, r.OutlookYear, r.OutlookDataEnd.Format("02/01/2006"), r.OutlookYear, r.OutlookYear-1))
	}
	if len(r.Sources) == 0 {
		l = append(l, "Nguồn số liệu: chưa có lần đồng bộ nào")
	}
	for _, s := range r.Sources {
		last := "chưa đồng bộ thành công"
		if s.LastSuccess != nil {
			last = "đồng bộ thành công lần cuối " + s.LastSuccess.In(vntime.Location).Format("15:04 02/01/2006")
		}
		l = append(l, fmt.Sprintf("Nguồn số liệu: %s — %s", s.Connector, last))
	}
	return l
}

// docTypeHeaders are the columns of the documents-by-type sheet.
var docTypeHeaders = []string{"STT", "Loại văn bản", "Văn bản đi kỳ báo cáo", "Văn bản đi cùng kỳ", "Tăng/giảm (%)", "Văn bản đến kỳ báo cáo", "Văn bản điện tử (đi và đến)"}

func (d DocTypeRow) cells(stt int, sep string) []string {
	change := ""
	if d.Base > 0 {
		change = num(float64(d.Out-d.Base)*100/float64(d.Base), false, sep)
	}
	s := ""
	if !d.Total {
		s = strconv.Itoa(stt)
	}
	return []string{s, d.Label, strconv.FormatInt(d.Out, 10), strconv.FormatInt(d.Base, 10), change,
		strconv.FormatInt(d.In, 10), strconv.FormatInt(d.Electronic, 10)}
}

// unitHeaders are the columns of the units sheet.
func (r *Report) unitHeaders() []string {
	h := []string{"STT", "Chỉ tiêu", "Đơn vị tính"}
	for _, u := range r.Units {
		h = append(h, u.Name)
	}
	return h
}

func (r *Report) unitCells(i int, row Row, sep string) []string {
	c := []string{strconv.Itoa(i + 1), row.Label, unitText(row)}
	for _, u := range r.Units {
		k, ok := r.UnitRows[u.Code][row.Indicator]
		if !ok {
			c = append(c, "")
			continue
		}
		s := valueText(k.Value, k.Unit, sep)
		if k.Denominator != nil {
			s += fmt.Sprintf(" (%d/%d)", k.Numerator, *k.Denominator)
		}
		c = append(c, s)
	}
	return c
}
