package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/lib/pq"
)

// A snapshot (chốt số liệu) is a report as it was frozen: its header, its
// indicator rows and the keys of the records behind each indicator. The
// tables refuse UPDATE, DELETE and TRUNCATE (migration 00160); this file
// only inserts and reads them. The id and the canonical serialisation it
// hashes are the report package's (report/snapshot.go).

// SnapshotHeader is a row of snapshots.
type SnapshotHeader struct {
	ID            string          `db:"id"`
	PrevID        *string         `db:"prev_id"`
	Seq           int             `db:"seq"`
	UnitCode      string          `db:"unit_code"`
	PeriodID      string          `db:"period_id"`
	PeriodFrom    time.Time       `db:"period_from"`
	PeriodTo      time.Time       `db:"period_to"`
	FrozenAt      time.Time       `db:"frozen_at"`
	FrozenBy      string          `db:"frozen_by"`
	Note          string          `db:"note"`
	ConfigSHA256  string          `db:"config_sha256"`
	TargetsSHA256 string          `db:"targets_sha256"`
	Report        json.RawMessage `db:"report"`
}

// SnapshotRow is one indicator row of a snapshot (the report row as JSON).
type SnapshotRow struct {
	Ord       int             `db:"ord"`
	Indicator string          `db:"indicator"`
	Row       json.RawMessage `db:"row"`
}

// SnapshotRecord is one record in an indicator's numerator or denominator
// at freeze time.
type SnapshotRecord struct {
	Indicator string    `db:"indicator" json:"indicator"`
	Role      string    `db:"role" json:"role"`
	Kind      string    `db:"kind" json:"kind"`
	UnitCode  string    `db:"unit_code" json:"unit_code"`
	Key       string    `db:"key" json:"key"`
	Date      time.Time `db:"on_date" json:"date"`
	Missing   bool      `db:"missing" json:"missing"`
	Reason    *string   `db:"reason" json:"reason"`
}

// Snapshot is a stored snapshot, complete.
type Snapshot struct {
	SnapshotHeader
	Rows    []SnapshotRow
	Records []SnapshotRecord
}

var snapshotIDPrefix = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// ErrNoSnapshot is returned for an id no snapshot has.
var ErrNoSnapshot = errors.New("no such snapshot")

// InsertSnapshot stores a new snapshot of (unit, period). build receives
// the previous snapshot of the same unit and period (nil for the first)
// and returns the snapshot to store, id included; it runs while the
// snapshots table is locked against other freezes, so the chain cannot
// fork.
func (s *Store) InsertSnapshot(ctx context.Context, unit, period string, build func(prev *SnapshotHeader) (*Snapshot, error)) (*Snapshot, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("warehouse: snapshot: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `LOCK TABLE snapshots IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot: lock: %w", err)
	}
	var prev []SnapshotHeader
	if err := tx.SelectContext(ctx, &prev, `SELECT `+snapshotCols+` FROM snapshots
		WHERE unit_code = $1 AND period_id = $2 ORDER BY seq DESC LIMIT 1`, unit, period); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot: previous of %s %s: %w", unit, period, err)
	}
	var p *SnapshotHeader
	if len(prev) == 1 {
		p = &prev[0]
	}
	snap, err := build(p)
	if err != nil {
		return nil, err
	}
	h := snap.SnapshotHeader
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO snapshots (id, prev_id, seq, unit_code, period_id, period_from, period_to, frozen_at, frozen_by, note,
		                       config_sha256, targets_sha256, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		h.ID, h.PrevID, h.Seq, h.UnitCode, h.PeriodID, dateArg(h.PeriodFrom), dateArg(h.PeriodTo), h.FrozenAt, h.FrozenBy, h.Note,
		h.ConfigSHA256, h.TargetsSHA256, string(h.Report)); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot %s: %w", h.ID, err)
	}
	for _, r := range snap.Rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO snapshot_rows (snapshot_id, ord, indicator, row) VALUES ($1, $2, $3, $4)`,
			h.ID, r.Ord, r.Indicator, string(r.Row)); err != nil {
			return nil, fmt.Errorf("warehouse: snapshot %s: row %s: %w", h.ID, r.Indicator, err)
		}
	}
	if err := insertSnapshotRecords(ctx, tx, h.ID, snap.Records); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot %s: commit: %w", h.ID, err)
	}
	return snap, nil
}

// insertSnapshotRecords inserts the records in batches of one statement
// each (unnest of arrays): a snapshot may hold tens of thousands.
func insertSnapshotRecords(ctx context.Context, tx interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, id string, recs []SnapshotRecord) error {
	const batch = 5000
	for start := 0; start < len(recs); start += batch {
		end := min(start+batch, len(recs))
		var (
			ns                                 []int64
			inds, roles, kinds, units, keys, d []string
			miss                               []bool
			reasons                            []sql.NullString
		)
		for i, r := range recs[start:end] {
			ns = append(ns, int64(start+i+1))
			inds, roles, kinds = append(inds, r.Indicator), append(roles, r.Role), append(kinds, r.Kind)
			units, keys, d = append(units, r.UnitCode), append(keys, r.Key), append(d, dateArg(r.Date))
			miss = append(miss, r.Missing)
			if r.Reason != nil {
				reasons = append(reasons, sql.NullString{String: *r.Reason, Valid: true})
			} else {
				reasons = append(reasons, sql.NullString{})
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO snapshot_records (snapshot_id, n, indicator, role, kind, unit_code, key, on_date, missing, reason)
			SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::date[], $9::boolean[], $10::text[])`,
			id, pq.Array(ns), pq.Array(inds), pq.Array(roles), pq.Array(kinds), pq.Array(units), pq.Array(keys),
			pq.Array(d), pq.Array(miss), pq.Array(reasons)); err != nil {
			return fmt.Errorf("warehouse: snapshot %s: records: %w", id, err)
		}
	}
	return nil
}

