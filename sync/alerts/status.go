package alerts

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"chiso/warehouse"
)

// State is what chiso status says of a delivery: sent, pending (not tried
// yet or being sent) or failing (the last attempt failed; retried at next).
func State(d warehouse.AlertDelivery) string {
	switch {
	case d.SentAt != nil:
		return "sent"
	case d.LastError != nil:
		return "failing"
	}
	return "pending"
}

// WriteStatus prints the deliveries (chiso status): event, channel, state,
// attempts, the last attempt, when it is retried or was sent, and the error.
func WriteStatus(w io.Writer, ds []warehouse.AlertDelivery, loc *time.Location) error {
	fmt.Fprintln(w, "Alert deliveries (alerts:):")
	if len(ds) == 0 {
		fmt.Fprintln(w, "  none yet")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  EVENT\tCHANNEL\tSTATE\tATTEMPTS\tLAST ATTEMPT\tNEXT ATTEMPT / SENT\tERROR")
	f := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	for _, d := range ds {
		when := f(d.SentAt)
		if d.SentAt == nil {
			next := d.NextAttemptAt
			when = "next " + f(&next)
		}
		msg := "-"
		if d.LastError != nil {
			msg = strings.ReplaceAll(*d.LastError, "\n", " ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.EventKey, d.Channel, State(d), d.Attempts, f(d.LastAttemptAt), when, msg)
	}
	return tw.Flush()
}
