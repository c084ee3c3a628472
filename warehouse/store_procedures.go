package warehouse

import (
	"context"
	"fmt"

	"chiso/warehouse/facts"
)

// LoadProcedures writes the catalogue file's entries (they win over the
// portal's) and fills the procedure level of dossiers that lacked it.
func (s *Store) LoadProcedures(ctx context.Context, procs []facts.Procedure) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	for _, p := range procs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days, source, updated_at)
			VALUES ($1, NULLIF($2,''), NULLIF($3,''), $4, $5, $6, now())
			ON CONFLICT (ma_tthc) DO UPDATE SET name = COALESCE(EXCLUDED.name, procedures.name), level = EXCLUDED.level,
			  requires_result = EXCLUDED.requires_result, max_days = COALESCE(EXCLUDED.max_days, procedures.max_days),
			  source = EXCLUDED.source, updated_at = now()`,
			p.MaTTHC, p.Name, p.Level, p.RequiresResult, p.MaxDays, p.Source); err != nil {
			return fmt.Errorf("warehouse: procedure %s: %w", p.MaTTHC, err)
		}
		if p.Level == "toan_trinh" || p.Level == "mot_phan" {
			if _, err := tx.ExecContext(ctx, `UPDATE dossiers SET procedure_level = $2 WHERE ma_tthc = $1 AND procedure_level IS DISTINCT FROM $2`, p.MaTTHC, p.Level); err != nil {
				return fmt.Errorf("warehouse: procedure %s: %w", p.MaTTHC, err)
			}
		}
	}
	return tx.Commit()
}
