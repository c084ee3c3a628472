// Package vxp is the `type: vxp` connector: it reads the commune's mailbox
// on the national document axis (edxml.md §4) — incoming documents, their
// revocations and the recipients' status reports on outgoing documents —
// and stores them as document facts.
//
// It is an OBSERVER by default (architecture.md rule 6): it lists and reads
// packages and never calls updateStatus, because the commune's QLVB is the
// mailbox's consumer. Every package it stored is remembered (checkpoint
// stream "doc:<docId>") and never fetched again. With `mode: consumer` it
// acknowledges each package — done once the batch holding it has committed,
// fail when it was rejected — so nothing is acknowledged that the warehouse
// does not hold.
//
// An observer sees only what is still pending: a package the QLVB
// acknowledged before chiso listed it is gone from the mailbox. The axis is
// therefore a second source beside the QLVB archive (`edxml-dir`), not a
// replacement: both sightings of a document merge into one logical
// document. Outgoing documents are not listed by the axis (getSentEdocList
// needs their docId); their recipients' status packages are.
package vxp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/httpx"
	wire "chiso/adapters/vxp"
	"chiso/mapping/documents"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse/facts"
)

// Type is the config type of this connector.
const Type = "vxp"

// Modes.
const (
	ModeObserver = "observer"
	ModeConsumer = "consumer"
)

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

func init() {
	connector.Register(connector.Type{
		Name:            Type,
		Title:           "Trục liên thông văn bản quốc gia (`vxp`)",
		About:           "Đọc gói tin văn bản và gói tin trạng thái từ trục. Mặc định là chế độ **quan sát** (`observer`): chiso không bao giờ xác nhận đã nhận (`updateStatus`), vì hộp thư trên trục là của hệ thống QLVB. Chỉ đặt `mode: consumer` khi chiso là bên nhận chính thức. Khóa bí mật HMAC do đơn vị quản lý trục cấp cho `system_id`.",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 5m",
		New:             func() connector.Connector { return New() },
	})
}

