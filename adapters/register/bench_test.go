package register

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/workbook/workbooktest"
)

// BenchmarkReadXLSX reads a normal 10,000-row register workbook, and
// BenchmarkReadXLSXBomb a 7 MB workbook that unpacks to 2 GiB (issue 19):
// refused before anything is extracted, so its cost sits next to the
// normal one in `make bench` (ns/op, B/op).
func BenchmarkReadXLSX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "so-di.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung", "Nơi nhận", "Người ký"})
	for i := 2; i <= 10001; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		_ = sw.SetRow(cell, []any{fmt.Sprintf("%d/BC-UBND", i), "20/11/2025", "Báo cáo kết quả thực hiện nhiệm vụ tháng 11", "UBND tỉnh; Sở Nội vụ", "Nguyễn Văn A"})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if _, err := Read(context.Background(), path, Options{}, func(Row, *RowError) error { n++; return nil }); err != nil || n != 10000 {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
}

func BenchmarkReadXLSXBomb(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bomb.xlsx")
	workbooktest.Bomb(b, path, 2<<30, []string{"Số, ký hiệu văn bản", "Ngày tháng văn bản"})
	b.ResetTimer()
	for b.Loop() {
		if _, err := Read(context.Background(), path, Options{}, func(Row, *RowError) error { return nil }); err == nil {
			b.Fatal("bomb read")
		}
	}
}
