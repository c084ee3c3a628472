package dvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	wire "chiso/adapters/dvc"
	"chiso/mapping/dossiers"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/warehouse/facts"
)

// batchSize is how many dossiers go to the warehouse in one statement.
const batchSize = 1000

// Writer maps dossier records and writes them through a sink in batches;
// the pull connector, the push receiver and dvc-dir share it. It fills the
// procedure catalogue for codes it has not seen, when it can ask a portal.
type Writer struct {
	Sink   connector.Sink
	Unit   string
	Source string
	// Lookup asks the portal for a catalogue entry (LayThuTuc); nil: no portal.
	Lookup func(ctx context.Context, maTTHC string) (*wire.Procedure, error)
	Log    *slog.Logger
	// Route, when set, picks each record's unit from the codes it carries
	// (dossiers.UnitByCode: a connector covering many communes) instead
	// of Unit; its error rejects the record.
	Route func(rec wire.Record) (string, error)

	known   map[string]bool
	pending []facts.DossierWrite
	// Written and Rejected count records since the writer was made.
	Written, Rejected int
	// Reasons keeps the first reject reasons (for push answers).
	Reasons []string

	rejected map[string]bool // reject keys written by this writer
}

// NewWriter returns a writer; it loads the known procedure codes lazily.
func NewWriter(sink connector.Sink, unit, source string, log *slog.Logger) *Writer {
	if log == nil {
		log = slog.Default()
	}
	return &Writer{Sink: sink, Unit: unit, Source: source, Log: log}
}

// RouteByCode makes the writer put each record in the unit its codes name
// (dossiers.UnitByCode) under the writer's Unit, the root of the tree the
// connector covers (its by_code key, connector.CheckByCode): the one
// routing of the pull connector and dvc-dir.
func (w *Writer) RouteByCode(org *orgdir.Directory) {
	root := w.Unit
	w.Route = func(rec wire.Record) (string, error) { return dossiers.UnitByCode(rec, org, root) }
}

// UnitOf is the unit of a decoded record: Route's when set, else Unit.
func (w *Writer) UnitOf(rec wire.Record) (string, error) {
	if w.Route == nil {
		return w.Unit, nil
	}
	return w.Route(rec)
}

// Map maps one raw record with the writer's unit (or Route's) and source.
func (w *Writer) Map(raw []byte, sourceKey string, steps []wire.Step) (dossiers.Result, error) {
	opt := dossiers.Options{Unit: w.Unit, Source: w.Source, SourceKey: sourceKey, Steps: steps}
	if w.Route == nil {
		return dossiers.Map(raw, opt)
	}
	rec, err := wire.DecodeRecord(raw)
	if err != nil {
		return dossiers.Result{}, err
	}
	if opt.Unit, err = w.UnitOf(rec); err != nil {
		return dossiers.Result{}, err
	}
	return dossiers.MapRecord(rec, raw, opt)
}

// Add queues a mapped record, writing a batch when enough are queued.
func (w *Writer) Add(ctx context.Context, res dossiers.Result) error {
	if err := w.procedure(ctx, res.Dossier.MaTTHC, res.ProcedureName); err != nil {
		return err
	}
	for _, warn := range res.Warnings {
		w.Log.Debug("dvc: record warning", "ma_ho_so", res.Dossier.MaHoSo, "warning", warn)
	}
	w.pending = append(w.pending, facts.DossierWrite{Dossier: res.Dossier, Steps: res.Steps, Sighting: res.Sighting})
	w.Written++
	if len(w.pending) >= batchSize {
		return w.Write(ctx)
	}
	return nil
}

// Reject keeps a record that could not be mapped (see NewReject). A
// record this writer rejected already (the same bytes read twice in one
// run, e.g. a window read again) is not kept or counted again, so that a
// run's reject count is its number of reject rows.
func (w *Writer) Reject(ctx context.Context, rj facts.Reject) error {
	if w.rejected[rj.SourceKey] {
		return nil
	}
	if w.rejected == nil {
		w.rejected = map[string]bool{}
	}
	w.rejected[rj.SourceKey] = true
	w.Rejected++
	if len(w.Reasons) < 5 {
		w.Reasons = append(w.Reasons, rj.Reason)
	}
	w.Log.Warn("dvc: record rejected", "source_key", rj.SourceKey, "location", rj.Location, "reason", rj.Reason)
	return w.Sink.Reject(ctx, rj)
}

