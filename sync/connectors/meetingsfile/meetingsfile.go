// Package meetingsfile is the `type: meetings-file` connector: the meetings
// of offices without a calendar system, kept in a CSV or XLSX file (or a
// folder of them) with the columns of registers-meetings.md §2.
package meetingsfile

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
	mapping "chiso/mapping/meetings"
	"chiso/sync/connector"
	"chiso/sync/connectors/filesource"
	"chiso/warehouse/facts"
)

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

// Connector is the meetings-file connector.
type Connector struct {
	Path  string `yaml:"path"`
	Sheet string `yaml:"sheet"`
	Unit  string `yaml:"unit"`

	env connector.Env
}

func init() {
	connector.Register(connector.Type{
		Name:            "meetings-file",
		Title:           "Bảng kê cuộc họp (`meetings-file`)",
		About:           "Cho cơ quan chưa có hệ thống lịch: bảng .csv/.xlsx với các cột `ma, tieu_de, loai, pham_vi, bat_dau, ket_thuc, truc_tuyen, khong_giay, huy, vai_tro, don_vi, gui_tai_lieu, phut_thao_luan` (xem docs/lich-hop.md). Chỉ đọc các tệp nằm ngay trong thư mục (không đọc thư mục con). Tệp không đọc được như một bảng kê (thiếu dòng tiêu đề, tệp hỏng, bom zip) được ghi vào `rejects`, các tệp khác vẫn được nạp và lần chạy đó không đánh dấu cuộc họp nào là đã xóa.",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 1h",
		New:             func() connector.Connector { return New() },
	})
}

// New returns a connector with its defaults.
func New() *Connector { return &Connector{} }

// Validate checks the keys; it does not read the file (it may appear later).
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, connector.Errf("path", "required: a .csv/.xlsx meetings file or a folder of them"))
	} else {
		if !filepath.IsAbs(c.Path) && env.BaseDir != "" {
			c.Path = filepath.Join(env.BaseDir, c.Path)
		}
		if ext := strings.ToLower(filepath.Ext(c.Path)); ext != "" && !supported(c.Path) {
			if st, err := os.Stat(c.Path); err != nil || !st.IsDir() {
				errs = append(errs, connector.Errf("path", "%s: want a .csv or .xlsx file, or a folder", c.Path))
			}
		}
	}
	unit, err := connector.OurUnit(env, c.Unit)
	c.Unit = unit
	if err != nil {
		errs = append(errs, err)
	}
	c.env = env
	return errors.Join(errs...)
}

// SetEnv keeps the environment for Sync.
func (c *Connector) SetEnv(env connector.Env) { c.env = env }

func supported(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".xlsx", ".xlsm":
		base := filepath.Base(name)
		return !strings.HasPrefix(base, "~$") && !strings.HasPrefix(base, ".")
	}
	return false
}

// source is the file, or the files directly in the folder (not its
// sub-folders); hidden and lock files skipped.
func (c *Connector) source() *filesource.Source {
	return &filesource.Source{Root: c.Path, Flat: true, SkipHidden: true, Accept: supported}
}

// files lists the meetings files in order, and the entries of the folder
// that are not read (links out of it, link loops, dangling links).
func (c *Connector) files(ctx context.Context, prev map[string]string) ([]filesource.Entry, []filesource.Problem, error) {
	var files []filesource.Entry
	var problems []filesource.Problem
	_, err := c.source().Walk(ctx, prev, func(e filesource.Entry) error { files = append(files, e); return nil },
		func(p filesource.Problem) error { problems = append(problems, p); return nil })
	if err != nil {
		return nil, nil, fmt.Errorf("meetings-file: %w", err)
	}
	return files, problems, nil
}

// Check reads the files and reports the first one that cannot be read.
func (c *Connector) Check(ctx context.Context) error {
	files, problems, err := c.files(ctx, nil)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("meetings-file: %s", problems[0].Reason)
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, _, err := wire.ReadFileAs(f.Abs, f.Rel, c.Sheet, c.loc()); err != nil {
			return err
		}
	}
	return nil
}

func (c *Connector) loc() *time.Location {
	if c.env.Location != nil {
		return c.env.Location
	}
	return vntime.Location
}

const stream = "files"

// rawLimit is how much of a file that is not a readable meetings file is
// kept in rejects.
const rawLimit = 64 << 10

// fingerprint hashes the names and contents of the files. A file that
// cannot be read fails the run (and is tried again next run): its meetings
// must not be marked deleted.
// It returns the digest and the content hash of each file.
func fingerprint(ctx context.Context, files []filesource.Entry) (string, []string, error) {
	h := sha256.New()
	sums := make([]string, len(files))
	for i := range files {
		sum, err := filesource.Hash(ctx, &files[i])
		if err != nil {
			return "", nil, fmt.Errorf("meetings-file: %w", err)
		}
		sums[i] = sum
		fmt.Fprintf(h, "%s\x00%s\n", files[i].Rel, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), sums, nil
}

// Sync reloads every file when any changed: the files are the whole list,
// so a meeting no longer in them is marked deleted with this run. Steps:
// list the files (reporting entries not read), skip the run when their
// fingerprint is the checkpoint's, load each file, then reconcile.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	log := slog.With("connector", c.env.Name, "path", c.Path)
	prev, err := sink.Checkpoints(ctx, filesource.StreamPrefix)
	if err != nil {
		return fmt.Errorf("meetings-file: checkpoints: %w", err)
	}
	files, problems, err := c.files(ctx, prev)
	if err != nil {
		return err
	}
	if err := reportProblems(ctx, sink, problems, log); err != nil {
		return err
	}
	digest, sums, err := fingerprint(ctx, files)
	if err != nil {
		return err
	}
	if prev, ok, err := sink.Checkpoint(ctx, stream); err != nil {
		return fmt.Errorf("meetings-file: checkpoint: %w", err)
	} else if ok && prev == digest {
		log.Debug("meetings files unchanged")
		return sink.Flush(ctx)
	}
	l := &load{sink: sink, log: log, seen: map[string]string{}, sheet: c.Sheet, loc: c.loc(),
		opt: mapping.Options{Source: c.env.Name, Unit: c.Unit, Self: c.env.Self, Org: c.env.Org, Location: c.loc()}}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.file(ctx, f, sums[i]); err != nil {
			return err
		}
	}
	return l.finish(ctx, c.env.Name, len(files), digest)
}

