package sync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestWithTimeout(t *testing.T) {
	waits := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	quick := func(ctx context.Context) error { return nil }
	fails := func(ctx context.Context) error { return errors.New("upstream said no") }
	tests := []struct {
		name    string
		d       time.Duration
		f       RunFunc
		wantErr string
	}{
		{"run cut at its timeout", 20 * time.Millisecond, waits, "timed out after 20ms"},
		{"quick run", time.Second, quick, ""},
		{"own error kept", time.Second, fails, "upstream said no"},
		{"zero means no bound", 0, quick, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WithTimeout(tt.d)(tt.f)(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	// A cancelled parent (shutdown) is not reported as a timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WithTimeout(time.Hour)(waits)(ctx); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "timed out") {
		t.Errorf("cancelled parent: err = %v", err)
	}
}

func TestWithRecover(t *testing.T) {
	tests := []struct {
		name    string
		f       RunFunc
		wantErr string
		wantLog string
	}{
		{"panic becomes an error", func(context.Context) error { panic("index out of range") }, "panic: index out of range", "decorators_test.go"},
		{"error passes", func(context.Context) error { return errors.New("plain") }, "plain", ""},
		{"nil passes", func(context.Context) error { return nil }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			err := WithRecover(newLogger(&logs), "c1")(tt.f)(context.Background())
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantLog != "" && (!strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "connector=c1")) {
				t.Errorf("the log has no stack: %s", logs.String())
			}
		})
	}
}

func TestWithNoOverlap(t *testing.T) {
	slot := make(chan struct{}, 1)
	started, release := make(chan struct{}), make(chan struct{})
	long := WithNoOverlap(slot)(func(context.Context) error { close(started); <-release; return nil })
	done := make(chan error)
	go func() { done <- long(context.Background()) }()
	<-started
	ran := false
	second := WithNoOverlap(slot)(func(context.Context) error { ran = true; return nil })
	if err := second(context.Background()); !errors.Is(err, ErrOverrun) || !errors.Is(err, ErrSkipped) || ran {
		t.Fatalf("overlapping run: err = %v, ran = %v", err, ran)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := second(context.Background()); err != nil || !ran {
		t.Fatalf("after the first ended: err = %v, ran = %v", err, ran)
	}
	// A panic inside still frees the slot.
	func() {
		defer func() { _ = recover() }()
		_ = WithNoOverlap(slot)(func(context.Context) error { panic("x") })(context.Background())
	}()
	if len(slot) != 0 {
		t.Error("the slot stayed taken after a panic")
	}
}

// Two stores on one database stand for two daemons sharing a warehouse.
func TestWithAdvisoryLock(t *testing.T) {
	dsn := warehousetest.NewDatabase(t)
	ctx := context.Background()
	a, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	log := newLogger(&logBuffer{})

	// A run left 'running' by a killed process is closed when the lock is taken.
	if _, err := a.StartRun(ctx, "vxp"); err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- WithAdvisoryLock(a, "vxp", log)(func(context.Context) error { close(inside); <-release; return nil })(ctx)
	}()
	<-inside
	tests := []struct {
		name      string
		store     *warehouse.Store
		connector string
		want      error
	}{
		{"other process, same connector", b, "vxp", ErrLocked},
		{"same process, same connector (another session)", a, "vxp", ErrLocked},
		{"other connector", b, "dvc", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := false
			err := WithAdvisoryLock(tt.store, tt.connector, log)(func(context.Context) error { ran = true; return nil })(ctx)
			if !errors.Is(err, tt.want) || ran != (tt.want == nil) {
				t.Fatalf("err = %v, ran = %v; want %v", err, ran, tt.want)
			}
		})
	}
	var status string
	if err := a.DB.Get(&status, `SELECT status FROM sync_runs WHERE connector = 'vxp'`); err != nil || status != "failed" {
		t.Errorf("interrupted run: status %q, %v", status, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Released: the other process gets it now.
	if err := WithAdvisoryLock(b, "vxp", log)(func(context.Context) error { return nil })(ctx); err != nil {
		t.Fatalf("after release: %v", err)
	}
	// The lock connection went back to the pool unlocked.
	var held int
	if err := a.DB.Get(&held, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'`); err != nil || held != 0 {
		t.Errorf("advisory locks still held: %d, %v", held, err)
	}
}

func TestWithOncePerTick(t *testing.T) {
	st := warehousetest.New(t)
	ctx := context.Background()
	tick := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	runs := 0
	f := func(context.Context) error { runs++; return nil }
	tests := []struct {
		name string
		tick time.Time
		want error
	}{
		{"first claim runs", tick, nil},
		{"same tick again is served", tick, ErrServed},
		{"same instant in another zone is the same tick", tick.In(vntime.Location), ErrServed},
		{"an older tick is served", tick.Add(-time.Minute), ErrServed},
		{"next tick runs", tick.Add(time.Minute), nil},
		{"manual run always goes", time.Time{}, nil},
	}
	want := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WithOncePerTick(st, "vxp", tt.tick)(f)(ctx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil {
				want++
			}
			if runs != want {
				t.Fatalf("runs = %d, want %d", runs, want)
			}
		})
	}
	// Other connectors have their own ticks.
	if err := WithOncePerTick(st, "dvc", tick)(f)(ctx); err != nil {
		t.Fatal(err)
	}
}
