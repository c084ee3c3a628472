package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse"
)

// DiffOptions select what chiso snapshot diff compares.
type DiffOptions struct {
	ID      string
	Against string // "live" (default) or another snapshot's id
	Format  string // table (default) | json
}

// Diff is the difference between a snapshot and the live warehouse or a
// later snapshot, indicator by indicator.
type Diff struct {
	From       string          `json:"from"`    // snapshot id
	Against    string          `json:"against"` // "live" or a snapshot id
	Unit       string          `json:"unit"`
	Period     string          `json:"period"`
	FrozenAt   time.Time       `json:"frozen_at"`
	AgainstAt  time.Time       `json:"against_at"`
	Indicators []IndicatorDiff `json:"indicators"`
}

// IndicatorDiff is what changed in one indicator.
type IndicatorDiff struct {
	Indicator string         `json:"indicator"`
	Label     string         `json:"label"`
	Before    Figures        `json:"before"`
	After     *Figures       `json:"after"` // nil: the indicator is not in the later report
	Changes   []RecordChange `json:"changes"`
}

// Figures are an indicator's numbers.
type Figures struct {
	Numerator   int64    `json:"numerator"`
	Denominator *int64   `json:"denominator"`
	Missing     int64    `json:"missing"`
	Value       *float64 `json:"value"`
	Unit        string   `json:"unit"`
}

// RecordChange is one record that entered or left an indicator's
// numerator or denominator (or D(P), D(B) of a reduction), and why.
type RecordChange struct {
	Kind     string   `json:"kind"`
	UnitCode string   `json:"unit_code"`
	Key      string   `json:"key"`
	Before   []string `json:"before"` // explain roles in the snapshot
	After    []string `json:"after"`  // explain roles now (or in the later snapshot)
	Entered  []string `json:"entered"`
	Left     []string `json:"left"`
	// Reason is the later explain reason of a record that left (why it is
	// left out now), or "no longer in the warehouse".
	Reason string                `json:"reason,omitempty"`
	Runs   []warehouse.RecordRun `json:"runs"` // the sync runs since the snapshot that wrote the record
}

// diffSets are the sets a diff names: explain role → its Vietnamese name.
// A record with role numerator is in the numerator and the denominator.
var diffSets = []struct{ id, label string }{
	{"numerator", "tử số"}, {"denominator", "mẫu số"}, {"period", "kỳ báo cáo (D(P)/M(P))"}, {"baseline", "cùng kỳ (D(B)/M(B))"},
}

func setsOf(roles []string) map[string]bool {
	m := map[string]bool{}
	for _, r := range roles {
		m[r] = true
		if r == warehouse.RoleNumerator {
			m["denominator"] = true
		}
	}
	return m
}

type recID struct{ kind, unit, key string }

type recState struct {
	roles  []string
	reason string // a left-out record's reason
}

// liveRecords returns the live explain records of indicator by record.
func liveRecords(ctx context.Context, st *warehouse.Store, ind string, from, to time.Time, unit string) (map[recID]*recState, error) {
	recs, _, err := st.Explain(ctx, ind, from, to, unit, 1<<31-1, 0)
	if err != nil {
		return nil, err
	}
	m := map[recID]*recState{}
	for _, r := range recs {
		id := recID{r.Kind, r.UnitCode, r.Key}
		s := m[id]
		if s == nil {
			s = &recState{}
			m[id] = s
		}
		if frozenRoles[r.Role] {
			s.roles = append(s.roles, r.Role)
		} else if r.Reason != nil {
			s.reason = *r.Reason
		}
	}
	return m, nil
}

func frozenRecords(s *warehouse.Snapshot) map[string]map[recID]*recState {
	out := map[string]map[recID]*recState{}
	for _, r := range s.Records {
		m := out[r.Indicator]
		if m == nil {
			m = map[recID]*recState{}
			out[r.Indicator] = m
		}
		id := recID{r.Kind, r.UnitCode, r.Key}
		if m[id] == nil {
			m[id] = &recState{}
		}
		m[id].roles = append(m[id].roles, r.Role)
	}
	return out
}

func figuresOf(k warehouse.KPIRow) Figures {
	return Figures{Numerator: k.Numerator, Denominator: k.Denominator, Missing: k.Missing, Value: k.Value, Unit: k.Unit}
}

