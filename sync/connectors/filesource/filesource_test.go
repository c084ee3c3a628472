package filesource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// walkAll returns the visited entries and the problems by path.
func walkAll(t *testing.T, s *Source, prev map[string]string) (map[string]Entry, map[string]Problem, Stats) {
	t.Helper()
	files, problems := map[string]Entry{}, map[string]Problem{}
	stats, err := s.Walk(context.Background(), prev,
		func(e Entry) error { files[e.Rel] = e; return nil },
		func(p Problem) error { problems[p.Rel] = p; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return files, problems, stats
}

// TestWalkNeverLeavesRoot: links are read only when they resolve to a
// regular file under the root; every other entry is a counted problem.
func TestWalkNeverLeavesRoot(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "archive")
	outside := filepath.Join(top, "secret", "env.edxml")
	writeFile(t, outside, []byte("DB_PASSWORD=hunter2\n"))
	writeFile(t, filepath.Join(root, "2025/1/a.edxml"), []byte("<a/>"))
	writeFile(t, filepath.Join(root, "2025/1/.hidden.edxml"), []byte("<h/>"))
	writeFile(t, filepath.Join(root, "2025/1/~$lock.edxml"), []byte("<l/>"))
	writeFile(t, filepath.Join(root, "2025/1/notes.txt"), []byte("x"))
	symlink(t, "a.edxml", filepath.Join(root, "2025/1/inside.edxml"))
	symlink(t, outside, filepath.Join(root, "2025/1/outside.edxml"))
	symlink(t, "../../../secret/env.edxml", filepath.Join(root, "2025/1/outside-rel.edxml"))
	symlink(t, "loop.edxml", filepath.Join(root, "2025/1/loop.edxml"))
	symlink(t, "nothing.edxml", filepath.Join(root, "2025/1/dangling.edxml"))
	symlink(t, filepath.Join(top, "secret"), filepath.Join(root, "2025/linked-out.edxml"))
	symlink(t, "1", filepath.Join(root, "2025/linked.edxml"))
	if err := syscall.Mkfifo(filepath.Join(root, "2025/1/fifo.edxml"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Source{Root: root, SkipHidden: true, Accept: func(n string) bool { return strings.HasSuffix(n, ".edxml") }}
	files, problems, stats := walkAll(t, s, nil)

	if len(files) != 2 || files["2025/1/a.edxml"].Abs == "" || files["2025/1/inside.edxml"].Abs == "" {
		t.Fatalf("files %v, want a.edxml and the link inside.edxml", files)
	}
	if got := files["2025/1/inside.edxml"]; got.Abs != files["2025/1/a.edxml"].Abs || got.Size != 4 {
		t.Errorf("inside link read %s (%d bytes), want the target under the root", got.Abs, got.Size)
	}
	want := map[string]string{
		"2025/1/outside.edxml":     LinkOutside,
		"2025/1/outside-rel.edxml": LinkOutside,
		"2025/1/loop.edxml":        LinkLoop,
		"2025/1/dangling.edxml":    LinkDangling,
		"2025/linked.edxml":        LinkFolder,
		"2025/linked-out.edxml":    LinkOutside,
		"2025/1/fifo.edxml":        NotRegular,
	}
	for rel, kind := range want {
		p, ok := problems[rel]
		if !ok || p.Kind != kind || p.Known || !strings.HasPrefix(p.Reason, rel+": ") {
			t.Errorf("%s: problem %+v, want %s", rel, p, kind)
		}
		if strings.Contains(p.Reason, "hunter2") || strings.Contains(p.Reason, top) {
			t.Errorf("%s: reason %q quotes the target", rel, p.Reason)
		}
	}
	if len(problems) != len(want) || stats.Problems != len(want) || stats.Listed != 2 {
		t.Errorf("problems %v stats %+v, want %d problems", problems, stats, len(want))
	}

	// A problem checkpointed is known on the next walk: reported once.
	prev := map[string]string{}
	for _, p := range problems {
		prev[p.Stream()] = p.Checkpoint()
	}
	_, problems, stats = walkAll(t, s, prev)
	if stats.Problems != 0 || stats.KnownProblems != len(want) || !problems["2025/1/loop.edxml"].Known {
		t.Errorf("second walk: stats %+v", stats)
	}
	// A dangling link whose target appears is read.
	writeFile(t, filepath.Join(root, "2025/1/nothing.edxml"), []byte("<n/>"))
	files, _, _ = walkAll(t, s, prev)
	if e, ok := files["2025/1/dangling.edxml"]; !ok || e.Size != 4 {
		t.Errorf("fixed link not read: %v", files)
	}
}

// TestRootIsLink: a root that is itself a symbolic link is walked (its
// files are under it).
func TestRootIsLink(t *testing.T) {
	top := t.TempDir()
	writeFile(t, filepath.Join(top, "real/2025/a.edxml"), []byte("<a/>"))
	symlink(t, filepath.Join(top, "real"), filepath.Join(top, "root"))
	files, problems, _ := walkAll(t, &Source{Root: filepath.Join(top, "root")}, nil)
	if len(files) != 1 || len(problems) != 0 || files["2025/a.edxml"].Size != 4 {
		t.Errorf("files %v problems %v", files, problems)
	}
}

func TestSingleFileAndFlat(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "so-di.xlsx"), []byte("PK"))
	writeFile(t, filepath.Join(dir, "sub/old.xlsx"), []byte("PK"))
	files, _, _ := walkAll(t, &Source{Root: filepath.Join(dir, "so-di.xlsx")}, nil)
	if len(files) != 1 || files["so-di.xlsx"].Size != 2 {
		t.Errorf("single file: %v", files)
	}
	files, _, _ = walkAll(t, &Source{Root: dir, Flat: true}, nil)
	if len(files) != 1 || files["so-di.xlsx"].Abs == "" {
		t.Errorf("flat: %v", files)
	}
}

func TestQuickMatch(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		prev    string
		match   bool
		prevSHA string
		why     string
	}{
		{"", false, "", "never read"},
		{"10:5:" + sum, true, sum, "same size and mtime"},
		{"10:6:" + sum, false, sum, "touched"},
		{"11:5:" + sum, false, sum, "resized"},
		{"10:5:" + Unreadable, false, "", "unreadable before: tried again (issue 19)"},
		{"problem:" + LinkLoop, false, "", "a problem before"},
		{"10:5:", false, "", "no hash"},
	} {
		e := Entry{Size: 10, MTime: 5, Prev: tc.prev}
		if got := e.QuickMatch(); got != tc.match {
			t.Errorf("%s: QuickMatch(%q) = %v", tc.why, tc.prev, got)
		}
		if got := e.PrevSHA(); got != tc.prevSHA {
			t.Errorf("%s: PrevSHA(%q) = %q", tc.why, tc.prev, got)
		}
	}
}