const snapshotCols = `id, prev_id, seq, unit_code, period_id, period_from, period_to, frozen_at, frozen_by, note, config_sha256, targets_sha256, report`

// SnapshotByID reads a whole snapshot. An id prefix of at least 8 hex
// digits is accepted when it names one snapshot.
func (s *Store) SnapshotByID(ctx context.Context, id string) (*Snapshot, error) {
	if !snapshotIDPrefix.MatchString(id) {
		return nil, fmt.Errorf("%w %q: an id is 64 hex digits (or its first 8 or more)", ErrNoSnapshot, id)
	}
	var hs []SnapshotHeader
	if err := s.DB.SelectContext(ctx, &hs, `SELECT `+snapshotCols+` FROM snapshots WHERE id LIKE $1 || '%' ORDER BY id LIMIT 2`, id); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot %s: %w", id, err)
	}
	switch {
	case len(hs) == 0:
		return nil, fmt.Errorf("%w %q", ErrNoSnapshot, id)
	case len(hs) > 1:
		return nil, fmt.Errorf("%w: %q is the start of more than one snapshot id: give more digits", ErrNoSnapshot, id)
	}
	snap := &Snapshot{SnapshotHeader: hs[0]}
	if err := s.DB.SelectContext(ctx, &snap.Rows, `SELECT ord, indicator, row FROM snapshot_rows WHERE snapshot_id = $1 ORDER BY ord`, snap.ID); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot %s: rows: %w", snap.ID, err)
	}
	if err := s.DB.SelectContext(ctx, &snap.Records, `SELECT indicator, role, kind, unit_code, key, on_date, missing, reason
		FROM snapshot_records WHERE snapshot_id = $1 ORDER BY n`, snap.ID); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot %s: records: %w", snap.ID, err)
	}
	return snap, nil
}

// SnapshotSummary is a line of chiso snapshot list.
type SnapshotSummary struct {
	SnapshotHeader
	Rows    int `db:"rows"`
	Records int `db:"records"`
}

// Snapshots lists the snapshots, oldest first; unit and period filter
// when not empty.
func (s *Store) Snapshots(ctx context.Context, unit, period string) ([]SnapshotSummary, error) {
	var out []SnapshotSummary
	err := s.DB.SelectContext(ctx, &out, `
		SELECT `+snapshotCols+`,
		       (SELECT count(*) FROM snapshot_rows r WHERE r.snapshot_id = s.id) AS rows,
		       (SELECT count(*) FROM snapshot_records r WHERE r.snapshot_id = s.id) AS records
		FROM snapshots s
		WHERE ($1 = '' OR unit_code = $1) AND ($2 = '' OR period_id = $2)
		ORDER BY frozen_at, unit_code, period_id, seq`, unit, period)
	if err != nil {
		return nil, fmt.Errorf("warehouse: snapshots: %w", err)
	}
	return out, nil
}

// SnapshotChain returns the snapshots of (unit, period) in chain order.
func (s *Store) SnapshotChain(ctx context.Context, unit, period string) ([]SnapshotHeader, error) {
	var out []SnapshotHeader
	if err := s.DB.SelectContext(ctx, &out, `SELECT `+snapshotCols+` FROM snapshots WHERE unit_code = $1 AND period_id = $2 ORDER BY seq`, unit, period); err != nil {
		return nil, fmt.Errorf("warehouse: snapshot chain %s %s: %w", unit, period, err)
	}
	return out, nil
}

