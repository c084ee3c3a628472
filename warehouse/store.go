// Package warehouse stores chiso's facts in PostgreSQL: migrations, the
// embedded cluster, the store that connectors write through, and the kpi
// SQL that reports read. It knows no upstream system and no scheduler.
package warehouse

import (
	"chiso/warehouse/facts"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Store is the warehouse connection.
type Store struct {
	DB *sqlx.DB
	// Now, when set, is the clock of run records (started_at,
	// finished_at): tests run syncs as if on other days. Nil: the
	// database's now().
	Now func() time.Time

	// commune and tree scope the store to one commune of a shared
	// warehouse (SetCommune, commune.go).
	commune string
	tree    []string
}

// runTime is the time a run record gets: Now, else NULL (the column's
// default, the database's now()).
func (s *Store) runTime() *time.Time {
	if s.Now == nil {
		return nil
	}
	t := s.Now()
	return &t
}

// Open connects to dsn (a lib/pq DSN or URL) and checks the connection.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if err := CheckDSN(dsn); err != nil {
		return nil, fmt.Errorf("warehouse: dsn %s: %w", RedactDSN(dsn), err)
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, redactErr("warehouse: open: ", err, dsn)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, redactErr("warehouse: connect: ", err, dsn)
	}
	return &Store{DB: db}, nil
}

const maxIdleConns = 8

// DropIdleConns closes the pool's idle connections: after the server
// restarted each would fail once ("driver: bad connection").
func (s *Store) DropIdleConns() {
	s.DB.SetMaxIdleConns(0)
	s.DB.SetMaxIdleConns(maxIdleConns)
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.DB.Close() }

// Migrations returns the embedded goose migrations (SQL files).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationsFS, "migrations")
	if err != nil {
		panic(err) // the folder is embedded: cannot happen
	}
	return sub
}

// Migrate applies the embedded migrations, then the kpi SQL files when
// they changed (kpisql.go), and (re)grants the read-only role
// chiso_reader on every table, view and function.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectPostgres, s.DB.DB, Migrations(), goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("warehouse: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("warehouse: migrate: %w", err)
	}
	if _, err := s.applyKPISQL(ctx); err != nil {
		return err
	}
	if err := s.seedReportPeriods(ctx); err != nil {
		return err
	}
	if err := s.grantReader(ctx); err != nil {
		return err
	}
	return s.applyRowSecurity(ctx)
}

// seedReportPeriods writes the default named report periods into an empty
// kpi_report_periods (a warehouse no config has loaded periods into yet).
func (s *Store) seedReportPeriods(ctx context.Context) error {
	var n int
	if err := s.DB.GetContext(ctx, &n, `SELECT count(*) FROM kpi_report_periods`); err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	if n > 0 {
		return nil
	}
	periods := make([]ReportPeriod, len(facts.DefaultNamedPeriods))
	for i, p := range facts.DefaultNamedPeriods {
		periods[i] = ReportPeriod{ID: p.ID, Label: p.Label, FromMD: p.From, ToMD: p.To, FromPrevYear: p.FromPrevYear}
	}
	return s.LoadReportPeriods(ctx, periods)
}

// ReaderRole is the read-only role that reporting tools use.
const ReaderRole = "chiso_reader"

