package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the workbook.
const (
	sheetIndicators = "Chỉ tiêu"
	sheetDocTypes   = "Văn bản theo loại"
	sheetUnits      = "Theo đơn vị"
)

var (
	indicatorWidths = []float64{5, 42, 9, 11, 11, 12, 12, 12, 15, 12, 10, 40, 40}
	docTypeWidths   = []float64{5, 48, 14, 14, 12, 14, 16}
)

type xlsxStyles struct {
	title, sub, header, text, center, pct, count, bold, boldCount int
}

func newStyles(f *excelize.File) (xlsxStyles, error) {
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	font := func(bold bool, size float64) *excelize.Font {
		return &excelize.Font{Family: "Times New Roman", Size: size, Bold: bold}
	}
	cell := &excelize.Alignment{WrapText: true, Vertical: "center"}
	mid := &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}
	right := &excelize.Alignment{Vertical: "center", Horizontal: "right"}
	pctFmt := "0.00\"%\""
	cntFmt := "#,##0.##"
	var s xlsxStyles
	var err error
	add := func(dst *int, st *excelize.Style) {
		if err == nil {
			*dst, err = f.NewStyle(st)
		}
	}
	add(&s.title, &excelize.Style{Font: font(true, 13), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	add(&s.sub, &excelize.Style{Font: font(false, 11), Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	add(&s.header, &excelize.Style{Font: font(true, 11), Alignment: mid, Border: border,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}})
	add(&s.text, &excelize.Style{Font: font(false, 11), Alignment: cell, Border: border})
	add(&s.center, &excelize.Style{Font: font(false, 11), Alignment: mid, Border: border})
	add(&s.pct, &excelize.Style{Font: font(false, 11), Alignment: right, Border: border, CustomNumFmt: &pctFmt})
	add(&s.count, &excelize.Style{Font: font(false, 11), Alignment: right, Border: border, CustomNumFmt: &cntFmt})
	add(&s.bold, &excelize.Style{Font: font(true, 11), Alignment: cell, Border: border})
	add(&s.boldCount, &excelize.Style{Font: font(true, 11), Alignment: right, Border: border, CustomNumFmt: &cntFmt})
	return s, err
}

func colName(c int) string { n, _ := excelize.ColumnNumberToName(c); return n }

func cellRef(c, r int) string { return fmt.Sprintf("%s%d", colName(c), r) }

// title writes the title block over ncols columns and returns the next row.
func (r *Report) xlsxTitle(f *excelize.File, sheet string, st xlsxStyles, ncols int, heading string) int {
	lines := r.TitleLines()
	lines[0] = heading
	for i, l := range lines {
		row := i + 1
		f.SetCellValue(sheet, cellRef(1, row), l)
		f.MergeCell(sheet, cellRef(1, row), cellRef(ncols, row))
		if i == 0 {
			f.SetCellStyle(sheet, cellRef(1, row), cellRef(ncols, row), st.title)
			f.SetRowHeight(sheet, row, 36)
		} else {
			f.SetCellStyle(sheet, cellRef(1, row), cellRef(ncols, row), st.sub)
		}
	}
	return len(lines) + 2
}

// fitRow sets the height of a row of wrapped cells from their text and the
// column widths: spreadsheet programs do not grow rows written by a library.
func fitRow(f *excelize.File, sheet string, row int, cells []string, widths []float64) {
	lines := 1
	for i, c := range cells {
		if i >= len(widths) || c == "" {
			continue
		}
		per := int(widths[i] * 1.15)
		n := 0
		for _, part := range strings.Split(c, "\n") {
			n += (utf8.RuneCountInString(part) + per - 1) / max(per, 1)
		}
		lines = max(lines, n)
	}
	f.SetRowHeight(sheet, row, float64(lines)*15+3)
}

func setWidths(f *excelize.File, sheet string, widths []float64) {
	for i, w := range widths {
		f.SetColWidth(sheet, colName(i+1), colName(i+1), w)
	}
}

func pageSetup(f *excelize.File, sheet string, headerRow int) error {
	landscape := "landscape"
	size := 9 // A4
	fit := true
	one, zero := 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, Size: &size, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	m := 0.4
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &m, Bottom: &m}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, headerRow, headerRow), Scope: sheet}); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cellRef(1, headerRow+1), ActivePane: "bottomLeft"})
}

