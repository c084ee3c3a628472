// Package filesource is the one file source of the folder connectors
// (edxml-dir, register-file, dvc-dir, meetings-file): it walks the
// connector's path, filters names (extension, include/exclude globs,
// hidden and lock files), applies the size limit, keeps the per-file
// checkpoint "size:mtime:sha256" and hands out the raw bytes a reject may
// keep. It never writes to the folder.
//
// The walk never leaves the connector's root: a symbolic link is resolved
// and read only when its target is a regular file under the root; a link
// out of the root, a link loop, a dangling link, a link to a folder, a
// special file (FIFO, socket, device) and a folder that cannot be listed
// are reported as a Problem (the connector keeps it in rejects, without
// bytes, and checkpoints it so that it is reported once until it changes).
//
// A file that could not be opened is checkpointed "size:mtime:unreadable"
// and tried again on every walk: a checkpoint without a content hash never
// makes a file look unchanged.
package filesource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"chiso/sync/connector"
	"chiso/warehouse/facts"
)

// StreamPrefix is the checkpoint stream prefix of a file: "file:<relpath>".
const StreamPrefix = "file:"

// Unreadable is the hash part of the checkpoint of a file that could not be
// opened or read. Such a checkpoint never matches: the file is tried again.
const Unreadable = "unreadable"

// Problem kinds: an entry under the root that is not read.
const (
	LinkOutside  = "link-outside"  // a symbolic link to something outside the root
	LinkLoop     = "link-loop"     // a symbolic link that never resolves (ELOOP)
	LinkDangling = "link-dangling" // a symbolic link to nothing
	LinkFolder   = "link-folder"   // a symbolic link to a folder (not followed)
	NotRegular   = "not-regular"   // a FIFO, socket or device with a wanted name
	FolderError  = "folder-error"  // a folder that cannot be listed
)

// Source is a connector's folder (or single file) and its filters. The zero
// value of every field but Root is usable: no globs, no size limit, every
// name accepted.
type Source struct {
	// Root is the connector's path: a folder, or one file.
	Root string
	// Include and Exclude filter the path relative to Root (CompileGlobs).
	Include, Exclude []Glob
	// MaxSize is the size above which a file is not parsed (0: no limit);
	// the connector rejects it (see TooBig).
	MaxSize int64
	// Accept filters file names (an extension test); nil accepts all.
	Accept func(name string) bool
	// SkipHidden skips names starting with "." (files and folders) and
	// office lock files ("~$…").
	SkipHidden bool
	// Flat reads only the files directly in Root, not its sub-folders.
	Flat bool
}

// Entry is a file to look at.
type Entry struct {
	Rel   string // slash path relative to the root (a single-file root: its base name)
	Abs   string // the path read: the resolved file, always under the root
	Size  int64
	MTime int64  // UnixNano
	Prev  string // the previous checkpoint ("" when none)
}

// Stream is the entry's checkpoint stream: "file:<rel>".
func (e Entry) Stream() string { return StreamPrefix + e.Rel }

// Quick is the "size:mtime" part of the checkpoint.
func (e Entry) Quick() string {
	return strconv.FormatInt(e.Size, 10) + ":" + strconv.FormatInt(e.MTime, 10)
}

// Checkpoint is the entry's checkpoint with the content hash sum (or
// Unreadable).
func (e Entry) Checkpoint(sum string) string { return e.Quick() + ":" + sum }

// QuickMatch reports whether the previous checkpoint has the same size and
// mtime and a content hash: the file can be skipped without being opened.
// An "unreadable" checkpoint never matches.
func (e Entry) QuickMatch() bool {
	rest, ok := strings.CutPrefix(e.Prev, e.Quick()+":")
	return ok && isSHA256(rest)
}

// PrevSHA is the content hash of the previous checkpoint ("" when none).
func (e Entry) PrevSHA() string {
	i := strings.LastIndexByte(e.Prev, ':')
	if i < 0 || !isSHA256(e.Prev[i+1:]) {
		return ""
	}
	return e.Prev[i+1:]
}

