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
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	wire "chiso/adapters/register"
	"chiso/mapping/registers"
	"chiso/mapping/textnorm"
	"chiso/sync/connector"
	"chiso/warehouse"
)

// Type is the config type of this connector.
const Type = "register-file"

// SampleConfig documents every key of the connector.
const SampleConfig = `
  - name: so-van-ban-di
    type: register-file
    schedule: "@every 1h"
    path: registers/di            # a file (.xlsx, .csv) or a folder of them
    direction: out                # out: sổ văn bản đi | in: sổ văn bản đến
    unit: "000.25.31.H99"         # our unit keeping the register; default org.self
    sheet: ""                     # worksheet of .xlsx files; default the first
    year: 0                       # completes dates written without a year ("20/11")
    secret_register: false        # true for the secret register: counts only, own number series
    columns:                      # optional: titles of some fields, replacing the defaults
      code: ["Số, ký hiệu văn bản"]
`

func init() {
	connector.Register(Type, func() connector.Connector { return New() })
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

	env connector.Env
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

func (c *Connector) options() wire.Options {
	return wire.Options{Columns: c.Columns, Sheet: c.Sheet, Year: c.Year, Key: textnorm.Key}
}

// files lists the register files under the path (sorted), and the base that
// source keys are relative to.
func (c *Connector) files() (base string, files []string, err error) {
	root := c.resolve(c.env)
	st, err := os.Stat(root)
	if err != nil {
		return "", nil, fmt.Errorf("register-file: %w", err)
	}
	if !st.IsDir() {
		return filepath.Dir(root), []string{root}, nil
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && wire.Supported(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("register-file: %s: %w", root, err)
	}
	sort.Strings(files)
	return root, files, nil
}

var errStop = errors.New("stop")

// Check opens every register file and finds its header; it writes nothing.
func (c *Connector) Check(ctx context.Context) error {
	base, files, err := c.files()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("register-file: %s: no .xlsx or .csv file", base)
	}
	var errs []error
	for _, f := range files {
		_, err := wire.Read(ctx, f, c.options(), func(wire.Row, *wire.RowError) error { return errStop })
		if err != nil && !errors.Is(err, errStop) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tracker is what the connector needs of the sink beyond connector.Sink:
// the register-row bookkeeping of warehouse/store_registers.go, written in
// the run's open batch. *warehouse.Run implements it.
type tracker interface {
	TrackRegisterRows(ctx context.Context, rows []warehouse.RegisterRow) (warehouse.RowCounts, error)
	CloseRegisterFile(ctx context.Context, file string) ([]warehouse.RegisterRow, error)
	SetUnresolvedNames(ctx context.Context, file string, names []warehouse.UnresolvedName) error
}

// Sync reads the new and changed register files.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	tr, ok := sink.(tracker)
	if !ok {
		return fmt.Errorf("register-file: the sink %T cannot track register rows", sink)
	}
	log := slog.Default().With("connector", c.env.Name, "type", Type)
	base, files, err := c.files()
	if err != nil {
		return err
	}
	// A change of settings or of the org directory changes how rows map:
	// every file is then read again.
	fp := c.fingerprint()
	prevFP, _, err := sink.Checkpoint(ctx, "config")
	if err != nil {
		return err
	}
	force := prevFP != fp || c.env.Window != nil
	seen, err := sink.Checkpoints(ctx, "file:")
	if err != nil {
		return err
	}
	var failed []error
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := relName(base, f)
		stream := "file:" + rel
		delete(seen, stream)
		cp, err := fileCheckpoint(f)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if prev, ok, err := sink.Checkpoint(ctx, stream); err != nil {
			return err
		} else if ok && !force && sameContent(prev, cp) {
			log.Debug("register unchanged", "file", rel)
			continue
		}
		if err := c.syncFile(ctx, sink, tr, log, base, f, rel); err != nil {
			if ctx.Err() != nil {
				return err
			}
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
				failed = append(failed, err)
				continue
			}
			// The file cannot be read as a register (no header, broken
			// workbook, missing sheet): keep it in rejects with its first
			// bytes and go on; a new version of the file is read again.
			log.Warn("register file rejected", "file", rel, "err", err)
			if rerr := sink.Reject(ctx, warehouse.Reject{SourceKey: rel, Reason: err.Error(), Raw: head(f)}); rerr != nil {
				return rerr
			}
		}
		if c.env.Window == nil {
			if err := sink.SetCheckpoint(ctx, stream, cp); err != nil {
				return err
			}
		}
		if err := sink.Flush(ctx); err != nil {
			return err
		}
	}
	for stream := range seen {
		log.Warn("register file no longer present; its documents are kept", "file", strings.TrimPrefix(stream, "file:"))
	}
	if c.env.Window == nil {
		if err := sink.SetCheckpoint(ctx, "config", fp); err != nil {
			return err
		}
	}
	if err := sink.Flush(ctx); err != nil {
		return err
	}
	return errors.Join(failed...)
}

// trackBatch is how many rows go to the warehouse's row tracking at once.
const trackBatch = 500

// fileStats counts what one file's read did.
type fileStats struct {
	rows, rejected, fresh, changed, unchanged, returned, duplicates, warnings int
}

