package main

import (
	"context"

	"chiso/sync/config"
	"chiso/warehouse"
)

// loadReferenceData stores what the kpi SQL needs from the config files:
// the targets, the named report periods, the coverage settings and the
// procedure catalogue.
func loadReferenceData(ctx context.Context, st *warehouse.Store, cfg *config.Config) error {
	if t := cfg.TargetSet; t != nil {
		targets := make([]warehouse.Target, 0, len(t.Targets))
		for _, x := range t.Targets {
			targets = append(targets, warehouse.Target{Indicator: x.Indicator, Op: x.Op, Value: x.Value, Unit: x.Unit})
		}
		if err := st.LoadTargets(ctx, t.Year, targets, cfg.Targets); err != nil {
			return err
		}
	}
	periods := make([]warehouse.ReportPeriod, 0, len(cfg.ReportPeriods))
	for _, p := range cfg.ReportPeriods {
		periods = append(periods, warehouse.ReportPeriod{ID: p.ID, Label: p.Label, FromMD: p.From, ToMD: p.To, FromPrevYear: p.FromPreviousYear})
	}
	if err := st.LoadReportPeriods(ctx, periods); err != nil {
		return err
	}
	if err := st.LoadCoverageSettings(ctx, cfg.Coverage.Settings()); err != nil {
		return err
	}
	if cfg.Procedures != "" { // read and checked by config.Load
		if err := st.LoadProcedures(ctx, cfg.Catalogue); err != nil {
			return err
		}
	}
	return nil
}
