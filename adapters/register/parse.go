package register

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"chiso/adapters/vntime"
)

// parse reads one data row. skip is true for rows that carry no document:
// blank rows, section titles ("Tháng 1"), column-numbering rows ("(1) (2)").
// The rules run as named steps: skip, secrecy, clean text, code and dates,
// the text columns, secrecy and medium values, then the problems found
// are folded into one RowError.
func (r *rowReader) parse(line int, cells []string) (row Row, bad *RowError, skip bool) {
	rp := &rowParse{r: r, line: line, cells: cells}
	if rp.skip() {
		return Row{}, nil, true
	}
	rp.row = Row{File: r.file, Sheet: r.sheet, Line: line, Raw: r.rawLines(cells), Header: r.header}
	rp.secrecy()
	rp.cleanText()
	rp.codeAndDates()
	rp.text()
	rp.secrecyValue()
	rp.medium()
	if bad := rp.problem(); bad != nil {
		return Row{}, bad, false
	}
	return rp.row, nil, false
}

// rowParse is the state of parse's steps over one row.
type rowParse struct {
	r        *rowReader
	line     int
	cells    []string
	row      Row
	secret   bool                // a secret row: no cell is ever quoted
	quote    func(string) string // strconv.Quote, or withheld for a secret row
	problems []*RowError
}

// get is the trimmed cell of field f ("" when the column is absent).
func (rp *rowParse) get(f string) string {
	i, ok := rp.r.header.Columns[f]
	if !ok || i >= len(rp.cells) {
		return ""
	}
	return strings.TrimSpace(rp.cells[i])
}

// fail records a problem with field f, named by its column's title.
func (rp *rowParse) fail(field, format string, args ...any) {
	col := rp.r.header.Title(field)
	if col == "" {
		col = field
	}
	rp.problems = append(rp.problems, &RowError{File: rp.r.file, Sheet: rp.r.sheet, Line: rp.line, Column: col,
		Field: field, Reason: fmt.Sprintf(format, args...), Raw: rp.row.Raw, Secret: rp.secret})
}

// skip: a blank row, a column-numbering row ("(1) (2) (3)"), a section
// title ("Tháng 11") or a footer ("Tổng cộng: 125 văn bản") — no date
// and nothing that looks like a document number.
func (rp *rowParse) skip() bool {
	nonEmpty := 0
	numbering := true
	for _, c := range rp.cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		nonEmpty++
		if !isColumnNumber(c) {
			numbering = false
		}
	}
	if nonEmpty == 0 || (numbering && nonEmpty >= 2) {
		return true
	}
	return rp.get(FieldIssuedOn) == "" && rp.get(FieldReceivedOn) == "" && !startsWithDigit(rp.get(FieldCode))
}

// secrecy decides whether the row is secret (the secret register, or
// "Độ mật" set), before any problem is recorded: a secret row is reported
// without quoting any of its cells.
func (rp *rowParse) secrecy() {
	rp.secret = rp.r.opt.Secret
	if !rp.secret {
		if s := rp.get(FieldSecrecy); s != "" {
			rp.secret, _ = ParseSecrecy(rp.r.foldValue(s))
		}
	}
	rp.quote = strconv.Quote
	if rp.secret {
		rp.quote = withheld
	}
}

// cleanText records text that cannot be stored (bad UTF-8, NUL) in a
// column that is read, in column order.
func (rp *rowParse) cleanText() {
	for f, i := range rp.r.header.Columns {
		if i < len(rp.cells) {
			if why := unclean(rp.cells[i]); why != "" {
				rp.fail(f, "%s", why)
			}
		}
	}
	sortProblems(rp.problems)
}

// codeAndDates reads the number/notation and the dates: the document date
// is required (it is part of the key), the arrival date optional.
func (rp *rowParse) codeAndDates() {
	r := rp.r
	rp.row.Code = strings.Join(strings.Fields(rp.get(FieldCode)), " ")
	var err error
	if rp.row.Number, rp.row.Notation, err = splitCode(rp.row.Code, rp.quote); err != nil {
		rp.fail(FieldCode, "%v", err)
	}
	if s := rp.get(FieldIssuedOn); s != "" {
		if rp.row.IssuedOn, err = parseDate(s, r.opt.Year, r.date1904, rp.quote); err != nil {
			rp.fail(FieldIssuedOn, "%v", err)
		}
	} else {
		rp.fail(FieldIssuedOn, "empty: the document date is needed for its key")
	}
	if s := rp.get(FieldReceivedOn); s != "" {
		if rp.row.ReceivedOn, err = parseDate(s, r.opt.Year, r.date1904, rp.quote); err != nil {
			rp.fail(FieldReceivedOn, "%v", err)
		}
	}
}

