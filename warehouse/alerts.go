package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Alert deliveries (migration 00130): the events the daemon raised and
// their delivery per channel. An event is claimed by its unique key
// (event_key, channel): raising it again is a no-op, so a second daemon
// never queues it twice; sending takes a lease (claimed_until) so that one
// daemon sends at a time, and a failed attempt is retried after a backoff.

// AlertDelivery is one row of alert_deliveries.
type AlertDelivery struct {
	ID            int64          `db:"id"`
	EventKey      string         `db:"event_key"`
	Channel       string         `db:"channel"` // email | webhook
	Kind          string         `db:"kind"`
	Subject       string         `db:"subject"`
	Body          string         `db:"body"`
	Payload       []byte         `db:"payload"`
	Recipients    pq.StringArray `db:"recipients"`
	CreatedAt     time.Time      `db:"created_at"`
	Attempts      int            `db:"attempts"`
	NextAttemptAt time.Time      `db:"next_attempt_at"`
	LastAttemptAt *time.Time     `db:"last_attempt_at"`
	LastError     *string        `db:"last_error"`
	SentAt        *time.Time     `db:"sent_at"`
	SentBy        *string        `db:"sent_by"`
}

const alertCols = `id, event_key, channel, kind, subject, body, payload, recipients, created_at, attempts,
	next_attempt_at, last_attempt_at, last_error, sent_at, sent_by`

// QueueAlert records a delivery of an event on a channel for the store's
// commune unless one with the same key and channel exists; it reports
// whether this call queued it. The other calls see the store's commune's
// deliveries only (a shared warehouse holds many communes' events).
func (s *Store) QueueAlert(ctx context.Context, d AlertDelivery) (bool, error) {
	if d.Recipients == nil {
		d.Recipients = pq.StringArray{}
	}
	res, err := s.DB.ExecContext(ctx, `
		INSERT INTO alert_deliveries (event_key, channel, kind, subject, body, payload, recipients, commune)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (commune, event_key, channel) DO NOTHING`,
		d.EventKey, d.Channel, d.Kind, d.Subject, d.Body, string(d.Payload), d.Recipients, s.commune)
	if err != nil {
		return false, fmt.Errorf("warehouse: queue alert %s/%s: %w", d.EventKey, d.Channel, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ClaimAlerts takes up to limit due, unsent deliveries for by, with a lease
// of lease: no other caller gets them until it ends (SKIP LOCKED: two
// daemons claiming at once get different rows). Each claim counts as an
// attempt.
func (s *Store) ClaimAlerts(ctx context.Context, by string, lease time.Duration, limit int) ([]AlertDelivery, error) {
	var out []AlertDelivery
	err := s.DB.SelectContext(ctx, &out, `
		UPDATE alert_deliveries SET claimed_by = $1, claimed_until = now() + $2 * interval '1 millisecond',
		       attempts = attempts + 1, last_attempt_at = now()
		WHERE id IN (
		  SELECT id FROM alert_deliveries
		  WHERE commune = $4 AND sent_at IS NULL AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
		  ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+alertCols, by, lease.Milliseconds(), limit, s.commune)
	if err != nil {
		return nil, fmt.Errorf("warehouse: claim alerts: %w", err)
	}
	return out, nil
}

// ErrLeaseLost means a delivery's lease had passed to another daemon.
var ErrLeaseLost = errors.New("warehouse: alert lease lost")

// AlertSent marks a claimed delivery sent.
func (s *Store) AlertSent(ctx context.Context, id int64, by string) error {
	return s.alertDone(ctx, `UPDATE alert_deliveries SET sent_at = now(), sent_by = $2, claimed_by = NULL,
		claimed_until = NULL, last_error = NULL WHERE id = $1 AND claimed_by = $2`, id, by)
}

// AlertFailed records a failed attempt; the next one is due after retry.
func (s *Store) AlertFailed(ctx context.Context, id int64, by string, cause string, retry time.Duration) error {
	return s.alertDone(ctx, `UPDATE alert_deliveries SET last_error = $3, claimed_by = NULL, claimed_until = NULL,
		next_attempt_at = now() + $4 * interval '1 millisecond' WHERE id = $1 AND claimed_by = $2`, id, by, cause, retry.Milliseconds())
}

func (s *Store) alertDone(ctx context.Context, q string, args ...any) error {
	res, err := s.DB.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("warehouse: alert delivery %v: %w", args[0], err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: delivery %v", ErrLeaseLost, args[0])
	}
	return nil
}

// AlertDeliveries lists the deliveries not yet sent and the last sent ones
// (at most recent of them), newest first: what chiso status shows.
func (s *Store) AlertDeliveries(ctx context.Context, recent int) ([]AlertDelivery, error) {
	var out []AlertDelivery
	err := s.DB.SelectContext(ctx, &out, `
		(SELECT `+alertCols+` FROM alert_deliveries WHERE commune = $2 AND sent_at IS NULL ORDER BY id DESC)
		UNION ALL
		(SELECT `+alertCols+` FROM alert_deliveries WHERE commune = $2 AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT $1)`, recent, s.commune)
	if err != nil {
		return nil, fmt.Errorf("warehouse: alert deliveries: %w", err)
	}
	return out, nil
}

// AlertDeliveryByKey returns the delivery of an event on a channel.
func (s *Store) AlertDeliveryByKey(ctx context.Context, key, channel string) (*AlertDelivery, error) {
	var d AlertDelivery
	err := s.DB.GetContext(ctx, &d, `SELECT `+alertCols+` FROM alert_deliveries WHERE commune = $3 AND event_key = $1 AND channel = $2`, key, channel, s.commune)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("warehouse: alert %s/%s: %w", key, channel, err)
	}
	return &d, nil
}

// TargetStatusChange records status as the early-warning status of a target
// and returns the status it had before ("" when none was recorded).
// Recording the same status again changes nothing.
func (s *Store) TargetStatusChange(ctx context.Context, year int, unit, indicator, status string) (string, error) {
	var prev sql.NullString
	err := s.DB.GetContext(ctx, &prev, `
		WITH old AS (SELECT status FROM alert_target_status WHERE year = $1 AND unit_code = $2 AND indicator = $3),
		up AS (
		  INSERT INTO alert_target_status (year, unit_code, indicator, status) VALUES ($1, $2, $3, $4)
		  ON CONFLICT (year, unit_code, indicator) DO UPDATE SET status = EXCLUDED.status, changed_at = now()
		  WHERE alert_target_status.status <> EXCLUDED.status)
		SELECT (SELECT status FROM old)`, year, unit, indicator, status)
	if err != nil {
		return "", fmt.Errorf("warehouse: target status %d %s %s: %w", year, unit, indicator, err)
	}
	return prev.String, nil
}
