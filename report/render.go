package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"chiso/adapters/vntime"
)

// WriteTable prints the report for a terminal.
func (r *Report) WriteTable(w io.Writer) error {
	for _, l := range r.TitleLines() {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(Headers, "\t"))
	for i, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(row.Cells(i+1, ","), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nVĂN BẢN THEO LOẠI")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(docTypeHeaders, "\t"))
	for i, d := range r.DocTypes {
		fmt.Fprintln(tw, strings.Join(d.cells(i+1, ","), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nCHỈ TIÊU THEO ĐƠN VỊ")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.unitHeaders(), "\t"))
	for i, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(r.unitCells(i, row, ","), "\t"))
	}
	return tw.Flush()
}

// WriteCSV prints the title block, the indicator table, the documents by
// type and the units, separated by empty lines; numbers use a decimal point.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	for _, l := range r.TitleLines() {
		cw.Write([]string{l})
	}
	cw.Write(nil)
	cw.Write(Headers)
	for i, row := range r.Rows {
		cw.Write(row.Cells(i+1, "."))
	}
	cw.Write(nil)
	cw.Write(docTypeHeaders)
	for i, d := range r.DocTypes {
		cw.Write(d.cells(i+1, "."))
	}
	cw.Write(nil)
	cw.Write(r.unitHeaders())
	for i, row := range r.Rows {
		cw.Write(r.unitCells(i, row, "."))
	}
	cw.Flush()
	return cw.Error()
}

func mdRow(cells []string) string {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", "\\|")
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

func mdSep(n int) string { return "|" + strings.Repeat(" --- |", n) }

// WriteMarkdown prints the report as Markdown (for a report draft).
func (r *Report) WriteMarkdown(w io.Writer) error {
	lines := r.TitleLines()
	fmt.Fprintf(w, "# %s\n\n", lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintf(w, "\n## Chỉ tiêu\n\n%s\n%s\n", mdRow(append([]string(nil), Headers...)), mdSep(len(Headers)))
	for i, row := range r.Rows {
		fmt.Fprintln(w, mdRow(row.Cells(i+1, ",")))
	}
	fmt.Fprintf(w, "\n## Văn bản theo loại\n\n%s\n%s\n", mdRow(append([]string(nil), docTypeHeaders...)), mdSep(len(docTypeHeaders)))
	for i, d := range r.DocTypes {
		fmt.Fprintln(w, mdRow(d.cells(i+1, ",")))
	}
	h := r.unitHeaders()
	fmt.Fprintf(w, "\n## Chỉ tiêu theo đơn vị\n\n%s\n%s\n", mdRow(h), mdSep(len(h)))
	for i, row := range r.Rows {
		fmt.Fprintln(w, mdRow(r.unitCells(i, row, ",")))
	}
	_, err := fmt.Fprintln(w)
	return err
}

// JSON shapes of contracts.md §5 (fields may be added, never renamed).
type jsonReport struct {
	Period      jsonPeriod      `json:"period"`
	Unit        jsonUnit        `json:"unit"`
	Indicators  []jsonIndicator `json:"indicators"`
	GeneratedAt string          `json:"generated_at"`
	EstimateTo  *string         `json:"estimate_to"`
	Sources     []jsonSource    `json:"sources"`
	Snapshot    *jsonSnapshot   `json:"snapshot,omitempty"` // rendered from a snapshot
}

type jsonSnapshot struct {
	ID       string `json:"id"`
	FrozenAt string `json:"frozen_at"`
}

type jsonPeriod struct {
	ID    string `json:"id"`
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label"`
}

type jsonUnit struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type jsonBaseline struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Value *float64 `json:"value"`
}

type jsonIndicator struct {
	ID          string        `json:"id"`
	Label       string        `json:"label"`
	Numerator   int64         `json:"numerator"`
	Denominator *int64        `json:"denominator"`
	Missing     int64         `json:"missing"`
	Value       *float64      `json:"value"`
	Unit        string        `json:"unit"`
	Op          *string       `json:"op"`
	Target      *float64      `json:"target"`
	Met         *bool         `json:"met"`
	Baseline    *jsonBaseline `json:"baseline"`
	Estimate    *float64      `json:"estimate"`
	Kind        string        `json:"kind"`
	// Early warning for the current year (null without one).
	Projection *float64 `json:"projection"`
	Status     *string  `json:"status"`
	Needed     *Needed  `json:"needed"`
	// Completeness (issue 16): gaps are the unconfirmed months with too
	// few records or no successful run; confirmed the months an admin
	// confirmed as real.
	DataComplete bool  `json:"data_complete"`
	Gaps         []Gap `json:"gaps"`
	Confirmed    []Gap `json:"confirmed_gaps"`
}

type jsonSource struct {
	Connector   string  `json:"connector"`
	LastSuccess *string `json:"last_success"`
	LastStatus  string  `json:"last_status"`
}

// jsonIndicators are the indicator objects of the report's JSON (the
// league table's rows carry the same objects).
func (r *Report) jsonIndicators() []jsonIndicator {
	const d = "2006-01-02"
	out := []jsonIndicator{}
	for _, row := range r.Rows {
		j := jsonIndicator{ID: row.Indicator, Label: row.Label, Numerator: row.Numerator, Denominator: row.Denominator,
			Missing: row.Missing, Value: row.Value, Unit: row.Unit, Op: row.Op, Target: row.Target, Met: row.Met,
			Estimate: row.Estimate, Kind: row.Kind, Projection: row.Projection, Needed: row.Needed,
			DataComplete: row.DataComplete, Gaps: row.Gaps, Confirmed: row.Confirmed}
		if j.Gaps == nil {
			j.Gaps = []Gap{}
		}
		if j.Confirmed == nil {
			j.Confirmed = []Gap{}
		}
		if row.Status != "" {
			s := row.Status
			j.Status = &s
		}
		if row.HasBase {
			j.Baseline = &jsonBaseline{From: r.BaseFrom.Format(d), To: r.BaseTo.Format(d), Value: row.Baseline.Value}
		}
		out = append(out, j)
	}
	return out
}

// WriteJSON prints the report as contracts.md §5.
func (r *Report) WriteJSON(w io.Writer) error {
	const d = "2006-01-02"
	out := jsonReport{
		Period:      jsonPeriod{ID: r.Period.ID, From: r.Period.From.Format(d), To: r.Period.To.Format(d), Label: r.Period.Label},
		Unit:        jsonUnit{Code: r.Unit.Code, Name: r.Unit.Name},
		Indicators:  []jsonIndicator{},
		GeneratedAt: r.GeneratedAt.Format("2006-01-02T15:04:05-07:00"),
		Sources:     []jsonSource{},
	}
	if r.Frozen != nil {
		out.Snapshot = &jsonSnapshot{ID: r.Frozen.ID, FrozenAt: r.Frozen.At.Format("2006-01-02T15:04:05-07:00")}
	}
	if r.EstimateTo != nil {
		s := r.EstimateTo.Format(d)
		out.EstimateTo = &s
	}
	out.Indicators = r.jsonIndicators()
	for _, s := range r.Sources {
		js := jsonSource{Connector: s.Connector, LastStatus: s.LastStatus}
		if s.LastSuccess != nil {
			t := s.LastSuccess.In(vntime.Location).Format("2006-01-02T15:04:05-07:00")
			js.LastSuccess = &t
		}
		out.Sources = append(out.Sources, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
