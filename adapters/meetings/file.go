package meetings

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/textnorm"
	"chiso/adapters/vntime"
	"chiso/adapters/workbook"
)

// Columns of the meetings file (registers-meetings.md §2), in template order.
var Columns = []string{"ma", "tieu_de", "loai", "pham_vi", "bat_dau", "ket_thuc", "truc_tuyen", "khong_giay", "huy", "vai_tro", "don_vi", "gui_tai_lieu", "phut_thao_luan"}

var requiredColumns = []string{"ma", "bat_dau", "ket_thuc"}

// FileRow is one readable row of a meetings file. Code-valued columns
// (loai, pham_vi, vai_tro, don_vi) are kept as written; mapping/meetings
// checks them.
type FileRow struct {
	File         string
	Row          int // 1-based row number in the sheet or CSV file
	Ma           string
	TieuDe       string
	Loai         string
	PhamVi       string
	BatDau       time.Time
	KetThuc      time.Time
	AllDay       bool // bat_dau and ket_thuc are dates without a time
	TrucTuyen    bool
	KhongGiay    bool
	Huy          bool
	VaiTro       string
	DonVi        string
	GuiTaiLieu   *time.Time // nil: unknown
	PhutThaoLuan *int       // nil: unknown
	Raw          []byte     // the row's bytes (CSV) or the row as CSV (XLSX)
}

// SourceKey names the row for lineage and rejects: "file.csv#12".
func (r FileRow) SourceKey() string { return fmt.Sprintf("%s#%d", r.File, r.Row) }

// RowError is a row that cannot be read, naming the file, row and column.
type RowError struct {
	File   string
	Row    int
	Ma     string // the row's id, when it could be read
	Column string
	Msg    string
	Raw    []byte
}

func (e RowError) Error() string {
	return fmt.Sprintf("%s: row %d: column %s: %s", e.File, e.Row, e.Column, e.Msg)
}

// SourceKey names the row: "file.csv#12".
func (e RowError) SourceKey() string { return fmt.Sprintf("%s#%d", e.File, e.Row) }

// ReadFile reads a meetings file (.csv or .xlsx; for .xlsx the named sheet,
// or the first one). Times without a zone are in loc (Vietnam time). A file
// that cannot be read at all, or lacks a required column, is an error; a bad
// row is a RowError and the other rows load.
func ReadFile(path, sheet string, loc *time.Location) ([]FileRow, []RowError, error) {
	return ReadFileAs(path, path, sheet, loc)
}

