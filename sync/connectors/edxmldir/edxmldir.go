// Package edxmldir is the `type: edxml-dir` connector: it reads the archive
// a QLVB system or the axis SDK keeps of every package it sent or received
// (typically {root}/{yyyy}/{M}/{docId}.edxml), and never writes to it.
//
// Each file is a stream "file:<relpath>" with checkpoint
// "size:mtime:sha256": a file whose size and mtime are unchanged is skipped
// without being opened; one whose content hash is unchanged is not
// recorded again. Each file is read once: hashed while it is parsed. Files
// are parsed by one worker per CPU and written through the sink by one
// goroutine, with a commit every flushEvery files; the queue between them
// holds up to flushEvery results so that parsing goes on while the writer
// waits for the database (and at most bigRawSlots large reject payloads, so
// memory stays bounded whatever the file sizes). A file that cannot
// be parsed goes to rejects with its raw bytes (the first MiB of a huge one)
// and is checkpointed, so it is reported once, not every run; one that
// cannot be opened is rejected without bytes and tried again every run.
// The folder is walked by filesource: links never lead out of the archive,
// and entries that are not read (link loops, dangling links, links out of
// the root) are rejects too.
package edxmldir

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"chiso/adapters/edxml"
	"chiso/mapping/documents"
	"chiso/sync/connector"
	"chiso/sync/connectors/filesource"
	"chiso/warehouse/facts"
)

// Type is the config type of this connector.
const Type = "edxml-dir"

// SampleConfig documents every key of the connector: sample.yaml beside
// this file, a complete config of one connector; docs/ket-noi.md shows it.
//
//go:embed sample.yaml
var SampleConfig string

// Defaults.
const (
	defaultFlushEvery = 500
	// bigRawSlots bounds the reject payloads larger than bigRaw queued for
	// the writer at once.
	bigRawSlots = 8
	bigRaw      = 64 << 10
)

// defaultWorkers is one parser per CPU (at least two: reading overlaps
// parsing).
func defaultWorkers() int { return max(2, runtime.GOMAXPROCS(0)) }

// copyBufPool holds the buffers that hash what the parser left unread.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// fileContext gives a file its share of the run's time (a variable so that
// a test can make one file's share run out).
var fileContext = func(ctx context.Context, rel string) (context.Context, context.CancelFunc) {
	return edxml.FileContext(ctx)
}

// rawLimit is how much of a bad file is kept in rejects.
var rawLimit int64 = 1 << 20

func init() {
	connector.Register(connector.Type{
		Name:            Type,
		Title:           "Kho lưu gói tin edXML của hệ thống QLVB (`edxml-dir`)",
		About:           "Đọc (không bao giờ ghi) thư mục lưu gói tin edXML mà QLVB và bộ SDK trục liên thông ghi ra, thường là `{gốc}/{năm}/{tháng}/{docId}.edxml`. Mỗi tệp chỉ đọc lại khi kích thước, thời điểm sửa hoặc mã băm thay đổi; tệp không mở được (sai quyền…) được ghi vào `rejects` và thử lại ở mọi lần chạy sau. Tệp hỏng được giữ nguyên văn trong bảng `rejects` kèm lý do. Liên kết tượng trưng (symlink) chỉ được đọc khi trỏ tới tệp nằm trong thư mục gốc; liên kết trỏ ra ngoài, liên kết vòng và liên kết hỏng không được đọc, được ghi vào `rejects` (không kèm nội dung) một lần cho tới khi thay đổi.",
		Sample:          SampleConfig,
		DefaultSchedule: "@every 15m",
		New:             func() connector.Connector { return New() },
	})
}

// Connector reads an edXML archive folder. Its exported fields are the YAML keys.
type Connector struct {
	Path string `yaml:"path"`
	Unit string `yaml:"unit"`
	// ByCode puts each package's documents in the units its organ codes
	// name, which must be Unit or under it: an archive of the province's packages.
	// A package gives the sender's outgoing document and one incoming
	// document to each other commune among its recipients
	// (documents.FromPackageByCode; a status package goes to
	// documents.UnitByCode's unit). A package whose codes name no unit of
	// the tree is rejected.
	ByCode        bool              `yaml:"by_code"`
	Include       []string          `yaml:"include"`
	Exclude       []string          `yaml:"exclude"`
	MaxFileSize   string            `yaml:"max_file_size"`
	DocumentTypes map[string]string `yaml:"document_types"`

	env        connector.Env
	root       string
	unit       string
	src        filesource.Source
	rules      *documents.Rules
	workers    int
	flushEvery int
}

// New returns a connector with its defaults.
func New() *Connector {
	return &Connector{MaxFileSize: "256MiB", workers: defaultWorkers(), flushEvery: defaultFlushEvery}
}

