package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"chiso/warehouse/facts"
)

// Run is one run of one connector. It implements connector.Sink: facts,
// checkpoints, rejects and the run's counters written between two Flush
// calls commit in one transaction, so a checkpoint never moves without its
// data (architecture.md rule 2).
type Run struct {
	store     *Store
	id        int64
	connector string
	tx        *sqlx.Tx

	// buffered document writes (batch_documents.go)
	docs        []pendingDoc
	statuses    []facts.DocumentStatus
	revocations []facts.Revocation
	checkpoints map[string]string

	// docsWritten counts document facts written by the run; the document
	// tables are analyzed once when it passes analyzeAfter.
	docsWritten int
	analyzed    bool

	// incomplete says why the run could not read all its source (Incomplete).
	incomplete []string

	// pending counts belong to the open transaction; committed ones are in sync_runs.
	pFetched, pUpserted, pRejected             int64
	TotalFetched, TotalUpserted, TotalRejected int64 // committed totals
}

// StartRun records a new run (status 'running') and returns it.
func (s *Store) StartRun(ctx context.Context, connector string) (*Run, error) {
	host, _ := os.Hostname()
	var id int64
	if err := s.DB.GetContext(ctx, &id, `INSERT INTO sync_runs (commune, connector, status, host, started_at) VALUES ($4, $1, 'running', $2, COALESCE($3, now())) RETURNING id`,
		connector, host, s.runTime(), s.commune); err != nil {
		return nil, fmt.Errorf("warehouse: start run of %s: %w", connector, err)
	}
	return &Run{store: s, id: id, connector: connector}, nil
}

// SetWindow records the backfill window of the run.
func (r *Run) SetWindow(ctx context.Context, from, to time.Time) error {
	_, err := r.store.DB.ExecContext(ctx, `UPDATE sync_runs SET window_from = $2, window_to = $3 WHERE commune = $4 AND id = $1`, r.id, from, to, r.store.commune)
	return err
}

// RunID is the sync_runs id (unique in the warehouse; a run is named by
// (Commune, RunID) across merged warehouses).
func (r *Run) RunID() int64 { return r.id }

// ProcedureCodes lists the ma_tthc of the procedure catalogue (committed
// entries, as Store.ProcedureCodes).
func (r *Run) ProcedureCodes(ctx context.Context) (map[string]bool, error) {
	return r.store.ProcedureCodes(ctx)
}

// Connector is the connector name of the run.
func (r *Run) Connector() string { return r.connector }

// Tx returns the open transaction, beginning one if needed. Store methods
// of one source (store_<source>.go) use it so their writes commit with the
// batch.
func (r *Run) Tx(ctx context.Context) (*sqlx.Tx, error) {
	if r.tx != nil {
		return r.tx, nil
	}
	tx, err := r.store.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("warehouse: begin: %w", err)
	}
	// The writes are short statements over a few hundred rows whose cost
	// the planner overestimates while a backfill grows the tables (no
	// statistics yet): JIT compiling them costs ~30 ms each, far more than
	// running them.
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("warehouse: begin: %w", err)
	}
	r.tx = tx
	return tx, nil
}

func (r *Run) exec(ctx context.Context, q string, args ...any) error {
	tx, err := r.Tx(ctx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, q, args...)
	return err
}

// Fetched counts records read from upstream.
func (r *Run) Fetched(n int) { r.pFetched += int64(n) }

// CountUpserted adds n upserted facts (for store methods of one source).
func (r *Run) CountUpserted(n int) { r.pUpserted += int64(n) }

