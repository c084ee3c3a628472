// Package register reads document-register exports (sổ đăng ký văn bản đi /
// đến, and the separate secret register): .xlsx workbooks, streamed row by
// row, and .csv files (UTF-8 with or without BOM, `;` or `,`).
//
// The header row is found by matching column titles (registers-meetings.md
// §1); each data row becomes a Row with its cells parsed (dates, the code
// split into number and notation, secrecy, medium, recipients). A row that
// cannot be read is reported as a *RowError naming the file, the sheet, the
// row number and the column; the rest of the file still loads.
package register

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"chiso/adapters/textnorm"
)

// Fields of a register row. Column titles map to these names.
const (
	FieldCode           = "code"
	FieldIssuedOn       = "issued_on"
	FieldReceivedOn     = "received_on"
	FieldArrivalNumber  = "arrival_number"
	FieldIssuer         = "issuer"
	FieldTypeAndSubject = "type_and_subject"
	FieldDocType        = "doc_type"
	FieldRecipients     = "recipients"
	FieldSigner         = "signer"
	FieldSecrecy        = "secrecy"
	FieldMedium         = "medium"
	FieldNotes          = "notes"
)

// DefaultTitles are the column titles recognised for each field when the
// config sets no override (matched case- and diacritic-insensitively).
var DefaultTitles = map[string][]string{
	FieldCode:           {"Số, ký hiệu văn bản", "Số, ký hiệu", "Số/Ký hiệu", "Số ký hiệu"},
	FieldIssuedOn:       {"Ngày tháng văn bản", "Ngày ban hành", "Ngày văn bản", "Ngày tháng", "Ngày ký"},
	FieldReceivedOn:     {"Ngày đến"},
	FieldArrivalNumber:  {"Số đến"},
	FieldIssuer:         {"Tác giả", "Cơ quan ban hành", "Nơi gửi"},
	FieldTypeAndSubject: {"Tên loại và trích yếu nội dung", "Trích yếu"},
	FieldDocType:        {"Loại văn bản", "Tên loại"},
	FieldRecipients:     {"Nơi nhận", "Nơi nhận văn bản"},
	FieldSigner:         {"Người ký"},
	FieldSecrecy:        {"Độ mật"},
	FieldMedium:         {"Hình thức", "Văn bản điện tử", "Loại bản"},
	FieldNotes:          {"Ghi chú"},
}