// TooBig reports whether the file is larger than the size limit.
func (s *Source) TooBig(e Entry) bool { return s.MaxSize > 0 && e.Size > s.MaxSize }

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Problem is an entry under the root that is not read (see the kinds).
type Problem struct {
	Rel    string // slash path relative to the root
	Kind   string
	Reason string // names the entry and the problem; never the bytes of a file
	// Known is true when the previous checkpoint already records this
	// problem: it was reported before and nothing changed.
	Known bool
}

// Stream is the problem entry's checkpoint stream.
func (p Problem) Stream() string { return StreamPrefix + p.Rel }

// Checkpoint is the checkpoint that records the problem.
func (p Problem) Checkpoint() string { return "problem:" + p.Kind }

// Stats count what a walk saw.
type Stats struct {
	Listed        int // wanted regular files visited
	Problems      int // entries not read (new or changed problems)
	KnownProblems int // entries not read, already reported
}

// Check verifies that the root exists and, for a folder, can be listed.
func (s *Source) Check(ctx context.Context) error {
	st, err := os.Stat(s.Root)
	if err != nil {
		return fmt.Errorf("path %s: %w", s.Root, err)
	}
	if !st.IsDir() {
		return nil
	}
	f, err := os.Open(s.Root)
	if err != nil {
		return fmt.Errorf("path %s: %w", s.Root, err)
	}
	defer f.Close()
	if _, err := f.ReadDir(1); err != nil && err != io.EOF {
		return fmt.Errorf("path %s cannot be listed: %w", s.Root, err)
	}
	return nil
}

// Wanted applies the name filters and the include/exclude globs to a path
// relative to the root.
func (s *Source) Wanted(rel string) bool {
	base := path.Base(rel)
	if s.SkipHidden && hidden(base) {
		return false
	}
	if s.Accept != nil && !s.Accept(base) {
		return false
	}
	if len(s.Include) > 0 && !matchAny(s.Include, rel) {
		return false
	}
	return !matchAny(s.Exclude, rel)
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") }

// Walk visits every wanted regular file under the root in lexical order,
// with its previous checkpoint from prev (keyed by stream), and reports
// every entry it does not read through problem. visit decides what to do
// with an entry (Entry.QuickMatch tells an unchanged one). An error
// returned by visit or problem stops the walk and is returned.
func (s *Source) Walk(ctx context.Context, prev map[string]string, visit func(Entry) error, problem func(Problem) error) (Stats, error) {
	var stats Stats
	real, err := filepath.EvalSymlinks(s.Root)
	if err != nil {
		return stats, fmt.Errorf("path %s: %w", s.Root, err)
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return stats, fmt.Errorf("path %s: %w", s.Root, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return stats, fmt.Errorf("path %s: %w", s.Root, err)
	}
	report := func(rel, kind, reason string) error {
		p := Problem{Rel: rel, Kind: kind, Reason: rel + ": " + reason}
		p.Known = prev[p.Stream()] == p.Checkpoint()
		if p.Known {
			stats.KnownProblems++
		} else {
			stats.Problems++
		}
		return problem(p)
	}
	if !st.IsDir() {
		// One file: its base name is its key.
		rel := filepath.Base(s.Root)
		if !st.Mode().IsRegular() {
			return stats, report(rel, NotRegular, "not a regular file: not read")
		}
		stats.Listed++
		e := Entry{Rel: rel, Abs: real, Size: st.Size(), MTime: st.ModTime().UnixNano()}
		e.Prev = prev[e.Stream()]
		return stats, visit(e)
	}
	err = filepath.WalkDir(real, func(abs string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, rerr := filepath.Rel(real, abs)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished while we walked
			}
			if abs == real {
				return err
			}
			if rep := report(rel, FolderError, fmt.Sprintf("cannot be listed: %v", errText(err))); rep != nil {
				return rep
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if abs == real {
				return nil
			}
			if s.Flat || (s.SkipHidden && hidden(d.Name())) {
				return fs.SkipDir
			}
			return nil
		}
		if !s.Wanted(rel) {
			return nil
		}
		e, kind, reason := s.resolve(real, abs, d)
		if kind != "" {
			return report(rel, kind, reason)
		}
		if kind == "" && e.Abs == "" {
			return nil // vanished
		}
		e.Rel = rel
		e.Prev = prev[e.Stream()]
		stats.Listed++
		return visit(e)
	})
	return stats, err
}

// resolve stats a wanted entry: a regular file, or a link resolved to a
// regular file under the root. kind is set when the entry is not read; an
// Entry without Abs and no kind means the entry vanished.
func (s *Source) resolve(real, abs string, d fs.DirEntry) (e Entry, kind, reason string) {
	target := abs
	if d.Type()&fs.ModeSymlink != 0 {
		_, err := os.Stat(abs)
		switch {
		case errors.Is(err, syscall.ELOOP):
			return e, LinkLoop, "symbolic link loop: not read"
		case errors.Is(err, fs.ErrNotExist):
			if _, lerr := os.Lstat(abs); lerr != nil {
				return e, "", "" // the link itself vanished
			}
			return e, LinkDangling, "symbolic link to nothing: not read"
		}
		t, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return e, LinkDangling, fmt.Sprintf("symbolic link cannot be resolved: %v", errText(err))
		}
		if !under(real, t) {
			return e, LinkOutside, "symbolic link to a file outside the connector's path: not read"
		}
		target = t
	}
	st, err := os.Lstat(target)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return e, "", ""
		}
		return e, NotRegular, fmt.Sprintf("cannot be examined: %v", errText(err))
	}
	switch {
	case st.IsDir():
		return e, LinkFolder, "symbolic link to a folder: not followed"
	case !st.Mode().IsRegular():
		return e, NotRegular, "not a regular file: not read"
	}
	return Entry{Abs: target, Size: st.Size(), MTime: st.ModTime().UnixNano()}, "", ""
}

