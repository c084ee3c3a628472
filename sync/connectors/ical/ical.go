// Package ical is the `type: ical` connector: it reads the meeting calendar
// published as iCalendar (a URL, optionally with basic auth, or a file),
// expands recurring meetings from the baseline year on (its whole history
// on the first sync), and keeps the
// meetings table in step with it: moved and cancelled meetings are updated,
// meetings gone from the feed are marked deleted with the run that noticed.
package ical

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"chiso/adapters/httpx"
	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
	mapping "chiso/mapping/meetings"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse/facts"
)

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

// Window is the window: key.
type Window struct {
	Past   connector.Span `yaml:"past"`
	Future connector.Span `yaml:"future"`
}

// Connector is the ical connector. Its fields are the type-specific keys.
type Connector struct {
	URL      string       `yaml:"url"`
	Username secret.Value `yaml:"username"`
	Password secret.Value `yaml:"password"`
	Path     string       `yaml:"path"`
	Unit     string       `yaml:"unit"`
	Window   Window       `yaml:"window"`
	TLS      httpx.TLS    `yaml:"tls"`
	Retry    httpx.Retry  `yaml:"retry"`
	// MaxSeries and MaxFeed bound the expansion (wire.ParseOptions):
	// occurrences of one recurring event from its DTSTART, and of the whole
	// feed, up to the window end.
	MaxSeries int `yaml:"max_series_occurrences"`
	MaxFeed   int `yaml:"max_feed_occurrences"`

	env    connector.Env
	client *wire.Client
	now    func() time.Time
}

func init() {
	connector.Register(connector.Type{
		Name:            "ical",
		Title:           "Lịch họp iCalendar (`ical`)",
		About:           "Đọc lịch họp dạng iCalendar theo địa chỉ URL (có thể có tài khoản) hoặc tệp. Cuộc họp định kỳ được trải ra trong cửa sổ thời gian; cuộc họp bị hủy, dời hoặc xóa khỏi lịch được cập nhật, không bị đếm trùng. Cách ghi loại họp, trực tuyến, không giấy, thời điểm gửi tài liệu, thời gian thảo luận: xem docs/lich-hop.md.",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 30m",
		New:             func() connector.Connector { return New() },
	})
}

// New returns a connector with the defaults set.
func New() *Connector {
	return &Connector{
		Window:    Window{Past: connector.Span(400 * 24 * time.Hour), Future: connector.Span(60 * 24 * time.Hour)},
		MaxSeries: wire.DefaultMaxPerSeries,
		MaxFeed:   wire.DefaultMaxPerFeed,
		now:       time.Now,
	}
}

// Validate checks the keys without touching the network.
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	switch {
	case c.URL == "" && c.Path == "":
		errs = append(errs, connector.Errf("url", "set url (the calendar's iCalendar address) or path (an .ics file)"))
	case c.URL != "" && c.Path != "":
		errs = append(errs, connector.Errf("path", "set either url or path, not both"))
	}
	if c.Path != "" && (c.Username.IsSet() || c.Password.IsSet()) {
		errs = append(errs, connector.Errf("username", "username/password apply to url only"))
	}
	if c.Password.IsSet() && !c.Username.IsSet() {
		errs = append(errs, connector.Errf("username", "required with password"))
	}
	if c.URL != "" {
		c.URL = strings.Replace(c.URL, "webcal://", "https://", 1)
		tlsCfg, err := c.TLS.Config()
		if err != nil {
			errs = append(errs, connector.Errf("tls", "%v", err))
		}
		cl, err := wire.NewClient(wire.ClientOptions{URL: c.URL, Username: c.Username.Reveal(), Password: c.Password.Reveal(), TLS: tlsCfg, Retry: c.Retry})
		if err != nil {
			errs = append(errs, connector.Errf("url", "%v", strings.TrimPrefix(err.Error(), "url: ")))
		}
		c.client = cl
	}
	if c.Path != "" && !filepath.IsAbs(c.Path) && env.BaseDir != "" {
		c.Path = filepath.Join(env.BaseDir, c.Path)
	}
	unit, err := connector.OurUnit(env, c.Unit)
	c.Unit = unit
	if err != nil {
		errs = append(errs, err)
	}
	if c.Window.Past <= 0 && c.Window.Future <= 0 {
		errs = append(errs, connector.Errf("window", "past and future cannot both be 0"))
	}
	if c.MaxSeries <= 0 {
		errs = append(errs, connector.Errf("max_series_occurrences", "%d: must be at least 1", c.MaxSeries))
	}
	if c.MaxFeed < c.MaxSeries {
		errs = append(errs, connector.Errf("max_feed_occurrences", "%d is less than max_series_occurrences %d", c.MaxFeed, c.MaxSeries))
	}
	c.env = env
	return errors.Join(errs...)
}