// TestUnreadableRetried: a file that cannot be opened (EACCES, made real
// for root by lowering this thread's file-system uid) is reported
// unreadable; once readable again with the same size and mtime, the walk
// offers it again and it is read.
func TestUnreadableRetried(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "a.edxml")
	writeFile(t, p, []byte("<a/>"))
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	s := &Source{Root: root}
	files, _, _ := walkAll(t, s, nil)
	e := files["a.edxml"]

	err := asOtherUser(t, func() error { _, err := Hash(context.Background(), &e); return err })
	if err == nil || errors.Is(err, ErrVanished) || !strings.Contains(err.Error(), "a.edxml: cannot read: open: permission denied") {
		t.Fatalf("Hash of an unreadable file: %v", err)
	}
	prev := map[string]string{e.Stream(): e.Checkpoint(Unreadable)}

	if err := os.Chmod(p, 0o644); err != nil { // fixed; chmod keeps the mtime
		t.Fatal(err)
	}
	files, _, _ = walkAll(t, s, prev)
	e = files["a.edxml"]
	if e.QuickMatch() {
		t.Fatalf("entry %+v skipped: an unreadable checkpoint must not match", e)
	}
	sum, err := Hash(context.Background(), &e)
	if err != nil || !isSHA256(sum) {
		t.Fatalf("Hash after the fix: %q, %v", sum, err)
	}
}

// asOtherUser runs f on one OS thread whose file-system uid is nobody's, so
// that permissions apply even when the tests run as root.
func asOtherUser(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // the thread dies with the goroutine: its fsuid goes with it
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETFSUID, 65534, 0, 0); e != 0 {
			done <- e
			return
		}
		done <- f()
	}()
	return <-done
}

func TestOpenVanished(t *testing.T) {
	e := Entry{Rel: "gone.edxml", Abs: filepath.Join(t.TempDir(), "gone.edxml")}
	if _, err := Open(&e); !errors.Is(err, ErrVanished) {
		t.Errorf("Open: %v, want ErrVanished", err)
	}
}

func TestHead(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "big.edxml"), []byte(strings.Repeat("x", 100)))
	files, _, _ := walkAll(t, &Source{Root: root}, nil)
	raw, note := Head(files["big.edxml"], 10)
	if len(raw) != 10 || note != " (raw bytes: the first 10 of 100 kept)" {
		t.Errorf("Head: %d bytes, note %q", len(raw), note)
	}
	raw, note = Head(files["big.edxml"], 1000)
	if len(raw) != 100 || note != "" {
		t.Errorf("Head: %d bytes, note %q", len(raw), note)
	}
}

func TestGlobs(t *testing.T) {
	for _, tc := range []struct {
		include, exclude []string
		rel              string
		want             bool
	}{
		{nil, nil, "2025/11/a.edxml", true},
		{[]string{"2025/**"}, nil, "2025/11/a.edxml", true},
		{[]string{"2025/**"}, nil, "2024/11/a.edxml", false},
		{nil, []string{"**/tmp/**"}, "2025/tmp/a.edxml", false},
		{nil, []string{"*.partial.edxml"}, "2025/1/x.partial.edxml", false},
		{nil, []string{"2025/?/*"}, "2025/1/x.edxml", false},
		{nil, []string{"2025/?/*"}, "2025/11/x.edxml", true},
	} {
		inc, err := CompileGlobs(tc.include)
		if err != nil {
			t.Fatal(err)
		}
		exc, err := CompileGlobs(tc.exclude)
		if err != nil {
			t.Fatal(err)
		}
		s := &Source{Include: inc, Exclude: exc}
		if got := s.Wanted(tc.rel); got != tc.want {
			t.Errorf("include %q exclude %q: Wanted(%q) = %v", tc.include, tc.exclude, tc.rel, got)
		}
	}
	if _, err := CompileGlobs([]string{"[2025"}); err == nil || !strings.Contains(err.Error(), "unclosed [") {
		t.Errorf("bad glob: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"": 7, "256MiB": 256 << 20, "300MB": 300e6, "1GiB": 1 << 30, "1048576": 1 << 20, "64 KiB": 64 << 10} {
		if got, err := ParseSize(in, 7); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"big", "-1MiB", "0"} {
		if _, err := ParseSize(in, 7); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
