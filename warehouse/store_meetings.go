package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ReconcileMeetings runs after every meeting of a full read of a source has
// been upserted in this run's batch. Meetings of source starting in
// [from, to) (zero bounds: unbounded) that this run did not see are marked
// deleted with this run's id (never removed); meetings this run saw again
// after they had been marked deleted are restored. UIDs in spare (with or
// without a "#RECURRENCE-ID" suffix) are left alone: their records exist but
// could not be read this time. It commits with the batch.
func (r *Run) ReconcileMeetings(ctx context.Context, source string, from, to time.Time, spare []string) (deleted, restored int64, err error) {
	tx, err := r.Tx(ctx)
	if err != nil {
		return 0, 0, err
	}
	var fromArg, toArg any
	if !from.IsZero() {
		fromArg = from
	}
	if !to.IsZero() {
		toArg = to
	}
	if spare == nil {
		spare = []string{}
	}
	res, err := tx.ExecContext(ctx, `
UPDATE meetings SET deleted_run = $2, deleted_at = now(), updated_at = now()
WHERE source = $1 AND deleted_run IS NULL
  AND last_seen_run IS DISTINCT FROM $2
  AND ($3::timestamptz IS NULL OR starts_at >= $3)
  AND ($4::timestamptz IS NULL OR starts_at < $4)
  AND NOT (split_part(uid, '#', 1) = ANY($5))
  AND ($6::text[] IS NULL OR unit_code = ANY($6))`, source, r.id, fromArg, toArg, pq.Array(spare), r.store.treeArg())
	if err != nil {
		return 0, 0, fmt.Errorf("warehouse: mark meetings of %s deleted: %w", source, err)
	}
	deleted, _ = res.RowsAffected()
	res, err = tx.ExecContext(ctx, `
UPDATE meetings SET deleted_run = NULL, deleted_at = NULL, updated_at = now()
WHERE source = $1 AND last_seen_run = $2 AND deleted_run IS NOT NULL
  AND ($3::text[] IS NULL OR unit_code = ANY($3))`, source, r.id, r.store.treeArg())
	if err != nil {
		return 0, 0, fmt.Errorf("warehouse: restore meetings of %s: %w", source, err)
	}
	restored, _ = res.RowsAffected()
	return deleted, restored, nil
}
