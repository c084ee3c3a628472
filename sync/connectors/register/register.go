// Package register is the `type: register-file` connector: it reads the
// document registers (sổ đăng ký văn bản đi / đến, and the separate secret
// register) exported as .xlsx or .csv files, and merges their rows with the
// archive and axis sightings of the same documents (architecture.md rule 4).
//
// Each file is one stream with checkpoint "size:mtime:sha256": an unchanged
// file is skipped. A changed file is read again: changed rows update their
// documents, rows missing from the new export are reported (register_rows,
// a warning in the log, `chiso status`), never deleted. Rows that cannot be
// read go to rejects naming the file, sheet, row and column.
package register

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	wire "chiso/adapters/register"
	"chiso/adapters/textnorm"
	"chiso/adapters/workbook"
	"chiso/mapping/registers"
	"chiso/sync/connector"
	"chiso/sync/connectors/filesource"
	"chiso/warehouse/facts"
)

// Type is the config type of this connector.
const Type = "register-file"

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

func init() {
	connector.Register(connector.Type{
		Name:            Type,
		Title:           "Sổ đăng ký văn bản đi / đến (`register-file`)",
		About:           "Đọc tệp xuất .xlsx hoặc .csv của sổ đăng ký văn bản đi, văn bản đến và sổ văn bản mật. Sổ là nguồn duy nhất thấy văn bản giấy và văn bản mật; thiếu sổ, tỷ lệ văn bản điện tử luôn là 100% (sai). Dòng tiêu đề được tìm theo tên cột; tên cơ quan được tra trong danh bạ (tên chưa có được liệt kê trong `chiso status`). Sổ mật (`secret_register: true`) chỉ lấy số lượng và khóa (số, ký hiệu, ngày): không lưu trích yếu, người ký, nơi nhận; dòng sai của sổ mật (và dòng có độ mật của sổ thường) chỉ giữ vị trí (tệp, trang tính, dòng, cột), lý do nêu tên cột mà không trích nội dung ô, và mã băm của dòng. Ô chứa byte NUL hoặc không phải UTF-8 làm dòng bị loại, nêu tên cột. Tệp .xlsx giải nén ra lớn hơn `max_unzipped_size` (bom zip) bị loại mà không đọc, và chỉ đọc lại khi tệp thay đổi.",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 1h",
		New:             func() connector.Connector { return New() },
	})
}

// Connector reads register files. Its exported fields are the YAML keys.
type Connector struct {
	Path           string              `yaml:"path"`
	Direction      string              `yaml:"direction"`
	Unit           string              `yaml:"unit"`
	Columns        map[string][]string `yaml:"columns"`
	Sheet          string              `yaml:"sheet"`
	Year           int                 `yaml:"year"`
	SecretRegister bool                `yaml:"secret_register"`
	MaxUnzipped    string              `yaml:"max_unzipped_size"`

	env         connector.Env
	maxUnzipped int64
}

// New returns a connector with its defaults.
func New() *Connector { return &Connector{} }

// Validate checks the settings statically (no file is opened).
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	if strings.TrimSpace(c.Path) == "" {
		errs = append(errs, connector.Errf("path", "required: a register file (.xlsx, .csv) or a folder of them"))
	} else if ext := filepath.Ext(c.Path); ext != "" && !wire.Supported(c.Path) {
		if st, err := os.Stat(c.resolve(env)); err != nil || !st.IsDir() {
			errs = append(errs, connector.Errf("path", "%q: want a .xlsx or .csv file, or a folder", c.Path))
		}
	}
	switch c.Direction {
	case "out", "in":
	case "":
		errs = append(errs, connector.Errf("direction", "required: out (sổ văn bản đi) or in (sổ văn bản đến)"))
	default:
		errs = append(errs, connector.Errf("direction", "%q: want out or in", c.Direction))
	}
	if _, err := connector.OurUnit(env, c.Unit); err != nil {
		errs = append(errs, err)
	}
	fields := map[string]bool{}
	for _, f := range wire.Fields() {
		fields[f] = true
	}
	for f, titles := range c.Columns {
		if !fields[f] {
			errs = append(errs, connector.Errf("columns."+f, "unknown field (known: %s)", strings.Join(wire.Fields(), ", ")))
			continue
		}
		if len(titles) == 0 {
			errs = append(errs, connector.Errf("columns."+f, "give at least one column title"))
		}
		for _, t := range titles {
			if textnorm.Key(t) == "" {
				errs = append(errs, connector.Errf("columns."+f, "empty column title"))
			}
		}
	}
	var err error
	if c.maxUnzipped, err = filesource.ParseSize(c.MaxUnzipped, workbook.DefaultMaxUnzipped); err != nil {
		errs = append(errs, connector.Errf("max_unzipped_size", "%v", err))
	}
	if c.Year != 0 && (c.Year < 1990 || c.Year > 2100) {
		errs = append(errs, connector.Errf("year", "%d: want a year like 2026", c.Year))
	}
	return errors.Join(errs...)
}