// Validate checks the settings without touching the archive.
func (c *Connector) Validate(env connector.Env) error {
	var errs []error
	c.env = env
	if strings.TrimSpace(c.Path) == "" {
		errs = append(errs, connector.Errf("path", "required: the archive folder"))
	} else {
		c.root = c.Path
		if !filepath.IsAbs(c.root) && env.BaseDir != "" {
			c.root = filepath.Join(env.BaseDir, c.root)
		}
	}
	c.unit = strings.TrimSpace(c.Unit)
	if c.unit == "" {
		c.unit = env.Self
	}
	if c.unit == "" {
		errs = append(errs, connector.Errf("unit", "required when org.self is not set"))
	} else if code, _, err := edxml.CheckOrganID(c.unit); err != nil {
		errs = append(errs, connector.Errf("unit", "%v", err))
	} else {
		c.unit = code
		if _, err := connector.OurUnit(env, code); err != nil {
			errs = append(errs, err) // a unit outside the commune's tree
		}
	}
	if err := connector.CheckByCode(env, c.ByCode); err != nil {
		errs = append(errs, err)
	}
	var err error
	c.src = filesource.Source{Root: c.root, Accept: archiveFile}
	if c.src.Include, err = filesource.CompileGlobs(c.Include); err != nil {
		errs = append(errs, connector.Errf("include", "%v", err))
	}
	if c.src.Exclude, err = filesource.CompileGlobs(c.Exclude); err != nil {
		errs = append(errs, connector.Errf("exclude", "%v", err))
	}
	if c.src.MaxSize, err = filesource.ParseSize(c.MaxFileSize, edxml.DefaultMaxSize); err != nil {
		errs = append(errs, connector.Errf("max_file_size", "%v", err))
	}
	c.rules = documents.DefaultRules()
	if err := c.rules.Override(c.DocumentTypes); err != nil {
		errs = append(errs, connector.Errf("document_types", "%v", err))
	}
	if c.workers <= 0 {
		c.workers = defaultWorkers()
	}
	if c.flushEvery <= 0 {
		c.flushEvery = defaultFlushEvery
	}
	return errors.Join(errs...)
}

// SetEnv keeps the environment (org directory, names) for Sync.
func (c *Connector) SetEnv(env connector.Env) { c.env = env }

// Check verifies that the archive folder exists and can be listed.
func (c *Connector) Check(ctx context.Context) error {
	if err := c.src.Check(ctx); err != nil {
		return fmt.Errorf("edxml-dir: %w", err)
	}
	if !isDir(c.root) {
		return fmt.Errorf("edxml-dir: path %s is not a folder", c.root)
	}
	return nil
}

// job is one file to look at.
type job = filesource.Entry

// result is what a worker made of a file.
type result struct {
	job
	vanished   bool   // gone between listing and reading: nothing to record
	aborted    bool   // the run ended while the file was read: nothing to record
	unchanged  bool   // same content as the checkpoint: only the checkpoint moves
	checkpoint string // "size:mtime:sha256"
	facts      *documents.Facts
	reject     *facts.Reject
	problem    *filesource.Problem // an entry of the folder that is not read
	warnings   []string
}

// Stats summarise one Sync.
type Stats struct {
	Listed, Skipped, Parsed, Unchanged, Rejected, Vanished, Warnings int
	// Problems are entries not read (links out of the root, link loops,
	// dangling links, special files), new this run; KnownProblems were
	// reported before.
	Problems, KnownProblems int
	// WriterBusy is the time the writer spent in the sink (the database),
	// WriterIdle the time it waited for parsed files.
	WriterBusy, WriterIdle time.Duration
}

// Sync reads what is new or changed in the archive.
func (c *Connector) Sync(ctx context.Context, sink connector.Sink) error {
	_, err := c.sync(ctx, sink)
	return err
}

