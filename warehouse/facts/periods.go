package facts

import (
	"strconv"
	"strings"
)

// NamedPeriod is a named report period (config report_periods): its
// period of year Y runs from From (MM-DD, in Y-1 when FromPrevYear) to To
// (MM-DD, in Y); its id is ID + "-" + Y.
type NamedPeriod struct {
	ID           string
	Label        string
	From         string
	To           string
	FromPrevYear bool
}

// DefaultNamedPeriods are the report periods of indicators.md: the one
// definition of their ids, spans and Vietnamese labels. The config's
// defaults are built from it, and the warehouse seeds kpi_report_periods
// with it until a config loads its own.
var DefaultNamedPeriods = []NamedPeriod{
	{ID: "bc6t", Label: "Báo cáo 6 tháng", From: "01-01", To: "05-31"},
	{ID: "bcnam", Label: "Báo cáo năm", From: "01-01", To: "11-30"},
	{ID: "nd09-6t", Label: "Báo cáo 6 tháng (chốt số liệu theo Nghị định 09/2019/NĐ-CP)", From: "12-15", To: "06-14", FromPrevYear: true},
	{ID: "nd09-nam", Label: "Báo cáo năm (chốt số liệu theo Nghị định 09/2019/NĐ-CP)", From: "12-15", To: "12-14", FromPrevYear: true},
}

// YearLabel is the label of n's period of year y: "năm Y" goes after the
// label's main part, before a parenthesis ("Báo cáo 6 tháng năm 2026",
// "Báo cáo 6 tháng năm 2026 (chốt số liệu theo Nghị định 09/2019/NĐ-CP)"),
// and a main part that already ends in the word "năm" takes only the year
// ("Báo cáo năm 2026", not "Báo cáo năm năm 2026"). Every label of a
// named period with its year is made here.
func (n NamedPeriod) YearLabel(y int) string {
	main, rest := n.Label, ""
	if i := strings.Index(n.Label, " ("); i >= 0 {
		main, rest = n.Label[:i], n.Label[i:]
	}
	year := " năm " + strconv.Itoa(y)
	if main == "năm" || strings.HasSuffix(main, " năm") {
		year = " " + strconv.Itoa(y)
	}
	return main + year + rest
}