// NewReject builds the reject of a dossier record (or, with step, of a
// processing step) that could not be mapped. Nothing of the applicant is
// in it: Raw is the record with only the allow-listed members
// (dossiers.KeepRecord; nil when raw is not a JSON object), Hash is the
// SHA-256 of the original bytes, Location says where the original is
// (file and byte offset, window and page of a pull, push request), and the
// reason names MaHoSo and the field. The key is the record's MaHoSo, when
// readable, and the hash: re-reading the same record converges on one row,
// two different records never share one (prefix tells sources apart, e.g.
// a file's path).
func NewReject(raw []byte, location, prefix string, step bool, err error) facts.Reject {
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	key := "sha256:" + hash
	var field string
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		field = fe.Field
		if fe.MaHoSo != "" {
			key = "MaHoSo:" + clipKey(fe.MaHoSo) + ":" + key
		}
	}
	var kept []byte
	if step {
		kept, _ = dossiers.KeepStep(raw)
	} else {
		kept, _ = dossiers.KeepRecord(raw)
	}
	return facts.Reject{SourceKey: prefix + key, Location: location, Field: field, Reason: err.Error(), Hash: hash, Raw: kept}
}

// NewPayloadReject builds the reject of a payload (a file, a push body)
// that cannot be read past some point: its location, the hash of its bytes
// and the reason only; nothing of its bytes is kept, since they may hold
// any applicant's data. key is the file's path, or for a push body
// (which has no name) one made from the hash.
func NewPayloadReject(key, location, hash string, err error) facts.Reject {
	return facts.Reject{SourceKey: key, Location: location, Reason: err.Error(), Hash: hash}
}

// clipKey bounds a MaHoSo in a reject key (an overlong one is itself the
// reason of the reject).
func clipKey(s string) string {
	if r := []rune(s); len(r) > dossiers.MaxKeyLen {
		return string(r[:dossiers.MaxKeyLen])
	}
	return s
}

// Write sends the queued dossiers to the open batch of the sink.
func (w *Writer) Write(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	if err := w.Sink.UpsertDossiers(ctx, w.pending); err != nil {
		return err
	}
	w.pending = w.pending[:0]
	return nil
}

// Commit writes what is queued and commits the sink's batch.
func (w *Writer) Commit(ctx context.Context) error {
	if err := w.Write(ctx); err != nil {
		return err
	}
	return w.Sink.Flush(ctx)
}

// procedure adds a catalogue entry from the portal for a code not yet in
// the warehouse. Codes already there (from the catalogue file, which wins,
// or an earlier run) are never overwritten.
func (w *Writer) procedure(ctx context.Context, code, name string) error {
	if code == "" || w.Lookup == nil {
		return nil
	}
	if w.known == nil {
		known, err := w.Sink.ProcedureCodes(ctx)
		if err != nil {
			return err
		}
		w.known = known
	}
	if w.known[code] {
		return nil
	}
	w.known[code] = true
	p, err := w.Lookup(ctx, code)
	if err != nil {
		// The catalogue is a nicety: the dossier still counts (level unknown).
		w.Log.Warn("dvc: procedure lookup failed", "ma_tthc", code, "err", err)
		return nil
	}
	if p == nil {
		w.Log.Info("dvc: procedure unknown to the portal", "ma_tthc", code)
		return nil
	}
	proc := ProcedureFromWire(*p)
	proc.MaTTHC = code
	if proc.Name == "" {
		proc.Name = name
	}
	proc.Source = w.Source
	return w.Sink.UpsertProcedure(ctx, proc)
}

// ProcedureFromWire converts a LayThuTuc entry: MucDo toan_trinh/mot_phan/
// khong (or 4/3/2 of the older scale), CoKetQua 1/0, SoNgay in working days.
func ProcedureFromWire(p wire.Procedure) facts.Procedure {
	code, _ := dossiers.NormalizeProcedure(p.MaTTHC.String())
	out := facts.Procedure{MaTTHC: code, Name: p.TenTTHC.String(), RequiresResult: true}
	switch strings.ToLower(strings.ReplaceAll(p.MucDo.String(), " ", "_")) {
	case "toan_trinh", "4":
		out.Level = "toan_trinh"
	case "mot_phan", "3":
		out.Level = "mot_phan"
	case "khong", "none", "2", "1":
		out.Level = "none"
	}
	if v := p.CoKetQua.String(); v == "0" || strings.EqualFold(v, "false") {
		out.RequiresResult = false
	}
	if n, err := strconv.Atoi(p.SoNgay.String()); err == nil && n >= 0 {
		out.MaxDays = &n
	}
	return out
}