// WriteXLSX writes the data annex as an Excel workbook: the indicators,
// the documents by type and the units side by side.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("report: xlsx styles: %w", err)
	}
	if err := f.SetSheetName("Sheet1", sheetIndicators); err != nil {
		return err
	}
	if err := r.xlsxIndicators(f, st); err != nil {
		return err
	}
	if _, err := f.NewSheet(sheetDocTypes); err != nil {
		return err
	}
	if err := r.xlsxDocTypes(f, st); err != nil {
		return err
	}
	if _, err := f.NewSheet(sheetUnits); err != nil {
		return err
	}
	if err := r.xlsxUnits(f, st); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	return nil
}

// setValue writes an indicator value as a number (percent or count style)
// or a dash when there is none.
func setValue(f *excelize.File, sheet, ref string, v *float64, unit string, st xlsxStyles) {
	if v == nil {
		f.SetCellValue(sheet, ref, "—")
		f.SetCellStyle(sheet, ref, ref, st.center)
		return
	}
	f.SetCellFloat(sheet, ref, *v, 2, 64)
	if unit == "%" {
		f.SetCellStyle(sheet, ref, ref, st.pct)
	} else {
		f.SetCellStyle(sheet, ref, ref, st.count)
	}
}

func (r *Report) xlsxIndicators(f *excelize.File, st xlsxStyles) error {
	sh := sheetIndicators
	hr := r.xlsxTitle(f, sh, st, len(Headers), "PHỤ LỤC SỐ LIỆU CÁC CHỈ TIÊU CẢI CÁCH LỀ LỐI LÀM VIỆC, CHUYỂN ĐỔI SỐ")
	for i, h := range Headers {
		f.SetCellValue(sh, cellRef(i+1, hr), h)
	}
	f.SetCellStyle(sh, cellRef(1, hr), cellRef(len(Headers), hr), st.header)
	f.SetRowHeight(sh, hr, 45)
	row := hr + 1
	for i, x := range r.Rows {
		if i == 0 || r.Rows[i-1].Kind != x.Kind {
			label := "A. CHỈ TIÊU ĐƯỢC GIAO"
			if x.Kind != "target" {
				label = "B. CHỈ TIÊU THEO DÕI (không giao chỉ tiêu)"
			}
			f.SetCellValue(sh, cellRef(1, row), label)
			f.MergeCell(sh, cellRef(1, row), cellRef(len(Headers), row))
			f.SetCellStyle(sh, cellRef(1, row), cellRef(len(Headers), row), st.bold)
			row++
		}
		cells := x.Cells(i+1, ",")
		for c, v := range cells {
			f.SetCellValue(sh, cellRef(c+1, row), v)
		}
		fitRow(f, sh, row, cells, indicatorWidths)
		f.SetCellStyle(sh, cellRef(1, row), cellRef(len(Headers), row), st.text)
		for _, c := range []int{1, 3, 4, 8, 9, 10, 11} {
			f.SetCellStyle(sh, cellRef(c, row), cellRef(c, row), st.center)
		}
		if x.HasBase {
			setValue(f, sh, cellRef(5, row), x.Baseline.Value, x.Unit, st)
		}
		setValue(f, sh, cellRef(6, row), x.Value, x.Unit, st)
		if x.Estimate != nil {
			setValue(f, sh, cellRef(7, row), x.Estimate, x.Unit, st)
		}
		row++
	}
	f.SetCellValue(sh, cellRef(1, row+1), "Ghi chú: Tỷ lệ = Tử số / Mẫu số × 100%. Chỉ tiêu giảm = (Cùng kỳ − Kỳ báo cáo) / Cùng kỳ × 100%. "+
		"\"Chưa đủ số liệu\": mẫu số hoặc số liệu cùng kỳ bằng 0, hoặc một nguồn thiếu số liệu trong kỳ (cột Đủ số liệu, chiso coverage). Danh sách bản ghi: chiso explain --indicator <mã> --period "+r.Period.ID+".")
	f.MergeCell(sh, cellRef(1, row+1), cellRef(len(Headers), row+1))
	f.SetCellStyle(sh, cellRef(1, row+1), cellRef(len(Headers), row+1), st.sub)
	f.SetRowHeight(sh, row+1, 32)
	setWidths(f, sh, indicatorWidths)
	return pageSetup(f, sh, hr)
}

