// Package meetingsfile is the `type: meetings-file` connector: the meetings
// of offices without a calendar system, kept in a CSV or XLSX file (or a
// folder of them) with the columns of registers-meetings.md §2.
package meetingsfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	wire "chiso/adapters/meetings"
	mapping "chiso/mapping/meetings"
	"chiso/sync/connector"
	"chiso/warehouse"
)

// SampleConfig documents every key of the connector.
const SampleConfig = `
  - name: lich-hop-file
    type: meetings-file
    schedule: "@every 1h"
    path: lich-hop.xlsx        # a .csv/.xlsx file, or a folder of them
    sheet: ""                  # .xlsx: the sheet to read (default: the first)
    unit: "000.25.31.H99"      # default: org.self
`

// Connector is the meetings-file connector.
type Connector struct {
	Path  string `yaml:"path"`
	Sheet string `yaml:"sheet"`
	Unit  string `yaml:"unit"`

	env connector.Env
}

func init() {
	connector.Register("meetings-file", func() connector.Connector { return New() })
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

// files lists the meetings files, sorted.
func (c *Connector) files() ([]string, error) {
	st, err := os.Stat(c.Path)
	if err != nil {
		return nil, fmt.Errorf("meetings-file: %w", err)
	}
	if !st.IsDir() {
		return []string{c.Path}, nil
	}
	entries, err := os.ReadDir(c.Path)
	if err != nil {
		return nil, fmt.Errorf("meetings-file: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && supported(e.Name()) {
			out = append(out, filepath.Join(c.Path, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Check reads the files and reports the first one that cannot be read.
func (c *Connector) Check(ctx context.Context) error {
	files, err := c.files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, _, err := wire.ReadFile(f, c.Sheet, c.loc()); err != nil {
			return err
		}
	}
	return nil
}

func (c *Connector) loc() *time.Location {
	if c.env.Location != nil {
		return c.env.Location
	}
	return wire.Vietnam
}

const stream = "files"

// fingerprint hashes the names and contents of the files.
func fingerprint(files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("meetings-file: %w", err)
		}
		s := sha256.Sum256(b)
		fmt.Fprintf(h, "%s\x00%x\n", filepath.Base(f), s)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Sync reloads every file when any changed: the files are the whole list,
// so a meeting no longer in them is marked deleted with this run.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	log := slog.With("connector", c.env.Name, "path", c.Path)
	files, err := c.files()
	if err != nil {
		return err
	}
	digest, err := fingerprint(files)
	if err != nil {
		return err
	}
	if prev, ok, err := sink.Checkpoint(ctx, stream); err != nil {
		return fmt.Errorf("meetings-file: checkpoint: %w", err)
	} else if ok && prev == digest {
		log.Debug("meetings files unchanged")
		return nil
	}
	opt := mapping.Options{Source: c.env.Name, Unit: c.Unit, Self: c.env.Self, Org: c.env.Org, Location: c.loc()}
	seen := map[string]string{} // ma -> file#row
	var spare []string
	loaded, rejected := 0, 0
	reject := func(key, reason string, raw []byte) error {
		rejected++
		return sink.Reject(ctx, warehouse.Reject{SourceKey: key, Reason: reason, Raw: raw})
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, bad, err := wire.ReadFile(f, c.Sheet, c.loc())
		if err != nil {
			return err // a whole file unreadable: fail rather than mark its meetings deleted
		}
		sink.Fetched(len(rows) + len(bad))
		for _, b := range bad {
			if b.Ma != "" {
				spare = append(spare, b.Ma)
			}
			if err := reject(b.SourceKey(), b.Error(), b.Raw); err != nil {
				return err
			}
		}
		for _, r := range rows {
			m, err := mapping.FromRow(r, opt)
			if err != nil {
				spare = append(spare, r.Ma)
				if err := reject(r.SourceKey(), fmt.Sprintf("%s: row %d: %v", r.File, r.Row, err), r.Raw); err != nil {
					return err
				}
				continue
			}
			if first, dup := seen[r.Ma]; dup {
				if err := reject(r.SourceKey(), fmt.Sprintf("%s: row %d: column ma: %q is already used at %s", r.File, r.Row, r.Ma, first), r.Raw); err != nil {
					return err
				}
				continue
			}
			seen[r.Ma] = r.SourceKey()
			if err := sink.UpsertMeeting(ctx, m); err != nil {
				return err
			}
			loaded++
		}
	}
	rec, ok := sink.(interface {
		ReconcileMeetings(ctx context.Context, source string, from, to time.Time, spare []string) (int64, int64, error)
	})
	if !ok {
		return fmt.Errorf("meetings-file: the sink %T cannot mark deleted meetings", sink)
	}
	deleted, restored, err := rec.ReconcileMeetings(ctx, c.env.Name, time.Time{}, time.Time{}, spare)
	if err != nil {
		return err
	}
	if err := sink.SetCheckpoint(ctx, stream, digest); err != nil {
		return err
	}
	if err := sink.Flush(ctx); err != nil {
		return err
	}
	log.Info("meetings file synced", "files", len(files), "meetings", loaded, "rejected", rejected, "deleted", deleted, "restored", restored)
	return nil
}