// BuildDiff compares snapshot opts.ID with the live warehouse or with the
// snapshot opts.Against.
func BuildDiff(ctx context.Context, st *warehouse.Store, opts DiffOptions) (*Diff, error) {
	s1, err := loadSnapshot(ctx, st, opts.ID)
	if err != nil {
		return nil, err
	}
	r1, err := FromSnapshot(s1)
	if err != nil {
		return nil, err
	}
	d := &Diff{From: s1.ID, Against: "live", Unit: s1.UnitCode, Period: s1.PeriodID, FrozenAt: s1.FrozenAt.In(vntime.Location)}
	before := frozenRecords(s1)
	var after map[string]map[recID]*recState
	afterRows := map[string]warehouse.KPIRow{}
	var order []string
	labels := map[string]string{}
	for _, row := range r1.Rows {
		order = append(order, row.Indicator)
		labels[row.Indicator] = row.Label
	}
	until := time.Now()
	against := strings.TrimSpace(opts.Against)
	if against != "" && against != "live" {
		s2, err := loadSnapshot(ctx, st, against)
		if err != nil {
			return nil, err
		}
		if s2.UnitCode != s1.UnitCode || !s2.PeriodFrom.Equal(s1.PeriodFrom) || !s2.PeriodTo.Equal(s1.PeriodTo) {
			return nil, fmt.Errorf("%w: snapshot %s is of %s %s, not of %s %s", ErrUsage, s2.ID, s2.UnitCode, s2.PeriodID, s1.UnitCode, s1.PeriodID)
		}
		r2, err := FromSnapshot(s2)
		if err != nil {
			return nil, err
		}
		d.Against, until = s2.ID, s2.FrozenAt
		after = frozenRecords(s2)
		for _, row := range r2.Rows {
			afterRows[row.Indicator] = row.KPIRow
			if _, ok := labels[row.Indicator]; !ok {
				order = append(order, row.Indicator)
				labels[row.Indicator] = row.Label
			}
		}
	} else {
		live, err := st.KPIBetween(ctx, s1.PeriodFrom, s1.PeriodTo, s1.UnitCode)
		if err != nil {
			return nil, err
		}
		for _, k := range live {
			afterRows[k.Indicator] = k
		}
		after = map[string]map[recID]*recState{}
		for _, ind := range order {
			if after[ind], err = liveRecords(ctx, st, ind, s1.PeriodFrom, s1.PeriodTo, s1.UnitCode); err != nil {
				return nil, err
			}
		}
	}
	d.AgainstAt = until.In(vntime.Location)
	byInd := map[string]Row{}
	for _, row := range r1.Rows {
		byInd[row.Indicator] = row
	}
	runs := map[recID][]warehouse.RecordRun{}
	for _, ind := range order {
		id := IndicatorDiff{Indicator: ind, Label: labels[ind], Changes: []RecordChange{}}
		if row, ok := byInd[ind]; ok {
			id.Before = figuresOf(row.KPIRow)
		}
		if k, ok := afterRows[ind]; ok {
			f := figuresOf(k)
			id.After = &f
		}
		b, a := before[ind], after[ind]
		keys := map[recID]bool{}
		for k, s := range b {
			if len(s.roles) > 0 {
				keys[k] = true
			}
		}
		for k, s := range a {
			if len(s.roles) > 0 {
				keys[k] = true
			}
		}
		for k := range keys {
			var br, ar []string
			reason := ""
			if s := b[k]; s != nil {
				br = s.roles
			}
			if s := a[k]; s != nil {
				ar, reason = s.roles, s.reason
			}
			bs, as := setsOf(br), setsOf(ar)
			c := RecordChange{Kind: k.kind, UnitCode: k.unit, Key: k.key, Before: sortedCopy(br), After: sortedCopy(ar)}
			for _, set := range diffSets {
				switch {
				case as[set.id] && !bs[set.id]:
					c.Entered = append(c.Entered, set.id)
				case bs[set.id] && !as[set.id]:
					c.Left = append(c.Left, set.id)
				}
			}
			if len(c.Entered) == 0 && len(c.Left) == 0 {
				continue
			}
			if len(ar) == 0 {
				c.Reason = reason
				if d.Against == "live" {
					if ok, err := st.RecordExists(ctx, k.kind, k.unit, k.key); err != nil {
						return nil, err
					} else if !ok {
						c.Reason = "không còn trong kho dữ liệu"
					}
				}
			}
			rr, ok := runs[k]
			if !ok {
				all, err := st.RecordRuns(ctx, k.kind, k.unit, k.key, s1.FrozenAt)
				if err != nil {
					return nil, err
				}
				for _, x := range all {
					if !x.StartedAt.After(until) {
						rr = append(rr, x)
					}
				}
				runs[k] = rr
			}
			c.Runs = rr
			if c.Runs == nil {
				c.Runs = []warehouse.RecordRun{}
			}
			id.Changes = append(id.Changes, c)
		}
		sort.Slice(id.Changes, func(i, j int) bool {
			x, y := id.Changes[i], id.Changes[j]
			if x.UnitCode != y.UnitCode {
				return x.UnitCode < y.UnitCode
			}
			return x.Key < y.Key
		})
		d.Indicators = append(d.Indicators, id)
	}
	return d, nil
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// RunDiff prints the diff of opts.
func RunDiff(ctx context.Context, st *warehouse.Store, opts DiffOptions, w io.Writer) error {
	format := opts.Format
	if format == "" {
		format = "table"
	}
	if format != "table" && format != "json" {
		return fmt.Errorf("%w: unknown format %q (use table or json)", ErrUsage, format)
	}
	d, err := BuildDiff(ctx, st, opts)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	}
	return d.WriteTable(w)
}