// Fields returns the known field names, sorted.
func Fields() []string {
	out := make([]string, 0, len(DefaultTitles))
	for f := range DefaultTitles {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Medium values of a Row.
const (
	Electronic = "electronic"
	Paper      = "paper"
)

// Options control how a register file is read.
type Options struct {
	// Columns overrides the titles of some fields (field → titles); the
	// fields not listed keep DefaultTitles.
	Columns map[string][]string
	// Sheet is the worksheet to read in a workbook; empty: the first one.
	Sheet string
	// Year completes dates written without a year ("20/11").
	Year int
	// HeaderScan is how many leading rows may precede the header; default 30.
	HeaderScan int
	// Name is the file's name in rows, keys and errors (the path relative
	// to the connector's folder); default the path given to Read.
	Name string
	// Secret marks the secret register: a bad row's reason never quotes a
	// cell (RowError.Secret is set on every bad row).
	Secret bool
	// MaxUnzipped bounds what a workbook may unpack to (all its parts
	// together); default workbook.DefaultMaxUnzipped. A larger one (a zip
	// bomb) is an error before any row is read.
	MaxUnzipped int64
}

// key folds a title or a cell for matching (textnorm.Key: lower case, no
// diacritics, đ → d, punctuation runs → one space).
func (o *Options) key(s string) string { return textnorm.Key(s) }

// Row is one data row of a register.
type Row struct {
	File  string // path as given to Read
	Sheet string // worksheet name; "" for CSV
	Line  int    // row number in the sheet (1-based), or line number in the CSV file

	Code          string // as written, trimmed: "125/BC-UBND"
	Number        string // before the first "/": "125"
	Notation      string // after the first "/": "BC-UBND", "2020/QĐ-TTg"
	IssuedOn      *time.Time
	ReceivedOn    *time.Time
	ArrivalNumber string
	Issuer        string
	TypeSubject   string // "Tên loại và trích yếu nội dung"
	DocType       string // the type column, when there is one
	Recipients    []string
	Signer        string
	Secrecy       string // as written: "Mật", "Tối mật"...; "" when not secret
	Secret        bool
	Medium        string // Electronic, Paper, or "" when the register does not say
	Notes         string

	// Raw is the header and the row's cells as two CSV lines (for rejects).
	Raw []byte
	// Header is the header row the row was read under.
	Header *Header
}

// SourceKey names the row: "file.xlsx#Sheet1!12", "file.csv#12".
func (r Row) SourceKey(base string) string { return sourceKey(r.File, base, r.Sheet, r.Line) }

func sourceKey(file, base, sheet string, line int) string {
	name := file
	if base != "" {
		if rel, err := filepath.Rel(base, file); err == nil && !strings.HasPrefix(rel, "..") {
			name = filepath.ToSlash(rel)
		}
	}
	if sheet == "" {
		return fmt.Sprintf("%s#%d", name, line)
	}
	return fmt.Sprintf("%s#%s!%d", name, sheet, line)
}

// RowError is a row that cannot be read.
type RowError struct {
	File   string
	Sheet  string
	Line   int
	Column string // column title as written in the header, or the field when the column is absent
	Field  string
	Reason string
	Raw    []byte // the header and the row as CSV; never to be kept for a Secret row
	// Secret is set for a row of the secret register or one marked secret
	// ("Độ mật"): Reason quotes none of its cells, and the connector keeps
	// no Raw of it.
	Secret bool
}

func (e *RowError) Error() string {
	where := e.File
	if e.Sheet != "" {
		where += ": sheet " + e.Sheet
	}
	return fmt.Sprintf("register: %s: row %d: column %q (%s): %s", where, e.Line, e.Column, e.Field, e.Reason)
}

// Location is where the bad row is: "file: sheet S: row N, column C".
func (e *RowError) Location() string {
	where := e.File
	if e.Sheet != "" {
		where += ": sheet " + e.Sheet
	}
	return fmt.Sprintf("%s: row %d, column %s", where, e.Line, e.Column)
}

// SourceKey names the bad row like Row.SourceKey.
func (e *RowError) SourceKey(base string) string { return sourceKey(e.File, base, e.Sheet, e.Line) }

// Header is the header row found in a file.
type Header struct {
	Sheet   string
	Line    int
	Titles  []string       // the header cells as written
	Columns map[string]int // field → 0-based column index
}

// Title returns the header title of field's column ("" when absent).
func (h *Header) Title(field string) string {
	if i, ok := h.Columns[field]; ok && i < len(h.Titles) {
		return strings.TrimSpace(h.Titles[i])
	}
	return ""
}

// ErrNoHeader is returned when no row in the first rows of a file looks like
// a register header.
var ErrNoHeader = errors.New("no header row found (need the code column and at least one other known column)")

// Visit receives each data row, or the error of a row that cannot be read.
// Returning an error stops the read.
type Visit func(row Row, bad *RowError) error

// Read reads the register file at path (.xlsx or .csv) and calls visit for
// every data row. Blank rows, section titles and column-numbering rows are
// skipped. It returns the header found.
func Read(ctx context.Context, path string, opt Options, visit Visit) (*Header, error) {
	name := opt.Name
	if name == "" {
		name = path
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return readXLSX(ctx, path, name, opt, visit)
	case ".csv", ".txt":
		return readCSV(ctx, path, name, opt, visit)
	default:
		return nil, fmt.Errorf("register: %s: unsupported file type (want .xlsx or .csv)", name)
	}
}

// Supported reports whether Read can read a file of that name.
func Supported(name string) bool {
	if strings.HasPrefix(filepath.Base(name), "~$") || strings.HasPrefix(filepath.Base(name), ".") {
		return false // Excel lock files, hidden files
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm", ".csv":
		return true
	}
	return false
}

// rowReader turns raw cell slices into Rows once the header is known.
type rowReader struct {
	opt      Options
	file     string
	sheet    string
	date1904 bool
	titles   map[string][]string // field → folded titles
	header   *Header
	checkbox bool              // the medium column is a "Văn bản điện tử" checkbox
	folded   map[string]string // fold cache for the few distinct secrecy/medium values
	scanned  int
	visit    Visit
}

func newRowReader(file, sheet string, opt Options, visit Visit) *rowReader {
	if opt.HeaderScan <= 0 {
		opt.HeaderScan = 30
	}
	r := &rowReader{opt: opt, file: file, sheet: sheet, visit: visit, titles: map[string][]string{}}
	for f, ts := range DefaultTitles {
		if o, ok := opt.Columns[f]; ok && len(o) > 0 {
			ts = o
		}
		for _, t := range ts {
			r.titles[f] = append(r.titles[f], opt.key(t))
		}
	}
	return r
}

// foldValue folds a cell of a column with few distinct values (secrecy,
// medium), caching the result; the cache stays small.
func (r *rowReader) foldValue(s string) string {
	if k, ok := r.folded[s]; ok {
		return k
	}
	k := r.opt.key(s)
	if r.folded == nil {
		r.folded = map[string]string{}
	}
	if len(r.folded) < 256 {
		r.folded[s] = k
	}
	return k
}

// feed handles one row of cells; noHeader reports that the header was not
// found in time (the caller stops and returns ErrNoHeader).
func (r *rowReader) feed(line int, cells []string) (noHeader bool, err error) {
	if r.header == nil {
		r.scanned++
		if h := r.matchHeader(cells); h != nil {
			h.Line = line
			h.Sheet = r.sheet
			r.header = h
			// A "Văn bản điện tử" column marks electronic rows with "x".
			r.checkbox = r.opt.key(h.Title(FieldMedium)) == r.opt.key("Văn bản điện tử")
			return false, nil
		}
		return r.scanned >= r.opt.HeaderScan, nil
	}
	row, bad, skip := r.parse(line, cells)
	if skip {
		return false, nil
	}
	return false, r.visit(row, bad)
}

// matchHeader returns the header when cells look like one: the code column
// and at least one other known column.
func (r *rowReader) matchHeader(cells []string) *Header {
	cols := map[string]int{}
	for i, c := range cells {
		k := r.opt.key(c)
		if k == "" {
			continue
		}
		f := r.fieldOf(k)
		if f == "" {
			continue
		}
		if _, dup := cols[f]; !dup {
			cols[f] = i
		}
	}
	if _, ok := cols[FieldCode]; !ok || len(cols) < 2 {
		return nil
	}
	return &Header{Titles: append([]string(nil), cells...), Columns: cols}
}

// fieldOf maps a folded header cell to a field: an exact title match first,
// else the field whose title is the longest prefix of the cell ("Tên loại và
// trích yếu nội dung văn bản" → type_and_subject, not doc_type).
func (r *rowReader) fieldOf(k string) string {
	best, bestLen := "", 0
	for _, f := range Fields() {
		for _, t := range r.titles[f] {
			if t == k {
				return f
			}
			if strings.HasPrefix(k, t+" ") && len(t) > bestLen {
				best, bestLen = f, len(t)
			}
		}
	}
	return best
}

// rawLines renders the header and the row as CSV for rejects.
func (r *rowReader) rawLines(cells []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(r.header.Titles)
	_ = w.Write(cells)
	w.Flush()
	return b.Bytes()
}

func checkCtx(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("register: %s: %w", path, err)
	}
	return nil
}
