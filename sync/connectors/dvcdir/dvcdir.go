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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	wire "chiso/adapters/dvc"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
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
	files, err := c.files()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("dvc-dir: %s: no .json file", c.Path)
	}
	return nil
}

func (c *Connector) files() ([]string, error) {
	var out []string
	err := filepath.WalkDir(c.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != c.Path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.EqualFold(filepath.Ext(p), ".json") && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dvc-dir: %s: %w", c.Path, err)
	}
	sort.Strings(out)
	return out, nil
}

// Sync reads the files that changed since their checkpoint, one commit per file.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	files, err := c.files()
	if err != nil {
		return err
	}
	seen, err := sink.Checkpoints(ctx, "file:")
	if err != nil {
		return err
	}
	name := c.env.Name
	if name == "" {
		name = "dvc-dir"
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.Path, path)
		rel = filepath.ToSlash(rel)
		stream := "file:" + rel
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("dvc-dir: %s: %w", path, err)
		}
		sizeMtime := strconv.FormatInt(fi.Size(), 10) + ":" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
		old := seen[stream]
		if strings.HasPrefix(old, sizeMtime+":") {
			continue
		}
		sum, err := hashFile(path)
		if err != nil {
			return err
		}
		cp := sizeMtime + ":" + sum
		if old != "" && strings.HasSuffix(old, ":"+sum) {
			// Touched, same content.
			if err := sink.SetCheckpoint(ctx, stream, cp); err != nil {
				return err
			}
			if err := sink.Flush(ctx); err != nil {
				return err
			}
			continue
		}
		if err := c.readFile(ctx, sink, name, path, rel); err != nil {
			return err
		}
		if err := sink.SetCheckpoint(ctx, stream, cp); err != nil {
			return err
		}
		if err := sink.Flush(ctx); err != nil {
			return err
		}
	}
	return nil
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

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dvc-dir: %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("dvc-dir: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
