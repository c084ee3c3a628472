package warehouse

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// A warehouse may be shared by the daemons of many communes (a provincial
// warehouse). Each daemon's store is scoped to its commune, the org.self
// of its config: the connectors it runs are named by (commune, connector
// name), so their checkpoints, runs, locks and rejects are apart from
// another commune's connectors of the same name; it writes org units,
// targets and report periods only for its own tree (the commune and the
// units under it), and its sweeps (meetings gone from a feed, register rows
// gone from an export) touch only the facts of its tree.

// SetCommune scopes the store to commune (org.self) whose tree is tree
// (commune and every unit under it, as the config's org directory says).
// A store never scoped (commune "") is the single-commune warehouse of
// before: its rows carry commune ” and its sweeps are not limited.
func (s *Store) SetCommune(commune string, tree []string) {
	s.commune = commune
	s.tree = append([]string(nil), tree...)
}

// Commune is the commune the store is scoped to ("" when none).
func (s *Store) Commune() string { return s.commune }

// Tree lists the units of the store's commune (nil when not scoped).
func (s *Store) Tree() []string { return append([]string(nil), s.tree...) }

// InTree reports whether unit belongs to the store's commune (always true
// for a store not scoped).
func (s *Store) InTree(unit string) bool {
	if s.tree == nil {
		return true
	}
	for _, u := range s.tree {
		if u == unit {
			return true
		}
	}
	return false
}

// treeArg is the tree as a SQL text[] argument; NULL when not scoped, so
// that a query's "($n::text[] IS NULL OR unit_code = ANY($n))" is true.
func (s *Store) treeArg() any {
	if s.tree == nil {
		return nil
	}
	return pq.Array(s.tree)
}

// syncOwnOrgUnits writes the directory of the store's commune into a
// warehouse other communes share. Each row remembers the commune that
// wrote it (org_units.written_by). The daemon
//   - writes (inserts or updates) the units of its own tree, unless the
//     row is another daemon's self or internal unit, i.e. part of another
//     tree. Exception, so that a provincial directory shapes the tree: a
//     row whose relation is 'self' is overwritten by a writer that says
//     'internal' (the province's directory puts the commune under it) and
//     is not taken back by the commune's own daemon;
//   - inserts the other units of its directory (higher, peer, external
//     agencies) when absent and updates only those it wrote itself;
//   - removes only rows it wrote that left its directory.
func (s *Store) syncOwnOrgUnits(ctx context.Context, units []OrgUnit) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	codes := make([]string, 0, len(units))
	for _, u := range units {
		codes = append(codes, u.Code)
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO org_units AS o (code, name, parent_code, relation, merged_into, level, written_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $8, $6, now())
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,
			  relation = EXCLUDED.relation, merged_into = EXCLUDED.merged_into, level = EXCLUDED.level,
			  written_by = EXCLUDED.written_by, updated_at = now()
			WHERE o.written_by IN ('', EXCLUDED.written_by)
			   OR ($7 AND o.relation NOT IN ('self', 'internal'))
			   OR ($7 AND o.relation = 'self' AND EXCLUDED.relation = 'internal')`,
			u.Code, u.Name, u.ParentCode, u.Relation, u.MergedInto, s.commune, s.InTree(u.Code), u.Level); err != nil {
			return fmt.Errorf("warehouse: org unit %s: %w", u.Code, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM org_units WHERE written_by = $2 AND NOT (code = ANY($1))`, pqArray(codes), s.commune); err != nil {
		return fmt.Errorf("warehouse: org units: %w", err)
	}
	return tx.Commit()
}

