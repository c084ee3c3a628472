package edxmldir

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/mapping/documents"
	"chiso/warehouse/warehousetest"
)

// benchArchive generates an archive of about CHISO_BENCH_PACKAGES packages
// (default 2000) with edxmlgen and returns its root and file list.
func benchArchive(b *testing.B) (string, []string) {
	b.Helper()
	n := 2000
	if s := os.Getenv("CHISO_BENCH_PACKAGES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("CHISO_BENCH_PACKAGES=%q: want a positive integer", s)
		}
		n = v
	}
	root := b.TempDir()
	// A commune-year is about 6000 packages (documents, revocations, statuses).
	corpus := edxmlgen.Corpus(1, self, 2025, edxmlgen.WithScale(float64(n)/6000))
	if _, err := edxmlgen.WriteArchive(root, corpus, edxmlgen.WriteOptions{MaxAttachment: 4 << 10}); err != nil {
		b.Fatal(err)
	}
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	return root, files
}

// BenchmarkArchive measures packages/s end to end (walk, parse, map, write
// into the real PostgreSQL), parse+map only, and insert only.
func BenchmarkArchive(b *testing.B) {
	root, files := benchArchive(b)
	ctx := context.Background()
	b.Logf("%d packages", len(files))

	b.Run("end-to-end", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			b.StopTimer()
			st := warehousetest.New(b)
			c := newConnB(b, root)
			run, err := st.StartRun(ctx, "qlvb-archive")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			stats, err := c.sync(ctx, run)
			if err = run.Finish(ctx, err); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t0)
			if stats.Parsed+stats.Rejected != len(files) {
				b.Fatalf("read %d of %d files (%+v)", stats.Parsed+stats.Rejected, len(files), stats)
			}
		}
		b.ReportMetric(float64(len(files)*b.N)/total.Seconds(), "packages/s")
	})

	b.Run("parse-only", func(b *testing.B) {
		b.ReportAllocs()
		rules := documents.DefaultRules()
		var total time.Duration
		for b.Loop() {
			t0 := time.Now()
			for _, f := range files {
				pkg, err := edxml.ParseFile(f, edxml.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := documents.FromPackage(pkg, self, testOrg, rules, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			total += time.Since(t0)
		}
		b.ReportMetric(float64(len(files)*b.N)/total.Seconds(), "packages/s")
	})

	b.Run("insert-only", func(b *testing.B) {
		c := newConnB(b, root)
		var results []result
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			info, _ := os.Stat(f)
			results = append(results, c.process(ctx, job{rel: filepath.ToSlash(rel), abs: f, size: info.Size(), mtime: info.ModTime().UnixNano()}))
		}
		var total time.Duration
		for b.Loop() {
			b.StopTimer()
			st := warehousetest.New(b)
			run, err := st.StartRun(ctx, "qlvb-archive")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			var stats Stats
			for i, r := range results {
				if err := c.write(ctx, run, "edxml-dir:bench", r, &stats); err != nil {
					b.Fatal(err)
				}
				if (i+1)%c.flushEvery == 0 {
					if err := run.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := run.Finish(ctx, nil); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t0)
		}
		b.ReportMetric(float64(len(results)*b.N)/total.Seconds(), "packages/s")
	})
}

func newConnB(b *testing.B, root string) *Connector {
	b.Helper()
	c := New()
	c.Path = root
	if err := c.Validate(connectorEnv()); err != nil {
		b.Fatal(err)
	}
	return c
}