// SetEnv keeps the environment for Sync (connector.EnvSetter).
func (c *Connector) SetEnv(env connector.Env) { c.env = env }

func (c *Connector) resolve(env connector.Env) string {
	if filepath.IsAbs(c.Path) || env.BaseDir == "" {
		return filepath.Clean(c.Path)
	}
	return filepath.Join(env.BaseDir, c.Path)
}

func (c *Connector) unit() string {
	if c.Unit != "" {
		return strings.ToUpper(strings.TrimSpace(c.Unit))
	}
	return strings.ToUpper(c.env.Self)
}

// options are the read options of one file, named by its path relative to
// the connector's folder (rows, keys and errors use that name).
func (c *Connector) options(rel string) wire.Options {
	return wire.Options{Columns: c.Columns, Sheet: c.Sheet, Year: c.Year,
		Name: rel, Secret: c.SecretRegister, MaxUnzipped: c.maxUnzipped}
}

// source is the register file or folder: .xlsx and .csv files, hidden and
// lock files skipped.
func (c *Connector) source() *filesource.Source {
	return &filesource.Source{Root: c.resolve(c.env), SkipHidden: true, Accept: wire.Supported}
}

var errStop = errors.New("stop")

// Check opens every register file and finds its header; it writes nothing.
func (c *Connector) Check(ctx context.Context) error {
	var errs []error
	n := 0
	_, err := c.source().Walk(ctx, nil, func(e filesource.Entry) error {
		n++
		_, err := wire.Read(ctx, e.Abs, c.options(e.Rel), func(wire.Row, *wire.RowError) error { return errStop })
		if err != nil && !errors.Is(err, errStop) {
			errs = append(errs, err)
		}
		return nil
	}, func(p filesource.Problem) error {
		errs = append(errs, fmt.Errorf("register-file: %s", p.Reason))
		return nil
	})
	if err != nil {
		return fmt.Errorf("register-file: %w", err)
	}
	if n == 0 && len(errs) == 0 {
		return fmt.Errorf("register-file: %s: no .xlsx or .csv file", c.resolve(c.env))
	}
	return errors.Join(errs...)
}

// Sync reads the new and changed register files. A file that cannot be
// opened is rejected (no bytes) and tried again next run; one that cannot
// be read as a register (no header, broken workbook, a zip bomb) is
// rejected and checkpointed, so it is read again only once it changes.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	log := slog.Default().With("connector", c.env.Name, "type", Type)
	// A change of settings or of the org directory changes how rows map:
	// every file is then read again.
	fp := c.fingerprint()
	prevFP, _, err := sink.Checkpoint(ctx, "config")
	if err != nil {
		return err
	}
	force := prevFP != fp || c.env.Window != nil
	seen, err := sink.Checkpoints(ctx, filesource.StreamPrefix)
	if err != nil {
		return err
	}
	prev := maps.Clone(seen)
	_, err = c.source().Walk(ctx, prev, func(e filesource.Entry) error {
		delete(seen, e.Stream())
		return c.syncEntry(ctx, sink, log, e, force)
	}, func(p filesource.Problem) error {
		delete(seen, p.Stream())
		if p.Known {
			return nil
		}
		log.Warn("register entry not read", "file", p.Rel, "problem", p.Kind)
		sink.Fetched(1)
		if err := filesource.ReportProblem(ctx, sink, p); err != nil {
			return err
		}
		return sink.Flush(ctx)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("register-file: %w", err)
	}
	for stream := range seen {
		log.Warn("register file no longer present; its documents are kept", "file", strings.TrimPrefix(stream, filesource.StreamPrefix))
	}
	if c.env.Window == nil {
		if err := sink.SetCheckpoint(ctx, "config", fp); err != nil {
			return err
		}
	}
	return sink.Flush(ctx)
}