// ReadFileAs is ReadFile with the file named name in rows, keys and errors
// (the connector passes the path relative to its folder).
func ReadFileAs(path, name, sheet string, loc *time.Location) ([]FileRow, []RowError, error) {
	if loc == nil {
		loc = vntime.Location
	}
	var (
		records [][]string
		rowNos  []int
		raws    [][]byte // the CSV bytes of each record (nil for XLSX)
		err     error
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt":
		records, rowNos, raws, err = readCSV(path)
	case ".xlsx", ".xlsm":
		records, rowNos, err = readXLSX(path, sheet)
	default:
		return nil, nil, fmt.Errorf("meetings file %s: unsupported extension (want .csv or .xlsx)", name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("meetings file %s: %w", name, err)
	}
	hdr, cols := findHeader(records)
	if hdr < 0 {
		return nil, nil, fmt.Errorf("meetings file %s: no header row with the columns %s found in the first 20 rows", name, strings.Join(requiredColumns, ", "))
	}
	var out []FileRow
	var bad []RowError
	seen := map[string]int{}
	for i := hdr + 1; i < len(records); i++ {
		rec := records[i]
		if blank(rec) {
			continue
		}
		raw := csvLine(rec)
		if raws != nil {
			raw = raws[i]
		}
		r, rerr := parseRow(name, rowNos[i], rec, cols, loc)
		r.Raw = raw
		if rerr == nil {
			if prev, dup := seen[r.Ma]; dup {
				rerr = &RowError{Column: "ma", Msg: fmt.Sprintf("%q repeats row %d (ma must be unique)", r.Ma, prev)}
			} else {
				seen[r.Ma] = rowNos[i]
			}
		}
		if rerr != nil {
			rerr.File, rerr.Row, rerr.Raw = name, rowNos[i], raw
			if j, ok := cols["ma"]; ok && j < len(rec) {
				rerr.Ma = strings.TrimSpace(rec[j])
			}
			bad = append(bad, *rerr)
			continue
		}
		out = append(out, r)
	}
	return out, bad, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func csvLine(rec []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	return bytes.TrimRight(b.Bytes(), "\n")
}

func readCSV(path string) ([][]string, []int, [][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		first = data[:i]
	}
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var recs [][]string
	var rows []int
	var raws [][]byte
	for {
		start := r.InputOffset()
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, nil, err
		}
		line, _ := r.FieldPos(0)
		recs = append(recs, rec)
		rows = append(rows, line)
		raws = append(raws, bytes.TrimRight(data[start:r.InputOffset()], "\r\n"))
	}
	return recs, rows, raws, nil
}

func readXLSX(path, sheet string) ([][]string, []int, error) {
	f, err := workbook.Open(path, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetName(0)
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		return nil, nil, fmt.Errorf("sheet %q not found (sheets: %s)", sheet, strings.Join(f.GetSheetList(), ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, nil, fmt.Errorf("sheet %q: %w", sheet, err)
	}
	defer rows.Close()
	var recs [][]string
	var nos []int
	for n := 1; rows.Next(); n++ {
		// Raw values: dates come as Excel serial numbers, whatever their format.
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, nil, fmt.Errorf("sheet %q row %d: %w", sheet, n, err)
		}
		recs = append(recs, cols)
		nos = append(nos, n)
	}
	return recs, nos, rows.Error()
}

// columnKey folds a column title: "Bắt đầu" and "bat_dau" are both "bat_dau"
// (textnorm.Key with its spaces written as underscores).
func columnKey(s string) string {
	return strings.ReplaceAll(textnorm.Key(strings.TrimSpace(s)), " ", "_")
}

// findHeader finds the header row among the first 20 and maps column keys
// to indexes.
func findHeader(records [][]string) (int, map[string]int) {
	known := map[string]bool{}
	for _, c := range Columns {
		known[c] = true
	}
	for i := 0; i < len(records) && i < 20; i++ {
		cols := map[string]int{}
		for j, cell := range records[i] {
			if k := columnKey(cell); known[k] {
				if _, dup := cols[k]; !dup {
					cols[k] = j
				}
			}
		}
		ok := true
		for _, c := range requiredColumns {
			if _, has := cols[c]; !has {
				ok = false
			}
		}
		if ok {
			return i, cols
		}
	}
	return -1, nil
}

func parseRow(file string, row int, rec []string, cols map[string]int, loc *time.Location) (FileRow, *RowError) {
	cell := func(name string) string {
		j, ok := cols[name]
		if !ok || j >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[j])
	}
	fail := func(col, format string, args ...any) (FileRow, *RowError) {
		return FileRow{}, &RowError{Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	// Text that cannot be stored (bad UTF-8, NUL) in a column that is read:
	// the row is rejected naming the column, never a database error.
	for _, name := range Columns {
		if j, ok := cols[name]; ok && j < len(rec) {
			switch {
			case !utf8.ValidString(rec[j]):
				return fail(name, "invalid UTF-8 (save the file as UTF-8)")
			case strings.IndexByte(rec[j], 0) >= 0:
				return fail(name, "NUL byte in the text")
			}
		}
	}
	r := FileRow{
		File: file, Row: row,
		Ma: cell("ma"), TieuDe: cell("tieu_de"), Loai: cell("loai"), PhamVi: cell("pham_vi"),
		VaiTro: cell("vai_tro"), DonVi: cell("don_vi"),
	}
	if r.Ma == "" {
		return fail("ma", "empty (every meeting needs an id)")
	}
	var startDate, endDate bool
	var err error
	if cell("bat_dau") == "" {
		return fail("bat_dau", "empty")
	}
	if r.BatDau, startDate, err = ParseFileTime(cell("bat_dau"), loc); err != nil {
		return fail("bat_dau", "%v", err)
	}
	if cell("ket_thuc") == "" {
		return fail("ket_thuc", "empty")
	}
	if r.KetThuc, endDate, err = ParseFileTime(cell("ket_thuc"), loc); err != nil {
		return fail("ket_thuc", "%v", err)
	}
	if startDate && endDate {
		r.AllDay = true
		r.KetThuc = r.KetThuc.AddDate(0, 0, 1) // the end date is inclusive
	} else if endDate {
		r.KetThuc = r.KetThuc.AddDate(0, 0, 1)
	}
	if r.KetThuc.Before(r.BatDau) {
		return fail("ket_thuc", "%s is before bat_dau %s", cell("ket_thuc"), cell("bat_dau"))
	}
	for _, f := range []struct {
		col string
		dst *bool
	}{{"truc_tuyen", &r.TrucTuyen}, {"khong_giay", &r.KhongGiay}, {"huy", &r.Huy}} {
		v, err := ParseFlag(cell(f.col))
		if err != nil {
			return fail(f.col, "%v", err)
		}
		*f.dst = v
	}
	if s := cell("gui_tai_lieu"); s != "" {
		t, _, err := ParseFileTime(s, loc)
		if err != nil {
			return fail("gui_tai_lieu", "%v", err)
		}
		r.GuiTaiLieu = &t
	}
	if s := cell("phut_thao_luan"); s != "" {
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil || f < 0 || f != math.Trunc(f) {
			return fail("phut_thao_luan", "%q is not a whole number of minutes", s)
		}
		n := int(f)
		r.PhutThaoLuan = &n
	}
	return r, nil
}

// ParseFlag reads 1/0, có/không, x/blank, true/false, yes/no.
func ParseFlag(s string) (bool, error) {
	switch columnKey(s) {
	case "", "0", "khong", "k", "false", "no", "n", "0_0":
		return false, nil
	case "1", "co", "c", "x", "true", "yes", "y", "1_0":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a flag (want 1/0, có/không or x/blank)", s)
}

// ParseFileTime reads "yyyy-MM-dd HH:mm", "dd/MM/yyyy HH:mm" (seconds
// optional), the same dates without a time (dateOnly), or an Excel serial
// date-time (45726.375), all in loc.
func ParseFileTime(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05", "02/01/2006 15:04", "02/01/2006 15:04:05", "2/1/2006 15:04", "2/1/2006 15:04:05"} {
		if t, err = time.ParseInLocation(layout, s, loc); err == nil {
			return t, false, nil
		}
	}
	if t, err = time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), false, nil
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err = time.ParseInLocation(layout, s, loc); err == nil {
			return t, true, nil
		}
	}
	if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f > 1 && f < 2958466 {
		return excelTime(f, loc), f == math.Trunc(f), nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date-time (want yyyy-MM-dd HH:mm, dd/MM/yyyy HH:mm or an Excel date)", s)
}

// excelTime converts an Excel serial date (1900 system, days since
// 1899-12-30) to a wall-clock time in loc, rounded to the second.
func excelTime(serial float64, loc *time.Location) time.Time {
	days := math.Floor(serial)
	secs := math.Round((serial - days) * 86400)
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, loc)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
}