// Connector reads the axis mailbox. Its exported fields are the YAML keys.
type Connector struct {
	Endpoint     string         `yaml:"endpoint"`
	SystemID     string         `yaml:"system_id"`
	Secret       secret.Value   `yaml:"secret"`
	Mode         string         `yaml:"mode"`
	MessageTypes []string       `yaml:"message_types"`
	Lookback     connector.Span `yaml:"lookback"`
	Unit         string         `yaml:"unit"`
	// ByCode puts each package's documents in the units its organ codes
	// name, which must be Unit or under it: the provincial axis covering many communes.
	// A package gives the sender's outgoing document and one incoming
	// document to each other commune among its recipients
	// (documents.FromPackageByCode; a status package goes to
	// documents.UnitByCode's unit). A package whose codes name no unit of
	// the tree is rejected.
	ByCode         bool          `yaml:"by_code"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
	BatchSize      int           `yaml:"batch_size"`
	TLS            httpx.TLS     `yaml:"tls"`
	Retry          httpx.Retry   `yaml:"retry"`

	env    connector.Env
	tlsCfg *tls.Config
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// New returns a connector with its defaults.
func New() *Connector {
	return &Connector{
		Mode:           ModeObserver,
		MessageTypes:   []string{wire.MessageEdoc, wire.MessageStatus},
		Lookback:       connector.Span(35 * 24 * time.Hour),
		RequestTimeout: 2 * time.Minute,
		BatchSize:      100,
	}
}

// Validate checks the settings without touching the network; TLS files are
// loaded here so that a bad certificate is a config error.
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	if u, err := url.Parse(strings.TrimSpace(c.Endpoint)); c.Endpoint == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, connector.Errf("endpoint", "%q: want the axis base URL, http(s)://host/path", httpx.RedactURL(c.Endpoint)))
	}
	if strings.TrimSpace(c.SystemID) == "" {
		errs = append(errs, connector.Errf("system_id", "required: the systemid registered on the axis"))
	}
	if !c.Secret.IsSet() {
		errs = append(errs, connector.Errf("secret", "required: ${ENV_VAR} or file:/path holding the axis HMAC secret"))
	}
	if c.Mode != ModeObserver && c.Mode != ModeConsumer {
		errs = append(errs, connector.Errf("mode", "%q: want observer or consumer", c.Mode))
	}
	if len(c.MessageTypes) == 0 {
		errs = append(errs, connector.Errf("message_types", "empty: want [edoc, status] or one of them"))
	}
	for _, t := range c.MessageTypes {
		if t != wire.MessageEdoc && t != wire.MessageStatus {
			errs = append(errs, connector.Errf("message_types", "%q: want edoc or status", t))
		}
	}
	if c.Lookback <= 0 {
		errs = append(errs, connector.Errf("lookback", "must be positive, e.g. 35d"))
	}
	if c.Unit == "" {
		c.Unit = env.Self
	}
	if _, _, err := edxml.CheckOrganID(c.Unit); err != nil {
		errs = append(errs, connector.Errf("unit", "%q: %v", c.Unit, err))
	} else if _, err := connector.OurUnit(env, c.Unit); err != nil {
		errs = append(errs, err) // a unit outside the commune's tree
	}
	if err := connector.CheckByCode(env, c.ByCode); err != nil {
		errs = append(errs, err)
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, connector.Errf("request_timeout", "must be positive, e.g. 2m"))
	}
	if c.BatchSize <= 0 {
		errs = append(errs, connector.Errf("batch_size", "must be positive"))
	}
	if c.Retry.Max < 0 || c.Retry.Backoff < 0 {
		errs = append(errs, connector.Errf("retry", "max and backoff must not be negative"))
	}
	cfg, err := c.tlsFiles(env).Config()
	if err != nil {
		key, msg, ok := strings.Cut(err.Error(), ": ")
		if !ok || !strings.HasPrefix(key, "tls.") {
			key, msg = "tls", err.Error()
		}
		errs = append(errs, connector.Errf(key, "%s", msg))
	}
	c.tlsCfg = cfg
	c.env = env
	return errors.Join(errs...)
}

// tlsFiles resolves relative TLS paths against the config's folder.
func (c *Connector) tlsFiles(env connector.Env) httpx.TLS {
	t := c.TLS
	for _, p := range []*string{&t.CAFile, &t.CertFile, &t.KeyFile} {
		if *p != "" && !filepath.IsAbs(*p) && env.BaseDir != "" {
			*p = filepath.Join(env.BaseDir, *p)
		}
	}
	return t
}

// SetEnv keeps the environment (and the backfill window) for Sync.
func (c *Connector) SetEnv(env connector.Env) {
	c.env = env
	if c.Unit == "" {
		c.Unit = env.Self
	}
}

func (c *Connector) log() *slog.Logger {
	l := c.Logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("connector", c.env.Name, "type", Type)
}

func (c *Connector) client() (*wire.Client, error) {
	retry := c.Retry
	if retry.Max == 0 && retry.Backoff == 0 {
		retry = retry.WithDefaults()
	}
	return wire.New(wire.Config{
		Endpoint: c.Endpoint, SystemID: c.SystemID, Secret: c.Secret.Reveal(), TLS: c.tlsCfg,
		AttemptTimeout: c.RequestTimeout, Retry: retry, Logger: c.log(), Now: c.Now,
	})
}

// Check authenticates against the axis and reads its agency directory;
// it writes nothing and acknowledges nothing.
func (c *Connector) Check(ctx context.Context) (err error) {
	defer func() { err = httpx.RedactErr(err, c.Endpoint) }() // errors reach the terminal and logs
	cl, err := c.client()
	if err != nil {
		return err
	}
	ags, err := cl.Agencies(ctx)
	if err != nil {
		return err
	}
	c.log().Info("vxp: axis reachable", "agencies", len(ags))
	return nil
}

// streamPrefix is the checkpoint stream of a stored package: "doc:<docId>".
const streamPrefix = "doc:"

// Checkpoint values of a package.
const (
	stateStored   = "stored"
	stateRejected = "rejected"
)

// maxRaw bounds the bytes kept in rejects for one package.
const maxRaw = 32 << 20

type ack struct{ docID, state, status string }

// ackedSuffix marks, in a package's checkpoint, that a consumer acknowledged it.
const ackedSuffix = "+acked"

// Sync lists the pending packages of each message type, fetches the ones
// not stored yet, and writes their facts in batches. Steps: the window
// (syncWindow), then per listed package mailbox.item, committing every
// BatchSize packages (mailbox.commit, which acknowledges for a consumer),
// then the coverage and the last commit.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) (err error) {
	defer func() { err = httpx.RedactErr(err, c.Endpoint) }() // errors reach sync_runs.error and chiso status
	cl, err := c.client()
	if err != nil {
		return err
	}
	log := c.log()
	now := c.env.Clock
	if c.Now != nil {
		now = c.Now
	}
	// A first sync reaches the baseline year whatever today is (issue 12).
	cov, _, err := connector.ReadCoverage(ctx, sink)
	if err != nil {
		return fmt.Errorf("vxp: coverage: %w", err)
	}
	from, to, covTo := syncWindow(c.env, cov, now(), time.Duration(c.Lookback))
	known, err := sink.Checkpoints(ctx, streamPrefix)
	if err != nil {
		return fmt.Errorf("vxp: checkpoints: %w", err)
	}
	tmp, err := os.CreateTemp("", "chiso-vxp-*.edxml")
	if err != nil {
		return fmt.Errorf("vxp: temp file: %w", err)
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()

	mb := &mailbox{c: c, cl: cl, sink: sink, tmp: tmp, source: Type + ":" + c.env.Name, known: known, stats: map[string]int{}}
	for _, mt := range c.MessageTypes {
		items, err := cl.ReceivedList(ctx, mt, from, to)
		if err != nil {
			return err
		}
		log.Info("vxp: mailbox listed", "message_type", mt, "pending", len(items), "from", from.Format(time.DateOnly))
		for _, it := range items {
			if err := mb.item(ctx, it); err != nil {
				return err
			}
		}
	}
	// Every package listed in [from, covTo] is stored or rejected now.
	if err := connector.RecordCoverage(ctx, sink, from, covTo); err != nil {
		return err
	}
	if err := mb.commit(ctx); err != nil {
		return err
	}
	if err := sink.Flush(ctx); err != nil { // the acknowledgement checkpoints
		return err
	}
	log.Info("vxp: sync done", "stored", mb.stats[stateStored], "rejected", mb.stats[stateRejected], "skipped", mb.stats["skipped"], "mode", c.Mode)
	return nil
}

// syncWindow is the span of the listing: from the connector's start (the
// coverage, the lookback, the baseline) to open-ended, the coverage
// recorded up to now; a backfill window lists its whole days and records
// them.
func syncWindow(env connector.Env, cov connector.Coverage, now time.Time, lookback time.Duration) (from, to, covTo time.Time) {
	from, covTo = connector.WindowStart(env, cov, now, lookback), now
	if w := env.Window; w != nil {
		from, to = w.From, w.To.Add(24*time.Hour-time.Second)
		covTo = to
	}
	return from, to, covTo
}

// mailbox is the state of one Sync over the listed packages.
type mailbox struct {
	c       *Connector
	cl      *wire.Client
	sink    connector.Sink
	tmp     *os.File
	source  string
	known   map[string]string // package checkpoints: stored or rejected
	pending []ack             // acknowledgements waiting for the batch to commit
	inBatch int
	stats   map[string]int
}

// item stores one listed package unless an earlier run did (a consumer then
// acknowledges it again: that run may have stopped between commit and ack),
// and commits every BatchSize packages.
func (mb *mailbox) item(ctx context.Context, it wire.ReceivedItem) error {
	if it.DocID == "" {
		return nil
	}
	stream := streamPrefix + it.DocID
	if state, done := mb.known[stream]; done {
		if mb.c.Mode == ModeConsumer && !strings.HasSuffix(state, ackedSuffix) {
			mb.pending = append(mb.pending, ack{it.DocID, state, ackFor(state)})
		}
		mb.stats["skipped"]++
		return nil
	}
	state, err := mb.c.one(ctx, mb.cl, mb.sink, mb.tmp, it, mb.source)
	if err != nil {
		return err
	}
	mb.stats[state]++
	if err := mb.sink.SetCheckpoint(ctx, stream, state); err != nil {
		return err
	}
	mb.known[stream] = state
	mb.pending = append(mb.pending, ack{it.DocID, state, ackFor(state)})
	mb.inBatch++
	if mb.inBatch >= mb.c.BatchSize {
		return mb.commit(ctx)
	}
	return nil
}

// commit flushes the batch; a consumer then acknowledges its packages and
// remembers each acknowledgement (it commits with the next batch) so that
// a package acknowledged "fail", which stays listed, is not acknowledged
// again on every run. An observer never acknowledges.
func (mb *mailbox) commit(ctx context.Context) error {
	if err := mb.sink.Flush(ctx); err != nil {
		return err
	}
	mb.inBatch = 0
	if mb.c.Mode == ModeConsumer {
		for len(mb.pending) > 0 {
			a := mb.pending[0]
			if err := mb.cl.UpdateStatus(ctx, a.docID, a.status); err != nil {
				return fmt.Errorf("vxp: acknowledging %s (%s): %w", a.docID, a.status, err)
			}
			if err := mb.sink.SetCheckpoint(ctx, streamPrefix+a.docID, a.state+ackedSuffix); err != nil {
				return err
			}
			mb.pending = mb.pending[1:]
		}
	}
	mb.pending = mb.pending[:0]
	return nil
}

func ackFor(state string) string {
	if strings.HasPrefix(state, stateRejected) {
		return wire.StatusFail
	}
	return wire.StatusDone
}

// one fetches, parses and stores one package; it returns its checkpoint
// state. Only I/O and warehouse errors are returned: a bad package is a
// reject.
func (c *Connector) one(ctx context.Context, cl *wire.Client, sink connector.Sink, tmp *os.File, it wire.ReceivedItem, source string) (string, error) {
	if _, err := cl.FetchEdoc(ctx, it.DocID, tmp); err != nil {
		return "", err
	}
	sink.Fetched(1)
	// The axis's own created_time dates an incoming package that carries
	// no trace of its arrival; without one, nothing the axis says does (the
	// time chiso fetched it is never a received date).
	var seen documents.Seen
	if at, ok := it.Created(); ok {
		seen = documents.Seen{At: at, AxisAt: at}
	}
	name := "vxp:" + it.DocID
	reject := func(perr error) (string, error) {
		raw, sum, err := readRaw(tmp)
		if err != nil {
			return "", err
		}
		reason := perr.Error()
		c.log().Warn("vxp: package rejected", "docId", it.DocID, "reason", reason)
		// The field is the element the parser names (its error's path).
		rj := facts.Reject{SourceKey: it.DocID, Location: name, Field: edxml.ErrorPath(perr), Reason: reason, Hash: sum, Raw: raw}
		if err := sink.Reject(ctx, rj); err != nil {
			return "", err
		}
		return stateRejected, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	pctx, cancel := edxml.FileContext(ctx) // a package too slow to parse is rejected
	pkg, err := edxml.Parse(pctx, tmp, name, edxml.Options{})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return "", err // the run is stopping: no verdict on the package
		}
		return reject(err)
	}
	// by_code: the package goes to the units its codes name, one
	// document for each commune it involves (documents.FromPackageByCode).
	from := documents.FromPackage
	if c.ByCode {
		from = documents.FromPackageByCode
	}
	facts, err := from(pkg, c.Unit, c.env.Org, nil, seen)
	if err != nil {
		return reject(fmt.Errorf("%s: %w", name, err))
	}
	if len(pkg.Warnings)+len(facts.Warnings) > 0 {
		c.log().Debug("vxp: package warnings", "docId", it.DocID, "warnings", slices.Concat(pkg.Warnings, facts.Warnings))
	}
	// Each document of the package is sighted under the package's id
	// (the sighting's key includes the unit and direction).
	for _, d := range facts.Documents() {
		s := d.Sighting
		s.Source, s.SourceKey = source, it.DocID
		if err := sink.UpsertDocument(ctx, *d.Document, s); err != nil {
			return "", err
		}
	}
	if st := facts.Status; st != nil {
		st.SourceKey = it.DocID
		if err := sink.ApplyStatus(ctx, *st); err != nil {
			return "", err
		}
	}
	if rv := facts.Revocation; rv != nil {
		rv.SourceKey = it.DocID
		if err := sink.Revoke(ctx, *rv); err != nil {
			return "", err
		}
	}
	return stateStored, nil
}

// readRaw returns the package bytes for rejects (at most maxRaw) and the
// hex SHA-256 of the whole package.
func readRaw(f *os.File) ([]byte, string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	h := sha256.New()
	raw, err := io.ReadAll(io.LimitReader(io.TeeReader(f, h), maxRaw))
	if err != nil {
		return nil, "", err
	}
	if _, err := io.Copy(h, f); err != nil {
		return nil, "", err
	}
	return raw, hex.EncodeToString(h.Sum(nil)), nil
}
