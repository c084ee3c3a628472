package register

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeWorkbook builds a workbook: each sheet gets its rows from A1 down.
// Cell values keep their Go types, so a time.Time becomes a date-typed
// cell and a float64 a number cell, as in real exports.
func writeWorkbook(t *testing.T, date1904 bool, sheets map[string][][]any, order ...string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if v == nil {
					continue
				}
				if err := f.SetCellValue(name, cell, v); err != nil {
					t.Fatal(err)
				}
				if _, ok := v.(time.Time); ok {
					if err := f.SetCellStyle(name, cell, cell, dateStyle); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "so.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestXLSXCellForms(t *testing.T) {
	header := []any{"STT", "Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Nơi nhận", "Độ mật", "Văn bản điện tử"}
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	rows := [][]any{
		{"UBND XÃ YÊN ĐỊNH"},
		{"SỔ ĐĂNG KÝ VĂN BẢN ĐI"},
		header,
		{1, "1/BC-UBND", d(2026, 1, 5), "Báo cáo tháng", "UBND tỉnh Bắc Ninh", nil, "x"}, // date-typed cell
		{2, "2/KH-UBND", 46028.0, "Kế hoạch năm", "Sở Nội vụ\nSở Tài chính", nil, nil},   // serial number cell
		{3, "3/UBND-VP", "07/01/2026", "V/v chuyển đổi số", nil, "Tối mật", "x"},         // text date
		{4, "4/TB-UBND", "2026-01-08", "Thông báo", nil, nil, "X"},                       // ISO text date
		{nil, nil, nil, nil, nil, nil, nil},                                              // blank
		{5, 125, d(2026, 1, 9), "Công văn không ký hiệu", nil, nil, nil},                 // numeric code
		{6, "6/BC-UBND", "ngày mai", "Ngày lỗi", nil, nil, nil},                          // bad
	}
	type want struct {
		line               int
		code, number, date string
		secret             bool
		medium             string
		recipients         int
		err                string
	}
	wants := []want{
		{4, "1/BC-UBND", "1", "2026-01-05", false, Electronic, 1, ""},
		{5, "2/KH-UBND", "2", "2026-01-06", false, Paper, 2, ""},
		{6, "3/UBND-VP", "3", "2026-01-07", true, Electronic, 0, ""},
		{7, "4/TB-UBND", "4", "2026-01-08", false, Electronic, 0, ""},
		{9, "125", "125", "2026-01-09", false, Paper, 0, ""},
		{10, "", "", "", false, "", 0, `sheet Sổ đi: row 10: column "Ngày tháng văn bản" (issued_on): unparsable date "ngày mai"`},
	}
	for _, date1904 := range []bool{false, true} {
		t.Run(map[bool]string{false: "1900", true: "1904"}[date1904], func(t *testing.T) {
			rs := rows
			if date1904 {
				// Serial numbers count from 1904-01-01 in such workbooks.
				rs = append([][]any(nil), rows...)
				r := append([]any(nil), rows[4]...)
				r[2] = 46028.0 - 1462
				rs[4] = r
			}
			path := writeWorkbook(t, date1904, map[string][][]any{
				"Hướng dẫn": {{"Sổ này xuất từ hệ thống QLVB"}},
				"Sổ đi":     rs,
			}, "Hướng dẫn", "Sổ đi")
			var got []want
			h, err := Read(context.Background(), path, Options{Sheet: "Sổ đi"}, func(r Row, bad *RowError) error {
				if bad != nil {
					got = append(got, want{line: bad.Line, err: bad.Error()})
					return nil
				}
				got = append(got, want{r.Line, r.Code, r.Number, day(r.IssuedOn), r.Secret, r.Medium, len(r.Recipients), ""})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if h.Line != 3 || h.Sheet != "Sổ đi" {
				t.Errorf("header at %s row %d, want Sổ đi row 3", h.Sheet, h.Line)
			}
			if len(got) != len(wants) {
				t.Fatalf("got %d rows, want %d: %+v", len(got), len(wants), got)
			}
			for i := range wants {
				w, g := wants[i], got[i]
				if w.err != "" {
					if g.line != w.line || !strings.Contains(g.err, w.err) {
						t.Errorf("row %d: got %+v, want error %q", w.line, g, w.err)
					}
					continue
				}
				if g != w {
					t.Errorf("row %d: got %+v, want %+v", w.line, g, w)
				}
			}
		})
	}
}

func TestXLSXSheetErrors(t *testing.T) {
	path := writeWorkbook(t, false, map[string][][]any{"Trang 1": {{"Không có tiêu đề cột"}}}, "Trang 1")
	visit := func(Row, *RowError) error { return nil }
	if _, err := Read(context.Background(), path, Options{Sheet: "Sổ đến"}, visit); err == nil || !strings.Contains(err.Error(), `no sheet "Sổ đến"`) {
		t.Errorf("missing sheet: err = %v", err)
	}
	if _, err := Read(context.Background(), path, Options{}, visit); err == nil || !strings.Contains(err.Error(), "no header row") {
		t.Errorf("no header: err = %v", err)
	}
	bad := filepath.Join(t.TempDir(), "hong.xlsx")
	if err := writeFile(bad, "not a zip"); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(context.Background(), bad, Options{}, visit); err == nil || !strings.Contains(err.Error(), "hong.xlsx: open workbook") {
		t.Errorf("broken workbook: err = %v", err)
	}
}