// sync runs one pass as a pipeline of named steps: walk lists the files
// and sends those not quickly matched by their checkpoint, parse reads
// them on c.workers goroutines, drain writes the results through the sink
// one at a time (flushing every c.flushEvery files), then the pass is
// summed up and flushed.
func (c *Connector) sync(ctx context.Context, sink connector.Sink) (Stats, error) {
	var stats Stats
	if c.rules == nil {
		if err := c.Validate(c.env); err != nil {
			return stats, err
		}
	}
	if err := c.Check(ctx); err != nil {
		return stats, err
	}
	cps, err := sink.Checkpoints(ctx, "file:")
	if err != nil {
		return stats, fmt.Errorf("edxml-dir: checkpoints: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &pipeline{
		c:       c,
		log:     slog.With("connector", c.env.Name, "path", c.root),
		jobs:    make(chan job, 4*c.workers),
		results: make(chan result, c.flushEvery),
		bigRaws: make(chan struct{}, bigRawSlots),
	}
	walkDone := p.walk(ctx, cps)
	p.parse(ctx, walkDone)
	if err := p.drain(ctx, sink, &stats); err != nil {
		cancel()
		for range p.results {
		}
		return stats, err
	}
	stats.Listed, stats.Skipped = p.walked.Listed, p.skipped
	stats.Problems, stats.KnownProblems = p.walked.Problems, p.walked.KnownProblems
	if p.walkErr != nil {
		return stats, fmt.Errorf("edxml-dir: walking %s: %w", c.root, p.walkErr)
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if err := sink.Flush(ctx); err != nil {
		return stats, err
	}
	p.log.Info("edxml-dir: sync done", "files", stats.Listed, "unchanged", stats.Skipped+stats.Unchanged,
		"parsed", stats.Parsed, "rejected", stats.Rejected, "not_read", stats.Problems+stats.KnownProblems, "vanished", stats.Vanished, "warnings", stats.Warnings,
		"writer_busy", stats.WriterBusy.Round(time.Millisecond), "writer_idle", stats.WriterIdle.Round(time.Millisecond))
	return stats, nil
}

// pipeline is the state of one sync shared by its steps. walked, skipped
// and walkErr are written by the walker and read after results is closed.
type pipeline struct {
	c       *Connector
	log     *slog.Logger
	jobs    chan job
	results chan result
	bigRaws chan struct{} // one slot per large reject in flight (bounded memory)
	walked  filesource.Stats
	skipped int
	walkErr error
}

// walk lists the folder on its own goroutine: a file whose size and mtime
// match its checkpoint is skipped unread, others become jobs, a new
// problem entry (link out of the root, special file…) goes straight to the
// results. It closes jobs, then the returned channel, when done.
func (p *pipeline) walk(ctx context.Context, cps map[string]string) <-chan struct{} {
	walkDone := make(chan struct{})
	go func() {
		defer close(walkDone)
		defer close(p.jobs)
		p.walked, p.walkErr = p.c.src.Walk(ctx, cps, func(j filesource.Entry) error {
			if j.QuickMatch() {
				p.skipped++
				return nil
			}
			select {
			case p.jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}, func(pr filesource.Problem) error {
			if pr.Known {
				return nil
			}
			p.log.Warn("edxml-dir: entry not read", "file", pr.Rel, "problem", pr.Kind)
			select {
			case p.results <- result{problem: &pr}:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	}()
	return walkDone
}

// parse starts the workers: each reads and maps jobs into results, taking a
// big-raw slot before it hands over a large reject. results is closed once
// the workers and the walker are done.
func (p *pipeline) parse(ctx context.Context, walkDone <-chan struct{}) {
	var wg sync.WaitGroup
	for range p.c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range p.jobs {
				r := p.c.process(ctx, j)
				if r.reject != nil && len(r.reject.Raw) > bigRaw {
					select {
					case p.bigRaws <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
				select {
				case p.results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); <-walkDone; close(p.results) }()
}

// drain writes every result through the sink on the calling goroutine,
// releasing a big-raw slot once its reject is written, and flushes every
// c.flushEvery recorded files (a vanished file records nothing). It times
// the writer's busy and idle spells. An error stops it at once; the caller
// cancels and empties results.
func (p *pipeline) drain(ctx context.Context, sink connector.Sink, stats *Stats) error {
	source := Type + ":" + p.c.env.Name
	pending := 0
	t0 := time.Now()
	for r := range p.results {
		t1 := time.Now()
		stats.WriterIdle += t1.Sub(t0)
		if r.reject != nil && len(r.reject.Raw) > bigRaw {
			<-p.bigRaws
		}
		if err := p.c.write(ctx, sink, source, r, stats); err != nil {
			return err
		}
		if r.vanished {
			continue
		}
		pending++
		if pending >= p.c.flushEvery {
			if err := sink.Flush(ctx); err != nil {
				return err
			}
			pending = 0
		}
		t0 = time.Now()
		stats.WriterBusy += t0.Sub(t1)
	}
	return nil
}

// write records one result through the sink (single goroutine).
func (c *Connector) write(ctx context.Context, sink connector.Sink, source string, r result, stats *Stats) error {
	switch {
	case r.aborted:
		return nil
	case r.problem != nil:
		stats.Rejected++
		sink.Fetched(1)
		return filesource.ReportProblem(ctx, sink, *r.problem)
	case r.vanished:
		stats.Vanished++
		return nil
	case r.unchanged:
		stats.Unchanged++
	case r.reject != nil:
		stats.Rejected++
		sink.Fetched(1)
		if err := sink.Reject(ctx, *r.reject); err != nil {
			return err
		}
	case r.facts != nil:
		stats.Parsed++
		stats.Warnings += len(r.warnings)
		sink.Fetched(1)
		if len(r.warnings) > 0 {
			slog.Debug("edxml-dir: package read with warnings", "connector", c.env.Name, "file", r.Rel, "warnings", r.warnings)
		}
		if r.Prev != "" {
			// A file read before (changed since, or unreadable then) may
			// have been rejected: now that it reads fine, its reject goes.
			if err := sink.ClearReject(ctx, r.Rel); err != nil {
				return err
			}
		}
		f := r.facts
		// Each document of the package is sighted under the file's path
		// (the sighting's key includes the unit and direction).
		for _, d := range f.Documents() {
			s := d.Sighting
			s.Source, s.SourceKey = source, r.Rel
			if err := sink.UpsertDocument(ctx, *d.Document, s); err != nil {
				return err
			}
		}
		if f.Revocation != nil {
			v := *f.Revocation
			v.SourceKey = r.Rel
			if err := sink.Revoke(ctx, v); err != nil {
				return err
			}
		}
		if f.Status != nil {
			st := *f.Status
			st.SourceKey = r.Rel
			if err := sink.ApplyStatus(ctx, st); err != nil {
				return err
			}
		}
	}
	return sink.SetCheckpoint(ctx, r.Stream(), r.checkpoint)
}

// process reads, hashes, parses and maps one file (worker goroutine). It
// never writes to the archive.
func (c *Connector) process(ctx context.Context, j job) result {
	r := result{job: j}
	f, err := filesource.Open(&j)
	if errors.Is(err, filesource.ErrVanished) {
		r.vanished = true
		return r
	}
	if err != nil {
		// Tried again next run: the checkpoint has no content hash.
		r.checkpoint = j.Checkpoint(filesource.Unreadable)
		r.reject = &facts.Reject{SourceKey: j.Rel, Location: j.Rel, Reason: err.Error()}
		return r
	}
	defer f.Close()
	r.job = j // size and mtime as of the open file: the checkpoint describes what was read
	h := sha256.New()
	var pkg *edxml.Package
	var perr error
	if c.src.TooBig(j) {
		perr = &edxml.Error{File: j.Rel, Msg: fmt.Sprintf("file is %d bytes, larger than max_file_size (%d bytes): not parsed", j.Size, c.src.MaxSize)}
	} else {
		// A file that cannot be parsed in its share of the run's time is
		// rejected (and checkpointed) rather than retried by every run.
		pctx, cancel := fileContext(ctx, j.Rel)
		pkg, perr = edxml.Parse(pctx, io.TeeReader(f, h), j.Rel, edxml.Options{MaxSize: c.src.MaxSize})
		cancel()
	}
	if ctx.Err() != nil {
		r.aborted = true // the run is stopping: nothing recorded, read again next run
		return r
	}
	// Hash what the parser left unread (nothing after a good package).
	buf := copyBufPool.Get().(*[]byte)
	_, err = io.CopyBuffer(h, onlyReader{f}, *buf)
	copyBufPool.Put(buf)
	if err != nil && perr == nil {
		perr = fmt.Errorf("%s: read error: %w", j.Rel, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	r.checkpoint = j.Checkpoint(sum)
	if j.PrevSHA() == sum {
		r.unchanged = true
		return r
	}
	if perr == nil {
		// The mtime is lineage only: a copied or restored archive gives every
		// file the time of the copy, so it never dates a document.
		// by_code: the package goes to the units its codes name, one
		// document for each commune it involves (documents.FromPackageByCode).
		from := documents.FromPackage
		if c.ByCode {
			from = documents.FromPackageByCode
		}
		facts, err := from(pkg, c.unit, c.env.Org, c.rules, documents.Seen{At: time.Unix(0, j.MTime)})
		if err != nil {
			perr = fmt.Errorf("%s: %w", j.Rel, err)
		} else {
			r.facts = &facts
			r.warnings = append(append([]string{}, pkg.Warnings...), facts.Warnings...)
			return r
		}
	}
	raw, note := filesource.Head(j, rawLimit)
	r.reject = &facts.Reject{SourceKey: j.Rel, Location: j.Rel, Field: edxml.ErrorPath(perr), Reason: perr.Error() + note, Hash: sum, Raw: raw}
	return r
}

// onlyReader hides *os.File's WriteTo so that io.CopyBuffer uses the pooled
// buffer instead of allocating one.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// archiveFile is the name filter of the archive: *.edxml and *.xml.
func archiveFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".edxml" || ext == ".xml"
}

// wanted applies the extension filter and the include/exclude globs.
func (c *Connector) wanted(rel string) bool { return c.src.Wanted(rel) }

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
