// Package dvcdir is the `type: dvc-dir` connector: a folder of dossier
// records exported as JSON files (each a national envelope, a bare array or
// one record, dvc.md §2.3). Each file is one stream "file:<relpath>" with
// the checkpoint "size:mtime:sha256": an unchanged file is skipped without
// reading it, a touched but identical one only moves its checkpoint, a
// changed one is read again (upserts converge). Records that do not map go
// to rejects with their raw bytes, keyed "<relpath>#<index>".
package dvcdir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	wire "chiso/adapters/dvc"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/sync/connectors/filesource"
	"chiso/warehouse"
)

// SampleConfig documents every key of the connector.
const SampleConfig = `
  - name: dvc-export
    type: dvc-dir
    schedule: "@every 1h"
    path: /srv/dvc-export          # folder of .json files (sub-folders included)
    unit: "000.25.31.H99"          # unit_code of the dossiers; default org.self
`

// maxRejectBytes bounds the raw bytes kept for a file that is not JSON.
const maxRejectBytes = 8 << 20

// Connector is the dvc-dir connector.
type Connector struct {
	Path string `yaml:"path"`
	Unit string `yaml:"unit"`

	env connector.Env
	log *slog.Logger
}

func init() {
	connector.Register("dvc-dir", func() connector.Connector { return New() })
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
	_, err = c.source().Walk(ctx, seen, func(e filesource.Entry) error {
		if e.QuickMatch() {
			return nil
		}
		return c.syncEntry(ctx, sink, name, e)
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
func (c *Connector) syncEntry(ctx context.Context, sink connector.Sink, name string, e filesource.Entry) error {
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
		if err := sink.Reject(ctx, warehouse.Reject{SourceKey: e.Rel, Location: e.Rel, Reason: err.Error()}); err != nil {
			return err
		}
		sum = filesource.Unreadable
	case sum == e.PrevSHA():
		// Touched, same content: only the checkpoint moves.
	default:
		if err := c.readFile(ctx, sink, name, e.Abs, e.Rel); err != nil {
			return err
		}
	}
	if err := sink.SetCheckpoint(ctx, e.Stream(), e.Checkpoint(sum)); err != nil {
		return err
	}
	return sink.Flush(ctx)
}

// readFile maps and writes the records of one file.
func (c *Connector) readFile(ctx context.Context, sink connector.Sink, name, path, rel string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dvc-dir: %s: %w", path, err)
	}
	defer f.Close()
	w := dvcconn.NewWriter(sink, c.Unit, name, c.log)
	n := 0
	_, perr := wire.DecodePayload(f, func(i int, raw json.RawMessage) error {
		n++
		res, err := w.Map(raw, rel, nil)
		if err != nil {
			err = w.Reject(ctx, fmt.Sprintf("%s#%d", rel, i), raw, fmt.Errorf("%s: record %d: %w", rel, i, err))
		} else {
			err = w.Add(ctx, res)
		}
		if err != nil {
			return sinkError{err}
		}
		return nil
	})
	sink.Fetched(n)
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
		// The file is not a readable payload past some point: keep it whole.
		raw, _ := readLimited(path, maxRejectBytes)
		return sink.Reject(ctx, warehouse.Reject{SourceKey: rel, Reason: fmt.Sprintf("%s: %v (%d record(s) read before)", rel, perr, n), Raw: raw})
	}
	return nil
}

// sinkError marks a warehouse error (abort the run) apart from a payload
// error (keep the file in rejects and go on).
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = io.Copy(&b, io.LimitReader(f, limit))
	return b.Bytes(), err
}