func figuresText(f *Figures) string {
	if f == nil {
		return "không có"
	}
	if f.Denominator == nil {
		return valueText(f.Value, f.Unit, ",")
	}
	return fmt.Sprintf("%d / %d = %s", f.Numerator, *f.Denominator, valueText(f.Value, f.Unit, ","))
}

var setLabels = func() map[string]string {
	m := map[string]string{}
	for _, s := range diffSets {
		m[s.id] = s.label
	}
	return m
}()

func joinLabels(ids []string, verb string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, verb+" "+setLabels[id])
	}
	return out
}

var whatLabels = map[string]string{
	"first_seen": "ghi mới", "last_seen": "đọc lại", "sighting": "thấy ở nguồn", "deleted": "nguồn đã xóa",
	"register_changed": "dòng sổ thay đổi", "register_removed": "dòng sổ bị bỏ", "status": "gói trạng thái", "revocation": "thu hồi",
}

// RunsText says which sources and runs wrote a record: "dvc-dir lần chạy
// #12 lúc 10:04 02/12/2026 (ghi mới, thấy ở nguồn)".
func RunsText(runs []warehouse.RecordRun) string {
	if len(runs) == 0 {
		return "không có lần đồng bộ nào ghi bản ghi này sau khi chốt (thay đổi do ngày tháng, cấu hình hoặc bản ghi khác)"
	}
	type run struct {
		r     warehouse.RecordRun
		whats []string
	}
	var list []*run
	idx := map[int64]*run{}
	for _, x := range runs {
		r := idx[x.RunID]
		if r == nil {
			r = &run{r: x}
			idx[x.RunID] = r
			list = append(list, r)
		}
		r.whats = append(r.whats, x.What)
	}
	var parts []string
	for _, r := range list {
		var labels []string
		isNew := slices.Contains(r.whats, "first_seen")
		for _, w := range r.whats {
			if w == "last_seen" && (isNew || len(r.whats) > 1) {
				continue // "read again" says nothing more than the rest
			}
			labels = append(labels, whatLabels[w])
		}
		parts = append(parts, fmt.Sprintf("%s lần chạy #%d lúc %s (%s)", r.r.Connector, r.r.RunID,
			r.r.StartedAt.In(vntime.Location).Format("15:04 02/01/2006"), strings.Join(labels, ", ")))
	}
	return strings.Join(parts, "; ")
}

