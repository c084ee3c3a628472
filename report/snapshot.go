package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse"
)

// SnapshotFormat names the version of the export (and so of the canonical
// serialisation) a snapshot's id hashes.
const SnapshotFormat = "chiso-snapshot/1"

// Frozen marks a report rendered from a snapshot: the title block says
// "Số liệu chốt ngày …, mã …".
type Frozen struct {
	ID string
	At time.Time
}

// frozenRoles are the explain roles whose records a snapshot keeps: the
// records in an indicator's numerator or denominator (D(P) and D(B) of a
// reduction).
var frozenRoles = map[string]bool{
	warehouse.RoleNumerator: true, warehouse.RoleDenominator: true,
	warehouse.RolePeriod: true, warehouse.RoleBaseline: true,
}

// FreezeOptions say what chiso report --freeze stores.
type FreezeOptions struct {
	Options
	Note         string
	By           string // who froze it (OS user or --by)
	ConfigSHA256 string // SHA-256 of the config file in force
}

// Export is a snapshot as chiso snapshot export prints it: every stored
// field. The id is the SHA-256 (lowercase hex) of the canonical
// serialisation (Canonical, RFC 8785) of this object without its "id"
// member.
type Export struct {
	Format        string          `json:"format"`
	ID            string          `json:"id,omitempty"`
	Prev          *string         `json:"prev"`
	Seq           int             `json:"seq"`
	Unit          string          `json:"unit"`
	Period        exportPeriod    `json:"period"`
	FrozenAt      string          `json:"frozen_at"`
	FrozenBy      string          `json:"frozen_by"`
	Note          string          `json:"note"`
	ConfigSHA256  string          `json:"config_sha256"`
	TargetsSHA256 string          `json:"targets_sha256"`
	Report        json.RawMessage `json:"report"`
	Rows          []exportRow     `json:"rows"`
	Records       []exportRecord  `json:"records"`
}

type exportPeriod struct {
	ID   string `json:"id"`
	From string `json:"from"`
	To   string `json:"to"`
}

type exportRow struct {
	Ord       int             `json:"ord"`
	Indicator string          `json:"indicator"`
	Row       json.RawMessage `json:"row"`
}

type exportRecord struct {
	Indicator string  `json:"indicator"`
	Role      string  `json:"role"`
	Kind      string  `json:"kind"`
	UnitCode  string  `json:"unit_code"`
	Key       string  `json:"key"`
	Date      string  `json:"date"`
	Missing   bool    `json:"missing"`
	Reason    *string `json:"reason"`
}

// frozenRow is what a snapshot keeps of one indicator row: the row as the
// report built it (every field, so fields added to Row later are kept),
// its assessment and the cells the table printed.
type frozenRow struct {
	Row        Row      `json:"row"`
	Assessment string   `json:"assessment"`
	Cells      []string `json:"cells"`
}

const (
	dateLayout  = "2006-01-02"
	stampLayout = "2006-01-02T15:04:05.000000Z"
)

// ExportOf returns the export of a stored snapshot (with its id).
func ExportOf(s *warehouse.Snapshot) Export {
	e := Export{
		Format: SnapshotFormat, ID: s.ID, Prev: s.PrevID, Seq: s.Seq, Unit: s.UnitCode,
		Period:   exportPeriod{ID: s.PeriodID, From: s.PeriodFrom.Format(dateLayout), To: s.PeriodTo.Format(dateLayout)},
		FrozenAt: s.FrozenAt.UTC().Format(stampLayout), FrozenBy: s.FrozenBy, Note: s.Note,
		ConfigSHA256: s.ConfigSHA256, TargetsSHA256: s.TargetsSHA256, Report: s.Report,
		Rows: []exportRow{}, Records: []exportRecord{},
	}
	for _, r := range s.Rows {
		e.Rows = append(e.Rows, exportRow{Ord: r.Ord, Indicator: r.Indicator, Row: r.Row})
	}
	for _, r := range s.Records {
		e.Records = append(e.Records, exportRecord{Indicator: r.Indicator, Role: r.Role, Kind: r.Kind, UnitCode: r.UnitCode,
			Key: r.Key, Date: r.Date.Format(dateLayout), Missing: r.Missing, Reason: r.Reason})
	}
	return e
}

