package warehouse

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"chiso/warehouse/facts"
)

// TrackRegisterRows records, in the open batch, that the file being read has
// rows (one file, one unit; at most one row per document key) and counts
// which are new, unchanged, changed or back after a removal. One statement
// per call: the connector passes a few hundred rows at a time.
func (r *Run) TrackRegisterRows(ctx context.Context, rows []facts.RegisterRow) (facts.RowCounts, error) {
	var c facts.RowCounts
	if len(rows) == 0 {
		return c, nil
	}
	tx, err := r.Tx(ctx)
	if err != nil {
		return c, err
	}
	n := len(rows)
	keys, sheets, codes, hashes, dirs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	lines := make([]int64, n)
	for i, row := range rows {
		if row.UnitCode != rows[0].UnitCode || row.File != rows[0].File {
			return c, fmt.Errorf("warehouse: register rows of several files or units in one call")
		}
		keys[i], sheets[i], codes[i], hashes[i], dirs[i], lines[i] = row.DocKey, row.Sheet, row.Code, row.RowHash, row.Direction, int64(row.Line)
	}
	err = tx.QueryRowContext(ctx, `
WITH input AS (
  SELECT * FROM unnest(CAST($4 AS text[]), CAST($5 AS text[]), CAST($6 AS text[]), CAST($7 AS bigint[]), CAST($8 AS text[]), CAST($9 AS text[]))
    AS t(doc_key, direction, sheet, line, code, row_hash)),
prev AS (
  SELECT x.doc_key, x.row_hash, x.removed_run FROM register_rows x JOIN input i USING (doc_key)
  WHERE x.unit_code = $1 AND x.connector = $2 AND x.file = $3),
up AS (
  INSERT INTO register_rows AS x (unit_code, connector, file, direction, doc_key, sheet, line, code, row_hash,
    first_seen_run, last_seen_run, updated_at)
  SELECT $1, $2, $3, direction, doc_key, sheet, line, NULLIF(code, ''), row_hash, $10, $10, now() FROM input
  ON CONFLICT (unit_code, connector, file, doc_key) DO UPDATE SET
    direction = EXCLUDED.direction, sheet = EXCLUDED.sheet, line = EXCLUDED.line, code = EXCLUDED.code,
    changed_run = CASE WHEN x.row_hash <> EXCLUDED.row_hash THEN EXCLUDED.last_seen_run ELSE x.changed_run END,
    row_hash = EXCLUDED.row_hash, last_seen_run = EXCLUDED.last_seen_run,
    removed_run = NULL, removed_at = NULL, updated_at = now()
  RETURNING 1)
SELECT count(*) FILTER (WHERE p.doc_key IS NULL),
       count(*) FILTER (WHERE p.removed_run IS NULL AND p.row_hash = i.row_hash),
       count(*) FILTER (WHERE p.removed_run IS NULL AND p.row_hash <> i.row_hash),
       count(*) FILTER (WHERE p.removed_run IS NOT NULL),
       (SELECT count(*) FROM up)
FROM input i LEFT JOIN prev p USING (doc_key)`,
		rows[0].UnitCode, r.connector, rows[0].File, pq.Array(keys), pq.Array(dirs), pq.Array(sheets), pq.Array(lines),
		pq.Array(codes), pq.Array(hashes), r.id).Scan(&c.New, &c.Unchanged, &c.Changed, &c.Returned, new(int))
	if err != nil {
		return c, fmt.Errorf("warehouse: register rows of %s: %w", rows[0].File, err)
	}
	return c, nil
}

// CloseRegisterFile ends the reading of file in this run: rows the file had
// before but not now are marked removed (never deleted: the documents stay)
// and returned, so the connector can warn about them.
func (r *Run) CloseRegisterFile(ctx context.Context, file string) ([]facts.RegisterRow, error) {
	tx, err := r.Tx(ctx)
	if err != nil {
		return nil, err
	}
	var out []facts.RegisterRow
	if err := tx.SelectContext(ctx, &out, `
		UPDATE register_rows SET removed_run = $3, removed_at = now(), updated_at = now()
		WHERE connector = $1 AND file = $2 AND removed_run IS NULL AND last_seen_run IS DISTINCT FROM $3
		  AND ($4::text[] IS NULL OR unit_code = ANY($4))
		RETURNING unit_code, connector, file, direction, doc_key, sheet, line, COALESCE(code, '') AS code,
		  row_hash, removed_run, removed_at`, r.connector, file, r.id, r.store.treeArg()); err != nil {
		return nil, fmt.Errorf("warehouse: register file %s: %w", file, err)
	}
	return out, nil
}

// SetUnresolvedNames replaces the unresolved names recorded for file with
// those of its latest read (in the open batch).
func (r *Run) SetUnresolvedNames(ctx context.Context, file string, names []facts.UnresolvedName) error {
	tx, err := r.Tx(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM register_unresolved_names WHERE commune = $3 AND connector = $1 AND file = $2`, r.connector, file, r.store.commune); err != nil {
		return fmt.Errorf("warehouse: unresolved names of %s: %w", file, err)
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO register_unresolved_names (commune, connector, file, role, name_key, name, rows, example, run_id, seen_at)
			VALUES ($9, $1, $2, $3, $4, $5, $6, NULLIF($7,''), $8, now())
			ON CONFLICT (commune, connector, file, role, name_key) DO UPDATE SET rows = register_unresolved_names.rows + EXCLUDED.rows`,
			r.connector, file, n.Role, n.NameKey, n.Name, n.Rows, n.Example, r.id, r.store.commune); err != nil {
			return fmt.Errorf("warehouse: unresolved name %q of %s: %w", n.Name, file, err)
		}
	}
	return nil
}

// UnresolvedNames lists, per connector and role, the agency names registers
// used that the org directory could not resolve, most used first (for
// `chiso status`: the admin adds them to the directory as names or aliases).
func (s *Store) UnresolvedNames(ctx context.Context) ([]facts.UnresolvedName, error) {
	var out []facts.UnresolvedName
	err := s.DB.SelectContext(ctx, &out, `
		SELECT connector, role, name_key, min(name) AS name, sum(rows) AS rows, count(DISTINCT file) AS files,
		       COALESCE(min(example), '') AS example, max(seen_at) AS seen_at
		FROM register_unresolved_names WHERE commune = $1
		GROUP BY connector, role, name_key
		ORDER BY sum(rows) DESC, connector, role, min(name)`, s.commune)
	if err != nil {
		return nil, fmt.Errorf("warehouse: unresolved names: %w", err)
	}
	return out, nil
}

// RemovedRegisterRows lists register rows that a later export no longer
// had (their documents are kept), newest first (for `chiso status`).
func (s *Store) RemovedRegisterRows(ctx context.Context) ([]facts.RegisterRow, error) {
	var out []facts.RegisterRow
	err := s.DB.SelectContext(ctx, &out, `
		SELECT unit_code, connector, file, direction, doc_key, sheet, line, COALESCE(code, '') AS code,
		       row_hash, removed_run, removed_at
		FROM register_rows WHERE removed_run IS NOT NULL AND ($1::text[] IS NULL OR unit_code = ANY($1))
		ORDER BY removed_at DESC, connector, file, line`, s.treeArg())
	if err != nil {
		return nil, fmt.Errorf("warehouse: removed register rows: %w", err)
	}
	return out, nil
}