// syncEntry reads one register file when it is new or changed (or force),
// and moves its checkpoint (not in a backfill window).
func (c *Connector) syncEntry(ctx context.Context, sink connector.Sink, log *slog.Logger, e filesource.Entry, force bool) error {
	if !force && e.QuickMatch() {
		log.Debug("register unchanged", "file", e.Rel)
		return nil
	}
	sum, err := filesource.Hash(ctx, &e)
	switch {
	case errors.Is(err, filesource.ErrVanished):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		// Tried again next run: the checkpoint has no content hash.
		log.Warn("register file cannot be read", "file", e.Rel, "err", err)
		sink.Fetched(1)
		if err := sink.Reject(ctx, facts.Reject{SourceKey: e.Rel, Location: e.Rel, Reason: "register-file: " + err.Error()}); err != nil {
			return err
		}
		sum = filesource.Unreadable
	case !force && sum == e.PrevSHA():
		// Touched, same bytes: not read again.
	default:
		// The file is read again whole: the rejects of its last read (the
		// file's, its rows') go, and what is still bad is rejected again.
		if err := sink.ClearReject(ctx, e.Rel); err != nil {
			return err
		}
		if err := c.syncFile(ctx, sink, log, e); err != nil {
			if ctx.Err() != nil {
				return err
			}
			var se sinkError
			if errors.As(err, &se) {
				return se.err
			}
			// The file cannot be read as a register (no header, broken
			// workbook, missing sheet, a zip bomb): keep it in rejects and
			// go on; a new version of the file is read again. A secret
			// register keeps no bytes.
			log.Warn("register file rejected", "file", e.Rel, "err", err)
			rj := facts.Reject{SourceKey: e.Rel, Location: e.Rel, Reason: err.Error(), Hash: sum}
			if !c.SecretRegister {
				raw, note := filesource.Head(e, rawLimit)
				rj.Raw, rj.Reason = raw, rj.Reason+note
			}
			if rerr := sink.Reject(ctx, rj); rerr != nil {
				return rerr
			}
		}
	}
	if c.env.Window == nil {
		if err := sink.SetCheckpoint(ctx, e.Stream(), e.Checkpoint(sum)); err != nil {
			return err
		}
	}
	return sink.Flush(ctx)
}

// rawLimit is how much of a file that is not a readable register is kept
// in rejects (not for a secret register).
const rawLimit = 64 << 10

// sinkError marks a warehouse error (abort the run) apart from a reading
// error (reject the file and go on).
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }

func (e sinkError) Unwrap() error { return e.err }

// trackBatch is how many rows go to the warehouse's row tracking at once.
const trackBatch = 500

// fileStats counts what one file's read did.
type fileStats struct {
	rows, rejected, fresh, changed, unchanged, returned, duplicates, warnings int
}

// syncFile reads one register file into the open batch. Steps: each row
// (fileRead.row: reject, map, window, names, upsert, duplicate, track),
// then the file is closed (fileRead.close: rows missing from the new
// export, the names the directory does not know).
//
// Errors of the sink come back as sinkError; any other error means the file
// cannot be read as a register.
func (c *Connector) syncFile(ctx context.Context, sink connector.Sink, log *slog.Logger, e filesource.Entry) error {
	f := &fileRead{c: c, sink: sink, log: log, rel: e.Rel, keys: map[string]int{}, names: map[string]*facts.UnresolvedName{},
		cfg: registers.Config{Unit: c.unit(), Direction: c.Direction, SecretRegister: c.SecretRegister,
			Org: c.env.Org, Source: Type + ":" + c.env.Name, Names: registers.NewNameCache()}}
	h, err := wire.Read(ctx, e.Abs, c.options(e.Rel), func(row wire.Row, bad *wire.RowError) error {
		return f.row(ctx, row, bad)
	})
	if err == nil {
		err = f.track(ctx)
	}
	if err != nil {
		return err
	}
	if c.env.Window != nil {
		log.Info("register read (backfill window)", "file", f.rel, "rows", f.st.rows, "rejected", f.st.rejected)
		return nil
	}
	return f.close(ctx, h)
}