// TargetsInForce returns the targets of year as a JSON array ordered by
// unit and indicator (the input of a snapshot's targets hash).
func (s *Store) TargetsInForce(ctx context.Context, year int) (json.RawMessage, error) {
	var b []byte
	err := s.DB.GetContext(ctx, &b, `
		SELECT coalesce(jsonb_agg(jsonb_build_object('unit', unit_code, 'indicator', indicator, 'op', op, 'value', target)
		                          ORDER BY unit_code, indicator), '[]'::jsonb)::text
		FROM kpi_targets WHERE year = $1`, year)
	if err != nil {
		return nil, fmt.Errorf("warehouse: targets of %d: %w", year, err)
	}
	return b, nil
}

// RecordRun is one sync run that touched a record after some instant.
type RecordRun struct {
	RunID     int64     `db:"run_id" json:"run_id"`
	Connector string    `db:"connector" json:"connector"`
	StartedAt time.Time `db:"started_at" json:"started_at"`
	What      string    `db:"what" json:"what"` // first_seen | last_seen | sighting | deleted | register_changed | register_removed | status | revocation
}

// recordRunQueries list, per kind of record (explain kinds), the runs
// that wrote the record: $1 unit code, $2 key, $3 the instant after which.
var recordRunQueries = map[string]string{
	"document": `
		SELECT first_seen_run AS run, 'first_seen' AS what FROM documents WHERE unit_code = $1 AND doc_key = $2
		UNION ALL SELECT last_seen_run, 'last_seen' FROM documents WHERE unit_code = $1 AND doc_key = $2
		UNION ALL SELECT run_id, 'sighting' FROM document_sightings WHERE unit_code = $1 AND doc_key = $2
		UNION ALL SELECT changed_run, 'register_changed' FROM register_rows WHERE unit_code = $1 AND doc_key = $2
		UNION ALL SELECT removed_run, 'register_removed' FROM register_rows WHERE unit_code = $1 AND doc_key = $2
		UNION ALL SELECT run_id, 'status' FROM document_statuses WHERE doc_key = $2
		UNION ALL SELECT run_id, 'revocation' FROM document_revocations WHERE doc_key = $2`,
	"meeting": `
		SELECT first_seen_run AS run, 'first_seen' AS what FROM meetings WHERE unit_code = $1 AND source || ':' || uid = $2
		UNION ALL SELECT last_seen_run, 'last_seen' FROM meetings WHERE unit_code = $1 AND source || ':' || uid = $2
		UNION ALL SELECT deleted_run, 'deleted' FROM meetings WHERE unit_code = $1 AND source || ':' || uid = $2`,
	"dossier": `
		SELECT first_seen_run AS run, 'first_seen' AS what FROM dossiers WHERE unit_code = $1 AND ma_ho_so = $2
		UNION ALL SELECT last_seen_run, 'last_seen' FROM dossiers WHERE unit_code = $1 AND ma_ho_so = $2
		UNION ALL SELECT run_id, 'sighting' FROM dossier_sightings WHERE unit_code = $1 AND ma_ho_so = $2`,
}

// RecordRuns lists the sync runs started after since that wrote the
// record (kind document, meeting or dossier; key as explain gives it),
// oldest first: which source and which run changed it since a snapshot.
func (s *Store) RecordRuns(ctx context.Context, kind, unit, key string, since time.Time) ([]RecordRun, error) {
	q, ok := recordRunQueries[kind]
	if !ok {
		return nil, fmt.Errorf("warehouse: record runs: unknown kind %q", kind)
	}
	var out []RecordRun
	err := s.DB.SelectContext(ctx, &out, `
		SELECT DISTINCT r.id AS run_id, r.connector, r.started_at, x.what
		FROM (`+q+`) x JOIN sync_runs r ON r.id = x.run
		WHERE r.started_at > $3
		ORDER BY r.started_at, r.id, x.what`, unit, key, since)
	if err != nil {
		return nil, fmt.Errorf("warehouse: record runs of %s %s %s: %w", kind, unit, key, err)
	}
	return out, nil
}

// RecordExists says whether the warehouse still holds the record.
func (s *Store) RecordExists(ctx context.Context, kind, unit, key string) (bool, error) {
	q := map[string]string{
		"document": `SELECT EXISTS (SELECT 1 FROM documents WHERE unit_code = $1 AND doc_key = $2)`,
		"meeting":  `SELECT EXISTS (SELECT 1 FROM meetings WHERE unit_code = $1 AND source || ':' || uid = $2 AND deleted_run IS NULL)`,
		"dossier":  `SELECT EXISTS (SELECT 1 FROM dossiers WHERE unit_code = $1 AND ma_ho_so = $2)`,
	}[kind]
	if q == "" {
		return false, fmt.Errorf("warehouse: record: unknown kind %q", kind)
	}
	var ok bool
	if err := s.DB.GetContext(ctx, &ok, q, unit, key); err != nil {
		return false, fmt.Errorf("warehouse: record %s %s %s: %w", kind, unit, key, err)
	}
	return ok, nil
}