// syncFile reads one register file into the open batch.
func (c *Connector) syncFile(ctx context.Context, sink connector.Sink, tr tracker, log *slog.Logger, base, path, rel string) error {
	cfg := registers.Config{Unit: c.unit(), Direction: c.Direction, SecretRegister: c.SecretRegister,
		Org: c.env.Org, Source: Type + ":" + c.env.Name, Base: base, Names: registers.NewNameCache()}
	var st fileStats
	keys := map[string]int{} // doc key → first row, to spot a document registered twice
	names := map[string]*warehouse.UnresolvedName{}
	reject := func(key, reason string, raw []byte) error {
		st.rejected++
		return sink.Reject(ctx, warehouse.Reject{SourceKey: key, Reason: reason, Raw: raw})
	}
	var pending []warehouse.RegisterRow
	track := func() error {
		n, err := tr.TrackRegisterRows(ctx, pending)
		pending = pending[:0]
		st.fresh += n.New
		st.changed += n.Changed
		st.unchanged += n.Unchanged
		st.returned += n.Returned
		return err
	}
	h, err := wire.Read(ctx, path, c.options(), func(row wire.Row, bad *wire.RowError) error {
		sink.Fetched(1)
		st.rows++
		if bad != nil {
			bad.File = rel
			return reject(bad.SourceKey(""), bad.Error(), bad.Raw)
		}
		res, err := registers.Map(row, cfg)
		if err != nil {
			var fe *registers.FieldError
			if !errors.As(err, &fe) {
				return err
			}
			title := fe.Field
			if row.Header != nil && row.Header.Title(fe.Field) != "" {
				title = row.Header.Title(fe.Field)
			}
			re := &wire.RowError{File: rel, Sheet: row.Sheet, Line: row.Line, Column: title, Field: fe.Field, Reason: fe.Reason}
			return reject(re.SourceKey(""), re.Error(), row.Raw)
		}
		d := res.Document
		if w := c.env.Window; w != nil && d.EventOn != nil && (d.EventOn.Before(w.From) || d.EventOn.After(w.To.Add(24*time.Hour-time.Nanosecond))) {
			return nil
		}
		for _, n := range res.Unresolved {
			k := n.Role + "\x00" + n.Key
			if u, ok := names[k]; ok {
				u.Rows++
			} else {
				names[k] = &warehouse.UnresolvedName{Role: n.Role, NameKey: n.Key, Name: n.Name, Rows: 1, Example: res.Sighting.SourceKey}
			}
		}
		if len(res.Warnings) > 0 {
			st.warnings++
			log.Debug("register row", "row", res.Sighting.SourceKey, "warnings", res.Warnings)
		}
		if err := sink.UpsertDocument(ctx, d, res.Sighting); err != nil {
			return err
		}
		if first, dup := keys[d.DocKey]; dup {
			// The same document registered twice: both rows are sightings;
			// the first one is the row tracked for this file.
			st.duplicates++
			log.Warn("register row repeats a document", "row", res.Sighting.SourceKey, "first_row", first, "code", row.Code)
			return nil
		}
		keys[d.DocKey] = row.Line
		pending = append(pending, warehouse.RegisterRow{UnitCode: d.UnitCode, File: rel, Direction: d.Direction,
			DocKey: d.DocKey, Sheet: row.Sheet, Line: row.Line, Code: row.Code, RowHash: rowHash(row)})
		if len(pending) >= trackBatch {
			return track()
		}
		return nil
	})
	if err == nil {
		err = track()
	}
	if err != nil {
		return err
	}
	if c.env.Window != nil {
		log.Info("register read (backfill window)", "file", rel, "rows", st.rows, "rejected", st.rejected)
		return nil
	}
	removed, err := tr.CloseRegisterFile(ctx, rel)
	if err != nil {
		return err
	}
	for i, r := range removed {
		if i == 20 {
			log.Warn("more register rows missing from the new export", "file", rel, "count", len(removed)-i)
			break
		}
		log.Warn("register row missing from the new export; its document is kept", "file", rel, "code", r.Code, "last_row", r.Line, "doc_key", r.DocKey)
	}
	list := make([]warehouse.UnresolvedName, 0, len(names))
	for _, n := range names {
		list = append(list, *n)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Role+list[i].NameKey < list[j].Role+list[j].NameKey })
	if err := tr.SetUnresolvedNames(ctx, rel, list); err != nil {
		return err
	}
	if len(list) > 0 {
		log.Warn("register uses agency names the org directory does not know; add them as names or aliases", "file", rel, "names", len(list))
	}
	log.Info("register read", "file", rel, "sheet", h.Sheet, "header_row", h.Line, "rows", st.rows, "new", st.fresh,
		"changed", st.changed, "unchanged", st.unchanged, "returned", st.returned, "removed", len(removed),
		"rejected", st.rejected, "duplicates", st.duplicates, "warnings", st.warnings)
	return nil
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

// fileCheckpoint is "size:mtime:sha256" of a file, hashed in a stream.
func fileCheckpoint(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("register-file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("register-file: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("register-file: %s: %w", path, err)
	}
	return fmt.Sprintf("%d:%d:%s", st.Size(), st.ModTime().Unix(), hex.EncodeToString(h.Sum(nil))), nil
}

// sameContent compares the size and hash of two checkpoints (a touched file
// with the same bytes is not read again).
func sameContent(a, b string) bool {
	pa, pb := strings.Split(a, ":"), strings.Split(b, ":")
	return len(pa) == 3 && len(pb) == 3 && pa[0] == pb[0] && pa[2] == pb[2]
}

func relName(base, path string) string {
	if rel, err := filepath.Rel(base, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

// head returns the first 64 KiB of a file, for the reject of a file that
// cannot be read as a register.
func head(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return b
}