// fileRead is the state of one file's read.
type fileRead struct {
	c       *Connector
	sink    connector.Sink
	log     *slog.Logger
	rel     string
	cfg     registers.Config
	st      fileStats
	keys    map[string]int // doc key → first row, to spot a document registered twice
	names   map[string]*facts.UnresolvedName
	pending []facts.RegisterRow
}

func (f *fileRead) reject(ctx context.Context, bad *wire.RowError) error {
	f.st.rejected++
	if err := f.sink.Reject(ctx, rowReject(bad, f.c.SecretRegister)); err != nil {
		return sinkError{err}
	}
	return nil
}

// track hands the pending rows to the warehouse's row tracking.
func (f *fileRead) track(ctx context.Context) error {
	n, err := f.sink.TrackRegisterRows(ctx, f.pending)
	f.pending = f.pending[:0]
	f.st.fresh += n.New
	f.st.changed += n.Changed
	f.st.unchanged += n.Unchanged
	f.st.returned += n.Returned
	if err != nil {
		return sinkError{err}
	}
	return nil
}

// row reads one row: a bad row or one that does not map is rejected; a row
// outside the backfill window is passed over; otherwise its document is
// upserted and, unless it repeats a document of an earlier row, tracked.
func (f *fileRead) row(ctx context.Context, row wire.Row, bad *wire.RowError) error {
	f.sink.Fetched(1)
	f.st.rows++
	if bad != nil {
		return f.reject(ctx, bad)
	}
	res, err := registers.Map(row, f.cfg)
	if err != nil {
		var fe *registers.FieldError
		if !errors.As(err, &fe) {
			return err
		}
		return f.reject(ctx, mapError(f.rel, row, fe))
	}
	d := res.Document
	if outsideWindow(f.c.env.Window, d.EventOn) {
		return nil
	}
	f.noteNames(res)
	f.logWarnings(res, f.c.SecretRegister || row.Secret)
	if err := f.sink.UpsertDocument(ctx, d, res.Sighting); err != nil {
		return sinkError{err}
	}
	if first, dup := f.keys[d.DocKey]; dup {
		// The same document registered twice: both rows are sightings;
		// the first one is the row tracked for this file.
		f.st.duplicates++
		f.log.Warn("register row repeats a document", "row", res.Sighting.SourceKey, "first_row", first, "code", row.Code)
		return nil
	}
	f.keys[d.DocKey] = row.Line
	f.pending = append(f.pending, facts.RegisterRow{UnitCode: d.UnitCode, File: f.rel, Direction: d.Direction,
		DocKey: d.DocKey, Sheet: row.Sheet, Line: row.Line, Code: row.Code, RowHash: rowHash(row)})
	if len(f.pending) >= trackBatch {
		return f.track(ctx)
	}
	return nil
}

// mapError is the reject of a row the mapping refuses, naming the column
// by its title in the file.
func mapError(rel string, row wire.Row, fe *registers.FieldError) *wire.RowError {
	title := fe.Field
	if row.Header != nil && row.Header.Title(fe.Field) != "" {
		title = row.Header.Title(fe.Field)
	}
	return &wire.RowError{File: rel, Sheet: row.Sheet, Line: row.Line, Column: title, Field: fe.Field,
		Reason: fe.Reason, Raw: row.Raw, Secret: row.Secret}
}

// outsideWindow: a backfill reads only the rows whose date falls in its
// window (both ends are whole Vietnam days).
func outsideWindow(w *connector.Window, eventOn *time.Time) bool {
	return w != nil && eventOn != nil && (eventOn.Before(w.From) || eventOn.After(w.To.Add(24*time.Hour-time.Nanosecond)))
}

// noteNames counts the rows of each name the directory does not resolve.
func (f *fileRead) noteNames(res registers.Result) {
	for _, n := range res.Unresolved {
		k := n.Role + "\x00" + n.Key
		if u, ok := f.names[k]; ok {
			u.Rows++
		} else {
			f.names[k] = &facts.UnresolvedName{Role: n.Role, NameKey: n.Key, Name: n.Name, Rows: 1, Example: res.Sighting.SourceKey}
		}
	}
}

