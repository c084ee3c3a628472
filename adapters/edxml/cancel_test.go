package edxml_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"chiso/adapters/edxml"
)

// cancelAfter passes r through and calls cancel once n bytes went by; it
// counts what is read after that.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel func()
	read   int64
	after  int64
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read > c.n {
		if c.cancel != nil {
			c.cancel()
			c.cancel = nil
		} else {
			c.after += int64(n)
		}
	}
	return n, err
}

// TestParseCancelled cancels the context in the middle of a 64 MB
// attachment: Parse stops within a read buffer or two and says why, with
// the context's error and not a verdict on the file.
func TestParseCancelled(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel func(context.Context) (context.Context, func())
		want   error
		reject bool // a verdict on the file (*edxml.Error)
	}{
		{"cancelled", func(ctx context.Context) (context.Context, func()) {
			return context.WithCancel(ctx)
		}, context.Canceled, false},
		{"file time budget used up", func(ctx context.Context) (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(ctx)
			return ctx, func() { cancel(edxml.ErrTimeBudget) }
		}, edxml.ErrTimeBudget, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.cancel(context.Background())
			src := &cancelAfter{r: (&generatedPackage{payload: 64 << 20}).reader(), n: 8 << 20, cancel: cancel}
			_, err := edxml.Parse(ctx, src, "big.edxml", edxml.Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.want)
			}
			var pe *edxml.Error
			if errors.As(err, &pe) != tc.reject {
				t.Errorf("error %v (%T): verdict on the file = %v, want %v", err, err, !tc.reject, tc.reject)
			}
			if src.after > 64<<10 {
				t.Errorf("read %d bytes after the cancellation, want at most a read buffer or two", src.after)
			}
		})
	}
}

// TestFileContext gives one file a quarter of the time left to its run, and
// no deadline of its own when the run has none.
func TestFileContext(t *testing.T) {
	run, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	fctx, fcancel := edxml.FileContext(run)
	defer fcancel()
	rd, _ := run.Deadline()
	fd, ok := fctx.Deadline()
	if !ok || fd.After(rd) || time.Until(fd) > 10*time.Minute || time.Until(fd) < 9*time.Minute {
		t.Errorf("file deadline in %v, want about 10m (a quarter of the run's 40m)", time.Until(fd))
	}
	fcancel()
	if run.Err() != nil {
		t.Error("ending the file's context ended the run's")
	}
	free, fcancel2 := edxml.FileContext(context.Background())
	defer fcancel2()
	if _, ok := free.Deadline(); ok {
		t.Error("a run without deadline gave the file one")
	}
}
