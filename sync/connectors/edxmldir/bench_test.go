package edxmldir

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chiso/adapters/edxml"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/mapping/documents"
	"chiso/warehouse/warehousetest"
)

// The archive benchmarks. Sizes scale with environment variables:
//
//	CHISO_BENCH_PACKAGES   packages in the generated archive (default 2000)
//	CHISO_BENCH_BIG_MB     decoded size of the big attachment (default 200)
//
// The goal at 100,000 packages on two cores is ≥ 10,000 packages/s end to
// end, at least half the parse-only rate, and under 100 MB of memory:
//
//	CHISO_BENCH_PACKAGES=100000 go test -run '^$' -bench Archive -benchtime 1x -timeout 30m ./sync/connectors/edxmldir/

// benchArchive generates an archive of about CHISO_BENCH_PACKAGES packages
// (default 2000) with edxmlgen and returns its root and file list.
func benchArchive(b *testing.B) (string, []string) {
	b.Helper()
	n := envInt(b, "CHISO_BENCH_PACKAGES", 2000)
	root := b.TempDir()
	// A commune-year is about 6000 packages (documents, revocations,
	// statuses); past one year the corpus is repeated over later years.
	for year := 2025; n > 0; year++ {
		scale := min(float64(n), 7500) / 6000
		corpus := edxmlgen.Corpus(int64(year), self, year, edxmlgen.WithScale(scale))
		w, err := edxmlgen.WriteArchive(root, corpus, edxmlgen.WriteOptions{MaxAttachment: 4 << 10})
		if err != nil {
			b.Fatal(err)
		}
		n -= w
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

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return v
}

// memPeak samples the memory the Go runtime holds from the OS (mapped and
// not released: heap, stacks, runtime structures) every few milliseconds
// until stop is called, and returns the peak in MB.
func memPeak() (stop func() float64) {
	runtime.GC()
	debug.FreeOSMemory()
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	var peak atomic.Uint64
	read := func() {
		metrics.Read(samples)
		held := samples[0].Value.Uint64() - samples[1].Value.Uint64()
		if held > peak.Load() {
			peak.Store(held)
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		read()
		return float64(peak.Load()) / (1 << 20)
	}
}

// BenchmarkArchive measures, on one generated archive, packages/s end to end
// (walk, read, hash, parse, map, write into the real PostgreSQL) with the
// peak memory of the run, parse+map only (one goroutine, and one per CPU),
// and insert only (the writer alone, from results parsed beforehand).
func BenchmarkArchive(b *testing.B) {
	root, files := benchArchive(b)
	ctx := context.Background()
	b.Logf("%d packages, GOMAXPROCS %d", len(files), runtime.GOMAXPROCS(0))

	b.Run("end-to-end", func(b *testing.B) {
		var total, busy time.Duration
		var peak float64
		for b.Loop() {
			b.StopTimer()
			st := warehousetest.New(b)
			c := newConnB(b, root)
			run, err := st.StartRun(ctx, "qlvb-archive")
			if err != nil {
				b.Fatal(err)
			}
			stop := memPeak()
			b.StartTimer()
			t0 := time.Now()
			stats, err := c.sync(ctx, run)
			if err = run.Finish(ctx, err); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t0)
			busy += stats.WriterBusy
			peak = max(peak, stop())
			if stats.Parsed+stats.Rejected != len(files) {
				b.Fatalf("read %d of %d files (%+v)", stats.Parsed+stats.Rejected, len(files), stats)
			}
			var rows int
			if err := st.DB.GetContext(ctx, &rows, `SELECT count(*) FROM sync_state WHERE connector = 'qlvb-archive'`); err != nil || rows != len(files) {
				b.Fatalf("%d checkpoints for %d files (%v)", rows, len(files), err)
			}
		}
		b.ReportMetric(float64(len(files)*b.N)/total.Seconds(), "packages/s")
		b.ReportMetric(peak, "peak-MB")
		// Near 100%: the database writes, not parsing, set the pace.
		b.ReportMetric(100*busy.Seconds()/total.Seconds(), "writer-busy-%")
	})

	parseAll := func(b *testing.B, files []string) {
		rules := documents.DefaultRules()
		for _, f := range files {
			pkg, err := edxml.ParseFile(context.Background(), f, edxml.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := documents.FromPackage(pkg, self, testOrg, rules, documents.Seen{At: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
	}

	b.Run("parse-only", func(b *testing.B) {
		b.ReportAllocs()
		var total time.Duration
		for b.Loop() {
			t0 := time.Now()
			parseAll(b, files)
			total += time.Since(t0)
		}
		b.ReportMetric(float64(len(files)*b.N)/total.Seconds(), "packages/s")
	})

	b.Run("parse-only-parallel", func(b *testing.B) {
		workers := runtime.GOMAXPROCS(0)
		var total time.Duration
		for b.Loop() {
			t0 := time.Now()
			var wg sync.WaitGroup
			for w := range workers {
				var part []string
				for i := w; i < len(files); i += workers {
					part = append(part, files[i])
				}
				wg.Go(func() { parseAll(b, part) })
			}
			wg.Wait()
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
			results = append(results, c.process(ctx, job{Rel: filepath.ToSlash(rel), Abs: f, Size: info.Size(), MTime: info.ModTime().UnixNano()}))
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

// BenchmarkBigAttachment syncs an archive of one package whose attachment
// is CHISO_BENCH_BIG_MB MB (default 200) decoded, written by edxmlgen's
// streaming writer, and reports the peak memory of the run (hash, parse,
// base64 check, write): it must not grow with the attachment.
func BenchmarkBigAttachment(b *testing.B) {
	mb := envInt(b, "CHISO_BENCH_BIG_MB", 200)
	root := b.TempDir()
	d := edxmlgen.Corpus(1, self, 2025, edxmlgen.WithScale(0.02))[0]
	d.Attachments = []edxmlgen.Attachment{{ContentID: "big", Name: "big.pdf", ContentType: "application/pdf", Size: int64(mb) * 1000 * 1000}}
	path := filepath.Join(root, "2025", "big.edxml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := edxmlgen.WritePackage(f, d, edxmlgen.WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	b.Logf("%.0f MB file", float64(info.Size())/1e6)
	ctx := context.Background()
	var peak float64
	for b.Loop() {
		b.StopTimer()
		st := warehousetest.New(b)
		c := newConnB(b, root)
		c.src.MaxSize = 1 << 40 // the base64 of 200 MB is over the default 256 MiB limit
		run, err := st.StartRun(ctx, "qlvb-archive")
		if err != nil {
			b.Fatal(err)
		}
		stop := memPeak()
		b.StartTimer()
		stats, err := c.sync(ctx, run)
		if err = run.Finish(ctx, err); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		peak = max(peak, stop())
		if stats.Parsed != 1 {
			b.Fatalf("stats %+v, want one package parsed", stats)
		}
		b.StartTimer()
	}
	b.SetBytes(info.Size())
	b.ReportMetric(peak, "peak-MB")
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