func (r *Report) xlsxDocTypes(f *excelize.File, st xlsxStyles) error {
	sh := sheetDocTypes
	hr := r.xlsxTitle(f, sh, st, len(docTypeHeaders), "SỐ VĂN BẢN THEO LOẠI (Nghị định 30/2020/NĐ-CP)")
	for i, h := range docTypeHeaders {
		f.SetCellValue(sh, cellRef(i+1, hr), h)
	}
	f.SetCellStyle(sh, cellRef(1, hr), cellRef(len(docTypeHeaders), hr), st.header)
	f.SetRowHeight(sh, hr, 45)
	for i, d := range r.DocTypes {
		row := hr + 1 + i
		cells := d.cells(i+1, ",")
		fitRow(f, sh, row, cells, docTypeWidths)
		f.SetCellValue(sh, cellRef(1, row), cells[0])
		f.SetCellValue(sh, cellRef(2, row), cells[1])
		for c, v := range []int64{d.Out, d.Base} {
			f.SetCellValue(sh, cellRef(3+c, row), v)
		}
		if d.Base > 0 {
			f.SetCellFloat(sh, cellRef(5, row), float64(d.Out-d.Base)*100/float64(d.Base), 2, 64)
		}
		f.SetCellValue(sh, cellRef(6, row), d.In)
		f.SetCellValue(sh, cellRef(7, row), d.Electronic)
		styleText, styleNum := st.text, st.count
		if d.Total {
			styleText, styleNum = st.bold, st.boldCount
		}
		f.SetCellStyle(sh, cellRef(1, row), cellRef(1, row), st.center)
		f.SetCellStyle(sh, cellRef(2, row), cellRef(2, row), styleText)
		f.SetCellStyle(sh, cellRef(3, row), cellRef(7, row), styleNum)
		f.SetCellStyle(sh, cellRef(5, row), cellRef(5, row), st.pct)
	}
	setWidths(f, sh, docTypeWidths)
	return pageSetup(f, sh, hr)
}

func (r *Report) xlsxUnits(f *excelize.File, st xlsxStyles) error {
	sh := sheetUnits
	h := r.unitHeaders()
	hr := r.xlsxTitle(f, sh, st, len(h), "CHỈ TIÊU THEO ĐƠN VỊ (giá trị và tử số/mẫu số)")
	for i, x := range h {
		f.SetCellValue(sh, cellRef(i+1, hr), x)
	}
	f.SetCellStyle(sh, cellRef(1, hr), cellRef(len(h), hr), st.header)
	f.SetRowHeight(sh, hr, 45)
	widths := []float64{5, 42, 9}
	for range r.Units {
		widths = append(widths, 18)
	}
	for i, row := range r.Rows {
		rr := hr + 1 + i
		cells := r.unitCells(i, row, ",")
		for c, v := range cells {
			f.SetCellValue(sh, cellRef(c+1, rr), v)
		}
		fitRow(f, sh, rr, cells, widths)
		f.SetCellStyle(sh, cellRef(1, rr), cellRef(len(h), rr), st.text)
		f.SetCellStyle(sh, cellRef(1, rr), cellRef(1, rr), st.center)
		f.SetCellStyle(sh, cellRef(4, rr), cellRef(len(h), rr), st.center)
	}
	setWidths(f, sh, widths)
	return pageSetup(f, sh, hr)
}
