package warehouse

import (
	"context"
	"fmt"
	"time"
)

// RegisterRow is one row of a register file as last read (table
// register_rows). A row is identified within its file by the document's key.
type RegisterRow struct {
	UnitCode   string     `db:"unit_code"`
	Connector  string     `db:"connector"`
	File       string     `db:"file"`
	Direction  string     `db:"direction"`
	DocKey     string     `db:"doc_key"`
	Sheet      string     `db:"sheet"`
	Line       int        `db:"line"`
	Code       string     `db:"code"`
	RowHash    string     `db:"row_hash"`
	RemovedRun *int64     `db:"removed_run"`
	RemovedAt  *time.Time `db:"removed_at"`
}

// RowChange says what TrackRegisterRow found.
type RowChange int

// RowChange values.
const (
	RowNew       RowChange = iota // first time this file had the row
	RowUnchanged                  // same cells as before
	RowChanged                    // the cells differ from the previous export
	RowReturned                   // the row had been reported removed and is back
)

// TrackRegisterRow records that the file being read has row (in the open
// batch) and says whether it is new, unchanged, changed or back after a
// removal.
func (r *Run) TrackRegisterRow(ctx context.Context, row RegisterRow) (RowChange, error) {
	tx, err := r.Tx(ctx)
	if err != nil {
		return 0, err
	}
	var prev []struct {
		Hash    string `db:"row_hash"`
		Removed *int64 `db:"removed_run"`
	}
	if err := tx.SelectContext(ctx, &prev, `SELECT row_hash, removed_run FROM register_rows
		WHERE unit_code = $1 AND connector = $2 AND file = $3 AND doc_key = $4`,
		row.UnitCode, r.connector, row.File, row.DocKey); err != nil {
		return 0, fmt.Errorf("warehouse: register row %s#%d: %w", row.File, row.Line, err)
	}
	change := RowNew
	if len(prev) == 1 {
		switch {
		case prev[0].Removed != nil:
			change = RowReturned
		case prev[0].Hash != row.RowHash:
			change = RowChanged
		default:
			change = RowUnchanged
		}
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO register_rows AS x (unit_code, connector, file, direction, doc_key, sheet, line, code, row_hash,
		  first_seen_run, last_seen_run, changed_run, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8,''), $9, $10, $10, NULL, now())
		ON CONFLICT (unit_code, connector, file, doc_key) DO UPDATE SET
		  direction = EXCLUDED.direction, sheet = EXCLUDED.sheet, line = EXCLUDED.line, code = EXCLUDED.code,
		  changed_run = CASE WHEN x.row_hash <> EXCLUDED.row_hash THEN EXCLUDED.last_seen_run ELSE x.changed_run END,
		  row_hash = EXCLUDED.row_hash, last_seen_run = EXCLUDED.last_seen_run,
		  removed_run = NULL, removed_at = NULL, updated_at = now()`,
		row.UnitCode, r.connector, row.File, row.Direction, row.DocKey, row.Sheet, row.Line, row.Code, row.RowHash, r.id); err != nil {
		return 0, fmt.Errorf("warehouse: register row %s#%d: %w", row.File, row.Line, err)
	}
	return change, nil
}

// CloseRegisterFile ends the reading of file in this run: rows the file had
// before but not now are marked removed (never deleted: the documents stay)
// and returned, so the connector can warn about them.
func (r *Run) CloseRegisterFile(ctx context.Context, file string) ([]RegisterRow, error) {
	tx, err := r.Tx(ctx)
	if err != nil {
		return nil, err
	}
	var out []RegisterRow
	if err := tx.SelectContext(ctx, &out, `
		UPDATE register_rows SET removed_run = $3, removed_at = now(), updated_at = now()
		WHERE connector = $1 AND file = $2 AND removed_run IS NULL AND last_seen_run IS DISTINCT FROM $3
		RETURNING unit_code, connector, file, direction, doc_key, sheet, line, COALESCE(code, '') AS code,
		  row_hash, removed_run, removed_at`, r.connector, file, r.id); err != nil {
		return nil, fmt.Errorf("warehouse: register file %s: %w", file, err)
	}
	return out, nil
}

// UnresolvedName is an agency name a register used that the org directory
// does not know (issuer of an incoming row, recipient of an outgoing one).
type UnresolvedName struct {
	Connector string    `db:"connector"`
	Role      string    `db:"role"`     // "issuer" | "recipient"
	NameKey   string    `db:"name_key"` // folded name: the identity
	Name      string    `db:"name"`     // as written
	Rows      int64     `db:"rows"`
	Files     int64     `db:"files"`
	Example   string    `db:"example"` // source key of one row using it
	SeenAt    time.Time `db:"seen_at"`
}

// SetUnresolvedNames replaces the unresolved names recorded for file with
// those of its latest read (in the open batch).
func (r *Run) SetUnresolvedNames(ctx context.Context, file string, names []UnresolvedName) error {
	tx, err := r.Tx(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM register_unresolved_names WHERE connector = $1 AND file = $2`, r.connector, file); err != nil {
		return fmt.Errorf("warehouse: unresolved names of %s: %w", file, err)
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO register_unresolved_names (connector, file, role, name_key, name, rows, example, run_id, seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7,''), $8, now())
			ON CONFLICT (connector, file, role, name_key) DO UPDATE SET rows = register_unresolved_names.rows + EXCLUDED.rows`,
			r.connector, file, n.Role, n.NameKey, n.Name, n.Rows, n.Example, r.id); err != nil {
			return fmt.Errorf("warehouse: unresolved name %q of %s: %w", n.Name, file, err)
		}
	}
	return nil
}

// UnresolvedNames lists, per connector and role, the agency names registers
// used that the org directory could not resolve, most used first (for
// `chiso status`: the admin adds them to the directory as names or aliases).
func (s *Store) UnresolvedNames(ctx context.Context) ([]UnresolvedName, error) {
	var out []UnresolvedName
	err := s.DB.SelectContext(ctx, &out, `
		SELECT connector, role, name_key, min(name) AS name, sum(rows) AS rows, count(DISTINCT file) AS files,
		       COALESCE(min(example), '') AS example, max(seen_at) AS seen_at
		FROM register_unresolved_names
		GROUP BY connector, role, name_key
		ORDER BY sum(rows) DESC, connector, role, min(name)`)
	if err != nil {
		return nil, fmt.Errorf("warehouse: unresolved names: %w", err)
	}
	return out, nil
}

// RemovedRegisterRows lists register rows that a later export no longer
// had (their documents are kept), newest first (for `chiso status`).
func (s *Store) RemovedRegisterRows(ctx context.Context) ([]RegisterRow, error) {
	var out []RegisterRow
	err := s.DB.SelectContext(ctx, &out, `
		SELECT unit_code, connector, file, direction, doc_key, sheet, line, COALESCE(code, '') AS code,
		       row_hash, removed_run, removed_at
		FROM register_rows WHERE removed_run IS NOT NULL
		ORDER BY removed_at DESC, connector, file, line`)
	if err != nil {
		return nil, fmt.Errorf("warehouse: removed register rows: %w", err)
	}
	return out, nil
}
