package sync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"chiso/sync/connector"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// A batch (a push) runs through the runner like a scheduled sync: a run
// record with its counts, the metrics, panic recovery; it waits for the
// connector's turn instead of skipping, and gives up with ErrBusy (nothing
// recorded as failed) when another process keeps the lock.
func TestRunBatch(t *testing.T) {
	st := warehousetest.New(t)
	ctx := context.Background()
	var logs logBuffer
	r := NewRunner(nil, newLogger(&logs))
	meeting := func(uid string) facts.Meeting {
		return facts.Meeting{UnitCode: "000.25.31.H99", UID: uid, Source: "push-test", Title: "Họp " + uid,
			StartsAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	}
	opts := BatchOptions{Wait: 300 * time.Millisecond}
	status := func(t *testing.T, id int64) (string, string) {
		t.Helper()
		var s, e string
		if err := st.DB.QueryRow(`SELECT status, coalesce(error,'') FROM sync_runs WHERE id = $1`, id).Scan(&s, &e); err != nil {
			t.Fatal(err)
		}
		return s, e
	}

	t.Run("recorded", func(t *testing.T) {
		res, err := r.RunBatch(ctx, st, "push-test", opts, func(ctx context.Context, run connector.Sink) error {
			run.Fetched(2)
			for _, uid := range []string{"a", "b"} {
				if err := run.UpsertMeeting(ctx, meeting(uid)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || res.Status != "ok" || res.Upserted != 2 || res.Fetched != 2 {
			t.Fatalf("result %+v, %v", res, err)
		}
		if s, _ := status(t, res.RunID); s != "ok" {
			t.Errorf("sync_runs status %s", s)
		}
		if v := metricValue(metricsText(t, r.Metrics), `chiso_sync_runs_total{connector="push-test",status="ok"}`); v != "1" {
			t.Errorf("runs_total = %q", v)
		}
	})
	t.Run("panic", func(t *testing.T) {
		res, err := r.RunBatch(ctx, st, "push-test", opts, func(ctx context.Context, run connector.Sink) error {
			if err := run.UpsertMeeting(ctx, meeting("c")); err != nil {
				return err
			}
			panic("batch told to panic")
		})
		if err == nil || !strings.Contains(err.Error(), "panic: batch told to panic") {
			t.Fatalf("err %v", err)
		}
		if s, e := status(t, res.RunID); s != "failed" || !strings.Contains(e, "panic") {
			t.Errorf("sync_runs %s %q", s, e)
		}
		var n int
		st.DB.Get(&n, `SELECT count(*) FROM meetings WHERE uid = 'c'`)
		if n != 0 {
			t.Error("the panicking batch's write was committed")
		}
	})
	t.Run("waits for its turn", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := r.RunBatch(ctx, st, "push-test", BatchOptions{Wait: 5 * time.Second}, func(ctx context.Context, run connector.Sink) error {
				close(started)
				<-release
				return run.UpsertMeeting(ctx, meeting("d"))
			})
			done <- err
		}()
		<-started
		second := make(chan Result, 1)
		go func() {
			res, err := r.RunBatch(ctx, st, "push-test", BatchOptions{Wait: 5 * time.Second}, func(ctx context.Context, run connector.Sink) error {
				return run.UpsertMeeting(ctx, meeting("e"))
			})
			if err != nil {
				t.Error(err)
			}
			second <- res
		}()
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if res := <-second; res.Status != "ok" || res.Upserted != 1 {
			t.Errorf("the second batch: %+v", res)
		}
	})
	t.Run("busy", func(t *testing.T) {
		lock, err := st.TryConnectorLock(ctx, "push-test") // another process
		if err != nil || lock == nil {
			t.Fatalf("lock: %v", err)
		}
		defer lock.Release()
		var before int
		st.DB.Get(&before, `SELECT count(*) FROM sync_runs WHERE connector = 'push-test'`)
		ran := false
		_, err = r.RunBatch(ctx, st, "push-test", opts, func(context.Context, connector.Sink) error { ran = true; return nil })
		if !errors.Is(err, ErrBusy) || ran {
			t.Fatalf("err %v, ran %v: want ErrBusy without running", err, ran)
		}
		var after int
		st.DB.Get(&after, `SELECT count(*) FROM sync_runs WHERE connector = 'push-test'`)
		if after != before {
			t.Error("a batch that did not get its turn was recorded")
		}
	})
}