// SetEnv keeps the environment (and a backfill window) for Sync.
func (c *Connector) SetEnv(env connector.Env) {
	c.env = env
	if env.Now != nil {
		c.now = env.Now
	}
}

func (c *Connector) loc() *time.Location {
	if c.env.Location != nil {
		return c.env.Location
	}
	return vntime.Location
}

// label names the feed in errors, logs and rejects (never with
// credentials: see httpx.RedactURL).
func (c *Connector) label() string {
	if c.Path != "" {
		return c.Path
	}
	return httpx.RedactURL(c.URL)
}

// baseline is the earliest day every normal read covers: the start of the
// baseline year from the config (Env.Baseline), else 1 January of last
// year.
func (c *Connector) baseline() time.Time {
	if !c.env.Baseline.IsZero() {
		return c.env.Baseline.In(c.loc())
	}
	return time.Date(c.now().In(c.loc()).Year()-1, time.January, 1, 0, 0, 0, 0, c.loc())
}

// span is a range [from, to) of occurrence starts; a zero from is unbounded.
type span struct{ from, to time.Time }

// ranges returns what a sync reads and what it reconciles. A normal sync
// reads occurrences from the baseline year's start (or today − window.past,
// when that is earlier) to today + window.future: the past a report needs
// never depends on the day chiso was installed. The first sync of a feed
// (no checkpoint) and a backfill read its whole history; a backfill
// reconciles only the days it was asked for.
func (c *Connector) ranges(first bool) (read, reconcile span) {
	now := c.now().In(c.loc())
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.loc())
	read.to = today.Add(time.Duration(c.Window.Future)).AddDate(0, 0, 1)
	read.from = today.Add(-time.Duration(c.Window.Past))
	if b := c.baseline(); b.Before(read.from) {
		read.from = b
	}
	if first {
		read.from = time.Time{}
	}
	reconcile = read
	if w := c.env.Window; w != nil {
		f, t := w.From.In(c.loc()), w.To.In(c.loc())
		reconcile.from = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, c.loc())
		reconcile.to = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc()).AddDate(0, 0, 1)
		read.from = time.Time{}
		if reconcile.to.After(read.to) {
			read.to = reconcile.to
		}
	}
	return read, reconcile
}

// state is the checkpoint of the feed stream.
type state struct {
	wire.Validators
	SHA256     string `json:"sha256"`
	ExpandedOn string `json:"expanded_on"` // Vietnam date of the last full read
}

const stream = "feed"

// Check reads the feed once and parses it; it writes nothing.
func (c *Connector) Check(ctx context.Context) error {
	body, _, _, err := c.read(ctx, state{})
	if err != nil {
		return err
	}
	read, _ := c.ranges(true)
	_, err = wire.ParseICSContext(ctx, body, c.parseOptions(read))
	if err != nil {
		return fmt.Errorf("%s: %w", c.label(), err)
	}
	return nil
}

// read fetches the feed; notModified when the server says 304.
func (c *Connector) read(ctx context.Context, prev state) (body []byte, v wire.Validators, notModified bool, err error) {
	if c.Path != "" {
		if err := ctx.Err(); err != nil {
			return nil, v, false, err
		}
		b, err := os.ReadFile(c.Path)
		if err != nil {
			return nil, v, false, fmt.Errorf("ical: %w", err)
		}
		return b, v, false, nil
	}
	if c.client == nil {
		return nil, v, false, errors.New("ical: connector not validated")
	}
	res, err := c.client.Fetch(ctx, prev.Validators)
	if err != nil {
		return nil, v, false, err
	}
	return res.Body, res.Validators, res.NotModified, nil
}

