// Package dvcdir is the `type: dvc-dir` connector: a folder of dossier
// records exported as JSON files (each a national envelope, a bare array or
// one record, dvc.md §2.3). Each file is one stream "file:<relpath>" with
// the checkpoint "size:mtime:sha256": an unchanged file is skipped without
// reading it, a touched but identical one only moves its checkpoint, a
// changed one is read again (upserts converge). A record that does not map
// is rejected alone: its allow-listed members only, the hash of its bytes
// and its byte offset in the file, keyed "<relpath>#MaHoSo:<code>:sha256:<hash>"
// (or "<relpath>#sha256:<hash>" without a readable MaHoSo). A file that is
// not a readable payload keeps its location, hash and reason only, keyed
// by its path.
package dvcdir

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	wire "chiso/adapters/dvc"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/sync/connectors/filesource"
	"chiso/warehouse/facts"
)

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

// Connector is the dvc-dir connector.
type Connector struct {
	Path string `yaml:"path"`
	Unit string `yaml:"unit"`
	// ByCode puts each record in the unit its codes name (MaHoSo's agency
	// code, else DonViXuLy; dossiers.UnitByCode), which must be Unit or
	// under it: one export covering many communes. A record whose codes
	// name no unit of the tree is rejected.
	ByCode bool `yaml:"by_code"`

	env connector.Env
	log *slog.Logger
}

func init() {
	connector.Register(connector.Type{
		Name:            "dvc-dir",
		Title:           "Thư mục tệp JSON hồ sơ xuất từ cổng (`dvc-dir`)",
		About:           "Đọc các tệp JSON hồ sơ (gói đồng bộ quốc gia, mảng bản ghi hoặc một bản ghi) mà hệ thống một cửa xuất ra. Không bao giờ sửa tệp; hồ sơ sai được ghi vào `rejects` với vị trí (byte) trong tệp và mã băm, không kèm thông tin cá nhân (docs/du-lieu-ca-nhan.md).",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 1h",
		New:             func() connector.Connector { return New() },
	})
}

// New returns a connector with the defaults set.
func New() *Connector { return &Connector{log: slog.Default()} }

// SetLogger sets the logger.
func (c *Connector) SetLogger(l *slog.Logger) { c.log = l }

// Validate checks the keys; no I/O but a stat of the folder.
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, connector.Errf("path", "required: the folder of exported dossier files"))
	} else if !filepath.IsAbs(c.Path) && env.BaseDir != "" {
		c.Path = filepath.Join(env.BaseDir, c.Path)
	}
	unit, err := connector.OurUnit(env, c.Unit)
	c.Unit = unit
	if err != nil {
		errs = append(errs, err)
	}
	if err := connector.CheckByCode(env, c.ByCode); err != nil {
		errs = append(errs, err)
	}
	c.env = env
	return errors.Join(errs...)
}

// SetEnv keeps the environment for Sync.
func (c *Connector) SetEnv(env connector.Env) { c.env = env }

// Check lists the folder; it writes nothing.
func (c *Connector) Check(ctx context.Context) error {
	n := 0
	if _, err := c.source().Walk(ctx, nil, func(filesource.Entry) error { n++; return nil },
		func(filesource.Problem) error { return nil }); err != nil {
		return fmt.Errorf("dvc-dir: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("dvc-dir: %s: no .json file", c.Path)
	}
	return nil
}

// source is the folder: *.json files, hidden files and folders skipped.
func (c *Connector) source() *filesource.Source {
	return &filesource.Source{Root: c.Path, SkipHidden: true,
		Accept: func(name string) bool { return strings.EqualFold(filepath.Ext(name), ".json") }}
}

// Sync reads the files that changed since their checkpoint, one commit per
// file. A file that cannot be opened is rejected (without bytes) and tried
// again next run; entries that are not read (links out of the folder, link
// loops, dangling links) are rejected once.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	seen, err := sink.Checkpoints(ctx, filesource.StreamPrefix)
	if err != nil {
		return err
	}
	name := c.env.Name
	if name == "" {
		name = "dvc-dir"
	}
	// One writer for the run: a record read twice (two copies of a file)
	// is rejected once.
	w := dvcconn.NewWriter(sink, c.Unit, name, c.log)
	if c.ByCode {
		w.RouteByCode(c.env.Org)
	}
	_, err = c.source().Walk(ctx, seen, func(e filesource.Entry) error {
		if e.QuickMatch() {
			return nil
		}
		return c.syncEntry(ctx, w, name, e)
	}, func(p filesource.Problem) error {
		if p.Known {
			return nil
		}
		c.log.Warn("dvc-dir: entry not read", "connector", name, "file", p.Rel, "problem", p.Kind)
		sink.Fetched(1)
		if err := filesource.ReportProblem(ctx, sink, p); err != nil {
			return err
		}
		return sink.Flush(ctx)
	})
	if err != nil {
		return fmt.Errorf("dvc-dir: %s: %w", c.Path, err)
	}
	return nil
}