// WriteTable prints the diff for a terminal.
func (d *Diff) WriteTable(w io.Writer) error {
	against := "số liệu hiện tại (" + d.AgainstAt.Format("15:04 02/01/2006") + ")"
	if d.Against != "live" {
		against = "bản chốt " + d.Against + " (chốt " + d.AgainstAt.Format("15:04 02/01/2006") + ")"
	}
	fmt.Fprintf(w, "So sánh bản chốt %s (chốt %s) với %s\n", d.From, d.FrozenAt.Format("15:04 02/01/2006"), against)
	fmt.Fprintf(w, "Đơn vị %s, kỳ %s\n", d.Unit, d.Period)
	changed := 0
	for _, ind := range d.Indicators {
		fmt.Fprintf(w, "\n%s — %s: %s → %s", ind.Indicator, ind.Label, figuresText(&ind.Before), figuresText(ind.After))
		if len(ind.Changes) == 0 {
			fmt.Fprintln(w, "; không có bản ghi nào vào hay ra")
			continue
		}
		changed++
		fmt.Fprintf(w, "; %d bản ghi thay đổi\n", len(ind.Changes))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range ind.Changes {
			moves := append(joinLabels(c.Entered, "vào"), joinLabels(c.Left, "ra khỏi")...)
			why := RunsText(c.Runs)
			if c.Reason != "" {
				why = c.Reason + "; " + why
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\tvì: %s\n", c.Kind, c.UnitCode, c.Key, strings.Join(moves, ", "), why)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n%d/%d chỉ tiêu có bản ghi thay đổi\n", changed, len(d.Indicators))
	return err
}

// SnapshotExplainOptions select what chiso explain --snapshot prints.
type SnapshotExplainOptions struct {
	ID        string
	Indicator string // "" for every indicator
	Format    string // table | csv | json
}

// ExplainSnapshot lists the records a snapshot froze behind its indicators.
func ExplainSnapshot(ctx context.Context, st *warehouse.Store, opts SnapshotExplainOptions, w io.Writer) error {
	format := opts.Format
	if format == "" {
		format = "table"
	}
	if !contains([]string{"table", "csv", "json"}, format) {
		return fmt.Errorf("%w: unknown format %q (use table, csv or json)", ErrUsage, format)
	}
	s, err := loadSnapshot(ctx, st, opts.ID)
	if err != nil {
		return err
	}
	var recs []exportRecord
	known := map[string]bool{}
	for _, r := range s.Rows {
		known[r.Indicator] = true
	}
	if opts.Indicator != "" && !known[opts.Indicator] {
		return fmt.Errorf("%w: snapshot %s has no indicator %q", ErrUsage, s.ID, opts.Indicator)
	}
	for _, r := range ExportOf(s).Records {
		if opts.Indicator == "" || r.Indicator == opts.Indicator {
			recs = append(recs, r)
		}
	}
	switch format {
	case "json":
		out := struct {
			Snapshot string         `json:"snapshot"`
			Unit     string         `json:"unit"`
			Period   string         `json:"period"`
			FrozenAt string         `json:"frozen_at"`
			Records  []exportRecord `json:"records"`
		}{s.ID, s.UnitCode, s.PeriodID, s.FrozenAt.In(vntime.Location).Format("2006-01-02T15:04:05-07:00"), recs}
		if out.Records == nil {
			out.Records = []exportRecord{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"indicator", "role", "missing", "kind", "unit_code", "key", "date", "reason"})
		for _, r := range recs {
			cw.Write([]string{r.Indicator, r.Role, fmt.Sprint(r.Missing), r.Kind, r.UnitCode, r.Key, r.Date, deref(r.Reason)})
		}
		cw.Flush()
		return cw.Error()
	}
	fmt.Fprintf(w, "Bản chốt %s — đơn vị %s, kỳ %s, chốt lúc %s (%d bản ghi)\n\n", s.ID, s.UnitCode, s.PeriodID,
		s.FrozenAt.In(vntime.Location).Format("15:04 02/01/2006"), len(recs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Chỉ tiêu\tVai trò\tNgày\tĐơn vị\tMã\tLý do")
	for _, r := range recs {
		reason := deref(r.Reason)
		if r.Missing {
			reason = "[thiếu số liệu] " + reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Indicator, roleLabels[r.Role], r.Date, r.UnitCode, r.Key, reason)
	}
	return tw.Flush()
}
