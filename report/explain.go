package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// ExplainOptions select what chiso explain prints.
type ExplainOptions struct {
	Indicator string
	Period    string
	Unit      string
	Format    string // table (default) | csv | json
	Page      int    // 1-based
	PageSize  int    // default 50
	Named     []NamedPeriod
}

// roleLabels are the Vietnamese names of explain roles.
var roleLabels = map[string]string{
	warehouse.RoleNumerator:   "tử số",
	warehouse.RoleDenominator: "chỉ ở mẫu số",
	warehouse.RolePeriod:      "kỳ báo cáo",
	warehouse.RoleBaseline:    "cùng kỳ",
	warehouse.RoleLeftOut:     "không tính",
}

// Explain prints one page of the records behind an indicator: those in the
// numerator, those in the denominator only, and those left out with why.
func Explain(ctx context.Context, st *warehouse.Store, opts ExplainOptions, w io.Writer) error {
	known, err := st.ExplainIndicators(ctx)
	if err != nil {
		return err
	}
	sort.Strings(known)
	if !contains(known, opts.Indicator) {
		return fmt.Errorf("%w: unknown indicator %q (one of: %s)", ErrUsage, opts.Indicator, strings.Join(known, ", "))
	}
	format := opts.Format
	if format == "" {
		format = "table"
	}
	if !contains([]string{"table", "csv", "json"}, format) {
		return fmt.Errorf("%w: unknown format %q (use table, csv or json)", ErrUsage, format)
	}
	named, err := namedPeriods(ctx, st, Options{Named: opts.Named})
	if err != nil {
		return err
	}
	p, unit, _, err := resolve(ctx, st, opts.Period, opts.Unit, named)
	if err != nil {
		return err
	}
	size := opts.PageSize
	if size <= 0 {
		size = 50
	}
	page := max(opts.Page, 1)
	recs, total, err := st.Explain(ctx, opts.Indicator, p.From, p.To, unit.Code, size, (page-1)*size)
	if err != nil {
		return err
	}
	kpi, err := st.KPIBetween(ctx, p.From, p.To, unit.Code)
	if err != nil {
		return err
	}
	var row warehouse.KPIRow
	for _, k := range kpi {
		if k.Indicator == opts.Indicator {
			row = k
		}
	}
	pages := int((total + int64(size) - 1) / int64(size))
	switch format {
	case "json":
		out := struct {
			Indicator   string                    `json:"indicator"`
			Period      jsonPeriod                `json:"period"`
			Unit        jsonUnit                  `json:"unit"`
			Numerator   int64                     `json:"numerator"`
			Denominator *int64                    `json:"denominator"`
			Missing     int64                     `json:"missing"`
			Value       *float64                  `json:"value"`
			Page        int                       `json:"page"`
			Pages       int                       `json:"pages"`
			Total       int64                     `json:"total"`
			Records     []warehouse.ExplainRecord `json:"records"`
		}{opts.Indicator, jsonPeriod{ID: p.ID, From: p.From.Format("2006-01-02"), To: p.To.Format("2006-01-02"), Label: p.Label},
			jsonUnit{Code: unit.Code, Name: unit.Name}, row.Numerator, row.Denominator, row.Missing, row.Value, page, pages, total, recs}
		if out.Records == nil {
			out.Records = []warehouse.ExplainRecord{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"role", "reason", "missing", "kind", "unit_code", "key", "date", "summary", "dated_by"})
		for _, r := range recs {
			cw.Write([]string{r.Role, deref(r.Reason), fmt.Sprint(r.Missing), r.Kind, r.UnitCode, r.Key, r.Date.Format("2006-01-02"), r.Summary, deref(r.DatedBy)})
		}
		cw.Flush()
		return cw.Error()
	}
	den := "—"
	if row.Denominator != nil {
		den = fmt.Sprint(*row.Denominator)
	}
	fmt.Fprintf(w, "%s — %s (%s), %s..%s\n", opts.Indicator, unit.Name, unit.Code, p.From.Format("2006-01-02"), p.To.Format("2006-01-02"))
	fmt.Fprintf(w, "Tử số %d, mẫu số %s, thiếu số liệu %d, giá trị %s\n", row.Numerator, den, row.Missing, valueText(row.Value, row.Unit, ","))
	fmt.Fprintf(w, "Trang %d/%d (%d bản ghi)\n\n", page, max(pages, 1), total)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	dated := len(recs) > 0 && recs[0].Kind == "document"
	head := "Vai trò\tNgày\tĐơn vị\tMã\tMô tả\tLý do"
	if dated {
		head = "Vai trò\tNgày\tCăn cứ ngày\tĐơn vị\tMã\tMô tả\tLý do"
	}
	fmt.Fprintln(tw, head)
	for _, r := range recs {
		reason := deref(r.Reason)
		if r.Missing {
			reason = "[thiếu số liệu] " + reason
		}
		date := r.Date.Format("2006-01-02")
		if dated {
			date += "\t" + datedByLabel(r.DatedBy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", roleLabels[r.Role], date, r.UnitCode, r.Key, r.Summary, reason)
	}
	return tw.Flush()
}

// RoleLabel is the Vietnamese name of an explain role (warehouse.Role*).
func RoleLabel(role string) string {
	if l, ok := roleLabels[role]; ok {
		return l
	}
	return role
}

// DatedByLabel says in Vietnamese which evidence dated a document.
func DatedByLabel(by *string) string { return datedByLabel(by) }

// datedByLabels name, in Vietnamese, the evidence that dated a document.
var datedByLabels = map[string]string{
	facts.ReceivedByTrace:     "vết đến (TraceHeader)",
	facts.ReceivedByStatus:    "gói trạng thái đã đến/đã tiếp nhận",
	facts.ReceivedByAxis:      "thời điểm trục nhận",
	facts.ReceivedByRegister:  "ngày đến trong sổ",
	facts.ReceivedByIssueDate: "ngày ban hành",
}

func datedByLabel(by *string) string {
	if by == nil {
		return "chưa rõ (ghi trước khi có căn cứ)"
	}
	if l, ok := datedByLabels[*by]; ok {
		return l
	}
	return *by
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
