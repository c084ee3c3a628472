package warehouse

import (
	"context"
	"fmt"
)

// RejectReason counts the rejects a connector keeps for one kind of
// problem: the field at fault and the reason with the record's own place
// (its location or key) and numbers taken out, so that the same problem in
// many records is one line. Nothing of a record's content is read: the raw
// bytes are never selected.
type RejectReason struct {
	Connector string `db:"connector" json:"connector"`
	Field     string `db:"field" json:"field"`   // "" for a whole-record problem
	Reason    string `db:"reason" json:"reason"` // the reason, generalised
	Count     int64  `db:"n" json:"count"`
}

// RejectReasons lists the kinds of reject of every connector of the
// store's commune, the most frequent first, at most limit per connector.
func (s *Store) RejectReasons(ctx context.Context, limit int) ([]RejectReason, error) {
	var out []RejectReason
	err := s.DB.SelectContext(ctx, &out, `
		WITH k AS (
		  SELECT connector, coalesce(field, '') AS field,
		         btrim(regexp_replace(
		           regexp_replace(
		             replace(CASE WHEN location <> '' THEN replace(reason, location, '') ELSE reason END, source_key, ''),
		             '[0-9]+', '…', 'g'),
		           '^[\s:;,.-]+', ''), ' ') AS reason
		  FROM rejects WHERE commune = $2),
		g AS (
		  SELECT connector, field, reason, count(*) AS n,
		         row_number() OVER (PARTITION BY connector ORDER BY count(*) DESC, field, reason) AS rk
		  FROM k GROUP BY connector, field, reason)
		SELECT connector, field, reason, n FROM g WHERE rk <= $1 ORDER BY connector, rk`, limit, s.commune)
	if err != nil {
		return nil, fmt.Errorf("warehouse: reject reasons: %w", err)
	}
	return out, nil
}
