package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"time"
)

// ConnectorLock is a PostgreSQL session advisory lock on one connector
// name, held on a dedicated connection for the length of a run. Two chiso
// daemons sharing one warehouse therefore never run the same connector at
// the same time; when the holder dies its session ends and the lock is
// released by the server.
type ConnectorLock struct {
	conn *sql.Conn
	key  int64
}

// LockKey is the advisory lock key of a connector of commune: a 64-bit
// FNV-1a hash of "chiso:connector:" + name for the unscoped store (commune
// ""), of "chiso:connector:" + commune + "/" + name otherwise, so that two
// communes' connectors of one name have two locks (one key space with the
// other bigint advisory locks of chiso; a collision is astronomically
// unlikely).
func LockKey(commune, connector string) int64 {
	h := fnv.New64a()
	if commune == "" {
		h.Write([]byte("chiso:connector:" + connector))
	} else {
		h.Write([]byte("chiso:connector:" + commune + "/" + connector))
	}
	return int64(h.Sum64())
}

// TryConnectorLock takes the advisory lock of connector without waiting.
// It returns nil (and no error) when another session holds it.
func (s *Store) TryConnectorLock(ctx context.Context, connector string) (*ConnectorLock, error) {
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("warehouse: lock %s: %w", connector, err)
	}
	key := LockKey(s.commune, connector)
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("warehouse: lock %s: %w", connector, err)
	}
	if !ok {
		conn.Close()
		return nil, nil
	}
	return &ConnectorLock{conn: conn, key: key}, nil
}

// Release unlocks and returns the connection to the pool. If the unlock
// fails the connection is discarded instead, so that a pooled session can
// never keep the lock.
func (l *ConnectorLock) Release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ok bool
	err := l.conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&ok)
	if err != nil || !ok {
		// Closing a connection whose Raw callback returned ErrBadConn drops it.
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
		l.conn.Close()
		if err == nil {
			err = fmt.Errorf("lock %d was not held", l.key)
		}
		return fmt.Errorf("warehouse: unlock: %w", err)
	}
	return l.conn.Close()
}

// TickStream is the sync_state stream that remembers the last schedule tick
// a connector was run for.
const TickStream = "schedule:tick"

// ClaimTick records that connector runs for the schedule tick at tick. It
// returns false when this tick (or a later one) was already claimed, by
// this daemon or another one sharing the warehouse: a tick is served once.
func (s *Store) ClaimTick(ctx context.Context, connector string, tick time.Time) (bool, error) {
	// Fixed-width UTC text compares like the instants it encodes.
	v := tick.UTC().Format("2006-01-02T15:04:05.000000000Z")
	res, err := s.DB.ExecContext(ctx, `
INSERT INTO sync_state AS s (commune, connector, stream, checkpoint, updated_at) VALUES ($4, $1, $2, $3, now())
ON CONFLICT (commune, connector, stream) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()
WHERE s.checkpoint < EXCLUDED.checkpoint`, connector, TickStream, v, s.commune)
	if err != nil {
		return false, fmt.Errorf("warehouse: claim tick of %s: %w", connector, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CloseInterruptedRuns marks the runs of connector still 'running' as
// failed: their process ended without finishing them (killed, power cut).
// Call it only while holding the connector's lock, when no run of it can
// be in progress.
func (s *Store) CloseInterruptedRuns(ctx context.Context, connector string) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE sync_runs SET status = 'failed', finished_at = now(),
  error = 'interrupted: the process running it stopped before the run finished; its unflushed batch was rolled back'
WHERE commune = $2 AND connector = $1 AND status = 'running'`, connector, s.commune)
	if err != nil {
		return 0, fmt.Errorf("warehouse: close interrupted runs of %s: %w", connector, err)
	}
	return res.RowsAffected()
}

// HasUnfinishedRun reports whether connector has a run still marked
// 'running': one in progress elsewhere, or one a killed process left.
func (s *Store) HasUnfinishedRun(ctx context.Context, connector string) (bool, error) {
	var ok bool
	err := s.DB.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM sync_runs WHERE commune = $2 AND connector = $1 AND status = 'running')`, connector, s.commune)
	if err != nil {
		return false, fmt.Errorf("warehouse: runs of %s: %w", connector, err)
	}
	return ok, nil
}