// Hash returns the id an export should have: the SHA-256 of the canonical
// serialisation of e without its id.
func (e Export) Hash() (string, error) {
	e.ID = ""
	if e.Format != SnapshotFormat {
		return "", fmt.Errorf("snapshot: unknown format %q (this chiso knows %s)", e.Format, SnapshotFormat)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	c, err := Canonical(b)
	if err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// Freeze builds the report of opts and stores it as a snapshot chained to
// the previous one of the same unit and period. It returns the stored
// snapshot.
func Freeze(ctx context.Context, st *warehouse.Store, opts FreezeOptions) (*warehouse.Snapshot, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	// timestamptz keeps microseconds: hash what is stored.
	opts.Now = opts.Now.Truncate(time.Microsecond)
	r, err := Build(ctx, st, opts.Options)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.By) == "" {
		return nil, fmt.Errorf("%w: who freezes the report is not known (--by NAME)", ErrUsage)
	}
	snap := &warehouse.Snapshot{SnapshotHeader: warehouse.SnapshotHeader{
		UnitCode: r.Unit.Code, PeriodID: r.Period.ID, PeriodFrom: r.Period.From, PeriodTo: r.Period.To,
		FrozenAt: opts.Now, FrozenBy: strings.TrimSpace(opts.By), Note: strings.TrimSpace(opts.Note),
		ConfigSHA256: opts.ConfigSHA256,
	}}
	if snap.TargetsSHA256, err = targetsHash(ctx, st, r.Period); err != nil {
		return nil, err
	}
	state := *r
	state.Rows = nil
	if snap.Report, err = json.Marshal(state); err != nil {
		return nil, fmt.Errorf("snapshot: report: %w", err)
	}
	for i, row := range r.Rows {
		b, err := json.Marshal(frozenRow{Row: row, Assessment: Assessment(row.KPIRow), Cells: row.Cells(i+1, ",")})
		if err != nil {
			return nil, fmt.Errorf("snapshot: row %s: %w", row.Indicator, err)
		}
		snap.Rows = append(snap.Rows, warehouse.SnapshotRow{Ord: i + 1, Indicator: row.Indicator, Row: b})
		recs, _, err := st.Explain(ctx, row.Indicator, r.Period.From, r.Period.To, r.Unit.Code, 1<<31-1, 0)
		if err != nil {
			return nil, err
		}
		for _, x := range recs {
			if frozenRoles[x.Role] {
				snap.Records = append(snap.Records, warehouse.SnapshotRecord{Indicator: row.Indicator, Role: x.Role, Kind: x.Kind,
					UnitCode: x.UnitCode, Key: x.Key, Date: x.Date, Missing: x.Missing, Reason: x.Reason})
			}
		}
	}
	// The records are read after the figures: a sync that wrote in between
	// would pair figures with other records. Build again and compare.
	again, err := Build(ctx, st, opts.Options)
	if err != nil {
		return nil, err
	}
	if !sameFigures(r.Rows, again.Rows) {
		return nil, fmt.Errorf("snapshot: the figures of %s %s changed while they were being frozen (a sync was writing): freeze again", r.Unit.Code, r.Period.ID)
	}
	return st.InsertSnapshot(ctx, r.Unit.Code, r.Period.ID, func(prev *warehouse.SnapshotHeader) (*warehouse.Snapshot, error) {
		snap.Seq = 1
		if prev != nil {
			id := prev.ID
			snap.PrevID, snap.Seq = &id, prev.Seq+1
		}
		id, err := ExportOf(snap).Hash()
		if err != nil {
			return nil, err
		}
		snap.ID = id
		return snap, nil
	})
}

// sameFigures says whether two builds of a report have the same numbers.
func sameFigures(a, b []Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i].KPIRow, b[i].KPIRow
		if x.Indicator != y.Indicator || x.Numerator != y.Numerator || x.Missing != y.Missing ||
			fmt.Sprint(derefInt(x.Denominator)) != fmt.Sprint(derefInt(y.Denominator)) {
			return false
		}
	}
	return true
}

func derefInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// targetsHash is the SHA-256 of the canonical serialisation of the targets
// of every year the period touches: {"YYYY": [{unit, indicator, op, value}…]}.
func targetsHash(ctx context.Context, st *warehouse.Store, p Period) (string, error) {
	m := map[string]json.RawMessage{}
	for y := p.From.Year(); y <= p.To.Year(); y++ {
		t, err := st.TargetsInForce(ctx, y)
		if err != nil {
			return "", err
		}
		m[fmt.Sprint(y)] = t
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	c, err := Canonical(b)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// FromSnapshot rebuilds the report a snapshot froze, from the snapshot
// alone.
func FromSnapshot(s *warehouse.Snapshot) (*Report, error) {
	r := &Report{}
	if err := json.Unmarshal(s.Report, r); err != nil {
		return nil, fmt.Errorf("snapshot %s: report: %w", s.ID, err)
	}
	for _, x := range s.Rows {
		var fr frozenRow
		if err := json.Unmarshal(x.Row, &fr); err != nil {
			return nil, fmt.Errorf("snapshot %s: row %s: %w", s.ID, x.Indicator, err)
		}
		r.Rows = append(r.Rows, fr.Row)
	}
	r.Frozen = &Frozen{ID: s.ID, At: s.FrozenAt.In(vntime.Location)}
	return r, nil
}

// loadSnapshot reads a snapshot, turning an unknown id into a usage error.
func loadSnapshot(ctx context.Context, st *warehouse.Store, id string) (*warehouse.Snapshot, error) {
	s, err := st.SnapshotByID(ctx, strings.ToLower(strings.TrimSpace(id)))
	if errors.Is(err, warehouse.ErrNoSnapshot) {
		return nil, fmt.Errorf("%w: %v (chiso snapshot list shows the ids)", ErrUsage, err)
	}
	return s, err
}

// RunSnapshot renders snapshot id in format (any of Formats) to w, from
// the snapshot alone.
func RunSnapshot(ctx context.Context, st *warehouse.Store, id, format string, w io.Writer) error {
	if format == "" {
		format = "table"
	}
	if !contains(Formats, format) {
		return fmt.Errorf("%w: unknown format %q (use %s)", ErrUsage, format, strings.Join(Formats, ", "))
	}
	s, err := loadSnapshot(ctx, st, id)
	if err != nil {
		return err
	}
	r, err := FromSnapshot(s)
	if err != nil {
		return err
	}
	return r.Write(format, w)
}

// Write renders r in format.
func (r *Report) Write(format string, w io.Writer) error {
	switch format {
	case "json":
		return r.WriteJSON(w)
	case "csv":
		return r.WriteCSV(w)
	case "md":
		return r.WriteMarkdown(w)
	case "xlsx":
		return r.WriteXLSX(w)
	case "table", "":
		return r.WriteTable(w)
	}
	return fmt.Errorf("%w: unknown format %q (use %s)", ErrUsage, format, strings.Join(Formats, ", "))
}

// ExportSnapshot writes the export of snapshot id as indented JSON.
func ExportSnapshot(ctx context.Context, st *warehouse.Store, id string, w io.Writer) error {
	s, err := loadSnapshot(ctx, st, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(ExportOf(s))
}

// VerifyResult is what chiso snapshot verify found for one snapshot of the
// chain.
type VerifyResult struct {
	ID       string
	Seq      int
	Computed string
	Problems []string
}

// Verify recomputes the hash chain of (unit, period) up to snapshot id:
// each snapshot's id must be the hash of its stored content, and its prev
// the id of the one before it. It returns one result per snapshot of the
// chain, oldest first, and whether all hold.
func Verify(ctx context.Context, st *warehouse.Store, id string) ([]VerifyResult, bool, error) {
	target, err := loadSnapshot(ctx, st, id)
	if err != nil {
		return nil, false, err
	}
	chain, err := st.SnapshotChain(ctx, target.UnitCode, target.PeriodID)
	if err != nil {
		return nil, false, err
	}
	var out []VerifyResult
	ok := true
	var prev *string
	for i, h := range chain {
		if h.Seq > target.Seq {
			break
		}
		s, err := st.SnapshotByID(ctx, h.ID)
		if err != nil {
			return nil, false, err
		}
		res := VerifyResult{ID: h.ID, Seq: h.Seq}
		if h.Seq != i+1 {
			res.Problems = append(res.Problems, fmt.Sprintf("số thứ tự %d, đáng lẽ %d (thiếu bản chốt trước)", h.Seq, i+1))
		}
		if fmt.Sprint(derefStr(h.PrevID)) != fmt.Sprint(derefStr(prev)) {
			res.Problems = append(res.Problems, fmt.Sprintf("mã bản chốt trước %q, đáng lẽ %q", derefStr(h.PrevID), derefStr(prev)))
		}
		res.Computed, err = ExportOf(s).Hash()
		if err != nil {
			res.Problems = append(res.Problems, err.Error())
		} else if res.Computed != h.ID {
			res.Problems = append(res.Problems, "nội dung đã bị thay đổi: mã tính lại "+res.Computed)
		}
		if len(res.Problems) > 0 {
			ok = false
		}
		out = append(out, res)
		idCopy := h.ID
		prev = &idCopy
	}
	return out, ok, nil
}

func derefStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ListSnapshots prints the snapshots (unit and period filter when set).
func ListSnapshots(ctx context.Context, st *warehouse.Store, unit, period string, w io.Writer) error {
	list, err := st.Snapshots(ctx, strings.ToUpper(strings.TrimSpace(unit)), strings.TrimSpace(period))
	if err != nil {
		return err
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "Chưa có bản chốt số liệu nào.")
		return err
	}
	fmt.Fprintln(w, "Mã\tĐơn vị\tKỳ\tLần\tChốt lúc\tNgười chốt\tChỉ tiêu\tBản ghi\tGhi chú")
	for _, s := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", s.ID, s.UnitCode, s.PeriodID, s.Seq,
			s.FrozenAt.In(vntime.Location).Format("15:04:05 02/01/2006"), s.FrozenBy, s.Rows, s.Records, s.Note)
	}
	return nil
}
