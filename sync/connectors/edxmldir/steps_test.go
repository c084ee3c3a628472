package edxmldir

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/sync/connectors/filesource"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// The walk step over one file of a real folder: what it makes of it (a
// job to parse, a skip by checkpoint, a problem result, or nothing).
func TestWalkStep(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	cases := []struct {
		name  string
		rel   string
		setup func(t *testing.T, root, path string) map[string]string // the checkpoints
		want  string
	}{
		{"new file", "2026/a.edxml", nil, "job"},
		{"same size and mtime as its checkpoint", "2026/a.edxml", func(t *testing.T, root, path string) map[string]string {
			fi, _ := os.Stat(path)
			return map[string]string{"file:2026/a.edxml": fmt.Sprintf("%d:%d:%s", fi.Size(), fi.ModTime().UnixNano(), sum)}
		}, "skipped"},
		{"checkpoint of another mtime", "2026/a.edxml", func(t *testing.T, root, path string) map[string]string {
			fi, _ := os.Stat(path)
			return map[string]string{"file:2026/a.edxml": fmt.Sprintf("%d:%d:%s", fi.Size(), fi.ModTime().UnixNano()+1, sum)}
		}, "job"},
		{"unreadable checkpoint is read again", "2026/a.edxml", func(t *testing.T, root, path string) map[string]string {
			fi, _ := os.Stat(path)
			return map[string]string{"file:2026/a.edxml": fmt.Sprintf("%d:%d:unreadable", fi.Size(), fi.ModTime().UnixNano())}
		}, "job"},
		{"excluded folder", "tmp/a.edxml", nil, "none"},
		{"link out of the root", "2026/out.edxml", func(t *testing.T, root, path string) map[string]string {
			outside := filepath.Join(t.TempDir(), "x.edxml")
			write(t, filepath.Dir(outside), "x.edxml", []byte("x"))
			os.Remove(path)
			if err := os.Symlink(outside, path); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "problem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			path := write(t, root, c.rel, incoming(t, "Walk"))
			var cps map[string]string
			if c.setup != nil {
				cps = c.setup(t, root, path)
			}
			conn := newConn(t, root, nil)
			p := &pipeline{c: conn, log: slog.Default(), jobs: make(chan job, 8), results: make(chan result, 8)}
			<-p.walk(context.Background(), cps)
			close(p.results)
			got := "none"
			for j := range p.jobs {
				got = "job:" + j.Rel
			}
			for r := range p.results {
				got = "problem:" + r.problem.Rel
			}
			if p.skipped == 1 {
				got = "skipped"
			}
			want := c.want
			if want == "job" || want == "problem" {
				want += ":" + c.rel
			}
			if got != want || p.walkErr != nil {
				t.Errorf("got %s (walk error %v), want %s", got, p.walkErr, want)
			}
		})
	}
}

// The drain step: what each kind of result counts and whether it stops the
// pass, written through a real warehouse run.
func TestDrainStep(t *testing.T) {
	st := warehousetest.New(t)
	e := filesource.Entry{Rel: "2026/a.edxml", Size: 1, MTime: 1}
	cases := []struct {
		name    string
		results []result
		want    Stats
	}{
		{"nothing", nil, Stats{}},
		{"an aborted read records nothing", []result{{job: e, aborted: true}}, Stats{}},
		{"a vanished file", []result{{job: e, vanished: true}}, Stats{Vanished: 1}},
		{"unchanged content", []result{{job: e, unchanged: true, checkpoint: "1:1:" + strings.Repeat("0", 64)}}, Stats{Unchanged: 1}},
		{"a reject", []result{{job: e, checkpoint: "1:1:unreadable", reject: &facts.Reject{SourceKey: "2026/a.edxml", Location: "2026/a.edxml", Reason: "test"}}}, Stats{Rejected: 1}},
		{"a problem entry", []result{{problem: &filesource.Problem{Rel: "2026/l.edxml", Kind: "link-outside"}}}, Stats{Rejected: 1}},
		{"flushes every file", []result{{job: e, unchanged: true, checkpoint: "1:1:" + strings.Repeat("0", 64)}, {job: e, vanished: true}}, Stats{Unchanged: 1, Vanished: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			conn := newConn(t, t.TempDir(), func(c *Connector) { c.flushEvery = 1 })
			run, err := st.StartRun(ctx, "qlvb-archive")
			if err != nil {
				t.Fatal(err)
			}
			p := &pipeline{c: conn, log: slog.Default(), results: make(chan result, len(c.results)), bigRaws: make(chan struct{}, 1)}
			for _, r := range c.results {
				p.results <- r
			}
			close(p.results)
			var stats Stats
			err = p.drain(ctx, run, &stats)
			if ferr := run.Finish(ctx, err); ferr != nil || err != nil {
				t.Fatalf("drain: %v, finish: %v", err, ferr)
			}
			stats.WriterBusy, stats.WriterIdle = 0, 0
			if stats != c.want {
				t.Errorf("stats %+v, want %+v", stats, c.want)
			}
		})
	}
}
