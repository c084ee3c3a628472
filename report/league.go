package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/textnorm"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// The league table (chiso report --by-unit): the communes of a province or
// district side by side, one row each, the ten targets as columns, the
// province's (district's) own totals on top.
//
// Which units are rows: the direct children of the unit in the org
// directory (parent = the unit, relation internal, not merged away) whose
// level is "commune". A province with districts therefore lists its
// districts' communes under each district (--unit <district>), not under
// itself. The totals row is the unit's own report: the sums of the
// numerators and denominators of everything under it (kpi roll-up), so it
// is not an average of the communes' values.

// LeagueOptions select what chiso report --by-unit prints.
type LeagueOptions struct {
	Period string
	Unit   string // the province or district
	Format string // table | csv | json | md | xlsx
	// Sort is the column the communes are ordered by: "code" (default),
	// "name" or an indicator id (its value; communes without one last); a
	// leading "-" sorts descending.
	Sort  string
	Named []NamedPeriod
	Now   time.Time
}

// League is the league table.
type League struct {
	Total   *Report   // the province's (district's) own rows
	Members []*Report // one per commune, in Sort order
	Columns []warehouse.Indicator
	Sort    string
}

// SortColumns lists the values --sort accepts for the indicators ids.
func sortColumns(cols []warehouse.Indicator) []string {
	out := []string{"code", "name"}
	for _, c := range cols {
		out = append(out, c.ID)
	}
	return out
}

// RunLeague builds the league table of opts and writes it to w.
func RunLeague(ctx context.Context, st *warehouse.Store, opts LeagueOptions, w io.Writer) error {
	format := opts.Format
	if format == "" {
		format = "table"
	}
	if !contains(Formats, format) {
		return fmt.Errorf("%w: unknown format %q (use %s)", ErrUsage, format, strings.Join(Formats, ", "))
	}
	l, err := BuildLeague(ctx, st, opts)
	if err != nil {
		return err
	}
	return writeAs(l, format, w)
}

