package warehouse

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"

	"github.com/lib/pq"
)

// The kpi functions, views and triggers are the SQL files of sql/, applied
// after the migrations (which keep the tables, indexes and data changes):
// in name order, in one transaction, whenever the checksum of the set
// differs from the last one recorded in kpi_sql_applied; the transaction
// first drops every kpi object (chiso_drop_kpi_objects, migration 00100)
// and ends by rebuilding the per-day summaries and the coverage's
// monthly counts (coverage_counts). Changing the kpi is
// editing a file: no migration.

//go:embed sql/*.sql
var kpiSQLFS embed.FS

// kpiSQLLock serialises concurrent applications of the kpi files (two
// chiso processes migrating the same database).
const kpiSQLLock = 727275

// KPISQLFile is one file of the kpi SQL.
type KPISQLFile struct {
	Name string
	Text string
}

// KPISQLFiles returns the embedded kpi SQL files in the order they apply.
func KPISQLFiles() []KPISQLFile {
	names, err := fs.Glob(kpiSQLFS, "sql/*.sql")
	if err != nil {
		panic(err) // a constant pattern: cannot happen
	}
	sort.Strings(names)
	out := make([]KPISQLFile, 0, len(names))
	for _, n := range names {
		b, err := kpiSQLFS.ReadFile(n)
		if err != nil {
			panic(err) // embedded: cannot happen
		}
		out = append(out, KPISQLFile{Name: n[len("sql/"):], Text: string(b)})
	}
	return out
}

// KPISQLChecksum is the sha256 (hex) of files: each file's name, a NUL,
// its text and a NUL, in order. A renamed, added, removed or edited file
// changes it.
func KPISQLChecksum(files []KPISQLFile) string {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.Name))
		h.Write([]byte{0})
		h.Write([]byte(f.Text))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// KPISQLApplied returns the checksum of the kpi files last applied ("" if
// none were).
func (s *Store) KPISQLApplied(ctx context.Context) (string, error) {
	var sum []string
	if err := s.DB.SelectContext(ctx, &sum, `SELECT checksum FROM kpi_sql_applied ORDER BY applied_at DESC, checksum LIMIT 1`); err != nil {
		return "", fmt.Errorf("warehouse: kpi sql checksum: %w", err)
	}
	if len(sum) == 0 {
		return "", nil
	}
	return sum[0], nil
}

// applyKPISQL applies the embedded kpi files when their checksum differs
// from the one recorded; it reports whether it applied them.
func (s *Store) applyKPISQL(ctx context.Context) (bool, error) {
	return s.applyKPISQLFiles(ctx, KPISQLFiles())
}

func (s *Store) applyKPISQLFiles(ctx context.Context, files []KPISQLFile) (bool, error) {
	sum := KPISQLChecksum(files)
	if cur, err := s.KPISQLApplied(ctx); err != nil || cur == sum {
		return false, err
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, kpiSQLLock); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: lock: %w", err)
	}
	var cur []string
	if err := tx.SelectContext(ctx, &cur, `SELECT checksum FROM kpi_sql_applied ORDER BY applied_at DESC, checksum LIMIT 1`); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql checksum: %w", err)
	}
	if len(cur) == 1 && cur[0] == sum {
		return false, nil // another process applied them meanwhile
	}
	if _, err := tx.ExecContext(ctx, `SELECT chiso_drop_kpi_objects()`); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: drop the kpi objects: %w", err)
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		// No arguments: the simple query protocol runs the file's statements in turn.
		if _, err := tx.ExecContext(ctx, f.Text); err != nil {
			return false, fmt.Errorf("warehouse: kpi sql %s: %w", f.Name, err)
		}
		names = append(names, f.Name)
	}
	if _, err := tx.ExecContext(ctx, `SELECT kpi_rebuild_day_summaries(true, true, true)`); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: rebuild the summaries: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT coverage_rebuild_counts()`); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: rebuild the coverage counts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kpi_sql_applied (checksum, applied_at, files) VALUES ($1, clock_timestamp(), $2)`,
		sum, pq.Array(names)); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: record the checksum: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("warehouse: kpi sql: %w", err)
	}
	slog.InfoContext(ctx, "kpi sql applied, summaries rebuilt", "files", len(files), "checksum", sum[:12])
	return true, nil
}