// syncEntry reads one new or changed file and moves its checkpoint.
func (c *Connector) syncEntry(ctx context.Context, w *dvcconn.Writer, name string, e filesource.Entry) error {
	sink := w.Sink
	sum, err := filesource.Hash(ctx, &e)
	switch {
	case errors.Is(err, filesource.ErrVanished):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		// Tried again next run: the checkpoint has no content hash.
		c.log.Warn("dvc-dir: file cannot be read", "connector", name, "file", e.Rel, "err", err)
		sink.Fetched(1)
		if err := sink.Reject(ctx, facts.Reject{SourceKey: e.Rel, Location: e.Rel, Reason: err.Error()}); err != nil {
			return err
		}
		sum = filesource.Unreadable
	case sum == e.PrevSHA():
		// Touched, same content: only the checkpoint moves.
	default:
		// The file is read whole again: what it rejected before is rejected
		// again if still bad, and a record fixed since leaves no reject.
		if err := sink.ClearReject(ctx, e.Rel); err != nil {
			return err
		}
		if err := c.readFile(ctx, w, e.Abs, e.Rel, sum); err != nil {
			return err
		}
	}
	if err := sink.SetCheckpoint(ctx, e.Stream(), e.Checkpoint(sum)); err != nil {
		return err
	}
	return sink.Flush(ctx)
}

// readFile maps and writes the records of one file (sum: the SHA-256 of
// its bytes). A record that does not map is rejected alone, keyed by the
// file and the record (see dvc.NewReject) and located by its byte offset;
// the file is never changed.
func (c *Connector) readFile(ctx context.Context, w *dvcconn.Writer, path, rel, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dvc-dir: %s: %w", path, err)
	}
	defer f.Close()
	n := 0
	_, perr := wire.DecodeItems(f, func(it wire.Item) error {
		n++
		res, err := w.Map(it.Raw, rel, nil)
		if err != nil {
			loc := fmt.Sprintf("%s at byte %d, %d bytes (record %d)", rel, it.Offset, len(it.Raw), it.Index)
			err = w.Reject(ctx, dvcconn.NewReject(it.Raw, loc, rel+"#", false, fmt.Errorf("%s: record %d: %w", rel, it.Index, err)))
		} else {
			err = w.Add(ctx, res)
		}
		if err != nil {
			return sinkError{err}
		}
		return nil
	})
	w.Sink.Fetched(n)
	if err := w.Write(ctx); err != nil {
		return err
	}
	if perr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se sinkError
		if errors.As(perr, &se) {
			return se.err
		}
		// The file is not a readable payload past some point: its location,
		// hash and the reason are kept, none of its bytes (the records read
		// before are stored; the file itself stays as it is).
		loc := rel
		var pe *wire.PayloadError
		if errors.As(perr, &pe) {
			loc = fmt.Sprintf("%s at byte %d", rel, pe.Offset)
		}
		return w.Reject(ctx, dvcconn.NewPayloadReject(rel, loc, sum, fmt.Errorf("%s: %w (%d record(s) read before)", rel, perr, n)))
	}
	return nil
}

// sinkError marks a warehouse error (abort the run) apart from a payload
// error (keep the file in rejects and go on).
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }
