package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"chiso/warehouse"
)

// RunFunc is one unit of work of a connector run.
type RunFunc func(ctx context.Context) error

// Decorator wraps a RunFunc with one concern (timeout, recovery, locking).
type Decorator func(RunFunc) RunFunc

// Chain applies decorators to f; the first one is the outermost.
func Chain(f RunFunc, ds ...Decorator) RunFunc {
	for i := len(ds) - 1; i >= 0; i-- {
		f = ds[i](f)
	}
	return f
}

// ErrSkipped is wrapped by every error that means "this run did not happen
// and that is not a failure": it is counted in metrics, never recorded as a
// failed run.
var ErrSkipped = errors.New("skipped")

var (
	// ErrOverrun: the previous run of the connector in this process is still going.
	ErrOverrun = fmt.Errorf("%w: the previous run of this connector is still going", ErrSkipped)
	// ErrLocked: another process (a second daemon, a `chiso sync`) holds the connector's lock.
	ErrLocked = fmt.Errorf("%w: another chiso process is running this connector now", ErrSkipped)
	// ErrServed: the schedule tick was already served by another daemon.
	ErrServed = fmt.Errorf("%w: this schedule tick was already run by another chiso daemon", ErrSkipped)
)

// WithTimeout bounds a run by d (the connector's timeout); 0 means no bound.
// A run cut by its timeout fails with an error that says so; the reason is
// also the context's cause, so inner code can record it (see Runner.Run).
func WithTimeout(d time.Duration) Decorator {
	return func(next RunFunc) RunFunc {
		return func(ctx context.Context) error {
			if d <= 0 {
				return next(ctx)
			}
			timedOut := fmt.Errorf("timed out after %s (the connector's timeout; raise it or shorten the work of one run)", d)
			tctx, cancel := context.WithTimeoutCause(ctx, d, timedOut)
			defer cancel()
			err := next(tctx)
			if err != nil && ctx.Err() == nil && tctx.Err() != nil && !errors.Is(err, timedOut) {
				return fmt.Errorf("%w: %w", timedOut, err)
			}
			return err
		}
	}
}

// withCause prefixes err with the cause of ctx's cancellation (timeout,
// shutdown), so that the run record says why a run was cut.
func withCause(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	if cause == nil || cause == ctx.Err() || errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
}

// WithRecover turns a panic into an error, logging the stack, so that the
// run is recorded as failed and the daemon goes on.
func WithRecover(log *slog.Logger, connector string) Decorator {
	return func(next RunFunc) RunFunc {
		return func(ctx context.Context) (err error) {
			defer func() {
				if p := recover(); p != nil {
					log.Error("connector panicked", "connector", connector, "panic", p, "stack", string(debug.Stack()))
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return next(ctx)
		}
	}
}

// WithNoOverlap lets one run at a time through slot (a channel of capacity
// one per connector); a run arriving while another is going returns
// ErrOverrun at once.
func WithNoOverlap(slot chan struct{}) Decorator {
	return func(next RunFunc) RunFunc {
		return func(ctx context.Context) error {
			select {
			case slot <- struct{}{}:
				defer func() { <-slot }()
				return next(ctx)
			default:
				return ErrOverrun
			}
		}
	}
}

// WithAdvisoryLock holds the connector's PostgreSQL advisory lock for the
// run, so that processes sharing a warehouse never run one connector
// twice at once; when another holds it the run returns ErrLocked. Runs
// that a killed process left 'running' are closed as failed first (no run
// can be in progress while we hold the lock).
func WithAdvisoryLock(store *warehouse.Store, connector string, log *slog.Logger) Decorator {
	return func(next RunFunc) RunFunc {
		return func(ctx context.Context) error {
			lock, err := store.TryConnectorLock(ctx, connector)
			if err != nil {
				return err
			}
			if lock == nil {
				return ErrLocked
			}
			defer func() {
				if err := lock.Release(); err != nil {
					log.Warn("releasing the connector lock", "connector", connector, "err", err)
				}
			}()
			if n, err := store.CloseInterruptedRuns(ctx, connector); err != nil {
				return err
			} else if n > 0 {
				log.Warn("closed runs left unfinished by a stopped process", "connector", connector, "runs", n)
			}
			return next(ctx)
		}
	}
}

// WithOncePerTick runs next only if the schedule tick was not served yet
// (by this daemon or another one on the same warehouse); otherwise it
// returns ErrServed. Use it inside WithAdvisoryLock. A zero tick (a manual
// run) always goes through.
func WithOncePerTick(store *warehouse.Store, connector string, tick time.Time) Decorator {
	return func(next RunFunc) RunFunc {
		return func(ctx context.Context) error {
			if tick.IsZero() {
				return next(ctx)
			}
			ok, err := store.ClaimTick(ctx, connector, tick)
			if err != nil {
				return err
			}
			if !ok {
				return ErrServed
			}
			return next(ctx)
		}
	}
}

// WithTurn waits up to wait for slot (see WithNoOverlap) instead of
// skipping at once: for batches whose sender waits for the answer. It
// returns ErrBusy when the wait ends first.
func WithTurn(slot chan struct{}, wait time.Duration) Decorator {
	return func(next RunFunc) RunFunc {
		return func(ctx context.Context) error {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case slot <- struct{}{}:
				defer func() { <-slot }()
				return next(ctx)
			case <-t.C:
				return ErrBusy
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// WithAdvisoryLockWait is WithAdvisoryLock that tries again for up to wait
// while another process holds the lock, then returns ErrBusy.
func WithAdvisoryLockWait(store *warehouse.Store, connector string, wait time.Duration, log *slog.Logger) Decorator {
	return func(next RunFunc) RunFunc {
		locked := WithAdvisoryLock(store, connector, log)(next)
		return func(ctx context.Context) error {
			deadline := time.Now().Add(wait)
			for {
				err := locked(ctx)
				if !errors.Is(err, ErrLocked) {
					return err
				}
				if time.Now().After(deadline) {
					return ErrBusy
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	}
}