// Flush writes what is buffered and commits the open batch with the run's
// counters.
func (r *Run) Flush(ctx context.Context) error {
	if err := r.writePending(ctx); err != nil {
		return err
	}
	if r.tx == nil {
		if r.pFetched == 0 {
			return nil
		}
		if _, err := r.Tx(ctx); err != nil {
			return err
		}
	}
	if _, err := r.tx.ExecContext(ctx, `UPDATE sync_runs SET fetched = fetched + $2, upserted = upserted + $3, rejected = rejected + $4 WHERE commune = $5 AND id = $1`,
		r.id, r.pFetched, r.pUpserted, r.pRejected, r.store.commune); err != nil {
		return fmt.Errorf("warehouse: run counters: %w", err)
	}
	if err := r.tx.Commit(); err != nil {
		r.tx = nil
		return fmt.Errorf("warehouse: commit: %w", err)
	}
	r.tx = nil
	r.TotalFetched += r.pFetched
	r.TotalUpserted += r.pUpserted
	r.TotalRejected += r.pRejected
	r.pFetched, r.pUpserted, r.pRejected = 0, 0, 0
	if !r.analyzed && r.docsWritten >= analyzeAfter {
		r.analyzed = true
		r.analyzeIfUnknown(ctx)
	}
	return nil
}

// analyzeIfUnknown analyzes the document tables whose statistics know
// fewer rows than the run has written. A first backfill grows them from
// nothing faster than autovacuum analyzes them; without statistics the
// planner expects a doc_key to match 0.5 % of the rows and scans every
// outgoing document per batch to apply statuses (5 ms per batch at
// 100,000 packages, growing), and the sightings whole for each batch of
// documents (the check of an electronic sighting). Statistics taken once are enough: the
// planner scales them to the table's current size. A table that already
// has them is left alone: ANALYZE samples pages across the whole table,
// 2.6 s at the province's 2,000,000 documents, paid again by every run
// that wrote analyzeAfter documents. The data is committed, so a failure
// only slows the run.
func (r *Run) analyzeIfUnknown(ctx context.Context) {
	var tables []string
	err := r.store.DB.SelectContext(ctx, &tables, `SELECT c.relname FROM pg_class c
		WHERE c.oid IN ('documents'::regclass, 'document_sightings'::regclass, 'document_statuses'::regclass) AND c.reltuples < $1 ORDER BY 1`, r.docsWritten)
	if err == nil && len(tables) > 0 {
		_, err = r.store.DB.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", "))
	}
	if err != nil {
		slog.Warn("warehouse: analyze of the document tables failed; writes go on without statistics",
			"connector", r.connector, "err", err)
	}
}

// analyzeAfter is the number of document facts a run writes before it
// analyzes the document tables (once per run).
const analyzeAfter = 2000

// Rollback drops the open batch.
func (r *Run) Rollback() {
	if r.tx != nil {
		_ = r.tx.Rollback()
		r.tx = nil
	}
	r.docs, r.statuses, r.revocations, r.checkpoints = nil, nil, nil, nil
	r.pFetched, r.pUpserted, r.pRejected = 0, 0, 0
}

// Incomplete records that the run could not read all of its source (a
// portal that served fewer records than it announced, a window cut short):
// what was read still commits, but the run ends 'partial' with reason in
// its error column. The connector must not have moved its checkpoint past
// what it did not read.
func (r *Run) Incomplete(reason string) {
	r.incomplete = append(r.incomplete, reason)
}

// IncompleteReason is why the run could not read all ("" when it could).
func (r *Run) IncompleteReason() string {
	return strings.Join(r.incomplete, "; ")
}

// Finish ends the run: on syncErr == nil the open batch commits and the run
// is 'ok' (or 'partial' when records were rejected or the run was marked
// Incomplete, with the reason); otherwise the open batch rolls back and the
// run is 'failed' with the error. It returns syncErr, or the commit error.
func (r *Run) Finish(ctx context.Context, syncErr error) error {
	if syncErr == nil {
		syncErr = r.Flush(ctx)
	}
	if syncErr != nil {
		r.Rollback()
	}
	status := "ok"
	var msg *string
	switch {
	case syncErr != nil:
		status = "failed"
		s := syncErr.Error()
		msg = &s
	case len(r.incomplete) > 0:
		status = "partial"
		s := facts.StorableText(r.IncompleteReason())
		msg = &s
	case r.TotalRejected > 0:
		status = "partial"
	}
	// Record the outcome even when ctx was cancelled (shutdown, timeout).
	wctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	if _, err := r.store.DB.ExecContext(wctx, `UPDATE sync_runs SET status = $2, error = $3, finished_at = COALESCE($4, now()) WHERE commune = $5 AND id = $1`,
		r.id, status, msg, r.store.runTime(), r.store.commune); err != nil {
		return errors.Join(syncErr, fmt.Errorf("warehouse: record run %d: %w", r.id, err))
	}
	return syncErr
}

