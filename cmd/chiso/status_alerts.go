package main

import (
	"context"
	"io"

	"chiso/sync/alerts"
	"chiso/sync/config"
)

// printAlerts shows the alert deliveries: every one not yet sent (with its
// attempts, next retry and last error) and the last ones sent.
func printAlerts(ctx context.Context, w *openedWarehouse, cfg *config.Config, out io.Writer) error {
	ds, err := w.Store.AlertDeliveries(ctx, 5)
	if err != nil {
		return err
	}
	if len(ds) == 0 && !cfg.Alerts.EmailOn() && !cfg.Alerts.WebhookOn() {
		return nil // alerts off and never used: nothing to say
	}
	io.WriteString(out, "\n")
	return alerts.WriteStatus(out, ds, cfg.Location)
}