func (f *fileRead) logWarnings(res registers.Result, secret bool) {
	if len(res.Warnings) == 0 {
		return
	}
	f.st.warnings++
	if secret {
		// A warning may quote the subject: only counted.
		f.log.Debug("register row", "row", res.Sighting.SourceKey, "warnings", len(res.Warnings))
	} else {
		f.log.Debug("register row", "row", res.Sighting.SourceKey, "warnings", res.Warnings)
	}
}

// close ends a full read of the file: rows missing from the new export are
// logged (their documents are kept), the unresolved names are stored.
func (f *fileRead) close(ctx context.Context, h *wire.Header) error {
	removed, err := f.sink.CloseRegisterFile(ctx, f.rel)
	if err != nil {
		return sinkError{err}
	}
	for i, r := range removed {
		if i == 20 {
			f.log.Warn("more register rows missing from the new export", "file", f.rel, "count", len(removed)-i)
			break
		}
		f.log.Warn("register row missing from the new export; its document is kept", "file", f.rel, "code", r.Code, "last_row", r.Line, "doc_key", r.DocKey)
	}
	list := sortedNames(f.names)
	if err := f.sink.SetUnresolvedNames(ctx, f.rel, list); err != nil {
		return sinkError{err}
	}
	if len(list) > 0 {
		f.log.Warn("register uses agency names the org directory does not know; add them as names or aliases", "file", f.rel, "names", len(list))
	}
	st := f.st
	f.log.Info("register read", "file", f.rel, "sheet", h.Sheet, "header_row", h.Line, "rows", st.rows, "new", st.fresh,
		"changed", st.changed, "unchanged", st.unchanged, "returned", st.returned, "removed", len(removed),
		"rejected", st.rejected, "duplicates", st.duplicates, "warnings", st.warnings)
	return nil
}

// sortedNames lists the unresolved names by role and key.
func sortedNames(names map[string]*facts.UnresolvedName) []facts.UnresolvedName {
	list := make([]facts.UnresolvedName, 0, len(names))
	for _, n := range names {
		list = append(list, *n)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Role+list[i].NameKey < list[j].Role+list[j].NameKey })
	return list
}

// rowReject is the reject of a bad row: keyed by its place in the file
// (re-reading the same file converges on one reject per row, two rows never
// share one), with its location, the field at fault and the hash of the
// row's cells. A row of the secret register, or one marked secret, keeps no
// bytes (its reason quotes no cell: wire.Options.Secret).
func rowReject(bad *wire.RowError, secretRegister bool) facts.Reject {
	rj := facts.Reject{SourceKey: bad.SourceKey(""), Location: bad.Location(), Field: bad.Field, Reason: bad.Error(), Raw: bad.Raw}
	if len(bad.Raw) > 0 {
		sum := sha256.Sum256(bad.Raw)
		rj.Hash = hex.EncodeToString(sum[:])
	}
	if secretRegister || bad.Secret {
		rj.Raw = nil
	}
	return rj
}

// rowHash identifies a row's content, to tell changed rows from unchanged.
func rowHash(r wire.Row) string {
	h := sha256.New()
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format("2006-01-02")
	}
	for _, s := range []string{r.Code, day(r.IssuedOn), day(r.ReceivedOn), r.ArrivalNumber, r.Issuer, r.TypeSubject,
		r.DocType, strings.Join(r.Recipients, ";"), r.Signer, r.Secrecy, r.Medium, r.Notes} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprint is a hash of everything that changes how rows map.
func (c *Connector) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "v1|%s|%s|%s|%d|%v|", c.Direction, c.unit(), c.Sheet, c.Year, c.SecretRegister)
	fields := make([]string, 0, len(c.Columns))
	for f := range c.Columns {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		fmt.Fprintf(h, "%s=%q|", f, c.Columns[f])
	}
	if c.env.Org != nil {
		for _, u := range c.env.Org.Units {
			fmt.Fprintf(h, "%s|%s|%s|%s|%q|", u.Code, u.Name, u.Relation, u.MergedInto, u.Aliases)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