// text reads the text columns, each on one line; recipients are split.
func (rp *rowParse) text() {
	rp.row.ArrivalNumber = rp.get(FieldArrivalNumber)
	rp.row.Issuer = oneLine(rp.get(FieldIssuer))
	rp.row.TypeSubject = oneLine(rp.get(FieldTypeAndSubject))
	rp.row.DocType = oneLine(rp.get(FieldDocType))
	rp.row.Recipients = SplitRecipients(rp.get(FieldRecipients))
	rp.row.Signer = oneLine(rp.get(FieldSigner))
	rp.row.Notes = rp.get(FieldNotes)
}

// secrecyValue reads "Độ mật": an unreadable value is a problem.
func (rp *rowParse) secrecyValue() {
	if s := rp.get(FieldSecrecy); s != "" {
		var err error
		if rp.row.Secret, err = ParseSecrecy(rp.r.foldValue(s)); err != nil {
			rp.fail(FieldSecrecy, "%v (%s)", err, rp.quote(s))
		} else if rp.row.Secret {
			rp.row.Secrecy = s
		}
	}
}

// medium reads the medium column when there is one (a checkbox column
// reads as its mark).
func (rp *rowParse) medium() {
	if _, ok := rp.r.header.Columns[FieldMedium]; !ok {
		return
	}
	s := rp.get(FieldMedium)
	k := ""
	if s != "" {
		k = rp.r.foldValue(s)
	}
	var err error
	if rp.row.Medium, err = ParseMedium(k, rp.r.checkbox); err != nil {
		rp.fail(FieldMedium, "%v (%s)", err, rp.quote(s))
	}
}

// problem folds the row's problems into the first, which names the others
// (nil when there are none).
func (rp *rowParse) problem() *RowError {
	if len(rp.problems) == 0 {
		return nil
	}
	first := rp.problems[0]
	for _, p := range rp.problems[1:] {
		first.Reason += fmt.Sprintf("; column %q (%s): %s", p.Column, p.Field, p.Reason)
	}
	return first
}

// withheld stands for a cell of a secret row in a reason: its content is
// never quoted.
func withheld(string) string { return "[not quoted: secret document]" }

// unclean says why a cell's text cannot be stored as it is ("" when it can).
func unclean(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "invalid UTF-8 (save the file as UTF-8)"
	case strings.IndexByte(s, 0) >= 0:
		return "NUL byte in the text"
	}
	return ""
}

// sortProblems orders problems by column, so that a reason does not depend
// on map order.
func sortProblems(ps []*RowError) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Field < ps[j].Field })
}