// SetCheckpoint stores a checkpoint in the open batch (buffered: written
// with the batch's documents, always before it commits).
func (r *Run) SetCheckpoint(ctx context.Context, stream, value string) error {
	if r.checkpoints == nil {
		r.checkpoints = map[string]string{}
	}
	r.checkpoints[stream] = value
	if len(r.checkpoints) >= docBatchSize {
		return r.writeCheckpoints(ctx)
	}
	return nil
}

func (r *Run) writeCheckpoints(ctx context.Context) error {
	if len(r.checkpoints) == 0 {
		return nil
	}
	streams := make([]string, 0, len(r.checkpoints))
	values := make([]string, 0, len(r.checkpoints))
	for stream, value := range r.checkpoints {
		streams = append(streams, stream)
		values = append(values, value)
	}
	r.checkpoints = nil
	return r.exec(ctx, `INSERT INTO sync_state (commune, connector, stream, checkpoint, run_id, updated_at)
		SELECT $5, $1, v.stream, v.checkpoint, $2, now() FROM unnest($3::text[], $4::text[]) AS v(stream, checkpoint)
		ON CONFLICT (commune, connector, stream) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, run_id = EXCLUDED.run_id, updated_at = now()`,
		r.connector, r.id, pq.Array(streams), pq.Array(values), r.store.commune)
}

// Checkpoint returns the committed checkpoint of a stream of this connector.
func (r *Run) Checkpoint(ctx context.Context, stream string) (string, bool, error) {
	return r.store.Checkpoint(ctx, r.connector, stream)
}

// Checkpoints returns the committed checkpoints with the stream prefix.
func (r *Run) Checkpoints(ctx context.Context, prefix string) (map[string]string, error) {
	return r.store.Checkpoints(ctx, r.connector, prefix)
}

// Reject keeps a record that failed validation. Every text is made
// storable first (valid UTF-8, no NUL), so that a reject can always be
// written whatever bytes its reason quotes: a reading verdict never turns
// into a database error. Hash defaults to the SHA-256 of Raw.
func (r *Run) Reject(ctx context.Context, rj facts.Reject) error {
	if rj.Hash == "" && rj.Raw != nil {
		sum := sha256.Sum256(rj.Raw)
		rj.Hash = hex.EncodeToString(sum[:])
	}
	key := facts.StorableText(rj.SourceKey)
	if err := r.exec(ctx, `INSERT INTO rejects (commune, connector, source_key, reason, raw, run_id, at, location, field, raw_sha256)
		VALUES ($9, $1, $2, $3, $4, $5, now(), NULLIF($6,''), NULLIF($7,''), NULLIF($8,''))
		ON CONFLICT (commune, connector, source_key) DO UPDATE SET reason = EXCLUDED.reason, raw = EXCLUDED.raw, run_id = EXCLUDED.run_id, at = now(),
		  location = EXCLUDED.location, field = EXCLUDED.field, raw_sha256 = EXCLUDED.raw_sha256`,
		r.connector, key, facts.StorableText(rj.Reason), rj.Raw, r.id,
		facts.StorableText(rj.Location), facts.StorableText(rj.Field), rj.Hash, r.store.commune); err != nil {
		return fmt.Errorf("warehouse: reject %s: %w", key, err)
	}
	r.pRejected++
	return nil
}

// ClearReject drops the connector's reject kept under sourceKey and those
// of its rows (keys "sourceKey#…"), in the open batch (no error when there
// is none): the record is read again and now reads fine.
func (r *Run) ClearReject(ctx context.Context, sourceKey string) error {
	key := facts.StorableText(sourceKey)
	if err := r.exec(ctx, `DELETE FROM rejects WHERE commune = $3 AND connector = $1 AND (source_key = $2 OR starts_with(source_key, $2 || '#'))`, r.connector, key, r.store.commune); err != nil {
		return fmt.Errorf("warehouse: clear reject %s: %w", key, err)
	}
	return nil
}
