package documents

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"chiso/adapters/edxml"
)

// Number series.
const (
	SeriesRegular = "regular"
	SeriesSecret  = "secret" // secret documents have their own number series
)

// DocKey is the logical key of a document (architecture.md rule 4), the same
// whichever source saw it (archive file, axis package, register row) and
// independent of the unit that holds it (unit and direction are separate
// columns). It never depends on DocumentId.
//
//	ISSUER|YEAR|SERIES|NUMBER/NOTATION    e.g. 000.25.31.H99|2025|regular|125/BC-UBND
//
// The issuer code is upper-cased; the year is the year of issue; series is
// "regular" or "secret" (empty means regular); number and notation are
// joined with "/" so that 20 + 2020/QĐ-TTg and 20/2020 + QĐ-TTg give the
// same key. The notation is kept as written (never upper-cased or
// ASCII-folded: QĐ and QD differ) apart from trimming and Unicode NFC; leading
// zeros of the number are dropped (05 and 5 are the same number).
func DocKey(issuer, year, series, number, notation string) string {
	if series == "" {
		series = SeriesRegular
	}
	code := strings.TrimSpace(number)
	if n := strings.TrimSpace(notation); n != "" {
		code += "/" + n
	}
	code = trimLeadingZeros(norm.NFC.String(code))
	return strings.ToUpper(strings.TrimSpace(issuer)) + "|" + strings.TrimSpace(year) + "|" + series + "|" + code
}

// trimLeadingZeros drops zeros that lead the first run of digits ("005/BC" → "5/BC").
func trimLeadingZeros(code string) string {
	i := 0
	for i < len(code)-1 && code[i] == '0' && code[i+1] >= '0' && code[i+1] <= '9' {
		i++
	}
	return code[i:]
}

// DocumentID is a DocumentId split into its parts.
type DocumentID struct {
	Issuer   string    // part 1, upper-cased
	DateText string    // part 2 as written
	Date     time.Time // part 2 parsed; zero when impossible or unparsable
	Year     string    // the year of part 2, even from an impossible date ("2014/02/30" → "2014")
	Code     string    // part 3, "number/notation"
	Number   string    // Code before its first "/"
	Notation string    // Code after its first "/"
}

var yearRe = regexp.MustCompile(`(?:^|\D)((?:19|20)\d\d)(?:\D|$)`)

// ParseDocumentID splits "OrganId,yyyy/MM/dd,number/notation" on its first
// two commas only (a notation may contain commas). It fails when there are
// not three non-empty parts or no year can be read from the date.
func ParseDocumentID(s string) (DocumentID, error) {
	issuer, date, code, ok := edxml.SplitDocumentID(s)
	if !ok || issuer == "" || code == "" {
		return DocumentID{}, fmt.Errorf("DocumentId %q is not OrganId,yyyy/MM/dd,number/notation", s)
	}
	id := DocumentID{Issuer: strings.ToUpper(issuer), DateText: date, Code: code}
	if d, err := edxml.ParseDate(date); err == nil {
		id.Date = d
		id.Year = strconv.Itoa(d.Year())
	} else if m := yearRe.FindStringSubmatch(date); m != nil {
		id.Year = m[1]
	} else {
		return DocumentID{}, fmt.Errorf("DocumentId %q: no year in %q", s, date)
	}
	id.Number, id.Notation, _ = strings.Cut(code, "/")
	return id, nil
}

// Key returns the logical key of the document a DocumentId names.
func (d DocumentID) Key() string {
	return DocKey(d.Issuer, d.Year, SeriesRegular, d.Number, d.Notation)
}