// isColumnNumber matches the cells of a column-numbering row: "1", "(2)", "[3]".
func isColumnNumber(s string) bool {
	s = strings.Trim(s, "()[] ")
	if s == "" || len(s) > 3 {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// SplitCode splits a document code at the first "/": "125/BC-UBND" →
// ("125", "BC-UBND"); "20/2020/QĐ-TTg" → ("20", "2020/QĐ-TTg"); "125" →
// ("125", ""). Spaces around the slash are dropped.
func SplitCode(code string) (number, notation string, err error) {
	return splitCode(code, strconv.Quote)
}

func splitCode(code string, quote func(string) string) (number, notation string, err error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return "", "", fmt.Errorf("empty: the number and notation are needed for the key")
	}
	number, notation, _ = strings.Cut(code, "/")
	number = strings.TrimSpace(number)
	notation = strings.ReplaceAll(strings.TrimSpace(notation), " ", "")
	if number == "" {
		return "", "", fmt.Errorf("no number before %q", "/")
	}
	if strings.ContainsAny(number, " \t") {
		return "", "", fmt.Errorf("number %s contains spaces", quote(number))
	}
	return number, notation, nil
}

// SplitRecipients splits a "Nơi nhận" cell on ";" and new lines, trims list
// marks ("- ", "+ ") and drops the filing lines that are not recipients
// ("Lưu: VT", "Như trên").
func SplitRecipients(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		p := strings.TrimSpace(part)
		p = strings.TrimLeft(p, "-+•* ")
		p = strings.TrimRight(p, ".,; ")
		p = oneLine(p)
		if p == "" {
			continue
		}
		low := strings.ToLower(p)
		if strings.HasPrefix(low, "lưu") || strings.HasPrefix(low, "luu") || strings.HasPrefix(low, "như trên") ||
			strings.HasPrefix(low, "nhu tren") || low == "nơi nhận:" || low == "nơi nhận" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// ParseSecrecy reads a folded "Độ mật" cell.
func ParseSecrecy(k string) (bool, error) {
	switch k {
	case "", "thuong", "khong", "khong mat", "0", "binh thuong":
		return false, nil
	case "mat", "toi mat", "tuyet mat", "do mat", "a", "b", "c", "x":
		return true, nil
	}
	if strings.HasSuffix(k, " mat") || strings.HasPrefix(k, "mat ") {
		return true, nil
	}
	return false, fmt.Errorf("unknown secrecy level: want Mật, Tối mật, Tuyệt mật or blank")
}

// ParseMedium reads a folded medium cell. checkbox is true for a "Văn bản
// điện tử" column, where "x" marks electronic and blank marks paper.
func ParseMedium(k string, checkbox bool) (string, error) {
	if checkbox {
		switch k {
		case "x", "co", "1", "v", "yes", "dien tu", "dt":
			return Electronic, nil
		case "", "khong", "0", "no", "giay":
			return Paper, nil
		}
		return "", fmt.Errorf("unknown mark: want x or blank")
	}
	switch {
	case k == "":
		return "", nil
	case strings.Contains(k, "dien tu") || k == "dt" || k == "e" || k == "so":
		return Electronic, nil
	case strings.Contains(k, "giay") || k == "g":
		return Paper, nil
	}
	return "", fmt.Errorf("unknown medium: want điện tử or giấy")
}

var (
	reDMY   = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T].*)?$`)
	reYMD   = regexp.MustCompile(`^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T].*)?$`)
	reDM    = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})$`)
	reWords = regexp.MustCompile(`^(?i)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})$`)
	reNum   = regexp.MustCompile(`^\d+(?:\.\d+)?$`)
)

// ParseDate reads a register date: dd/MM/yyyy and d/M/yyyy (also with "-"
// or "."), yyyy-MM-dd, an ISO date-time (xlsx cells typed as dates), an
// Excel serial number (1900 or 1904 system), "ngày 20 tháng 11 năm 2025",
// or dd/MM without a year completed with year. The result is midnight
// Vietnam time.
func ParseDate(s string, year int, date1904 bool) (*time.Time, error) {
	return parseDate(s, year, date1904, strconv.Quote)
}

func parseDate(s string, year int, date1904 bool, quote func(string) string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	var y, m, d int
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	switch {
	case reDMY.MatchString(s):
		p := reDMY.FindStringSubmatch(s)
		d, m, y = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case reYMD.MatchString(s):
		p := reYMD.FindStringSubmatch(s)
		y, m, d = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case reWords.MatchString(s):
		p := reWords.FindStringSubmatch(s)
		d, m, y = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case reDM.MatchString(s):
		if year == 0 {
			return nil, fmt.Errorf("date %s has no year (set the connector's year)", quote(s))
		}
		p := reDM.FindStringSubmatch(s)
		d, m, y = atoi(p[1]), atoi(p[2]), year
	case reNum.MatchString(s):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 1 || f > 2958465 {
			return nil, fmt.Errorf("serial date %s out of range", quote(s))
		}
		t := excelSerial(math.Floor(f), date1904)
		return &t, nil
	default:
		return nil, fmt.Errorf("unparsable date %s (want dd/MM/yyyy, yyyy-MM-dd or an Excel date)", quote(s))
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, vntime.Location)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < 1900 || y > 2200 {
		return nil, fmt.Errorf("impossible date %s", quote(s))
	}
	return &t, nil
}

// excelSerial converts an Excel serial day number to a date. In the 1900
// system day 60 is the non-existent 29 Feb 1900; days after it are offset
// by one, which the 30 Dec 1899 epoch accounts for.
func excelSerial(days float64, date1904 bool) time.Time {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, vntime.Location)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, vntime.Location)
	} else if days < 61 {
		base = base.AddDate(0, 0, 1)
	}
	return base.AddDate(0, 0, int(days))
}