// Communes lists the rows of the league table of unit: its direct
// children of level commune that are not merged away, by code.
func Communes(unit warehouse.OrgUnit, all []warehouse.OrgUnit) []warehouse.OrgUnit {
	var out []warehouse.OrgUnit
	for _, u := range all {
		if u.ParentCode != nil && *u.ParentCode == unit.Code && u.Relation == "internal" &&
			u.MergedInto == nil && u.Level == facts.LevelCommune {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// leagueWorkers is how many of the league's reports are built at once.
const leagueWorkers = 4

// BuildLeague computes the league table without rendering it.
func BuildLeague(ctx context.Context, st *warehouse.Store, opts LeagueOptions) (*League, error) {
	named, err := namedPeriods(ctx, st, Options{Named: opts.Named})
	if err != nil {
		return nil, err
	}
	p, unit, units, err := resolve(ctx, st, opts.Period, opts.Unit, named)
	if err != nil {
		return nil, err
	}
	communes := Communes(unit, units)
	if len(communes) == 0 {
		return nil, fmt.Errorf("%w: %s (%s) has no commune under it: the league table compares the units whose parent is %s and whose level is commune in the org directory (level: commune)",
			ErrUsage, unit.Code, unit.Name, unit.Code)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	inds, err := st.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	l := &League{Sort: opts.Sort}
	for _, ind := range inds {
		if ind.Kind == "target" {
			l.Columns = append(l.Columns, ind)
		}
	}
	if l.Sort == "" {
		l.Sort = "code"
	}
	if !contains(sortColumns(l.Columns), strings.TrimPrefix(l.Sort, "-")) {
		return nil, fmt.Errorf("%w: unknown --sort column %q (use %s, with a leading - for descending)", ErrUsage, opts.Sort, strings.Join(sortColumns(l.Columns), ", "))
	}
	// The kpi of the province and of every commune, for every span their
	// reports read (the period, its baseline, the estimate's and the year
	// outlook's spans: the same for all), in one statement; each report's
	// rows are then built from memory.
	all := append([]warehouse.OrgUnit{unit}, communes...)
	codes := make([]string, len(all))
	for i, u := range all {
		codes[i] = u.Code
	}
	// The coverage behind every unit is read at once too (computed once,
	// not per unit), beside the kpi.
	kpi := newKPIMemo(st, inds)
	cov, err := readInputs(ctx, st, kpi, codes, p, now)
	if err != nil {
		return nil, err
	}
	reports := make([]*Report, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, leagueWorkers)
	var wg sync.WaitGroup
	for i, u := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			reports[i], errs[i] = buildRows(ctx, st, p, u, inds, now, kpi, cov)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.Total, l.Members = reports[0], reports[1:]
	if l.Total.Sources, err = st.SourceSyncs(ctx); err != nil {
		return nil, err
	}
	l.sortMembers()
	return l, nil
}

// Row returns the row of indicator id in r, if any.
func (r *Report) Row(id string) (Row, bool) {
	for _, x := range r.Rows {
		if x.Indicator == id {
			return x, true
		}
	}
	return Row{}, false
}

// sortMembers orders the communes by l.Sort; ties (and missing values,
// which always come last) by code.
func (l *League) sortMembers() {
	col := strings.TrimPrefix(l.Sort, "-")
	desc := strings.HasPrefix(l.Sort, "-")
	key := func(r *Report) (string, *float64) {
		switch col {
		case "code":
			return r.Unit.Code, nil
		case "name":
			return textnorm.Key(r.Unit.Name), nil
		}
		x, ok := r.Row(col)
		if !ok {
			return "", nil
		}
		return "", x.Value
	}
	sort.SliceStable(l.Members, func(i, j int) bool {
		a, b := l.Members[i], l.Members[j]
		sa, va := key(a)
		sb, vb := key(b)
		switch {
		case col == "code" || col == "name":
			if sa != sb {
				return (sa < sb) != desc
			}
		case va == nil && vb == nil:
		case va == nil:
			return false
		case vb == nil:
			return true
		case *va != *vb:
			return (*va < *vb) != desc
		}
		return a.Unit.Code < b.Unit.Code
	})
}

// leagueShort are the column headings of the ten targets.
var leagueShort = map[string]string{
	"doc_reduction":                 "Giảm văn bản",
	"meeting_reduction":             "Giảm cuộc họp",
	"meeting_online_share":          "Họp trực tuyến",
	"dossier_full_online_share":     "Hồ sơ toàn trình",
	"result_digitized_share":        "Kết quả số hóa",
	"electronic_exchange_share":     "Văn bản điện tử",
	"meeting_materials_ahead_share": "Tài liệu trước 1 ngày",
	"meeting_discussion_share":      "Thảo luận ≥ 70%",
	"meeting_duration_share":        "Đúng thời lượng",
	"commune_wide_conferences":      "Hội nghị toàn xã",
}

func (l *League) headers() []string {
	h := []string{"STT", "Mã đơn vị", "Đơn vị"}
	for _, c := range l.Columns {
		name := leagueShort[c.ID]
		if name == "" {
			name = c.Label
		}
		h = append(h, name, "Đánh giá")
	}
	return append(h, "Đủ số liệu")
}

// cells are one line of the table: stt "" for the totals line.
func (l *League) cells(stt string, r *Report, sep string) []string {
	c := []string{stt, r.Unit.Code, r.Unit.Name}
	for _, col := range l.Columns {
		x, ok := r.Row(col.ID)
		if !ok {
			c = append(c, "", "")
			continue
		}
		c = append(c, valueText(x.Value, x.Unit, sep), Assessment(x.KPIRow))
	}
	return append(c, l.completeText(r))
}

// complete reports whether every target of r has complete data (the
// guard's coverage: no gap in any source month of the period).
func (l *League) complete(r *Report) bool {
	for _, col := range l.Columns {
		if x, ok := r.Row(col.ID); ok && !x.DataComplete {
			return false
		}
	}
	return true
}

func (l *League) completeText(r *Report) string {
	if l.complete(r) {
		return "Có"
	}
	return "Không"
}

// lines are the table body: the totals first, then the communes.
func (l *League) lines(sep string) [][]string {
	out := [][]string{l.cells("", l.Total, sep)}
	for i, m := range l.Members {
		out = append(out, l.cells(strconv.Itoa(i+1), m, sep))
	}
	return out
}

// TitleLines are the title block of the league table.
func (l *League) TitleLines() []string {
	t := l.Total.TitleLines()
	t[0] = "BẢNG SO SÁNH CHỈ TIÊU GIỮA CÁC XÃ, PHƯỜNG"
	t[1] = "Đơn vị tổng hợp: " + l.Total.Unit.Name + " (" + l.Total.Unit.Code + "); dòng đầu là số tổng hợp (cộng tử số và mẫu số của các đơn vị trực thuộc)"
	return append(t, fmt.Sprintf("Số xã, phường: %d; sắp xếp theo: %s", len(l.Members), l.Sort))
}

// WriteTable prints the league table for a terminal.
func (l *League) WriteTable(w io.Writer) error {
	for _, t := range l.TitleLines() {
		fmt.Fprintln(w, t)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(l.headers(), "\t"))
	for _, c := range l.lines(",") {
		fmt.Fprintln(tw, strings.Join(c, "\t"))
	}
	return tw.Flush()
}

// WriteCSV prints the title block, an empty line and the table; numbers use
// a decimal point.
func (l *League) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	for _, t := range l.TitleLines() {
		cw.Write([]string{t})
	}
	cw.Write(nil)
	cw.Write(l.headers())
	for _, c := range l.lines(".") {
		cw.Write(c)
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown prints the league table as Markdown.
func (l *League) WriteMarkdown(w io.Writer) error {
	t := l.TitleLines()
	fmt.Fprintf(w, "# %s\n\n", t[0])
	for _, x := range t[1:] {
		fmt.Fprintf(w, "- %s\n", x)
	}
	h := l.headers()
	fmt.Fprintf(w, "\n%s\n%s\n", mdRow(h), mdSep(len(h)))
	for _, c := range l.lines(",") {
		fmt.Fprintln(w, mdRow(c))
	}
	_, err := fmt.Fprintln(w)
	return err
}

type jsonLeagueUnit struct {
	Unit       jsonUnit        `json:"unit"`
	Indicators []jsonIndicator `json:"indicators"`
}

type jsonLeague struct {
	Period      jsonPeriod       `json:"period"`
	Unit        jsonUnit         `json:"unit"`
	Indicators  []jsonIndicator  `json:"indicators"`
	Units       []jsonLeagueUnit `json:"units"`
	Sort        string           `json:"sort"`
	GeneratedAt string           `json:"generated_at"`
}

// WriteJSON prints {"period", "unit", "indicators", "units": [{"unit",
// "indicators"}]}: unit and indicators are the province (district) and its
// own totals, as in chiso report --format json; units are the communes in
// sort order, with the same indicator objects.
func (l *League) WriteJSON(w io.Writer) error {
	const d = "2006-01-02"
	r := l.Total
	lu := func(r *Report) jsonLeagueUnit {
		return jsonLeagueUnit{Unit: jsonUnit{Code: r.Unit.Code, Name: r.Unit.Name}, Indicators: r.jsonIndicators()}
	}
	out := jsonLeague{
		Period:      jsonPeriod{ID: r.Period.ID, From: r.Period.From.Format(d), To: r.Period.To.Format(d), Label: r.Period.Label},
		Unit:        jsonUnit{Code: r.Unit.Code, Name: r.Unit.Name},
		Indicators:  r.jsonIndicators(),
		Units:       []jsonLeagueUnit{},
		Sort:        l.Sort,
		GeneratedAt: r.GeneratedAt.Format("2006-01-02T15:04:05-07:00"),
	}
	for _, m := range l.Members {
		out.Units = append(out.Units, lu(m))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// sheetLeague is the league table's sheet.
const sheetLeague = "So sánh các xã"

// WriteXLSX writes the league table as a workbook of one sheet.
func (l *League) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("report: xlsx styles: %w", err)
	}
	if err := f.SetSheetName("Sheet1", sheetLeague); err != nil {
		return err
	}
	if err := l.xlsxLeague(f, st); err != nil {
		return err
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	return nil
}

func (l *League) xlsxLeague(f *excelize.File, st xlsxStyles) error {
	sh := sheetLeague
	h := l.headers()
	t := l.TitleLines()
	for i, x := range t {
		row := i + 1
		f.SetCellValue(sh, cellRef(1, row), x)
		f.MergeCell(sh, cellRef(1, row), cellRef(len(h), row))
		style := st.sub
		if i == 0 {
			style = st.title
			f.SetRowHeight(sh, row, 36)
		}
		f.SetCellStyle(sh, cellRef(1, row), cellRef(len(h), row), style)
	}
	hr := len(t) + 2
	for i, x := range h {
		f.SetCellValue(sh, cellRef(i+1, hr), x)
	}
	f.SetCellStyle(sh, cellRef(1, hr), cellRef(len(h), hr), st.header)
	f.SetRowHeight(sh, hr, 45)
	widths := []float64{5, 16, 30}
	for range l.Columns {
		widths = append(widths, 12, 12)
	}
	widths = append(widths, 10)
	all := append([]*Report{l.Total}, l.Members...)
	for i, r := range all {
		row := hr + 1 + i
		stt := ""
		if i > 0 {
			stt = strconv.Itoa(i)
		}
		cells := l.cells(stt, r, ",")
		text := st.text
		if i == 0 {
			text = st.bold
		}
		for c := 0; c < 3; c++ {
			f.SetCellValue(sh, cellRef(c+1, row), cells[c])
			f.SetCellStyle(sh, cellRef(c+1, row), cellRef(c+1, row), text)
		}
		for k, col := range l.Columns {
			vc, ac := 4+2*k, 5+2*k
			x, ok := r.Row(col.ID)
			if !ok {
				f.SetCellStyle(sh, cellRef(vc, row), cellRef(ac, row), st.center)
				continue
			}
			setValue(f, sh, cellRef(vc, row), x.Value, x.Unit, st)
			f.SetCellValue(sh, cellRef(ac, row), Assessment(x.KPIRow))
			f.SetCellStyle(sh, cellRef(ac, row), cellRef(ac, row), st.center)
		}
		last := len(h)
		f.SetCellValue(sh, cellRef(last, row), l.completeText(r))
		f.SetCellStyle(sh, cellRef(last, row), cellRef(last, row), st.center)
		fitRow(f, sh, row, cells, widths)
	}
	setWidths(f, sh, widths)
	return pageSetup(f, sh, hr)
}
