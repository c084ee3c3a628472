package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Readers of one commune in a shared warehouse: a role per commune that
// sees only its tree, by PostgreSQL row-level security (reader_scopes, the
// policies' function and chiso_apply_row_security are migration 00141).
// chiso_reader sees every row.

// rowSecurityLock serialises chiso_apply_row_security between processes
// migrating one database at once.
const rowSecurityLock = 727276

// applyRowSecurity enables row-level security on every table with a
// commune's rows, makes every view run as its caller, and grants the
// scoped readers what chiso_reader has (chiso_apply_row_security).
func (s *Store) applyRowSecurity(ctx context.Context) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("warehouse: row security: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, rowSecurityLock); err != nil {
		return fmt.Errorf("warehouse: row security: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT chiso_apply_row_security()`); err != nil {
		return fmt.Errorf("warehouse: row security: %w", err)
	}
	return tx.Commit()
}

// UnitReaderRole is the name of the reader role of unit: chiso_reader_
// and the code in lower case, its dots as underscores.
func UnitReaderRole(unit string) string {
	return "chiso_reader_" + strings.ReplaceAll(strings.ToLower(strings.TrimSpace(unit)), ".", "_")
}

var unitCodeChars = regexp.MustCompile(`^[A-Za-z0-9.]{1,40}$`)

// GrantUnitReader creates (or updates) the reader role of unit, which
// must be a unit of some commune's tree in org_units (relation self or
// internal), with a new password, and scopes it to unit's tree. It returns
// the role and its password; only the password's SCRAM verifier reaches
// the server. The connecting role needs CREATEROLE (the embedded cluster's
// owner has it; on another server the DBA grants it or runs the command as
// a role that has it).
func (s *Store) GrantUnitReader(ctx context.Context, unit string) (role, password string, err error) {
	unit = strings.ToUpper(strings.TrimSpace(unit))
	if !unitCodeChars.MatchString(unit) {
		return "", "", fmt.Errorf("warehouse: reader of %q: not a unit code", unit)
	}
	var rel []string
	if err := s.DB.SelectContext(ctx, &rel, `SELECT relation FROM org_units WHERE code = $1`, unit); err != nil {
		return "", "", fmt.Errorf("warehouse: reader of %s: %w", unit, err)
	}
	if len(rel) == 0 {
		return "", "", fmt.Errorf("warehouse: reader of %s: no such unit in org_units (a config whose directory lists it must have opened the warehouse)", unit)
	}
	if rel[0] != "self" && rel[0] != "internal" {
		return "", "", fmt.Errorf("warehouse: reader of %s: its relation is %s; a reader sees the tree of a commune or of a unit of one (self or internal)", unit, rel[0])
	}
	role = UnitReaderRole(unit)
	password, err = newPassword()
	if err != nil {
		return "", "", err
	}
	verifier, err := scramVerifier(password)
	if err != nil {
		return "", "", err
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return "", "", err
	}
	defer tx.Rollback() //nolint:errcheck
	stmts := []string{
		`SELECT pg_advisory_xact_lock(727274)`, // roles are cluster-wide (as grantReader)
		`DO $$ BEGIN
		   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '` + role + `') THEN
		     CREATE ROLE ` + quoteIdent(role) + ` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
		   END IF;
		 END $$`,
		`ALTER ROLE ` + quoteIdent(role) + ` PASSWORD '` + verifier + `'`,
		`ALTER ROLE ` + quoteIdent(role) + ` SET statement_timeout = '15min'`,
		`ALTER ROLE ` + quoteIdent(role) + ` SET idle_in_transaction_session_timeout = '15min'`,
		`GRANT CONNECT ON DATABASE ` + quoteIdent(currentDB(ctx, tx)) + ` TO ` + quoteIdent(role),
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return "", "", fmt.Errorf("warehouse: reader %s: %w", role, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reader_scopes (role, unit_code) VALUES ($1, $2)
		ON CONFLICT (role) DO UPDATE SET unit_code = EXCLUDED.unit_code`, role, unit); err != nil {
		return "", "", fmt.Errorf("warehouse: reader %s: %w", role, err)
	}
	if err := tx.Commit(); err != nil {
		return "", "", fmt.Errorf("warehouse: reader %s: %w", role, err)
	}
	if err := s.applyRowSecurity(ctx); err != nil {
		return "", "", err
	}
	return role, password, nil
}
