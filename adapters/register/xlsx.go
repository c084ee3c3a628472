package register

import (
	"context"
	"fmt"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/workbook"
)

// readXLSX streams the rows of one worksheet (f.Rows, never GetRows: memory
// does not grow with the sheet). Cells are read raw (no number format), so a
// cell typed as a date arrives as its serial number or ISO value.
func readXLSX(ctx context.Context, path, name string, opt Options, visit Visit) (*Header, error) {
	f, err := workbook.Open(path, opt.MaxUnzipped)
	if err != nil {
		return nil, fmt.Errorf("register: %s: open workbook: %w", name, err)
	}
	defer f.Close()
	sheet := opt.Sheet
	if sheet == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			return nil, fmt.Errorf("register: %s: workbook has no sheet", name)
		}
		sheet = list[0]
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		return nil, fmt.Errorf("register: %s: no sheet %q (sheets: %v)", name, sheet, f.GetSheetList())
	}
	rr := newRowReader(name, sheet, opt, visit)
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		rr.date1904 = *props.Date1904
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("register: %s: sheet %s: %w", name, sheet, err)
	}
	defer rows.Close()
	line := 0
	for rows.Next() {
		line++
		if line%256 == 0 {
			if err := checkCtx(ctx, name); err != nil {
				return rr.header, err
			}
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return rr.header, fmt.Errorf("register: %s: sheet %s: row %d: %w", name, sheet, line, err)
		}
		noHeader, err := rr.feed(line, cells)
		if err != nil {
			return rr.header, err
		}
		if noHeader {
			return nil, fmt.Errorf("register: %s: sheet %s: %w", name, sheet, ErrNoHeader)
		}
	}
	if err := rows.Error(); err != nil {
		return rr.header, fmt.Errorf("register: %s: sheet %s: %w", name, sheet, err)
	}
	if rr.header == nil {
		return nil, fmt.Errorf("register: %s: sheet %s: %w", name, sheet, ErrNoHeader)
	}
	return rr.header, nil
}
