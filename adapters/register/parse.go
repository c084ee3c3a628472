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
func (r *rowReader) parse(line int, cells []string) (row Row, bad *RowError, skip bool) {
	get := func(f string) string {
		i, ok := r.header.Columns[f]
		if !ok || i >= len(cells) {
			return ""
		}
		return strings.TrimSpace(cells[i])
	}
	nonEmpty := 0
	numbering := true
	for _, c := range cells {
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
		return Row{}, nil, true
	}
	code := get(FieldCode)
	if get(FieldIssuedOn) == "" && get(FieldReceivedOn) == "" && !startsWithDigit(code) {
		// A section title ("Tháng 11") or a footer ("Tổng cộng: 125 văn
		// bản"): no date and nothing that looks like a document number.
		return Row{}, nil, true
	}

	row = Row{File: r.file, Sheet: r.sheet, Line: line, Raw: r.rawLines(cells), Header: r.header}
	// A secret row (the secret register, or "Độ mật" set) is reported
	// without quoting any of its cells.
	secret := r.opt.Secret
	if !secret {
		if s := get(FieldSecrecy); s != "" {
			secret, _ = ParseSecrecy(r.foldValue(s))
		}
	}
	quote := strconv.Quote
	if secret {
		quote = withheld
	}
	var problems []*RowError
	fail := func(field, format string, args ...any) {
		col := r.header.Title(field)
		if col == "" {
			col = field
		}
		problems = append(problems, &RowError{File: r.file, Sheet: r.sheet, Line: line, Column: col,
			Field: field, Reason: fmt.Sprintf(format, args...), Raw: row.Raw, Secret: secret})
	}
	// Text that cannot be stored (bad UTF-8, NUL) in a column that is read.
	for f, i := range r.header.Columns {
		if i < len(cells) {
			if why := unclean(cells[i]); why != "" {
				fail(f, "%s", why)
			}
		}
	}
	sortProblems(problems)

	row.Code = strings.Join(strings.Fields(code), " ")
	var err error
	if row.Number, row.Notation, err = splitCode(row.Code, quote); err != nil {
		fail(FieldCode, "%v", err)
	}
	if s := get(FieldIssuedOn); s != "" {
		if row.IssuedOn, err = parseDate(s, r.opt.Year, r.date1904, quote); err != nil {
			fail(FieldIssuedOn, "%v", err)
		}
	} else {
		fail(FieldIssuedOn, "empty: the document date is needed for its key")
	}
	if s := get(FieldReceivedOn); s != "" {
		if row.ReceivedOn, err = parseDate(s, r.opt.Year, r.date1904, quote); err != nil {
			fail(FieldReceivedOn, "%v", err)
		}
	}
	row.ArrivalNumber = get(FieldArrivalNumber)
	row.Issuer = oneLine(get(FieldIssuer))
	row.TypeSubject = oneLine(get(FieldTypeAndSubject))
	row.DocType = oneLine(get(FieldDocType))
	row.Recipients = SplitRecipients(get(FieldRecipients))
	row.Signer = oneLine(get(FieldSigner))
	row.Notes = get(FieldNotes)
	if s := get(FieldSecrecy); s != "" {
		if row.Secret, err = ParseSecrecy(r.foldValue(s)); err != nil {
			fail(FieldSecrecy, "%v (%s)", err, quote(s))
		} else if row.Secret {
			row.Secrecy = s
		}
	}
	if _, ok := r.header.Columns[FieldMedium]; ok {
		s := get(FieldMedium)
		k := ""
		if s != "" {
			k = r.foldValue(s)
		}
		if row.Medium, err = ParseMedium(k, r.checkbox); err != nil {
			fail(FieldMedium, "%v (%s)", err, quote(s))
		}
	}
	if len(problems) > 0 {
		first := problems[0]
		for _, p := range problems[1:] {
			first.Reason += fmt.Sprintf("; column %q (%s): %s", p.Column, p.Field, p.Reason)
		}
		return Row{}, first, false
	}
	return row, nil, false
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