// loadOwnTargets writes the targets of year of the store's commune. A
// target for every unit (Unit "") is written for each unit of the tree, so
// that each unit of the commune is measured against its commune's targets
// (kpi_targets.unit_code = the unit; the ” rows, for every unit, are the
// built-in defaults and those of an unscoped store), and a target naming a
// unit overrides it for that unit, which must be in the tree. The daemon
// replaces the rows it wrote before, and never a row written by the daemon
// of a commune inside its tree (the province's targets do not overwrite a
// commune's own: the deeper tree wins).
func (s *Store) loadOwnTargets(ctx context.Context, year int, targets []Target, source string) error {
	type row struct {
		unit string
		t    Target
	}
	var rows []row
	for _, t := range targets {
		if strings.TrimSpace(t.Unit) == "" {
			for _, u := range s.tree {
				rows = append(rows, row{u, t})
			}
		}
	}
	for i, t := range targets {
		u := strings.ToUpper(strings.TrimSpace(t.Unit))
		if u == "" {
			continue
		}
		if !s.InTree(u) {
			return fmt.Errorf("warehouse: targets %s: target %d (%s): unit: %s is not in the tree of commune %s", source, i+1, t.Indicator, u, s.commune)
		}
		rows = append(rows, row{u, t})
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("warehouse: targets: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_targets WHERE year = $1 AND written_by = $2`, year, s.commune); err != nil {
		return fmt.Errorf("warehouse: targets %d: %w", year, err)
	}
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO kpi_targets AS k (year, unit_code, indicator, op, target, source, written_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, now())
			ON CONFLICT (year, unit_code, indicator) DO UPDATE
			SET op = EXCLUDED.op, target = EXCLUDED.target, source = EXCLUDED.source, written_by = EXCLUDED.written_by, updated_at = now()
			WHERE k.written_by IN ('', EXCLUDED.written_by) OR NOT (k.written_by = ANY($8))`,
			year, r.unit, r.t.Indicator, r.t.Op, r.t.Value, source, s.commune, pq.Array(s.tree)); err != nil {
			return fmt.Errorf("warehouse: target %s of %s: %w", r.t.Indicator, r.unit, err)
		}
	}
	return tx.Commit()
}

// loadOwnReportPeriods writes the named report periods of the store's
// commune. The periods are one list for the warehouse (the kpi computes
// them for every unit): a daemon adds the periods it defines that are
// absent, takes over the built-in defaults (commune ”) it defines,
// changes those it wrote, and removes those it wrote that left its config. A period
// another commune defined differently is an error naming both: the
// communes sharing a warehouse must agree on it.
func (s *Store) loadOwnReportPeriods(ctx context.Context, periods []ReportPeriod) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	// One writer of the shared list at a time.
	if _, err := tx.ExecContext(ctx, `LOCK TABLE kpi_report_periods IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	var have []struct {
		ReportPeriod
		Commune string `db:"written_by"`
	}
	if err := tx.SelectContext(ctx, &have, `SELECT id, label, from_md, to_md, from_prev_year, ord, written_by FROM kpi_report_periods`); err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	ids := make([]string, 0, len(periods))
	for i, p := range periods {
		ids = append(ids, p.ID)
		for _, h := range have {
			if h.ID != p.ID || h.Commune == "" || h.Commune == s.commune {
				continue
			}
			if h.Label != p.Label || h.FromMD != p.FromMD || h.ToMD != p.ToMD || h.FromPrevYear != p.FromPrevYear {
				return fmt.Errorf("warehouse: report period %s: commune %s defines it as %q %s..%s (from the previous year: %v), this config (commune %s) as %q %s..%s (%v): the communes sharing a warehouse must define it alike",
					p.ID, h.Commune, h.Label, h.FromMD, h.ToMD, h.FromPrevYear, s.commune, p.Label, p.FromMD, p.ToMD, p.FromPrevYear)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO kpi_report_periods AS k (id, label, from_md, to_md, from_prev_year, ord, written_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, from_md = EXCLUDED.from_md, to_md = EXCLUDED.to_md,
			  from_prev_year = EXCLUDED.from_prev_year, ord = EXCLUDED.ord, written_by = EXCLUDED.written_by
			WHERE k.written_by = '' OR k.written_by = EXCLUDED.written_by
			  AND (k.label, k.from_md, k.to_md, k.from_prev_year, k.ord) IS DISTINCT FROM
			      (EXCLUDED.label, EXCLUDED.from_md, EXCLUDED.to_md, EXCLUDED.from_prev_year, EXCLUDED.ord)`,
			p.ID, p.Label, p.FromMD, p.ToMD, p.FromPrevYear, i+1, s.commune); err != nil {
			return fmt.Errorf("warehouse: report period %s: %w", p.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_report_periods WHERE written_by = $2 AND NOT (id = ANY($1))`, pq.Array(ids), s.commune); err != nil {
		return fmt.Errorf("warehouse: report periods: %w", err)
	}
	return tx.Commit()
}

// NarrowTree drops from the store's tree the units that the warehouse
// gives to another commune: units the config's directory calls its own but
// whose rows another commune's daemon wrote first as part of its tree (two
// directories claiming one unit). It returns the units dropped; facts of
// them are then rejected like those of any unit outside the tree. Call it
// after SyncOrgUnits.
func (s *Store) NarrowTree(ctx context.Context) ([]string, error) {
	if s.commune == "" {
		return nil, nil
	}
	var members []string
	if err := s.DB.SelectContext(ctx, &members, `SELECT m FROM kpi_unit_members($1) AS m`, s.commune); err != nil {
		return nil, fmt.Errorf("warehouse: tree of %s: %w", s.commune, err)
	}
	in := make(map[string]bool, len(members))
	for _, m := range members {
		in[m] = true
	}
	var keep, dropped []string
	for _, u := range s.tree {
		if in[u] {
			keep = append(keep, u)
		} else {
			dropped = append(dropped, u)
		}
	}
	if keep == nil {
		keep = []string{}
	}
	s.tree = keep
	return dropped, nil
}
