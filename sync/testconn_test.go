package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"chiso/sync/connector"
	"chiso/warehouse/facts"
)

// jsonConn is a small real connector for these tests (type "test-json"):
// it reads a folder of *.json files, each an array of meetings, upserts
// them through the Sink, rejects invalid records with their raw bytes,
// keeps one checkpoint per file (records done) and flushes every Flush
// records. With a backfill window it reads the meetings starting inside
// the window and leaves the checkpoints alone.
type jsonConn struct {
	Path   string        `yaml:"path"`
	Flush  int           `yaml:"flush"`
	Delay  time.Duration `yaml:"delay"` // per record: makes runs long enough to interrupt
	Panic  bool          `yaml:"panic"`
	Fail   string        `yaml:"fail"`    // Sync returns this error after reading
	FailOn string        `yaml:"fail_on"` // backfill: fail the chunk starting on this date

	env connector.Env
}

func init() {
	connector.Register(connector.Type{Name: "test-json", DefaultSchedule: "@every 1h", New: func() connector.Connector { return &jsonConn{Flush: 50} }})
}

func (c *jsonConn) Validate(env connector.Env) error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, connector.Errf("path", "required: a folder of .json files"))
	} else if !filepath.IsAbs(c.Path) {
		c.Path = filepath.Join(env.BaseDir, c.Path)
	}
	if c.Flush <= 0 {
		errs = append(errs, connector.Errf("flush", "must be positive"))
	}
	return errors.Join(errs...)
}

func (c *jsonConn) SetEnv(env connector.Env) { c.env = env }

func (c *jsonConn) Check(ctx context.Context) error {
	_, err := os.ReadDir(c.Path)
	return err
}

type jsonMeeting struct {
	UID      string `json:"uid"`
	Title    string `json:"title"`
	StartsAt string `json:"starts_at"`
	Minutes  int    `json:"minutes"`
	Online   bool   `json:"online"`
}

func (c *jsonConn) Sync(ctx context.Context, sink connector.Sink) error {
	if c.Panic {
		panic("test-json: told to panic")
	}
	w := c.env.Window
	if w != nil && c.FailOn != "" && w.From.Format(time.DateOnly) == c.FailOn {
		return fmt.Errorf("test-json: told to fail the chunk of %s", c.FailOn)
	}
	files, err := filepath.Glob(filepath.Join(c.Path, "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	pending := 0
	for _, f := range files {
		name := filepath.Base(f)
		stream := "file:" + name
		done := 0
		if w == nil {
			v, ok, err := sink.Checkpoint(ctx, stream)
			if err != nil {
				return err
			}
			if ok {
				done, _ = strconv.Atoi(v)
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("test-json: %w", err)
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(b, &raws); err != nil {
			return fmt.Errorf("test-json: %s: %w", f, err)
		}
		for i := done; i < len(raws); i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if c.Delay > 0 {
				time.Sleep(c.Delay)
			}
			sink.Fetched(1)
			if err := c.one(ctx, sink, name, i, raws[i]); err != nil {
				return err
			}
			if w == nil {
				if err := sink.SetCheckpoint(ctx, stream, strconv.Itoa(i+1)); err != nil {
					return err
				}
			}
			if pending++; pending >= c.Flush {
				if err := sink.Flush(ctx); err != nil {
					return err
				}
				pending = 0
			}
		}
	}
	if c.Fail != "" {
		return errors.New(c.Fail)
	}
	return nil
}

func (c *jsonConn) one(ctx context.Context, sink connector.Sink, file string, i int, raw []byte) error {
	key := fmt.Sprintf("%s#%d", file, i)
	var m jsonMeeting
	reject := func(reason string) error {
		return sink.Reject(ctx, facts.Reject{SourceKey: key, Reason: reason, Raw: raw})
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return reject(fmt.Sprintf("%s: record %d: %v", file, i, err))
	}
	if m.UID == "" {
		return reject(fmt.Sprintf("%s: record %d: uid: required", file, i))
	}
	start, err := time.ParseInLocation("2006-01-02T15:04", m.StartsAt, c.env.Location)
	if err != nil {
		return reject(fmt.Sprintf("%s: record %d: starts_at: %q is not YYYY-MM-DDTHH:MM", file, i, m.StartsAt))
	}
	if w := c.env.Window; w != nil && (start.Before(w.From) || !start.Before(w.To.AddDate(0, 0, 1))) {
		return nil
	}
	return sink.UpsertMeeting(ctx, facts.Meeting{
		UnitCode: c.env.Self, Source: c.env.Name, UID: m.UID, Title: m.Title, OrganizedBySelf: true,
		StartsAt: start, EndsAt: start.Add(time.Duration(m.Minutes) * time.Minute), Sessions: 1,
		Online: m.Online, TotalMinutes: m.Minutes,
	})
}

// writeMeetings writes files*per meetings into dir (every 37th record is
// invalid, to exercise rejects), starting on day0 one meeting per 7 hours.
func writeMeetings(t interface{ Fatal(...any) }, dir string, files, per int, day0 time.Time) int {
	n := 0
	for f := 0; f < files; f++ {
		var recs []any
		for i := 0; i < per; i++ {
			at := day0.Add(time.Duration(n) * 7 * time.Hour)
			m := map[string]any{"uid": fmt.Sprintf("m-%05d", n), "title": fmt.Sprintf("Họp giao ban %d", n),
				"starts_at": at.Format("2006-01-02T15:04"), "minutes": 30 + n%90, "online": n%3 == 0}
			if n%37 == 36 {
				m["starts_at"] = "ngày mai"
			}
			recs = append(recs, m)
			n++
		}
		b, _ := json.Marshal(recs)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("lich-%03d.json", f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