// under reports whether p is root or inside it (both clean absolute paths).
func under(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// errText is an error without the absolute path the os package puts in it.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// ErrVanished is returned by Open for a file gone since the walk.
var ErrVanished = errors.New("file vanished")

// Open opens an entry for reading without following a link in its last
// component, and refreshes its size and mtime from the open file (the
// checkpoint then describes what was read). It returns ErrVanished for a
// file gone since the walk; any other error means the file is unreadable
// (checkpoint Entry.Checkpoint(Unreadable)).
func Open(e *Entry) (*os.File, error) {
	f, err := os.OpenFile(e.Abs, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrVanished
		}
		return nil, fmt.Errorf("%s: cannot read: %s", e.Rel, errText(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: cannot read: %s", e.Rel, errText(err))
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: cannot read: not a regular file", e.Rel)
	}
	e.Size, e.MTime = st.Size(), st.ModTime().UnixNano()
	return f, nil
}

// Hash opens an entry and returns the hex SHA-256 of its content (Open's
// errors; the entry's size and mtime refreshed).
func Hash(ctx context.Context, e *Entry) (string, error) {
	f, err := Open(e)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%s: cannot read: %s", e.Rel, errText(err))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Head returns the bytes of a bad file that a reject may keep: all of it,
// or the first limit bytes of a larger one, and a note for the reason
// saying so (" (raw bytes: the first N of M kept)"). It reads only entries
// of a walk, which are under the root; it never follows a link.
func Head(e Entry, limit int64) ([]byte, string) {
	f, err := Open(&e)
	if err != nil {
		return nil, " (raw bytes not kept: the file cannot be read again)"
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return raw, fmt.Sprintf(" (raw bytes incomplete: %s)", errText(err))
	}
	if e.Size > int64(len(raw)) {
		return raw, fmt.Sprintf(" (raw bytes: the first %d of %d kept)", len(raw), e.Size)
	}
	return raw, ""
}

// ReportProblem keeps a new problem in rejects (the entry's path, kind and
// reason; no bytes: nothing of a file that is not read is kept) and
// checkpoints it, so that it is reported once until the entry changes. A
// known problem writes nothing.
func ReportProblem(ctx context.Context, sink connector.Sink, p Problem) error {
	if p.Known {
		return nil
	}
	if err := sink.Reject(ctx, facts.Reject{SourceKey: p.Rel, Location: p.Rel, Reason: p.Reason}); err != nil {
		return err
	}
	return sink.SetCheckpoint(ctx, p.Stream(), p.Checkpoint())
}
