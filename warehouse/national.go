package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// The country: a national warehouse fed from the provincial ones by
// PostgreSQL's built-in logical replication (docs/quoc-gia.md). Each
// provincial warehouse publishes NationalPublication; the national one
// subscribes to each province.
//
// What is published: the fact tables, the per-(unit, day) summaries the
// kpi sums (40_summaries.sql) and the coverage's monthly counts
// (coverage_counts, 70_coverage.sql), the province's own org units (self and
// internal: the tree the kpi rolls up) and its units' own targets. The
// summaries are replicated as rows, not recomputed: statement-level
// triggers (which keep them on the province) never fire on a subscriber,
// so the national side holds exactly the rows each province computed, and
// every insert, update and delete of a province's summaries reaches it.
// Unit codes are the keys of every published table, so the provinces'
// rows never meet. Not published: document_statuses and
// document_revocations (keyed by doc_key without unit_code: a ministry's
// document seen in two provinces would collide; the summaries already
// hold what they prove), the procedure catalogue (the same
// ma_tthc in every province would collide; the summaries already carry
// the levels), the common targets and report periods (the national
// warehouse has its own), runs, checkpoints, rejects and snapshots.
// TRUNCATE is not published: a province emptying a table must never
// empty the country's.

// NationalPublication is the publication a provincial warehouse offers.
const NationalPublication = "chiso_national"

// nationalTables are the published tables, each with its row filter.
var nationalTables = []struct{ table, where string }{
	{"documents", ""}, {"document_sightings", ""},
	{"dossiers", ""}, {"dossier_steps", ""}, {"dossier_sightings", ""},
	{"meetings", ""}, {"register_rows", ""},
	{"kpi_day_documents", ""}, {"kpi_day_meetings", ""}, {"kpi_day_dossiers", ""},
	{"coverage_counts", ""},
	// the runs and confirmations of the communes (not of a writer scoped
	// to no commune, '', which would speak for every province's communes):
	// the national coverage judges a month by its runs as the province does
	{"sync_runs", "commune <> ''"}, {"coverage_confirmations", "commune <> ''"},
	{"org_units", "relation IN ('self', 'internal')"},
	{"kpi_targets", "unit_code <> ''"},
}

// PublishNational creates or updates the national publication of this
// (provincial) warehouse. The server needs wal_level = logical for a
// subscriber to connect. The row-filtered tables get REPLICA IDENTITY FULL:
// PostgreSQL publishes updates and deletes of a filtered table only when
// the filter's columns are in the replica identity.
func (s *Store) PublishNational(ctx context.Context) error {
	var parts []string
	for _, t := range nationalTables {
		p := t.table
		if t.where != "" {
			if _, err := s.DB.ExecContext(ctx, `ALTER TABLE `+t.table+` REPLICA IDENTITY FULL`); err != nil {
				return fmt.Errorf("warehouse: publish: replica identity of %s: %w", t.table, err)
			}
			p += " WHERE (" + t.where + ")"
		}
		parts = append(parts, "TABLE "+p)
	}
	var n int
	if err := s.DB.GetContext(ctx, &n, `SELECT count(*) FROM pg_publication WHERE pubname = $1`, NationalPublication); err != nil {
		return fmt.Errorf("warehouse: publish: %w", err)
	}
	q := `CREATE PUBLICATION ` + NationalPublication + ` FOR ` + strings.Join(parts, ", ") + ` WITH (publish = 'insert, update, delete')`
	if n > 0 {
		q = `ALTER PUBLICATION ` + NationalPublication + ` SET ` + strings.Join(parts, ", ")
	}
	if _, err := s.DB.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("warehouse: publish: %w", err)
	}
	return nil
}

var subscriptionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// SubscribeNational makes this (national) warehouse subscribe to the
// national publication of a provincial warehouse reached by conninfo (a
// libpq connection string the national server itself uses; a role with
// the REPLICATION attribute on the province's side). name names the
// subscription and its replication slot on the province, e.g.
// "tinh_h99". The national warehouse must be migrated first, like the
// provinces (the same schema); it copies the published tables' rows, then
// follows their changes.
func (s *Store) SubscribeNational(ctx context.Context, name, conninfo string) error {
	if !subscriptionName.MatchString(name) {
		return fmt.Errorf("warehouse: subscribe: name %q: want lower-case letters, digits and _, starting with a letter", name)
	}
	q := `CREATE SUBSCRIPTION ` + name + ` CONNECTION ` + quoteLiteral(conninfo) + ` PUBLICATION ` + NationalPublication
	if _, err := s.DB.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("warehouse: subscribe %s: %w", name, err)
	}
	return nil
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