// reportProblems rejects the entries of the folder not read (new ones).
func reportProblems(ctx context.Context, sink connector.Sink, problems []filesource.Problem, log *slog.Logger) error {
	for _, p := range problems {
		if p.Known {
			continue
		}
		log.Warn("meetings-file: entry not read", "file", p.Rel, "problem", p.Kind)
		sink.Fetched(1)
		if err := filesource.ReportProblem(ctx, sink, p); err != nil {
			return err
		}
	}
	return nil
}

// load is the state of one reload of the files.
type load struct {
	sink                         connector.Sink
	log                          *slog.Logger
	opt                          mapping.Options
	sheet                        string
	loc                          *time.Location
	seen                         map[string]string // ma -> file#row
	spare                        []string          // codes of bad rows: their meetings are not deleted
	loaded, rejected, unreadable int
}

// reject keeps a bad row, keyed by its place in the file (relative path
// and row): re-reading the same file converges, two rows never share a
// reject.
func (l *load) reject(ctx context.Context, key, field, reason string, raw []byte) error {
	l.rejected++
	loc := key
	if field != "" {
		loc += ", column " + field
	}
	return l.sink.Reject(ctx, facts.Reject{SourceKey: key, Location: loc, Field: field, Reason: reason, Raw: raw})
}

// file reads one file again whole: the rejects of its last read (the
// file's, its rows') go, and what is still bad is rejected again. A file
// that is not a readable meetings file (no header, a broken workbook, a
// zip bomb) is rejected with its first bytes, and read again once the
// files change; its meetings are unknown, so none is marked deleted.
func (l *load) file(ctx context.Context, f filesource.Entry, sum string) error {
	if err := l.sink.ClearReject(ctx, f.Rel); err != nil {
		return err
	}
	rows, bad, err := wire.ReadFileAs(f.Abs, f.Rel, l.sheet, l.loc)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.log.Warn("meetings file rejected; no meeting is marked deleted this run", "file", f.Rel, "err", err)
		l.sink.Fetched(1)
		raw, note := filesource.Head(f, rawLimit)
		l.rejected++
		if err := l.sink.Reject(ctx, facts.Reject{SourceKey: f.Rel, Location: f.Rel, Reason: err.Error() + note, Hash: sum, Raw: raw}); err != nil {
			return err
		}
		l.unreadable++
		return nil
	}
	l.sink.Fetched(len(rows) + len(bad))
	for _, b := range bad {
		if b.Ma != "" {
			l.spare = append(l.spare, b.Ma)
		}
		if err := l.reject(ctx, b.SourceKey(), b.Column, b.Error(), b.Raw); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := l.row(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// row maps and stores one row; a row that does not map, or whose code is
// already used by an earlier row, is rejected.
func (l *load) row(ctx context.Context, r wire.FileRow) error {
	m, err := mapping.FromRow(r, l.opt)
	if err != nil {
		l.spare = append(l.spare, r.Ma)
		return l.reject(ctx, r.SourceKey(), "", fmt.Sprintf("%s: row %d: %v", r.File, r.Row, err), r.Raw)
	}
	if first, dup := l.seen[r.Ma]; dup {
		return l.reject(ctx, r.SourceKey(), "ma", fmt.Sprintf("%s: row %d: column ma: %q is already used at %s", r.File, r.Row, r.Ma, first), r.Raw)
	}
	l.seen[r.Ma] = r.SourceKey()
	if err := l.sink.UpsertMeeting(ctx, m); err != nil {
		return err
	}
	l.loaded++
	return nil
}

// finish marks deleted the meetings no longer in the files (not when a
// file was unreadable, nor those of bad rows), moves the checkpoint and
// flushes.
func (l *load) finish(ctx context.Context, source string, files int, digest string) error {
	if l.unreadable > 0 {
		if err := l.sink.SetCheckpoint(ctx, stream, digest); err != nil {
			return err
		}
		if err := l.sink.Flush(ctx); err != nil {
			return err
		}
		l.log.Info("meetings file synced", "files", files, "meetings", l.loaded, "rejected", l.rejected, "files_rejected", l.unreadable)
		return nil
	}
	deleted, restored, err := l.sink.ReconcileMeetings(ctx, source, time.Time{}, time.Time{}, l.spare)
	if err != nil {
		return err
	}
	if err := l.sink.SetCheckpoint(ctx, stream, digest); err != nil {
		return err
	}
	if err := l.sink.Flush(ctx); err != nil {
		return err
	}
	l.log.Info("meetings file synced", "files", files, "meetings", l.loaded, "rejected", l.rejected, "deleted", deleted, "restored", restored)
	return nil
}