// Sync reads the feed and writes what changed. An unchanged feed (304, or
// the same bytes) read earlier the same day writes nothing; the first run of
// a day reads the feed in full even if unchanged, because the window has
// moved and recurring meetings may have entered it.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	log := slog.With("connector", c.env.Name, "feed", c.label())
	today := c.now().In(c.loc()).Format("2006-01-02")

	var prev state
	if raw, ok, err := sink.Checkpoint(ctx, stream); err != nil {
		return fmt.Errorf("ical: checkpoint: %w", err)
	} else if ok {
		if err := json.Unmarshal([]byte(raw), &prev); err != nil {
			log.Warn("unreadable checkpoint ignored", "err", err)
			prev = state{}
		}
	}
	read, reconcile := c.ranges(prev.SHA256 == "")
	sameDay := prev.ExpandedOn == today && c.env.Window == nil
	ask := state{}
	if sameDay {
		ask = prev
	}
	body, validators, notModified, err := c.read(ctx, ask)
	if err != nil {
		return err
	}
	if notModified {
		log.Debug("feed not modified")
		return nil
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	if sameDay && digest == prev.SHA256 {
		log.Debug("feed unchanged")
		return nil
	}

	feed, err := wire.ParseICSContext(ctx, body, c.parseOptions(read))
	if err != nil {
		return fmt.Errorf("%s: %w", c.label(), err)
	}
	sink.Fetched(len(feed.Occurrences) + len(feed.Problems))

	opt := mapping.Options{Source: c.env.Name, Unit: c.Unit, Self: c.env.Self, Org: c.env.Org, Location: c.loc()}
	var spare []string
	for _, w := range feed.Warnings {
		log.Warn("feed read with a warning", "problem", w)
	}
	for _, p := range feed.Problems {
		if p.UID != "" {
			spare = append(spare, p.UID)
		}
		if err := sink.Reject(ctx, c.reject(p)); err != nil {
			return err
		}
	}
	for _, occ := range feed.Occurrences {
		m, warns := mapping.FromOccurrence(occ, opt)
		for _, w := range warns {
			log.Warn("meeting attribute not read", "uid", occ.Key, "line", occ.Line, "problem", w)
		}
		if err := sink.UpsertMeeting(ctx, m); err != nil {
			return err
		}
	}
	deleted, restored, err := sink.ReconcileMeetings(ctx, c.env.Name, reconcile.from, reconcile.to, spare)
	if err != nil {
		return err
	}
	next := state{Validators: validators, SHA256: digest, ExpandedOn: today}
	if c.env.Window != nil {
		next.ExpandedOn = prev.ExpandedOn // a backfill does not stand for today's read
	}
	cp, _ := json.Marshal(next)
	if err := sink.SetCheckpoint(ctx, stream, string(cp)); err != nil {
		return err
	}
	if err := sink.Flush(ctx); err != nil {
		return err
	}
	log.Info("calendar synced", "occurrences", len(feed.Occurrences), "rejected", len(feed.Problems),
		"deleted", deleted, "restored", restored, "from", day(read.from), "to", read.to.AddDate(0, 0, -1).Format("2006-01-02"))
	return nil
}

// parseOptions are the reading options of a sync over read.
func (c *Connector) parseOptions(read span) wire.ParseOptions {
	return wire.ParseOptions{From: read.from, To: read.to, Floating: c.loc(), MaxPerSeries: c.MaxSeries, MaxPerFeed: c.MaxFeed}
}

// reject is the reject of a VEVENT that could not be read. Its key is the
// event's own (UID, and RECURRENCE-ID for an override), so that re-reading
// converges on one row and a bad master and a bad override never collide;
// without a UID, the line and the hash of its bytes.
func (c *Connector) reject(p wire.Problem) facts.Reject {
	sum := sha256.Sum256(p.Raw)
	hash := hex.EncodeToString(sum[:])
	key := c.label() + "#" + p.UID
	switch {
	case p.UID == "":
		key = fmt.Sprintf("%s#line%d#%s", c.label(), p.Begin, hash[:12])
	case p.RecurrenceID != "":
		key += "#" + p.RecurrenceID
	}
	return facts.Reject{
		SourceKey: key,
		Location:  fmt.Sprintf("%s line %d", c.label(), p.Line),
		Field:     p.Field,
		Reason:    fmt.Sprintf("%s: %s", c.label(), p.Error()),
		Hash:      hash,
		Raw:       p.Raw,
	}
}

// day formats a range bound for the log ("history" when unbounded).
func day(t time.Time) string {
	if t.IsZero() {
		return "history"
	}
	return t.Format("2006-01-02")
}