func (s *Store) grantReader(ctx context.Context) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	stmts := []string{
		// Roles are cluster-wide: serialise concurrent migrations of several databases.
		`SELECT pg_advisory_xact_lock(727274)`,
		`DO $$ BEGIN
		   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chiso_reader') THEN
		     CREATE ROLE chiso_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
		   END IF;
		 END $$`,
		`GRANT CONNECT ON DATABASE ` + quoteIdent(currentDB(ctx, tx)) + ` TO chiso_reader`,
		`GRANT USAGE ON SCHEMA public TO chiso_reader`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA public TO chiso_reader`,
		`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO chiso_reader`,
		revokeAdvisoryLocks,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("warehouse: grant %s: %w", ReaderRole, err)
		}
	}
	return tx.Commit()
}

// revokeAdvisoryLocks takes the advisory lock functions from PUBLIC in
// this database, so that chiso_reader (or any role but the owner) cannot
// take a connector's lock and stop every writer. Only a superuser may
// change the ACL of pg_catalog functions: on the embedded cluster chiso
// is one; on an external server that is the DBA's step (docs).
const revokeAdvisoryLocks = `DO $$
DECLARE f regprocedure;
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RETURN;
  END IF;
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
           WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg\_%advisory\_%'
  LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
  ALTER ROLE chiso_reader SET statement_timeout = '15min';
  ALTER ROLE chiso_reader SET idle_in_transaction_session_timeout = '15min';
END $$`

func currentDB(ctx context.Context, tx *sqlx.Tx) string {
	var db string
	_ = tx.GetContext(ctx, &db, `SELECT current_database()`)
	return db
}

// OrgUnit is a row of org_units.
type OrgUnit struct {
	Code       string  `db:"code"`
	Name       string  `db:"name"`
	ParentCode *string `db:"parent_code"`
	Relation   string  `db:"relation"`
	MergedInto *string `db:"merged_into"`
	Level      string  `db:"level"` // province | district | commune | ""
}

// SyncOrgUnits replaces org_units with the directory's units (units that
// left the directory are removed; facts keep their codes). A store scoped
// to a commune changes only what it may (syncOwnOrgUnits, commune.go).
func (s *Store) SyncOrgUnits(ctx context.Context, units []OrgUnit) error {
	if s.commune != "" {
		return s.syncOwnOrgUnits(ctx, units)
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	codes := make([]string, 0, len(units))
	for _, u := range units {
		codes = append(codes, u.Code)
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO org_units (code, name, parent_code, relation, merged_into, level, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, now())
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,
			  relation = EXCLUDED.relation, merged_into = EXCLUDED.merged_into, level = EXCLUDED.level, updated_at = now()`,
			u.Code, u.Name, u.ParentCode, u.Relation, u.MergedInto, u.Level); err != nil {
			return fmt.Errorf("warehouse: org unit %s: %w", u.Code, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM org_units WHERE NOT (code = ANY($1))`, pqArray(codes)); err != nil {
		return fmt.Errorf("warehouse: org units: %w", err)
	}
	return tx.Commit()
}

// OrgUnits lists org_units ordered by code.
func (s *Store) OrgUnits(ctx context.Context) ([]OrgUnit, error) {
	var out []OrgUnit
	err := s.DB.SelectContext(ctx, &out, `SELECT code, name, parent_code, relation, merged_into, level FROM org_units ORDER BY code`)
	return out, err
}

// Checkpoint returns the committed checkpoint of (connector, stream).
func (s *Store) Checkpoint(ctx context.Context, connector, stream string) (string, bool, error) {
	var v []string
	if err := s.DB.SelectContext(ctx, &v, `SELECT checkpoint FROM sync_state WHERE commune = $3 AND connector = $1 AND stream = $2`, connector, stream, s.commune); err != nil {
		return "", false, fmt.Errorf("warehouse: checkpoint %s/%s: %w", connector, stream, err)
	}
	if len(v) == 0 {
		return "", false, nil
	}
	return v[0], true, nil
}

// Checkpoints returns the committed checkpoints of connector whose stream
// starts with prefix.
func (s *Store) Checkpoints(ctx context.Context, connector, prefix string) (map[string]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT stream, checkpoint FROM sync_state WHERE commune = $3 AND connector = $1 AND starts_with(stream, $2)`, connector, prefix, s.commune)
	if err != nil {
		return nil, fmt.Errorf("warehouse: checkpoints %s: %w", connector, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// RunRecord is a row of sync_runs.
type RunRecord struct {
	ID         int64      `db:"id"`
	Connector  string     `db:"connector"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Status     string     `db:"status"`
	Fetched    int64      `db:"fetched"`
	Upserted   int64      `db:"upserted"`
	Rejected   int64      `db:"rejected"`
	Error      *string    `db:"error"`
}

// ConnectorSummary is what chiso status shows for one connector.
type ConnectorSummary struct {
	Connector   string
	Last        *RunRecord
	LastSuccess *RunRecord
	LastError   *RunRecord
	Rejects     int64
}

// Summaries returns the last run, last success and last failure of every
// connector of the store's commune that has run.
func (s *Store) Summaries(ctx context.Context) ([]ConnectorSummary, error) {
	var names []string
	if err := s.DB.SelectContext(ctx, &names, `SELECT DISTINCT connector FROM sync_runs WHERE commune = $1 ORDER BY 1`, s.commune); err != nil {
		return nil, err
	}
	out := make([]ConnectorSummary, 0, len(names))
	one := func(q, name string) (*RunRecord, error) {
		var r []RunRecord
		if err := s.DB.SelectContext(ctx, &r, `SELECT id, connector, started_at, finished_at, status, fetched, upserted, rejected, error
			FROM sync_runs WHERE commune = $2 AND connector = $1 `+q+` ORDER BY started_at DESC, id DESC LIMIT 1`, name, s.commune); err != nil {
			return nil, err
		}
		if len(r) == 0 {
			return nil, nil
		}
		return &r[0], nil
	}
	for _, n := range names {
		var cs ConnectorSummary
		cs.Connector = n
		var err error
		if cs.Last, err = one("", n); err != nil {
			return nil, err
		}
		if cs.LastSuccess, err = one("AND status IN ('ok','partial')", n); err != nil {
			return nil, err
		}
		if cs.LastError, err = one("AND status = 'failed'", n); err != nil {
			return nil, err
		}
		if err := s.DB.GetContext(ctx, &cs.Rejects, `SELECT count(*) FROM rejects WHERE commune = $2 AND connector = $1`, n, s.commune); err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}

// UnmappedCode is an agency code seen in facts but absent from org_units.
type UnmappedCode struct {
	Code      string `db:"code"`
	Documents int64  `db:"documents"`
}

// UnmappedCodes lists counterpart codes that the org directory does not
// know, most frequent first, so the admin can classify them.
func (s *Store) UnmappedCodes(ctx context.Context, limit int) ([]UnmappedCode, error) {
	var out []UnmappedCode
	err := s.DB.SelectContext(ctx, &out, `
		SELECT c AS code, count(*) AS documents
		FROM documents, unnest(counterparts) AS c
		WHERE NOT EXISTS (SELECT 1 FROM org_units o WHERE o.code = c)
		  AND ($2::text[] IS NULL OR unit_code = ANY($2))
		GROUP BY c ORDER BY count(*) DESC, c LIMIT $1`, limit, s.treeArg())
	return out, err
}

func pqArray(v []string) any { return pq.Array(v) }
